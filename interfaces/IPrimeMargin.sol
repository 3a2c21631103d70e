// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccountHealth} from "./IPrimeBroker.sol";

/// @title IPrimeMargin
/// @notice The prime broker's margin module: `marginCall`, `clearMarginCall` and `liquidate`
/// (documented in IPrimeBroker) and the views `health` and `previewLiquidation`, all run on the
/// broker's storage by the broker's DELEGATECALL. Call them at the broker's address: the module
/// itself holds no state and refuses direct calls (`DirectCall`).
interface IPrimeMargin {
    /// @notice What `liquidate(account, debtAsset, repay, collateralAsset, ...)` would do now: the
    /// debt repaid and the collateral seized (the collateral may run out first), the bonus applied
    /// (the tier's, or less: see "Liquidation"), and the seized collateral's oracle value — what a
    /// liquidator taking it receives, or sells for `seizedValueUsd` less slippage. Reverts as
    /// `liquidate` would (NotLiquidatable, RepayAboveCloseFactor, ...).
    function previewLiquidation(address account, address debtAsset, uint256 repay, address collateralAsset)
        external
        view
        returns (uint256 repaid, uint256 seized, uint256 bonusBps, uint256 seizedValueUsd);

    /// @notice The account's collateral and debt at oracle prices, with and without haircuts, its
    /// ratio, its open margin call and whether it may be liquidated now.
    function health(address account) external view returns (AccountHealth memory);
    function marginCall(address account) external returns (uint256 deadline);
    function clearMarginCall(address account) external;
    function liquidate(
        address account,
        address debtAsset,
        uint256 repay,
        address collateralAsset,
        bytes calldata route,
        uint32 expectedLiquidations
    ) external returns (uint256 repaid, uint256 seized);
}
