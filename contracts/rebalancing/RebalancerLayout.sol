// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {StrategyConfig} from "../../interfaces/IAutoRebalancer.sol";
import {PackedBps} from "../libraries/PackedBps.sol";

// A portfolio's record in the AutoRebalancer: six storage words, each a value type with one library
// of accessors (Uniswap v4's `Slot0` pattern). The offsets and masks below are the only description
// of each layout: the rebalancer reads and writes the words through them, and the periphery
// (`RebalancerLens`) decodes the words it reads with `extSloads` through them too. Getters return
// the field; setters return the word with that field replaced and every other bit kept. Fields are
// listed from the lowest bit.

/// @notice Word 0, the strategy's scalar bounds (read by every rebalance): strategyId 0..31 |
/// driftThresholdBps 32..47 | maxTradeBps 48..63 | maxSlippageBps 64..79 | signerThreshold 80..87 |
/// assetCount 88..95 | paused 96..103 | cooldown 104..135 | lossRefillPeriod 136..167 |
/// maxBaseFee 168..231 | maxSnapshotAge 232..247 | unused 248..255.
/// @dev The paused flag is a byte (0 or 1; read as set when the byte is not zero).
type StrategyWord is uint256;

/// @notice Word 1 (read by every rebalance, the relayer check first): relayer 0..159 | lossBudget 160..255.
type RelayerWord is uint256;

/// @notice Word 2, written by every rebalance (nonce and clock before the trades, the loss after),
/// with the assets' decimals (read by every rebalance): nonce 0..23 | lastRebalanceAt 24..63 |
/// lossUsed 64..159 | decimals of asset i at 160 + 6 i .. 165 + 6 i (i < 16).
type ProgressWord is uint256;

/// @notice Words 3 and 4, the per-asset weight bounds, 8 assets a word (asset i in word 3 + i / 8):
/// asset k of the word has its minimum at 32 k .. 32 k + 15 and its maximum at 32 k + 16 .. 32 k + 31.
type BoundsWord is uint256;

using StrategyWordLibrary for StrategyWord global;
using RelayerWordLibrary for RelayerWord global;
using ProgressWordLibrary for ProgressWord global;
using BoundsWordLibrary for BoundsWord global;

/// @dev Word 5 is the last executed targets (`PackedBps`). Solidity lays the members out in this
/// order, one word each (the word indexes in `RebalancerLayout`).
struct RebalancePortfolio {
    StrategyWord strategy;
    /// Who may relay (0: anyone) and the loss budget the rebalances spend.
    RelayerWord relaying;
    ProgressWord progress;
    BoundsWord[2] bounds;
    PackedBps lastTargets;
}

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
        return _set(s, 0, STRATEGY_ID_MASK, value);
    }

    function setDriftThresholdBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return _set(s, DRIFT_THRESHOLD_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxTradeBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return _set(s, MAX_TRADE_BPS_OFFSET, BPS_MASK, value);
    }

    function setMaxSlippageBps(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return _set(s, MAX_SLIPPAGE_BPS_OFFSET, BPS_MASK, value);
    }

    function setSignerThreshold(StrategyWord s, uint8 value) internal pure returns (StrategyWord) {
        return _set(s, SIGNER_THRESHOLD_OFFSET, BYTE_MASK, value);
    }

    function setAssetCount(StrategyWord s, uint8 value) internal pure returns (StrategyWord) {
        return _set(s, ASSET_COUNT_OFFSET, BYTE_MASK, value);
    }

    function setPaused(StrategyWord s, bool value) internal pure returns (StrategyWord) {
        return _set(s, PAUSED_OFFSET, BYTE_MASK, value ? 1 : 0);
    }

    function setCooldown(StrategyWord s, uint32 value) internal pure returns (StrategyWord) {
        return _set(s, COOLDOWN_OFFSET, PERIOD_MASK, value);
    }

    function setLossRefillPeriod(StrategyWord s, uint32 value) internal pure returns (StrategyWord) {
        return _set(s, LOSS_REFILL_PERIOD_OFFSET, PERIOD_MASK, value);
    }

    function setMaxBaseFee(StrategyWord s, uint64 value) internal pure returns (StrategyWord) {
        return _set(s, MAX_BASE_FEE_OFFSET, MAX_BASE_FEE_MASK, value);
    }

    function setMaxSnapshotAge(StrategyWord s, uint16 value) internal pure returns (StrategyWord) {
        return _set(s, MAX_SNAPSHOT_AGE_OFFSET, MAX_SNAPSHOT_AGE_MASK, value);
    }

    /// @dev `value` fits `mask`.
    function _set(StrategyWord s, uint256 offset, uint256 mask, uint256 value) private pure returns (StrategyWord) {
        return StrategyWord.wrap((StrategyWord.unwrap(s) & ~(mask << offset)) | value << offset);
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
        return _set(p, LAST_REBALANCE_AT_OFFSET, LAST_REBALANCE_AT_MASK, value);
    }

    function setLossUsed(ProgressWord p, uint96 value) internal pure returns (ProgressWord) {
        return _set(p, LOSS_USED_OFFSET, LOSS_USED_MASK, value);
    }

    /// @dev `i` < DECIMALS_CAPACITY and `value` <= 63 (not checked).
    function setAssetDecimals(ProgressWord p, uint256 i, uint256 value) internal pure returns (ProgressWord) {
        return _set(p, DECIMALS_OFFSET + DECIMALS_BITS * i, DECIMALS_MASK, value);
    }

    /// @notice The word with every asset's decimals zero (before a strategy writes its assets').
    function clearDecimals(ProgressWord p) internal pure returns (ProgressWord) {
        return ProgressWord.wrap(ProgressWord.unwrap(p) & ~ALL_DECIMALS_MASK);
    }

    /// @dev `value` fits `mask`.
    function _set(ProgressWord p, uint256 offset, uint256 mask, uint256 value) private pure returns (ProgressWord) {
        return ProgressWord.wrap((ProgressWord.unwrap(p) & ~(mask << offset)) | value << offset);
    }
}

library BoundsWordLibrary {
    uint256 internal constant ASSETS_PER_WORD = 8;
    uint256 internal constant BPS_BITS = 16;
    uint256 internal constant BPS_MASK = type(uint16).max;
    /// @notice A minimum and its maximum, next to each other.
    uint256 internal constant PAIR_BITS = 2 * BPS_BITS;

    /// @dev `k` < ASSETS_PER_WORD (not checked), as for every accessor below.
    function minWeightBps(BoundsWord b, uint256 k) internal pure returns (uint16) {
        return uint16(BoundsWord.unwrap(b) >> (PAIR_BITS * k));
    }

    function maxWeightBps(BoundsWord b, uint256 k) internal pure returns (uint16) {
        return uint16(BoundsWord.unwrap(b) >> (PAIR_BITS * k + BPS_BITS));
    }

    function setMinWeightBps(BoundsWord b, uint256 k, uint16 value) internal pure returns (BoundsWord) {
        return _set(b, PAIR_BITS * k, BPS_MASK, value);
    }

    function setMaxWeightBps(BoundsWord b, uint256 k, uint16 value) internal pure returns (BoundsWord) {
        return _set(b, PAIR_BITS * k + BPS_BITS, BPS_MASK, value);
    }

    /// @notice Both bounds of asset `k` of the word.
    function setBounds(BoundsWord b, uint256 k, uint16 min, uint16 max) internal pure returns (BoundsWord) {
        return _set(b, PAIR_BITS * k, (uint256(1) << PAIR_BITS) - 1, uint256(min) | uint256(max) << BPS_BITS);
    }

    /// @dev `value` fits `mask`.
    function _set(BoundsWord b, uint256 offset, uint256 mask, uint256 value) private pure returns (BoundsWord) {
        return BoundsWord.wrap((BoundsWord.unwrap(b) & ~(mask << offset)) | value << offset);
    }
}

/// @title RebalancerLayout
/// @notice Where the AutoRebalancer keeps a portfolio's record, and the strategy decoded from its
/// words: the rebalancer reads and writes `RebalancePortfolio` through its mapping, and the
/// periphery (`RebalancerLens`) computes the same slots and decodes the words read with the
/// rebalancer's `extSloads`.
/// @dev The rebalancer's `mapping(address => RebalancePortfolio)` sits at PORTFOLIOS_SLOT, after
/// AccessManaged's word and EIP712's two name and version fallbacks (its constructor reverts
/// otherwise).
library RebalancerLayout {
    uint256 internal constant PORTFOLIOS_SLOT = 3;
    /// @notice The rebalancer's `mapping(address portfolio => mapping(address signer => bool))`,
    /// right after the records (its constructor reverts otherwise).
    uint256 internal constant SIGNERS_SLOT = 4;
    /// @notice Each word's index in the record (`RebalancePortfolio`'s member order).
    uint256 internal constant STRATEGY_WORD = 0;
    uint256 internal constant RELAYING_WORD = 1;
    uint256 internal constant PROGRESS_WORD = 2;
    uint256 internal constant BOUNDS_WORD = 3;
    uint256 internal constant LAST_TARGETS_WORD = 5;
    /// @notice Words of a portfolio's record the strategy is kept in: the strategy and relaying
    /// words, and the two bounds words (the progress word between them is read along).
    uint256 internal constant STRATEGY_WORDS = BOUNDS_WORD + 2;
    /// @notice Every word of a portfolio's record.
    uint256 internal constant RECORD_WORDS = LAST_TARGETS_WORD + 1;

    /// @notice The first storage slot of `portfolio`'s record (nothing is read).
    function slotOf(address portfolio) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, portfolio)
            mstore(0x20, PORTFOLIOS_SLOT)
            slot := keccak256(0x00, 0x40)
        }
    }

    /// @notice The storage slot of whether `signer` is `portfolio`'s signer (nothing is read).
    function signerSlot(address portfolio, address signer) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, portfolio)
            mstore(0x20, SIGNERS_SLOT)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, signer)
            slot := keccak256(0x00, 0x40)
        }
    }

    /// @notice The strategy, its version and pause flag from the record's first STRATEGY_WORDS words.
    function decodeStrategy(uint256[] memory w)
        internal
        pure
        returns (StrategyConfig memory config, uint256 strategyId, bool paused)
    {
        StrategyWord s = StrategyWord.wrap(w[STRATEGY_WORD]);
        strategyId = s.strategyId();
        paused = s.paused();
        config.driftThresholdBps = s.driftThresholdBps();
        config.maxTradeBps = s.maxTradeBps();
        config.maxSlippageBps = s.maxSlippageBps();
        config.signerThreshold = s.signerThreshold();
        config.cooldown = s.cooldown();
        config.lossRefillPeriod = s.lossRefillPeriod();
        config.maxBaseFee = s.maxBaseFee();
        config.maxSnapshotAge = s.maxSnapshotAge();
        config.lossBudget = RelayerWord.wrap(w[RELAYING_WORD]).lossBudget();
        uint256 n = s.assetCount();
        config.minWeightBps = new uint16[](n);
        config.maxWeightBps = new uint16[](n);
        // Bounded: n <= 16 (setStrategy's bound): two bounds words.
        for (uint256 i; i < n; ++i) {
            BoundsWord bounds = BoundsWord.wrap(w[BOUNDS_WORD + i / BoundsWordLibrary.ASSETS_PER_WORD]);
            uint256 k = i % BoundsWordLibrary.ASSETS_PER_WORD;
            (config.minWeightBps[i], config.maxWeightBps[i]) = (bounds.minWeightBps(k), bounds.maxWeightBps(k));
        }
    }
}
