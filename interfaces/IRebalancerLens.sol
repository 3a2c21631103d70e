// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IAutoRebalancer, StrategyConfig} from "./IAutoRebalancer.sol";

/// @title IRebalancerLens
/// @notice Read-only periphery of the AutoRebalancer: the views its execution does not need,
/// decoded from the rebalancer's storage words (`IAutoRebalancer.extSloads`) at the slots
/// `RebalancerLayout` describes. Stateless: one lens serves every rebalancer. Checked by a
/// round-trip test against the strategies set.
/// @dev Not checked: that `rebalancer` is a Quantera AutoRebalancer. Another contract's words
/// decode to meaningless figures; callers name it from the deployment record.
interface IRebalancerLens {
    /// @notice The portfolio's current strategy, its version (intents must name it; 0: none set)
    /// and whether it is paused.
    function strategyOf(IAutoRebalancer rebalancer, address portfolio)
        external
        view
        returns (StrategyConfig memory config, uint256 strategyId, bool paused);
}
