// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {RoutePayer} from "../RoutePayer.sol";

/// @notice What every adapter does the same way: bring the input to a venue that pulls it.
abstract contract AdapterBase is IVenueAdapter {
    using SafeERC20 for IERC20;

    /// @dev This adapter's own address: inside a DELEGATECALL `address(this)` is the caller's.
    address private immutable _self = address(this);

    /// @dev On every `swap`: it acts for the aggregator's caller only in the aggregator's context.
    modifier onlyDelegateCall() {
        if (address(this) == _self) revert DelegateCallOnly(_self);
        _;
    }

    /// @inheritdoc IVenueAdapter
    function nativeKind() external pure virtual returns (NativeKind) {
        return NativeKind.NONE;
    }

    /// @dev For venues that pull from their caller: bring the input to the aggregator first (by
    /// the payer's allowance or callback, RoutePayer) and approve exactly it; the venue's pull
    /// consumes the approval (no allowance survives).
    function _approveVenue(address token, address payer, address venue, uint256 amount) internal {
        if (payer != address(this)) RoutePayer.pay(token, payer, address(this), amount);
        IERC20(token).forceApprove(venue, amount);
    }
}
