// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Bits} from "./Bits.sol";

// A portfolio's risk record in the RiskEngine: packed storage words (Uniswap v4's `Slot0` pattern),
// one value type per word and one library per type, the only description of its layout: named
// offsets and masks, getters, and `setX` setters that return the word with one field replaced and
// every other bit kept. The engine reads and writes the words through them, and the periphery
// (`RiskLens`) decodes the words it reads with the engine's `extSloads` through them too; where
// each word sits in the record is `RiskLayout`'s. Each table lists the fields from bit 0; `bool` is
// a flag (set when any of its bits is).
//
// RiskHeaderWord: Portfolio.header
// | bits     | field            | kind   |
// | -------- | ---------------- | ------ |
// | 0..15    | minLiquidBps     | uint16 |
// | 16..31   | maxVar95Bps      | uint16 |
// | 32..47   | maxVar99Bps      | uint16 |
// | 48..63   | maxEsBps         | uint16 |
// | 64..79   | maxStressLossBps | uint16 |
// | 80..95   | maxDrawdownBps   | uint16 |
// | 96..111  | hardDrawdownBps  | uint16 |
// | 112..143 | maxModelAge      | uint32 |
// | 144..175 | maxPriceAge      | uint32 |
// | 176..183 | assetCount       | uint8  |
// | 184..191 | halted           | bool   |
// | 192..207 | drawdownBps      | uint16 |
// | 208..223 | pricedMask       | uint16 |
// | 224..255 | (unused)         |        |
//
// ModelWord: Portfolio.model
// | bits     | field           | kind   |
// | -------- | --------------- | ------ |
// | 0..63    | updateId        | uint64 |
// | 64..103  | asOf            | uint40 |
// | 104..143 | publishedAt     | uint40 |
// | 144..183 | syncedAt        | uint40 |
// | 184..215 | esMultiplierPpm | uint32 |
// | 216..223 | scenarioCount   | uint8  |
// | 224..255 | (unused)        |        |
//
// RiskBoundsWord: Portfolio.bounds
// | bits     | field                | kind   |
// | -------- | -------------------- | ------ |
// | 0..31    | minUpdateDelay       | uint32 |
// | 32..47   | maxVolChangeBps      | uint16 |
// | 48..63   | maxCorrelationChange | uint16 |
// | 64..79   | maxStressChangeBps   | uint16 |
// | 80..95   | boundWindowHours     | uint16 |
// | 96..175  | highWaterMark        | uint80 |
// | 176..255 | lastNavPerShare      | uint80 |
//
// ClassCapsWord: Portfolio.classCaps
// | bits        | field         | kind   |
// | ----------- | ------------- | ------ |
// | 16c..15+16c | cap[c], c < 8 | uint16 |
// | 128..255    | (unused)      |        |
//
// AssetParams: Portfolio.assetParams[i], a 32-bit element, eight to a word
// | bits   | field        | kind   |
// | ------ | ------------ | ------ |
// | 0..15  | maxWeightBps | uint16 |
// | 16..23 | assetClass   | uint8  |
// | 24     | liquid       | bool   |
// | 25..30 | decimals     | uint6  |
// | 31     | (unused)     |        |

/// @notice The header (table above), read by every check.
/// @dev The halted flag is a byte (0 or 1; read as set when the byte is not zero).
type RiskHeaderWord is uint256;

/// @notice The model header (table above): model and snapshot freshness, read by every check.
type ModelWord is uint256;

/// @notice The update bounds (read by publishing only) and the NAV per share marks (written by
/// sync only), table above.
type RiskBoundsWord is uint256;

/// @notice The class caps (table above), read by every check that reaches the limits: class c's
/// maximum weight in bps, 0: no cap.
type ClassCapsWord is uint256;

/// @notice One asset's parameters (table above), an element of the packed `assetParams` array
/// (eight to a storage word, asset i at bits 32 (i % 8) of word i / 8).
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

/// @dev The setters write their field inline rather than through `Bits.set`: routed through the
/// shared helper, via-IR inlines the RiskEngine differently (measured on its single-source
/// compile: 21,471 -> 21,642 runtime bytes); written inline, the engine compiles to the same
/// bytes as before the words moved here.
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
        return RiskHeaderWord.wrap((RiskHeaderWord.unwrap(h) & ~BPS_MASK) | uint256(value));
    }

    function setMaxVar95Bps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << MAX_VAR95_BPS_OFFSET)) | uint256(value) << MAX_VAR95_BPS_OFFSET
        );
    }

    function setMaxVar99Bps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << MAX_VAR99_BPS_OFFSET)) | uint256(value) << MAX_VAR99_BPS_OFFSET
        );
    }

    function setMaxEsBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << MAX_ES_BPS_OFFSET)) | uint256(value) << MAX_ES_BPS_OFFSET
        );
    }

    function setMaxStressLossBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << MAX_STRESS_LOSS_BPS_OFFSET)) | uint256(value)
                << MAX_STRESS_LOSS_BPS_OFFSET
        );
    }

    function setMaxDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << MAX_DRAWDOWN_BPS_OFFSET)) | uint256(value)
                << MAX_DRAWDOWN_BPS_OFFSET
        );
    }

    function setHardDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << HARD_DRAWDOWN_BPS_OFFSET)) | uint256(value)
                << HARD_DRAWDOWN_BPS_OFFSET
        );
    }

    function setMaxModelAge(RiskHeaderWord h, uint32 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(AGE_MASK << MAX_MODEL_AGE_OFFSET)) | uint256(value) << MAX_MODEL_AGE_OFFSET
        );
    }

    function setMaxPriceAge(RiskHeaderWord h, uint32 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(AGE_MASK << MAX_PRICE_AGE_OFFSET)) | uint256(value) << MAX_PRICE_AGE_OFFSET
        );
    }

    function setAssetCount(RiskHeaderWord h, uint8 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BYTE_MASK << ASSET_COUNT_OFFSET)) | uint256(value) << ASSET_COUNT_OFFSET
        );
    }

    function setHalted(RiskHeaderWord h, bool value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BYTE_MASK << HALTED_OFFSET)) | uint256(value ? 1 : 0) << HALTED_OFFSET
        );
    }

    function setDrawdownBps(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(BPS_MASK << DRAWDOWN_BPS_OFFSET)) | uint256(value) << DRAWDOWN_BPS_OFFSET
        );
    }

    function setPricedMask(RiskHeaderWord h, uint16 value) internal pure returns (RiskHeaderWord) {
        return RiskHeaderWord.wrap(
            (RiskHeaderWord.unwrap(h) & ~(PRICED_MASK_MASK << PRICED_MASK_OFFSET)) | uint256(value)
                << PRICED_MASK_OFFSET
        );
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
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), 0, UPDATE_ID_MASK, value));
    }

    function setAsOf(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), AS_OF_OFFSET, TIME_MASK, value));
    }

    function setPublishedAt(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), PUBLISHED_AT_OFFSET, TIME_MASK, value));
    }

    function setSyncedAt(ModelWord m, uint40 value) internal pure returns (ModelWord) {
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), SYNCED_AT_OFFSET, TIME_MASK, value));
    }

    function setEsMultiplierPpm(ModelWord m, uint32 value) internal pure returns (ModelWord) {
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), ES_MULTIPLIER_PPM_OFFSET, ES_MULTIPLIER_PPM_MASK, value));
    }

    function setScenarioCount(ModelWord m, uint8 value) internal pure returns (ModelWord) {
        return ModelWord.wrap(Bits.set(ModelWord.unwrap(m), SCENARIO_COUNT_OFFSET, SCENARIO_COUNT_MASK, value));
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
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), 0, MIN_UPDATE_DELAY_MASK, value));
    }

    function setMaxVolChangeBps(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), MAX_VOL_CHANGE_BPS_OFFSET, CHANGE_MASK, value));
    }

    function setMaxCorrelationChange(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return
            RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), MAX_CORRELATION_CHANGE_OFFSET, CHANGE_MASK, value));
    }

    function setMaxStressChangeBps(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), MAX_STRESS_CHANGE_BPS_OFFSET, CHANGE_MASK, value));
    }

    function setBoundWindowHours(RiskBoundsWord b, uint16 value) internal pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), BOUND_WINDOW_HOURS_OFFSET, CHANGE_MASK, value));
    }

    function setHighWaterMark(RiskBoundsWord b, uint80 value) internal pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), HIGH_WATER_MARK_OFFSET, NAV_MASK, value));
    }

    function setLastNavPerShare(RiskBoundsWord b, uint80 value) internal pure returns (RiskBoundsWord) {
        return RiskBoundsWord.wrap(Bits.set(RiskBoundsWord.unwrap(b), LAST_NAV_PER_SHARE_OFFSET, NAV_MASK, value));
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
        return AssetParams.wrap(uint32(Bits.set(AssetParams.unwrap(a), 0, ASSET_MAX_WEIGHT_BPS_MASK, value)));
    }

    function setAssetClass(AssetParams a, uint8 value) internal pure returns (AssetParams) {
        return AssetParams.wrap(uint32(Bits.set(AssetParams.unwrap(a), ASSET_CLASS_OFFSET, ASSET_CLASS_MASK, value)));
    }

    function setLiquid(AssetParams a, bool value) internal pure returns (AssetParams) {
        return AssetParams.wrap(uint32(Bits.set(AssetParams.unwrap(a), ASSET_LIQUID_OFFSET, 1, value ? 1 : 0)));
    }

    /// @dev `value` <= 63 (not checked).
    function setDecimals(AssetParams a, uint8 value) internal pure returns (AssetParams) {
        return
            AssetParams.wrap(uint32(Bits.set(AssetParams.unwrap(a), ASSET_DECIMALS_OFFSET, ASSET_DECIMALS_MASK, value)));
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
}
