// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {RiskLimits, RiskMetrics} from "../../interfaces/IRiskEngine.sol";

/// @dev Hot word: every check reads it.
struct Header {
    uint16 minLiquidBps;
    uint16 maxVar95Bps;
    uint16 maxVar99Bps;
    uint16 maxEsBps;
    uint16 maxStressLossBps;
    uint16 maxDrawdownBps;
    uint16 hardDrawdownBps;
    uint32 maxModelAge;
    uint32 maxPriceAge;
    uint8 assetCount;
    bool halted;
    uint16 drawdownBps;
    uint16 pricedMask;
}

/// @dev Hot word: model and snapshot freshness.
struct ModelHeader {
    uint64 updateId;
    uint40 asOf;
    uint40 publishedAt;
    uint40 syncedAt;
    uint32 esMultiplierPpm;
    uint8 scenarioCount;
}

/// @dev Cold word: update bounds (publishing only) and the NAV high-water mark (sync only);
/// 32 + 4 x 16 + 2 x 80 = 256 bits.
struct Bounds {
    uint32 minUpdateDelay;
    uint16 maxVolChangeBps;
    uint16 maxCorrelationChange;
    uint16 maxStressChangeBps;
    uint16 boundWindowHours;
    uint80 highWaterMark;
    uint80 lastNavPerShare;
}

/// @dev One portfolio's risk state. The element arrays pack from the low bits of consecutive
/// words (Solidity's storage packing); `RiskLayout` gives the first word of each.
struct Portfolio {
    Header header;
    ModelHeader model;
    Bounds bounds;
    uint16[8] classCaps;
    /// Per asset: maxWeightBps 0..15 | class 16..23 | liquid 24 | decimals 25..31 (`RiskLayout.param*`).
    uint32[16] assetParams;
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

    /// @notice The storage of `portfolio` (a pointer: nothing is read).
    function at(address portfolio) internal pure returns (Portfolio storage p) {
        assembly ("memory-safe") {
            mstore(0x00, portfolio)
            mstore(0x20, PORTFOLIOS_SLOT)
            p.slot := keccak256(0x00, 0x40)
        }
    }

    function headerSlot(Portfolio storage p) internal view returns (uint256 slot) {
        Header storage h = p.header;
        assembly ("memory-safe") {
            slot := h.slot
        }
    }

    function modelSlot(Portfolio storage p) internal view returns (uint256 slot) {
        ModelHeader storage m = p.model;
        assembly ("memory-safe") {
            slot := m.slot
        }
    }

    function boundsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        Bounds storage b = p.bounds;
        assembly ("memory-safe") {
            slot := b.slot
        }
    }

    function classCapsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        uint16[8] storage a = p.classCaps;
        assembly ("memory-safe") {
            slot := a.slot
        }
    }

    function assetParamsSlot(Portfolio storage p) internal view returns (uint256 slot) {
        uint32[16] storage a = p.assetParams;
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

    // ------------------------------------------------------------ word fields read by the lens

    /// @notice `Header.assetCount` from the header word (bits 176..183: seven uint16 and two
    /// uint32 before it).
    function assetCount(uint256 headerWord) internal pure returns (uint256) {
        return uint8(headerWord >> 176);
    }

    /// @notice `ModelHeader.esMultiplierPpm` (bits 184..215) and `scenarioCount` (216..223).
    function esMultiplierPpm(uint256 modelWord) internal pure returns (uint256) {
        return uint32(modelWord >> 184);
    }

    function scenarioCount(uint256 modelWord) internal pure returns (uint256) {
        return uint8(modelWord >> 216);
    }

    /// @notice The limits `configure` set, from the header word (`Header`: seven uint16 from bit
    /// 0, `maxModelAge` at 112, `maxPriceAge` at 144), the bounds word (`Bounds`: `minUpdateDelay`
    /// at 0, then four uint16 from bit 32) and the class caps word (eight uint16 from bit 0).
    function limits(uint256 headerWord, uint256 boundsWord, uint256 capsWord)
        internal
        pure
        returns (RiskLimits memory l)
    {
        (l.minLiquidBps, l.maxVar95Bps, l.maxVar99Bps, l.maxEsBps, l.maxStressLossBps) =
        (
            uint16(headerWord),
            uint16(headerWord >> 16),
            uint16(headerWord >> 32),
            uint16(headerWord >> 48),
            uint16(headerWord >> 64)
        );
        (l.maxDrawdownBps, l.hardDrawdownBps, l.maxModelAge, l.maxPriceAge) =
        (uint16(headerWord >> 80), uint16(headerWord >> 96), uint32(headerWord >> 112), uint32(headerWord >> 144));
        (l.minUpdateDelay, l.maxVolChangeBps, l.maxCorrelationChange, l.maxStressChangeBps, l.boundWindowHours) =
        (
            uint32(boundsWord),
            uint16(boundsWord >> 32),
            uint16(boundsWord >> 48),
            uint16(boundsWord >> 64),
            uint16(boundsWord >> 80)
        );
        // Bounded: eight classes (RiskEngine.MAX_CLASSES).
        for (uint256 c; c < l.maxClassWeightBps.length; ++c) {
            l.maxClassWeightBps[c] = uint16(capsWord >> (16 * c));
        }
    }

    /// @notice Element i of a packed array of `bits`-wide elements (`words` from its first word).
    function element(uint256[] memory words, uint256 i, uint256 bits) internal pure returns (uint256) {
        uint256 perWord = 256 / bits;
        return (words[i / perWord] >> ((i % perWord) * bits)) & ((1 << bits) - 1);
    }
}
