// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {StrategyConfig} from "../../interfaces/IAutoRebalancer.sol";
import {PackedBps} from "../libraries/PackedBps.sol";

/// @dev Three words read by every rebalance (one written), then the packed bounds and targets
/// (the bounds of a portfolio of up to 8 assets in one word).
struct RebalancePortfolio {
    // word 0: the strategy's scalar bounds
    uint32 strategyId;
    uint16 driftThresholdBps;
    uint16 maxTradeBps;
    uint16 maxSlippageBps;
    uint8 signerThreshold;
    uint8 assetCount;
    bool paused;
    uint32 cooldown;
    uint32 lossRefillPeriod;
    uint64 maxBaseFee;
    uint16 maxSnapshotAge;
    // word 1: read by every rebalance (the relayer check first)
    address relayer;
    uint96 lossBudget;
    // word 2: written by every rebalance (nonce and clock before the trades, the loss after),
    // and the assets' decimals (6 bits each, asset i at bits 6i: read by every rebalance)
    uint24 nonce;
    uint40 lastRebalanceAt;
    uint96 lossUsed;
    uint96 decimals;
    // per asset: weight bounds, min and max interleaved (PackedBps: 2i, 2i + 1), 8 assets a word
    uint256[2] bounds;
    // the last executed targets (PackedBps)
    uint256 lastTargets;
}

/// @title RebalancerLayout
/// @notice Where the AutoRebalancer keeps a portfolio's strategy: the rebalancer reads and writes
/// `RebalancePortfolio` through its mapping, and the periphery (`RebalancerLens`) computes the
/// same slots and decodes the words read with the rebalancer's `extSloads`.
/// @dev The rebalancer's `mapping(address => RebalancePortfolio)` sits at PORTFOLIOS_SLOT, after
/// AccessManaged's word and EIP712's two name and version fallbacks (its constructor reverts
/// otherwise).
library RebalancerLayout {
    using PackedBps for uint256;

    uint256 internal constant PORTFOLIOS_SLOT = 3;
    /// @notice Words of a portfolio's record the strategy is kept in: the scalar words 0 and 1 and
    /// the two words of packed weight bounds (3 and 4).
    uint256 internal constant STRATEGY_WORDS = 5;

    /// @notice The first storage slot of `portfolio`'s record (nothing is read).
    function slotOf(address portfolio) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, portfolio)
            mstore(0x20, PORTFOLIOS_SLOT)
            slot := keccak256(0x00, 0x40)
        }
    }

    /// @notice The strategy, its version and pause flag from the record's first STRATEGY_WORDS
    /// words, decoded as Solidity packs `RebalancePortfolio` (fields from the low bits up).
    function decodeStrategy(uint256[] memory w)
        internal
        pure
        returns (StrategyConfig memory config, uint256 strategyId, bool paused)
    {
        uint256 w0 = w[0];
        strategyId = uint32(w0);
        config.driftThresholdBps = uint16(w0 >> 32);
        config.maxTradeBps = uint16(w0 >> 48);
        config.maxSlippageBps = uint16(w0 >> 64);
        config.signerThreshold = uint8(w0 >> 80);
        uint256 n = uint8(w0 >> 88);
        paused = uint8(w0 >> 96) != 0;
        config.cooldown = uint32(w0 >> 104);
        config.lossRefillPeriod = uint32(w0 >> 136);
        config.maxBaseFee = uint64(w0 >> 168);
        config.maxSnapshotAge = uint16(w0 >> 232);
        config.lossBudget = uint96(w[1] >> 160);
        config.minWeightBps = new uint16[](n);
        config.maxWeightBps = new uint16[](n);
        // Bounded: n <= PackedBps.CAPACITY (16); asset i's bounds at 2(i % 8), 2(i % 8) + 1 of word 3 + i / 8.
        for (uint256 i; i < n; ++i) {
            uint256 word = w[3 + i / 8];
            config.minWeightBps[i] = word.at(2 * (i % 8));
            config.maxWeightBps[i] = word.at(2 * (i % 8) + 1);
        }
    }
}
