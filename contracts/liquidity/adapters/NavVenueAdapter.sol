// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {INavVenue} from "../../../interfaces/INavVenue.sol";
import {AdapterBase} from "./AdapterBase.sol";
import {NavHops} from "../NavHops.sol";

/// @title NavVenueAdapter
/// @notice Subscribes to or redeems from the issuer's NavVenue at oracle NAV, paid by callback
/// (NavHops). A native kind: the aggregator runs NavHops itself and asks this adapter for quotes only.
contract NavVenueAdapter is AdapterBase {
    /// @inheritdoc IVenueAdapter
    function nativeKind() external pure override returns (NativeKind) {
        return NativeKind.NAV_DESK;
    }

    /// @inheritdoc IVenueAdapter
    /// @dev NavHops, as the aggregator runs it for NAV desks.
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata
    ) external onlyDelegateCall returns (uint256 amountInUsed, uint256 amountOut) {
        amountOut = NavHops.swap(venue, tokenIn, tokenOut, amountIn, payer, recipient);
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
