// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {INavVenue} from "../../../interfaces/INavVenue.sol";
import {AdapterBase} from "./AdapterBase.sol";

/// @title NavVenueAdapter
/// @notice Subscribes to or redeems from the issuer's NavVenue at oracle NAV.
contract NavVenueAdapter is AdapterBase {
    /// @inheritdoc IVenueAdapter
    /// @dev No minimum at the venue: the aggregator checks the route's output.
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata
    ) external onlyDelegateCall returns (uint256 amountInUsed, uint256 amountOut) {
        _approveVenue(tokenIn, payer, venue, amountIn);
        amountOut = INavVenue(venue).swap(tokenIn, tokenOut, amountIn, 0, recipient);
        amountInUsed = amountIn; // The venue pulls exactly amountIn, consuming the approval.
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
