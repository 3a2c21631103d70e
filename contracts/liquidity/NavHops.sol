// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {INavVenue} from "../../interfaces/INavVenue.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {LiquiditySession} from "./LiquiditySession.sol";

/// @title NavHops
/// @notice One fill at the issuer's NAV desk, paid by callback (`INavVenue.swapWithCallback`): the
/// desk calls the aggregator's `navVenueCallback`, which pays it from the session opened here — only
/// this desk, once, at most `amountIn` — straight from the route's payer (one transfer of the input,
/// no allowance written; for a security token one compliance check instead of two through the
/// aggregator's own balance). Compiled into the LiquidityAggregator (NAV venues are a native kind:
/// no DELEGATECALL, no ABI round trip) and into NavVenueAdapter (the same code behind
/// `IVenueAdapter.swap`), as UniswapHops is for Uniswap pools.
library NavHops {
    /// @dev No minimum at the desk: the aggregator checks the route's output.
    /// @return amountOut What the desk reports it sent to `recipient`.
    function swap(address desk, address tokenIn, address tokenOut, uint256 amountIn, address payer, address recipient)
        internal
        returns (uint256 amountOut)
    {
        LiquiditySession.expect(desk, payer, tokenIn, amountIn);
        amountOut = INavVenue(desk).swapWithCallback(tokenIn, tokenOut, amountIn, 0, recipient, "");
        // The desk checked that it received at least amountIn; this checks that it asked.
        if (LiquiditySession.pending()) revert IVenueAdapter.CallbackNotReceived(desk);
    }
}
