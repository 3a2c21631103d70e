// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {IRfqVenue, RfqQuote} from "../../../interfaces/IRfqVenue.sol";
import {ILiquidityAggregator} from "../../../interfaces/ILiquidityAggregator.sol";
import {AdapterBase} from "./AdapterBase.sol";
import {RouteTaker} from "../RouteTaker.sol";

/// @title RfqAdapter
/// @notice Fills a market maker's signed quote at an RfqVenue, for the taker of the aggregator's
/// route (the venue checks the quote names it). Hop data: abi.encode(RfqQuote, bytes signature).
contract RfqAdapter is AdapterBase {
    error QuotePairMismatch(address quoteTokenIn, address quoteTokenOut, address tokenIn, address tokenOut);

    /// @inheritdoc IVenueAdapter
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata data
    ) external onlyDelegateCall returns (uint256 amountInUsed, uint256 amountOut) {
        (RfqQuote memory quote_, bytes memory signature) = abi.decode(data, (RfqQuote, bytes));
        if (quote_.tokenIn != tokenIn || quote_.tokenOut != tokenOut) {
            revert QuotePairMismatch(quote_.tokenIn, quote_.tokenOut, tokenIn, tokenOut);
        }
        _approveVenue(tokenIn, payer, venue, amountIn);
        amountOut = IRfqVenue(venue).fillFor(quote_, signature, amountIn, recipient, RouteTaker.get());
        amountInUsed = amountIn; // The venue pulls exactly amountIn, consuming the approval.
    }

    /// @inheritdoc IVenueAdapter
    /// @dev Quoted for the taker of the aggregator's quote (its caller): the one a fill would be for.
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata data)
        external
        view
        returns (uint256 amountOut)
    {
        if (data.length == 0) return 0; // No quote in hand: the maker has not offered this order.
        (RfqQuote memory quote_, bytes memory signature) = abi.decode(data, (RfqQuote, bytes));
        if (quote_.tokenIn != tokenIn || quote_.tokenOut != tokenOut) return 0;
        address taker = ILiquidityAggregator(msg.sender).currentTaker();
        (amountOut,) = IRfqVenue(venue).quoteFill(quote_, signature, taker, amountIn);
    }
}
