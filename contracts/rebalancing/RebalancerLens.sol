// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IAutoRebalancer, StrategyConfig} from "../../interfaces/IAutoRebalancer.sol";
import {IRebalancerLens} from "../../interfaces/IRebalancerLens.sol";
import {RebalancerLayout} from "./RebalancerLayout.sol";

/// @title RebalancerLens
/// @notice The AutoRebalancer's read-only periphery (see IRebalancerLens).
contract RebalancerLens is IRebalancerLens {
    /// @inheritdoc IRebalancerLens
    function strategyOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (StrategyConfig memory config, uint256 strategyId, bool paused)
    {
        uint256 first = RebalancerLayout.slotOf(portfolio);
        bytes32[] memory slots = new bytes32[](RebalancerLayout.STRATEGY_WORDS);
        // Bounded: STRATEGY_WORDS (5).
        for (uint256 k; k < slots.length; ++k) {
            slots[k] = bytes32(first + k);
        }
        bytes32[] memory words = rebalancer.extSloads(slots);
        uint256[] memory w;
        // Same length and layout: bytes32[] read as uint256[].
        assembly ("memory-safe") {
            w := words
        }
        return RebalancerLayout.decodeStrategy(w);
    }
}
