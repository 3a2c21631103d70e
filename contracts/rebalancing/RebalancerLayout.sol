// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {StrategyConfig} from "../../interfaces/IAutoRebalancer.sol";
import {PackedBps} from "../types/PackedBps.sol";
import {BoundsWord, BoundsWordLibrary, ProgressWord, RelayerWord, StrategyWord} from "../types/RebalancerWords.sol";

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
