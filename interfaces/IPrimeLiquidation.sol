// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IncomeKind} from "./IPrimeBroker.sol";

/// @title IPrimeLiquidation
/// @notice The prime broker's liquidation module: `liquidate`, `setIncome` and `claimIncome`
/// (documented in IPrimeBroker), run on the broker's storage by the broker's DELEGATECALL (the
/// broker checks roles and its reentrancy lock first). Call them at the broker's address: the
/// module itself holds no state and refuses direct calls (`DirectCall`).
interface IPrimeLiquidation {
    function setIncome(address asset, IncomeKind kind, address source) external;
    function claimIncome(address account, address asset) external returns (uint256 credited);
    function liquidate(
        address account,
        address debtAsset,
        uint256 repay,
        address collateralAsset,
        bytes calldata route,
        uint32 expectedLiquidations
    ) external returns (uint256 repaid, uint256 seized);
}
