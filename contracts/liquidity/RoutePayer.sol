// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";

/// @title RoutePayer
/// @notice How the route being executed pays its inputs, kept in transient storage (EIP-1153) for
/// the length of the call: by allowance (`swap`, `revealSwap`: `transferFrom` the payer) or by the
/// payer's callback (`swapWithCallback`: `ISwapPayer.payForSwap`, no allowance written). Every
/// payment of a route goes through `pay`: the aggregator's own hops, the Uniswap V3 and NAV venue
/// callbacks, and the adapters running in its DELEGATECALL.
/// @dev Written by the aggregator only, at the start of every executed route.
library RoutePayer {
    using SafeERC20 for IERC20;

    /// @dev keccak256("quantera.liquidity.routePayer") - 1: no storage variable can collide with it.
    bytes32 internal constant SLOT = 0x225ca832ab153ee5754c137116cb53a640371c16df047fb3557f3a9ccc82802c;

    function setByCallback(bool byCallback) internal {
        assembly ("memory-safe") {
            tstore(SLOT, byCallback)
        }
    }

    function byCallback() internal view returns (bool on) {
        assembly ("memory-safe") {
            on := tload(SLOT)
        }
    }

    /// @dev Pays `to` `amount` of `token`: from the aggregator's own balance when it is the payer
    /// (intermediate hops), else from the route's payer, by its callback or by `transferFrom`.
    /// Runs in the aggregator's context (`address(this)` is the aggregator).
    function pay(address token, address payer, address to, uint256 amount) internal {
        if (payer == address(this)) IERC20(token).safeTransfer(to, amount);
        else if (byCallback()) ISwapPayer(payer).payForSwap(token, to, amount);
        else IERC20(token).safeTransferFrom(payer, to, amount);
    }
}
