// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {RiskLimits, RiskMetrics} from "../../interfaces/IRiskEngine.sol";
import {AssetParams, ClassCapsWord, ModelWord, RiskBoundsWord, RiskHeaderWord} from "../types/RiskWords.sol";

/// @dev One portfolio's risk state. The element arrays pack from the low bits of consecutive
/// words (Solidity's storage packing); `RiskLayout` gives the first word of each.
struct Portfolio {
    RiskHeaderWord header;
    ModelWord model;
    RiskBoundsWord bounds;
    ClassCapsWord classCaps;
    AssetParams[16] assetParams;
    uint64[16] pricesNano;
    uint32[16] volsPpm;
    int16[120] correlations;
    int16[64] stressBps;
    bytes32 assetsHash;
    RiskMetrics metrics;
}

/// @title RiskLayout
/// @notice The one description of where the RiskEngine keeps a portfolio's state: the engine
/// reads and writes through it, and the periphery (`RiskLens`) computes the same slots and reads
/// them with the engine's `extSloads` (Morpho Blue's storage-lib pattern).
/// @dev The engine's `mapping(address => Portfolio)` sits at PORTFOLIOS_SLOT, after
/// AccessManaged's one word (its constructor reverts otherwise).
library RiskLayout {
    uint256 internal constant PORTFOLIOS_SLOT = 1;
    /// @notice Each packed word's index in the record (`Portfolio`'s member order, one word each).
    uint256 internal constant HEADER_WORD = 0;
    uint256 internal constant MODEL_WORD = 1;
    uint256 internal constant BOUNDS_WORD = 2;
    uint256 internal constant CLASS_CAPS_WORD = 3;

    /// @notice The storage of `portfolio` (a pointer: nothing is read).
    function at(address portfolio) internal pure returns (Portfolio storage p) {
        assembly ("memory-safe") {
            mstore(0x00, portfolio)
            mstore(0x20, PORTFOLIOS_SLOT)
            p.slot := keccak256(0x00, 0x40)
        }
    }

    /// @notice The slot of the record's word `index` (one of the `*_WORD` above).
    function wordSlot(Portfolio storage p, uint256 index) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            slot := add(p.slot, index)
        }
    }

    function assetParamsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        AssetParams[16] storage a = p.assetParams;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    function pricesSlot(Portfolio storage p) internal view returns (uint256 slot) {
        uint64[16] storage a = p.pricesNano;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    function volsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        uint32[16] storage a = p.volsPpm;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    function correlationsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        int16[120] storage a = p.correlations;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    function stressSlot(Portfolio storage p) internal view returns (uint256 slot) {
        int16[64] storage a = p.stressBps;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    /// @notice Words of each packed array an n-asset portfolio with `scenarios` scenarios uses.
    function paramWordCount(uint256 n) internal pure returns (uint256) {
        return (n + 7) / 8;
    }

    function priceWordCount(uint256 n) internal pure returns (uint256) {
        return (n + 3) / 4;
    }

    function volWordCount(uint256 n) internal pure returns (uint256) {
        return (n + 7) / 8;
    }

    function correlationWordCount(uint256 n) internal pure returns (uint256) {
        return (n * (n - 1) / 2 + 15) / 16;
    }

    function stressWordCount(uint256 n, uint256 scenarios) internal pure returns (uint256) {
        return (scenarios * n + 15) / 16;
    }

    /// @notice The limits `configure` set, from the header, bounds and class caps words.
    function limits(RiskHeaderWord h, RiskBoundsWord b, ClassCapsWord caps)
        internal
        pure
        returns (RiskLimits memory l)
    {
        (l.minLiquidBps, l.maxVar95Bps, l.maxVar99Bps, l.maxEsBps, l.maxStressLossBps) =
        (h.minLiquidBps(), h.maxVar95Bps(), h.maxVar99Bps(), h.maxEsBps(), h.maxStressLossBps());
        (l.maxDrawdownBps, l.hardDrawdownBps, l.maxModelAge, l.maxPriceAge) =
        (h.maxDrawdownBps(), h.hardDrawdownBps(), h.maxModelAge(), h.maxPriceAge());
        (l.minUpdateDelay, l.maxVolChangeBps, l.maxCorrelationChange, l.maxStressChangeBps, l.boundWindowHours) =
        (
            b.minUpdateDelay(),
            b.maxVolChangeBps(),
            b.maxCorrelationChange(),
            b.maxStressChangeBps(),
            b.boundWindowHours()
        );
        l.maxClassWeightBps = caps.unpack();
    }

    /// @notice Element i of a packed array of `bits`-wide elements (`words` from its first word).
    function element(uint256[] memory words, uint256 i, uint256 bits) internal pure returns (uint256) {
        uint256 perWord = 256 / bits;
        return (words[i / perWord] >> ((i % perWord) * bits)) & ((1 << bits) - 1);
    }
}
