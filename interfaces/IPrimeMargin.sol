// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {CollateralConfig, CreditLine, MarginTier} from "./IPrimeBroker.sol";
import {ILendingPool} from "./ILendingPool.sol";

/// @title IPrimeMargin
/// @notice The prime broker's margin module: `marginCall`, `clearMarginCall` and governance's
/// `setTier`, `setCollateral`, `setPool`, `setCreditLine` and `reduceCreditLimit` (documented in
/// IPrimeBroker), all run on the broker's storage by the broker's DELEGATECALL. Call them at the
/// broker's address: the module itself holds no state and refuses direct calls (`DirectCall`).
/// Liquidation and income are the liquidation module's (IPrimeLiquidation), the views the views
/// module's (IPrimeViews): three modules, so that each stays under the EIP-170 limit with room.
interface IPrimeMargin {
    function marginCall(address account) external returns (uint256 deadline);
    function clearMarginCall(address account) external;
    function setTier(uint8 tier, MarginTier calldata terms) external;
    function setCollateral(address asset, CollateralConfig calldata config) external;
    function setPool(address asset, ILendingPool pool) external;
    function setCreditLine(address account, CreditLine calldata line) external;
    function reduceCreditLimit(address account, uint96 limitUsd) external;
}
