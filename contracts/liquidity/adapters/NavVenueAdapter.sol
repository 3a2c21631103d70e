// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {INavVenue} from "../../../interfaces/INavVenue.sol";
import {AdapterBase} from "./AdapterBase.sol";
import {LiquiditySession} from "../LiquiditySession.sol";

/// @title NavVenueAdapter
/// @notice Subscribes to or redeems from the issuer's NavVenue at oracle NAV, paid by callback: the
/// desk calls the aggregator's `navVenueCallback`, which pays it from the route's payer directly
/// (one transfer of the input, no allowance written; for a security token one compliance check
/// instead of two through the aggregator's own balance).
contract NavVenueAdapter is AdapterBase {
    /// @inheritdoc IVenueAdapter
    /// @dev No minimum at the venue: the aggregator checks the route's output. The session allows
    /// this venue one callback for at most `amountIn` of `tokenIn` (LiquiditySession, as a V3 pool).
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata
    ) external onlyDelegateCall returns (uint256 amountInUsed, uint256 amountOut) {
        LiquiditySession.expect(venue, payer, tokenIn, amountIn);
        amountOut = INavVenue(venue).swapWithCallback(tokenIn, tokenOut, amountIn, 0, recipient, "");
        if (LiquiditySession.pending()) revert CallbackNotReceived(venue);
        amountInUsed = amountIn; // The desk checked that it received at least amountIn.
    }

    /// @inheritdoc IVenueAdapter
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata)
        external
        view
        returns (uint256 amountOut)
    {
        return INavVenue(venue).quote(tokenIn, tokenOut, amountIn);
    }
}
