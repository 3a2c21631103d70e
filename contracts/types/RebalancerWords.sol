// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Bits} from "./Bits.sol";

// A portfolio's record in the AutoRebalancer: packed storage words (Uniswap v4's `Slot0` pattern),
// one value type per word and one library per type, the only description of its layout: named
// offsets and masks, getters, and `setX` setters that return the word with one field replaced and
// every other bit kept. The rebalancer reads and writes the words through them, and the periphery
// (`RebalancerLens`) decodes the words it reads with `extSloads` through them too; where each word
// sits in the record is `RebalancerLayout`'s. Each table lists the fields from bit 0; `bool` is a
// flag (set when any of its bits is).
//
// StrategyWord: RebalancePortfolio.strategy (word 0)
// | bits     | field             | kind   |
// | -------- | ----------------- | ------ |
// | 0..31    | strategyId        | uint32 |
// | 32..47   | driftThresholdBps | uint16 |
// | 48..63   | maxTradeBps       | uint16 |
// | 64..79   | maxSlippageBps    | uint16 |
// | 80..87   | signerThreshold   | uint8  |
// | 88..95   | assetCount        | uint8  |
// | 96..103  | paused            | bool   |
// | 104..135 | cooldown          | uint32 |
// | 136..167 | lossRefillPeriod  | uint32 |
// | 168..231 | maxBaseFee        | uint64 |
// | 232..247 | maxSnapshotAge    | uint16 |
// | 248..255 | (unused)          |        |
//
// RelayerWord: RebalancePortfolio.relaying (word 1)
// | bits     | field      | kind    |
// | -------- | ---------- | ------- |
// | 0..159   | relayer    | address |
// | 160..255 | lossBudget | uint96  |
//
// ProgressWord: RebalancePortfolio.progress (word 2)
// | bits           | field               | kind   |
// | -------------- | ------------------- | ------ |
// | 0..23          | nonce               | uint24 |
// | 24..63         | lastRebalanceAt     | uint40 |
// | 64..159        | lossUsed            | uint96 |
// | 160+6i..165+6i | decimals[i], i < 16 | uint6  |
//
// BoundsWord: RebalancePortfolio.bounds[0..1] (words 3 and 4), asset k of the word
// | bits              | field         | kind   |
// | ----------------- | ------------- | ------ |
// | 32k..15+32k       | min[k], k < 8 | uint16 |
// | 16+32k..31+32k    | max[k], k < 8 | uint16 |

/// @notice Word 0, the strategy's scalar bounds (table above), read by every rebalance.
/// @dev The paused flag is a byte (0 or 1; read as set when the byte is not zero).
type StrategyWord is uint256;

/// @notice Word 1 (table above), read by every rebalance, the relayer check first.
type RelayerWord is uint256;

/// @notice Word 2 (table above), written by every rebalance (nonce and clock before the trades,
/// the loss after), with the assets' decimals (read by every rebalance).
type ProgressWord is uint256;

/// @notice Words 3 and 4 (table above), the per-asset weight bounds, 8 assets a word (asset i in
/// word 3 + i / 8, as its k = i % 8).
type BoundsWord is uint256;

/// @notice One trade of a rebalance plan (`RebalanceMath.plan`): sell `sellAmount` of asset
/// `sellIndex` for at least `minBuyAmount` of asset `buyIndex`. A file-level type, so that the
/// rebalancer's interfaces name it without importing the library that computes it.
struct RebalanceTrade {
    uint256 sellIndex;
    uint256 buyIndex;
    uint256 sellAmount;
    /// Oracle value of the sale in the bought asset's units, less `slippageBps`.
    uint256 minBuyAmount;
    /// Oracle value of the sale, 18-decimal USD.
    uint256 value;
}

using StrategyWordLibrary for StrategyWord global;
using RelayerWordLibrary for RelayerWord global;
using ProgressWordLibrary for ProgressWord global;
using BoundsWordLibrary for BoundsWord global;

library StrategyWordLibrary {
    uint256 internal constant STRATEGY_ID_MASK = type(uint32).max;
    uint256 internal constant BPS_MASK = type(uint16).max;
    uint256 internal constant DRIFT_THRESHOLD_BPS_OFFSET = 32;
    uint256 internal constant MAX_TRADE_BPS_OFFSET = 48;
    uint256 internal constant MAX_SLIPPAGE_BPS_OFFSET = 64;
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant SIGNER_THRESHOLD_OFFSET = 80;
    uint256 internal constant ASSET_COUNT_OFFSET = 88;
    uint256 internal constant PAUSED_OFFSET = 96;
    uint256 internal constant PERIOD_MASK = type(uint32).max;
    uint256 internal constant COOLDOWN_OFFSET = 104;
    uint256 internal constant LOSS_REFILL_PERIOD_OFFSET = 136;
    uint256 internal constant MAX_BASE_FEE_OFFSET = 168;
    uint256 internal constant MAX_BASE_FEE_MASK = type(uint64).max;
    uint256 internal constant MAX_SNAPSHOT_AGE_OFFSET = 232;
    uint256 internal constant MAX_SNAPSHOT_AGE_MASK = type(uint16).max;

    function strategyId(StrategyWord s) internal pure returns (uint32) {
        return uint32(StrategyWord.unwrap(s));
    }

    function driftThresholdBps(StrategyWord s) internal pure returns (uint16) {
        return uint16(StrategyWord.unwrap(s) >> DRIFT_THRESHOLD_BPS_OFFSET);
    }

    function maxTradeBps(StrategyWord s) internal pure returns (uint16) {
        return uint16(StrategyWord.unwrap(s) >> MAX_TRADE_BPS_OFFSET);
    }

    function maxSlippageBps(StrategyWord s) internal pure returns (uint16) {
        return uint16(StrategyWord.unwrap(s) >> MAX_SLIPPAGE_BPS_OFFSET);
    }

    function signerThreshold(StrategyWord s) internal pure returns (uint8) {
        return uint8(StrategyWord.unwrap(s) >> SIGNER_THRESHOLD_OFFSET);
    }

    function assetCount(StrategyWord s) internal pure returns (uint8) {
        return uint8(StrategyWord.unwrap(s) >> ASSET_COUNT_OFFSET);
    }

    function paused(StrategyWord s) internal pure returns (bool) {
        return uint8(StrategyWord.unwrap(s) >> PAUSED_OFFSET) != 0;
    }

    function cooldown(StrategyWord s) internal pure returns (uint32) {
        return uint32(StrategyWord.unwrap(s) >> COOLDOWN_OFFSET);
    }

    function lossRefillPeriod(StrategyWord s) internal pure returns (uint32) {
        return uint32(StrategyWord.unwrap(s) >> LOSS_REFILL_PERIOD_OFFSET);
    }

    function maxBaseFee(StrategyWord s) internal pure returns (uint64) {
        return uint64(StrategyWord.unwrap(s) >> MAX_BASE_FEE_OFFSET);
    }

    function maxSnapshotAge(StrategyWord s) internal pure returns (uint16) {
        return uint16(StrategyWord.unwrap(s) >> MAX_SNAPSHOT_AGE_OFFSET);
    }

    function setStrategyId(StrategyWord s, uint32 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), 0, STRATEGY_ID_MASK, value));
    }

    function setDriftThresholdBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), DRIFT_THRESHOLD_BPS_OFFSET, BPS_MASK, value));
    }

    function setMaxTradeBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), MAX_TRADE_BPS_OFFSET, BPS_MASK, value));
    }

    function setMaxSlippageBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), MAX_SLIPPAGE_BPS_OFFSET, BPS_MASK, value));
    }

    function setSignerThreshold(StrategyWord s, uint8 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), SIGNER_THRESHOLD_OFFSET, BYTE_MASK, value));
    }

    function setAssetCount(StrategyWord s, uint8 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), ASSET_COUNT_OFFSET, BYTE_MASK, value));
    }

    function setPaused(StrategyWord s, bool value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), PAUSED_OFFSET, BYTE_MASK, value ? 1 : 0));
    }

    function setCooldown(StrategyWord s, uint32 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), COOLDOWN_OFFSET, PERIOD_MASK, value));
    }

    function setLossRefillPeriod(StrategyWord s, uint32 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), LOSS_REFILL_PERIOD_OFFSET, PERIOD_MASK, value));
    }

    function setMaxBaseFee(StrategyWord s, uint64 value) internal pure returns (StrategyWord) {
        return StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), MAX_BASE_FEE_OFFSET, MAX_BASE_FEE_MASK, value));
    }

    function setMaxSnapshotAge(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return
            StrategyWord.wrap(Bits.set(StrategyWord.unwrap(s), MAX_SNAPSHOT_AGE_OFFSET, MAX_SNAPSHOT_AGE_MASK, value));
    }
}

library RelayerWordLibrary {
    uint256 internal constant RELAYER_MASK = type(uint160).max;
    uint256 internal constant LOSS_BUDGET_OFFSET = 160;
    uint256 internal constant LOSS_BUDGET_MASK = type(uint96).max;

    function relayer(RelayerWord r) internal pure returns (address) {
        return address(uint160(RelayerWord.unwrap(r)));
    }

    /// @notice Cumulative execution loss allowed (18-decimal USD at oracle prices).
    function lossBudget(RelayerWord r) internal pure returns (uint96) {
        return uint96(RelayerWord.unwrap(r) >> LOSS_BUDGET_OFFSET);
    }

    function setRelayer(RelayerWord r, address value) internal pure returns (RelayerWord) {
        return RelayerWord.wrap((RelayerWord.unwrap(r) & ~RELAYER_MASK) | uint256(uint160(value)));
    }

    function setLossBudget(RelayerWord r, uint96 value) internal pure returns (RelayerWord) {
        return RelayerWord.wrap(
            (RelayerWord.unwrap(r) & ~(LOSS_BUDGET_MASK << LOSS_BUDGET_OFFSET)) | uint256(value) << LOSS_BUDGET_OFFSET
        );
    }
}

library ProgressWordLibrary {
    uint256 internal constant NONCE_MASK = type(uint24).max;
    uint256 internal constant LAST_REBALANCE_AT_OFFSET = 24;
    uint256 internal constant LAST_REBALANCE_AT_MASK = type(uint40).max;
    uint256 internal constant LOSS_USED_OFFSET = 64;
    uint256 internal constant LOSS_USED_MASK = type(uint96).max;
    /// @notice Each asset's decimals in 6 bits (at most 63), 16 assets from bit 160.
    uint256 internal constant DECIMALS_OFFSET = 160;
    uint256 internal constant DECIMALS_BITS = 6;
    uint256 internal constant DECIMALS_MASK = (1 << DECIMALS_BITS) - 1;
    uint256 internal constant DECIMALS_CAPACITY = 16;
    uint256 internal constant ALL_DECIMALS_MASK =
        ((uint256(1) << (DECIMALS_BITS * DECIMALS_CAPACITY)) - 1) << DECIMALS_OFFSET;

    function nonce(ProgressWord p) internal pure returns (uint24) {
        return uint24(ProgressWord.unwrap(p));
    }

    function lastRebalanceAt(ProgressWord p) internal pure returns (uint40) {
        return uint40(ProgressWord.unwrap(p) >> LAST_REBALANCE_AT_OFFSET);
    }

    function lossUsed(ProgressWord p) internal pure returns (uint96) {
        return uint96(ProgressWord.unwrap(p) >> LOSS_USED_OFFSET);
    }

    /// @dev `i` < DECIMALS_CAPACITY (not checked: a larger index reads bits beyond the word, zero).
    function assetDecimals(ProgressWord p, uint256 i) internal pure returns (uint256) {
        return (ProgressWord.unwrap(p) >> (DECIMALS_OFFSET + DECIMALS_BITS * i)) & DECIMALS_MASK;
    }

    function setNonce(ProgressWord p, uint24 value) internal pure returns (ProgressWord) {
        return ProgressWord.wrap((ProgressWord.unwrap(p) & ~NONCE_MASK) | value);
    }

    function setLastRebalanceAt(ProgressWord p, uint40 value) internal pure returns (ProgressWord) {
        return
            ProgressWord.wrap(Bits.set(ProgressWord.unwrap(p), LAST_REBALANCE_AT_OFFSET, LAST_REBALANCE_AT_MASK, value));
    }

    function setLossUsed(ProgressWord p, uint96 value) internal pure returns (ProgressWord) {
        return ProgressWord.wrap(Bits.set(ProgressWord.unwrap(p), LOSS_USED_OFFSET, LOSS_USED_MASK, value));
    }

    /// @dev `i` < DECIMALS_CAPACITY and `value` <= 63 (not checked).
    function setAssetDecimals(ProgressWord p, uint256 i, uint256 value) internal pure returns (ProgressWord) {
        return
            ProgressWord.wrap(
                Bits.set(ProgressWord.unwrap(p), DECIMALS_OFFSET + DECIMALS_BITS * i, DECIMALS_MASK, value)
            );
    }

    /// @notice The word with every asset's decimals zero (before a strategy writes its assets').
    function clearDecimals(ProgressWord p) internal pure returns (ProgressWord) {
        return ProgressWord.wrap(ProgressWord.unwrap(p) & ~ALL_DECIMALS_MASK);
    }
}

library BoundsWordLibrary {
    uint256 internal constant ASSETS_PER_WORD = 8;
    uint256 internal constant BPS_BITS = 16;
    uint256 internal constant BPS_MASK = type(uint16).max;
    /// @notice A minimum and its maximum, next to each other.
    uint256 internal constant PAIR_BITS = 2 * BPS_BITS;
    uint256 internal constant PAIR_MASK = (uint256(1) << PAIR_BITS) - 1;

    /// @dev `k` < ASSETS_PER_WORD (not checked), as for every accessor below.
    function minWeightBps(BoundsWord b, uint256 k) internal pure returns (uint16) {
        return uint16(BoundsWord.unwrap(b) >> (PAIR_BITS * k));
    }

    function maxWeightBps(BoundsWord b, uint256 k) internal pure returns (uint16) {
        return uint16(BoundsWord.unwrap(b) >> (PAIR_BITS * k + BPS_BITS));
    }

    function setMinWeightBps(BoundsWord b, uint256 k, uint16 value) internal pure returns (BoundsWord) {
        return BoundsWord.wrap(Bits.set(BoundsWord.unwrap(b), PAIR_BITS * k, BPS_MASK, value));
    }

    function setMaxWeightBps(BoundsWord b, uint256 k, uint16 value) internal pure returns (BoundsWord) {
        return BoundsWord.wrap(Bits.set(BoundsWord.unwrap(b), PAIR_BITS * k + BPS_BITS, BPS_MASK, value));
    }

    /// @notice Both bounds of asset `k` of the word.
    function setBounds(BoundsWord b, uint256 k, uint16 min, uint16 max) internal pure returns (BoundsWord) {
        return BoundsWord.wrap(
            Bits.set(BoundsWord.unwrap(b), PAIR_BITS * k, PAIR_MASK, uint256(min) | uint256(max) << BPS_BITS)
        );
    }
}
