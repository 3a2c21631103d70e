// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {RiskLimits, RiskMetrics} from "../../interfaces/IRiskEngine.sol";

// A portfolio's risk record in the RiskEngine: its packed words, each a value type with one library
// of accessors (Uniswap v4's `Slot0` pattern). The offsets and masks below are the only description
// of each layout: the engine reads and writes the words through them, and the periphery
// (`RiskLens`) decodes the words it reads with the engine's `extSloads` through them too. Getters
// return the field; setters return the word with that field replaced and every other bit kept.
// Fields are listed from the lowest bit.

/// @notice The header, read by every check: minLiquidBps 0..15 | maxVar95Bps 16..31 |
/// maxVar99Bps 32..47 | maxEsBps 48..63 | maxStressLossBps 64..79 | maxDrawdownBps 80..95 |
/// hardDrawdownBps 96..111 | maxModelAge 112..143 | maxPriceAge 144..175 | assetCount 176..183 |
/// halted 184..191 | drawdownBps 192..207 | pricedMask 208..223 | unused 224..255.
/// @dev The halted flag is a byte (0 or 1; read as set when the byte is not zero).
type RiskHeaderWord is uint256;

/// @notice The model header (model and snapshot freshness), read by every check: updateId 0..63 |
/// asOf 64..103 | publishedAt 104..143 | syncedAt 144..183 | esMultiplierPpm 184..215 |
/// scenarioCount 216..223 | unused 224..255.
type ModelWord is uint256;

/// @notice The update bounds (read by publishing only) and the NAV per share marks (written by
/// sync only): minUpdateDelay 0..31 | maxVolChangeBps 32..47 | maxCorrelationChange 48..63 |
/// maxStressChangeBps 64..79 | boundWindowHours 80..95 | highWaterMark 96..175 |
/// lastNavPerShare 176..255.
type RiskBoundsWord is uint256;

/// @notice The class caps, read by every check that reaches the limits: class c's maximum weight
/// (bps, 0: no cap) at 16 c .. 16 c + 15 (c < 8).
type ClassCapsWord is uint256;

/// @notice One asset's parameters, an element of the packed `assetParams` array (eight to a
/// storage word, asset i at bits 32 (i % 8) of word i / 8): maxWeightBps 0..15 | assetClass 16..23 |
/// liquid 24 | decimals 25..30 | unused 31.
type AssetParams is uint32;

// `AssetParams`' layout, at file level so that the assembly loops that read the parameters in place
// (`RiskMath.positionValues`, the engine's `_limits`) name the same constants as its library.
uint256 constant ASSET_MAX_WEIGHT_BPS_MASK = 0xffff;
uint256 constant ASSET_CLASS_OFFSET = 16;
uint256 constant ASSET_CLASS_MASK = 0xff;
uint256 constant ASSET_LIQUID_OFFSET = 24;
uint256 constant ASSET_DECIMALS_OFFSET = 25;
/// @dev Decimals in 6 bits (the engine accepts at most 36).
uint256 constant ASSET_DECIMALS_MASK = 0x3f;

using RiskHeaderWordLibrary for RiskHeaderWord global;
using ModelWordLibrary for ModelWord global;
using RiskBoundsWordLibrary for RiskBoundsWord global;
using ClassCapsWordLibrary for ClassCapsWord global;
using AssetParamsLibrary for AssetParams global;

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

library RiskHeaderWordLibrary {
    uint256 internal constant BPS_MASK = type(uint16).max;
    uint256 internal constant MAX_VAR95_BPS_OFFSET = 16;
    uint256 internal constant MAX_VAR99_BPS_OFFSET = 32;
    uint256 internal constant MAX_ES_BPS_OFFSET = 48;
    uint256 internal constant MAX_STRESS_LOSS_BPS_OFFSET = 64;
    uint256 internal constant MAX_DRAWDOWN_BPS_OFFSET = 80;
    uint256 internal constant HARD_DRAWDOWN_BPS_OFFSET = 96;
    uint256 internal constant AGE_MASK = type(uint32).max;
    uint256 internal constant MAX_MODEL_AGE_OFFSET = 112;
    uint256 internal constant MAX_PRICE_AGE_OFFSET = 144;
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant ASSET_COUNT_OFFSET = 176;
    uint256 internal constant HALTED_OFFSET = 184;
    uint256 internal constant DRAWDOWN_BPS_OFFSET = 192;
    uint256 internal constant PRICED_MASK_OFFSET = 208;
    uint256 internal constant PRICED_MASK_MASK = type(uint16).max;

    function minLiquidBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h));
    }

    function maxVar95Bps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> MAX_VAR95_BPS_OFFSET);
    }

    function maxVar99Bps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> MAX_VAR99_BPS_OFFSET);
    }

    function maxEsBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> MAX_ES_BPS_OFFSET);
    }

    function maxStressLossBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> MAX_STRESS_LOSS_BPS_OFFSET);
    }

    function maxDrawdownBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> MAX_DRAWDOWN_BPS_OFFSET);
    }

    function hardDrawdownBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> HARD_DRAWDOWN_BPS_OFFSET);
    }

    function maxModelAge(RiskHeaderWord h) internal pure returns (uint32) {
        return uint32(RiskHeaderWord.unwrap(h) >> MAX_MODEL_AGE_OFFSET);
    }

    function maxPriceAge(RiskHeaderWord h) internal pure returns (uint32) {
        return uint32(RiskHeaderWord.unwrap(h) >> MAX_PRICE_AGE_OFFSET);
    }

    function assetCount(RiskHeaderWord h) internal pure returns (uint8) {
        return uint8(RiskHeaderWord.unwrap(h) >> ASSET_COUNT_OFFSET);
    }

    function halted(RiskHeaderWord h) internal pure returns (bool) {
        return uint8(RiskHeaderWord.unwrap(h) >> HALTED_OFFSET) != 0;
    }

    function drawdownBps(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> DRAWDOWN_BPS_OFFSET);
    }

    /// @notice Bit i set: asset i had a usable price at the last sync.
    function pricedMask(RiskHeaderWord h) internal pure returns (uint16) {
        return uint16(RiskHeaderWord.unwrap(h) >> PRICED_MASK_OFFSET);
    }

    function setMinLiquidBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, 0, BPS_MASK, value);
    }

    function setMaxVar95Bps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_VAR95_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxVar99Bps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_VAR99_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxEsBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_ES_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxStressLossBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_STRESS_LOSS_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_DRAWDOWN_BPS_OFFSET, BPS_MASK, value);
    }

    function setHardDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, HARD_DRAWDOWN_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxModelAge(RiskHeaderWord h, uint32 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_MODEL_AGE_OFFSET, AGE_MASK, value);
    }

    function setMaxPriceAge(RiskHeaderWord h, uint32 value) internal pure returns (RiskHeaderWord) {
        return _set(h, MAX_PRICE_AGE_OFFSET, AGE_MASK, value);
    }

    function setAssetCount(RiskHeaderWord h, uint8 value) internal pure returns (RiskHeaderWord) {
        return _set(h, ASSET_COUNT_OFFSET, BYTE_MASK, value);
    }

    function setHalted(RiskHeaderWord h, bool value) internal pure returns (RiskHeaderWord) {
        return _set(h, HALTED_OFFSET, BYTE_MASK, value ? 1 : 0);
    }

    function setDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, DRAWDOWN_BPS_OFFSET, BPS_MASK, value);
    }

    function setPricedMask(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return _set(h, PRICED_MASK_OFFSET, PRICED_MASK_MASK, value);
    }

    /// @dev `value` fits `mask`.
    function _set(RiskHeaderWord h, uint256 offset, uint256 mask, uint256 value) private pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap((RiskHeaderWord.unwrap(h) & ~(mask << offset)) | value << offset);
    }
}

library ModelWordLibrary {
    uint256 internal constant UPDATE_ID_MASK = type(uint64).max;
    uint256 internal constant TIME_MASK = type(uint40).max;
    uint256 internal constant AS_OF_OFFSET = 64;
    uint256 internal constant PUBLISHED_AT_OFFSET = 104;
    uint256 internal constant SYNCED_AT_OFFSET = 144;
    uint256 internal constant ES_MULTIPLIER_PPM_OFFSET = 184;
    uint256 internal constant ES_MULTIPLIER_PPM_MASK = type(uint32).max;
    uint256 internal constant SCENARIO_COUNT_OFFSET = 216;
    uint256 internal constant SCENARIO_COUNT_MASK = type(uint8).max;

    function updateId(ModelWord m) internal pure returns (uint64) {
        return uint64(ModelWord.unwrap(m));
    }

    /// @notice The time the model's data is as of (0: no model since the asset list was set).
    function asOf(ModelWord m) internal pure returns (uint40) {
        return uint40(ModelWord.unwrap(m) >> AS_OF_OFFSET);
    }

    function publishedAt(ModelWord m) internal pure returns (uint40) {
        return uint40(ModelWord.unwrap(m) >> PUBLISHED_AT_OFFSET);
    }

    /// @notice The time of the last price snapshot (`sync`).
    function syncedAt(ModelWord m) internal pure returns (uint40) {
        return uint40(ModelWord.unwrap(m) >> SYNCED_AT_OFFSET);
    }

    function esMultiplierPpm(ModelWord m) internal pure returns (uint32) {
        return uint32(ModelWord.unwrap(m) >> ES_MULTIPLIER_PPM_OFFSET);
    }

    function scenarioCount(ModelWord m) internal pure returns (uint8) {
        return uint8(ModelWord.unwrap(m) >> SCENARIO_COUNT_OFFSET);
    }

    function setUpdateId(ModelWord m, uint64 value) internal pure returns (ModelWord) {
        return _set(m, 0, UPDATE_ID_MASK, value);
    }

    function setAsOf(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return _set(m, AS_OF_OFFSET, TIME_MASK, value);
    }

    function setPublishedAt(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return _set(m, PUBLISHED_AT_OFFSET, TIME_MASK, value);
    }

    function setSyncedAt(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return _set(m, SYNCED_AT_OFFSET, TIME_MASK, value);
    }

    function setEsMultiplierPpm(ModelWord m, uint32 value) internal pure returns (ModelWord) {
        return _set(m, ES_MULTIPLIER_PPM_OFFSET, ES_MULTIPLIER_PPM_MASK, value);
    }

    function setScenarioCount(ModelWord m, uint8 value) internal pure returns (ModelWord) {
        return _set(m, SCENARIO_COUNT_OFFSET, SCENARIO_COUNT_MASK, value);
    }

    /// @notice The word of these fields (the unused bits zero).
    function pack(
        uint64 updateId_,
        uint40 asOf_,
        uint40 publishedAt_,
        uint40 syncedAt_,
        uint32 esMultiplierPpm_,
        uint8 scenarioCount_
    ) internal pure returns (ModelWord) {
        return ModelWord.wrap(
            uint256(updateId_) | uint256(asOf_) << AS_OF_OFFSET | uint256(publishedAt_) << PUBLISHED_AT_OFFSET
                | uint256(syncedAt_) << SYNCED_AT_OFFSET | uint256(esMultiplierPpm_) << ES_MULTIPLIER_PPM_OFFSET
                | uint256(scenarioCount_) << SCENARIO_COUNT_OFFSET
        );
    }

    /// @dev `value` fits `mask`.
    function _set(ModelWord m, uint256 offset, uint256 mask, uint256 value) private pure returns (ModelWord) {
        return ModelWord.wrap((ModelWord.unwrap(m) & ~(mask << offset)) | value << offset);
    }
}

library RiskBoundsWordLibrary {
    uint256 internal constant MIN_UPDATE_DELAY_MASK = type(uint32).max;
    uint256 internal constant CHANGE_MASK = type(uint16).max;
    uint256 internal constant MAX_VOL_CHANGE_BPS_OFFSET = 32;
    uint256 internal constant MAX_CORRELATION_CHANGE_OFFSET = 48;
    uint256 internal constant MAX_STRESS_CHANGE_BPS_OFFSET = 64;
    uint256 internal constant BOUND_WINDOW_HOURS_OFFSET = 80;
    /// @notice NAV per share in USD (1e18) a whole share: 80 bits.
    uint256 internal constant NAV_MASK = type(uint80).max;
    uint256 internal constant HIGH_WATER_MARK_OFFSET = 96;
    uint256 internal constant LAST_NAV_PER_SHARE_OFFSET = 176;

    function minUpdateDelay(RiskBoundsWord b) internal pure returns (uint32) {
        return uint32(RiskBoundsWord.unwrap(b));
    }

    function maxVolChangeBps(RiskBoundsWord b) internal pure returns (uint16) {
        return uint16(RiskBoundsWord.unwrap(b) >> MAX_VOL_CHANGE_BPS_OFFSET);
    }

    function maxCorrelationChange(RiskBoundsWord b) internal pure returns (uint16) {
        return uint16(RiskBoundsWord.unwrap(b) >> MAX_CORRELATION_CHANGE_OFFSET);
    }

    function maxStressChangeBps(RiskBoundsWord b) internal pure returns (uint16) {
        return uint16(RiskBoundsWord.unwrap(b) >> MAX_STRESS_CHANGE_BPS_OFFSET);
    }

    function boundWindowHours(RiskBoundsWord b) internal pure returns (uint16) {
        return uint16(RiskBoundsWord.unwrap(b) >> BOUND_WINDOW_HOURS_OFFSET);
    }

    function highWaterMark(RiskBoundsWord b) internal pure returns (uint80) {
        return uint80(RiskBoundsWord.unwrap(b) >> HIGH_WATER_MARK_OFFSET);
    }

    function lastNavPerShare(RiskBoundsWord b) internal pure returns (uint80) {
        return uint80(RiskBoundsWord.unwrap(b) >> LAST_NAV_PER_SHARE_OFFSET);
    }

    function setMinUpdateDelay(RiskBoundsWord b, uint32 value) internal pure returns (RiskBoundsWord) {
        return _set(b, 0, MIN_UPDATE_DELAY_MASK, value);
    }

    function setMaxVolChangeBps(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return _set(b, MAX_VOL_CHANGE_BPS_OFFSET, CHANGE_MASK, value);
    }

    function setMaxCorrelationChange(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return _set(b, MAX_CORRELATION_CHANGE_OFFSET, CHANGE_MASK, value);
    }

    function setMaxStressChangeBps(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return _set(b, MAX_STRESS_CHANGE_BPS_OFFSET, CHANGE_MASK, value);
    }

    function setBoundWindowHours(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return _set(b, BOUND_WINDOW_HOURS_OFFSET, CHANGE_MASK, value);
    }

    function setHighWaterMark(RiskBoundsWord b, uint80 value) internal pure returns (RiskBoundsWord) {
        return _set(b, HIGH_WATER_MARK_OFFSET, NAV_MASK, value);
    }

    function setLastNavPerShare(RiskBoundsWord b, uint80 value) internal pure returns (RiskBoundsWord) {
        return _set(b, LAST_NAV_PER_SHARE_OFFSET, NAV_MASK, value);
    }

    /// @dev `value` fits `mask`.
    function _set(RiskBoundsWord b, uint256 offset, uint256 mask, uint256 value) private pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap((RiskBoundsWord.unwrap(b) & ~(mask << offset)) | value << offset);
    }
}

library ClassCapsWordLibrary {
    uint256 internal constant CLASSES = 8;
    uint256 internal constant CAP_BITS = 16;
    uint256 internal constant CAP_MASK = type(uint16).max;

    /// @dev `c` < CLASSES (not checked: a larger index reads bits beyond the word, zero).
    function cap(ClassCapsWord w, uint256 c) internal pure returns (uint16) {
        return uint16(ClassCapsWord.unwrap(w) >> (CAP_BITS * c));
    }

    /// @dev `c` < CLASSES (not checked).
    function setCap(ClassCapsWord w, uint256 c, uint16 value) internal pure returns (ClassCapsWord) {
        uint256 offset = CAP_BITS * c;
        return ClassCapsWord.wrap((ClassCapsWord.unwrap(w) & ~(CAP_MASK << offset)) | uint256(value) << offset);
    }

    /// @notice The word of the eight caps.
    function pack(uint16[8] memory caps) internal pure returns (ClassCapsWord w) {
        // Bounded: eight classes.
        for (uint256 c; c < CLASSES; ++c) {
            w = ClassCapsWord.wrap(ClassCapsWord.unwrap(w) | uint256(caps[c]) << (CAP_BITS * c));
        }
    }

    function unpack(ClassCapsWord w) internal pure returns (uint16[8] memory caps) {
        // Bounded: eight classes.
        for (uint256 c; c < CLASSES; ++c) {
            caps[c] = cap(w, c);
        }
    }
}

library AssetParamsLibrary {
    /// @notice An element's width, and elements to a storage word.
    uint256 internal constant BITS = 32;
    uint256 internal constant PER_WORD = 8;

    function maxWeightBps(AssetParams a) internal pure returns (uint16) {
        return uint16(AssetParams.unwrap(a));
    }

    function assetClass(AssetParams a) internal pure returns (uint8) {
        return uint8(AssetParams.unwrap(a) >> ASSET_CLASS_OFFSET);
    }

    function liquid(AssetParams a) internal pure returns (bool) {
        return (AssetParams.unwrap(a) >> ASSET_LIQUID_OFFSET) & 1 != 0;
    }

    function decimals(AssetParams a) internal pure returns (uint8) {
        return uint8((AssetParams.unwrap(a) >> ASSET_DECIMALS_OFFSET) & ASSET_DECIMALS_MASK);
    }

    function setMaxWeightBps(AssetParams a, uint16 value) internal pure returns (AssetParams) {
        return _set(a, 0, ASSET_MAX_WEIGHT_BPS_MASK, value);
    }

    function setAssetClass(AssetParams a, uint8 value) internal pure returns (AssetParams) {
        return _set(a, ASSET_CLASS_OFFSET, ASSET_CLASS_MASK, value);
    }

    function setLiquid(AssetParams a, bool value) internal pure returns (AssetParams) {
        return _set(a, ASSET_LIQUID_OFFSET, 1, value ? 1 : 0);
    }

    /// @dev `value` <= 63 (not checked).
    function setDecimals(AssetParams a, uint8 value) internal pure returns (AssetParams) {
        return _set(a, ASSET_DECIMALS_OFFSET, ASSET_DECIMALS_MASK, value);
    }

    /// @notice The parameters of these fields (bit 31 zero). `decimals_` <= 63 (not checked).
    function pack(uint16 maxWeightBps_, uint8 assetClass_, bool liquid_, uint256 decimals_)
        internal
        pure
        returns (AssetParams)
    {
        return AssetParams.wrap(
            uint32(maxWeightBps_) | uint32(assetClass_) << uint32(ASSET_CLASS_OFFSET)
                | (liquid_ ? uint32(1) << uint32(ASSET_LIQUID_OFFSET) : 0) | uint32(decimals_)
                << uint32(ASSET_DECIMALS_OFFSET)
        );
    }

    /// @notice Asset i's parameters from the `assetParams` array's storage words (`words[0]` its
    /// first word).
    function at(uint256[] memory words, uint256 i) internal pure returns (AssetParams) {
        return AssetParams.wrap(uint32(words[i / PER_WORD] >> ((i % PER_WORD) * BITS)));
    }

    /// @dev `value` fits `mask`.
    function _set(AssetParams a, uint256 offset, uint256 mask, uint256 value) private pure returns (AssetParams) {
        return AssetParams.wrap(uint32((AssetParams.unwrap(a) & ~(mask << offset)) | value << offset));
    }
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
