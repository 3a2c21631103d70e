// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccountHealth, CollateralConfig, CreditLine, IncomeConfig, MarginTier} from "./IPrimeBroker.sol";
import {ILendingPool} from "./ILendingPool.sol";

/// @title IPrimeViews
/// @notice The prime broker's read functions beyond its balances: the listings and terms, and what
/// an account is worth, may borrow, must post or would lose to a liquidation. Served at the
/// broker's address by its views module (PrimeViews), run by the broker's DELEGATECALL on the
/// broker's storage: call them at the broker, never at the module (`DirectCall`).
/// The broker forwards every call it has no function for to the views module, which has only
/// view functions (the compiler refuses a state change in one) and refuses any other selector
/// (`UnknownCall`). NOT checked: that a view is consistent with a call made in the same
/// transaction before a state change that call's caller is still making (read-only reentrancy:
/// read the broker from outside its own calls, as keepers and the console do).
interface IPrimeViews {
    /// @notice Listed collateral and borrowable assets, in listing order (at most MAX_ASSETS).
    function assets() external view returns (address[] memory);
    /// @notice The pool `asset` is borrowed from (zero: not borrowable).
    function poolOf(address asset) external view returns (ILendingPool);
    /// @notice The asset's risk weight and caps, as `setCollateral` set them.
    function collateralOf(address asset) external view returns (CollateralConfig memory);
    /// @notice The terms of margin tier `tier` (all zero: never set).
    function tierOf(uint8 tier) external view returns (MarginTier memory);
    /// @notice The account's credit limit, spread and tier.
    function creditLineOf(address account) external view returns (CreditLine memory);
    /// @notice The haircut of an asset, bps: min(BPS, riskWeightBps x 8%).
    function haircutBps(address asset) external view returns (uint256);
    /// @notice What `liquidate(account, debtAsset, repay, collateralAsset, ...)` would do now: the
    /// debt repaid and the collateral seized (the collateral may run out first), the bonus applied
    /// (the tier's, or less: see "Liquidation"), and the seized collateral's oracle value — what a
    /// liquidator taking it receives, or sells for `seizedValueUsd` less slippage. Reverts as
    /// `liquidate` would (NotLiquidatable, RepayAboveCloseFactor, ...). Warning: income not yet
    /// settled is not counted, where `liquidate` settles it first (IPrimeBroker "Income"): call
    /// `claimIncome` for each income-bearing asset first for an exact preview (a matured note's
    /// units are then no longer seizable: its cash is).
    function previewLiquidation(address account, address debtAsset, uint256 repay, address collateralAsset)
        external
        view
        returns (uint256 repaid, uint256 seized, uint256 bonusBps, uint256 seizedValueUsd);

    /// @notice The account's collateral and debt at oracle prices, with and without haircuts, its
    /// ratio, its open margin call (none once it lapsed) and whether it may be liquidated now.
    /// Income not yet settled is not counted. Debt includes assigned debt (IPrimeBroker "Assigned
    /// debt"). `liquidatable`: a liquidation can act now (SEC-197, `AccountHealth.liquidatable`).
    function health(address account) external view returns (AccountHealth memory);
    /// @notice How `asset` pays income to its holder, as bound by `setIncome`.
    function incomeOf(address asset) external view returns (IncomeConfig memory);
    /// @notice What `claimIncome(account, asset)` would credit now at most, in the income's payment
    /// asset (before the cap by what the broker holds beyond the accounts' balances).
    function incomeOwed(address account, address asset) external view returns (uint256);
    /// @notice What to post to get back to initial margin: `units` of `asset` (rounded up), worth
    /// `adjustedUsd` of collateral after its haircut (0 and 0 when the account is there already).
    /// Reverts `InvalidCollateral(asset, NoCollateralValue)` for an asset with a 100% haircut.
    /// Not checked: the asset's caps (a deposit of `units` reverts `CapExceeded` beyond them:
    /// `collateralOf` and `totalCollateral` tell the room).
    function topUp(address account, address asset) external view returns (uint256 units, uint256 adjustedUsd);
    /// @notice The most of `asset` the account can borrow to a wallet now: the least of what keeps
    /// it at initial margin (the borrowed asset's debt weighs price x (1 + haircut)), what its
    /// credit line leaves, and the pool's cash; 0 for a halted account or book (SEC-157). Not
    /// checked: a borrow kept in the account (to trade) also adds the asset as collateral, so it
    /// allows a little more; caps.
    function maxBorrow(address account, address asset) external view returns (uint256 units);
}
