// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";

/// @title SameBlockRevealer
/// @notice Test-only: commits and reveals in one transaction, which the aggregator must refuse.
contract SameBlockRevealer {
    function commitAndReveal(ILiquidityAggregator aggregator, bytes calldata route, bytes32 salt) external {
        aggregator.commit(aggregator.commitmentOf(address(this), route, salt));
        aggregator.revealSwap(route, salt);
    }
}
