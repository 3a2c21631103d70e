// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";
import {RouteTaker} from "./RouteTaker.sol";

/// @title RoutePayer
/// @notice How the route being executed pays its inputs: by allowance (`swap`, `revealSwap`:
/// `transferFrom` the payer) or by the payer's callback (`swapWithCallback`:
/// `ISwapPayer.payForSwap`, no allowance written), as RouteTaker's transient word for the route
/// says. Every payment of a route goes through `pay`: the aggregator's own hops, the Uniswap V3
/// and NAV desk callbacks, and the adapters running in its DELEGATECALL.
library RoutePayer {
    using SafeERC20 for IERC20;

    /// @dev Pays `to` `amount` of `token`: from the aggregator's own balance when it is the payer
    /// (intermediate hops), else from the route's payer, by its callback or by `transferFrom`.
    /// Runs in the aggregator's context (`address(this)` is the aggregator).
    function pay(address token, address payer, address to, uint256 amount) internal {
        if (payer == address(this)) IERC20(token).safeTransfer(to, amount);
        else if (RouteTaker.paysByCallback()) ISwapPayer(payer).payForSwap(token, to, amount);
        else IERC20(token).safeTransferFrom(payer, to, amount);
    }
}
