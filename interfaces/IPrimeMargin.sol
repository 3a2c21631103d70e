// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccountHealth, CollateralConfig, CreditLine, IncomeConfig, MarginTier} from "./IPrimeBroker.sol";
import {ILendingPool} from "./ILendingPool.sol";

/// @title IPrimeMargin
/// @notice The prime broker's margin module: `marginCall`, `clearMarginCall` and governance's
/// `setTier`, `setCollateral`, `setPool`, `setCreditLine` and `reduceCreditLimit` (documented in
/// IPrimeBroker) and the views `health`, `topUp`, `maxBorrow`,
/// `previewLiquidation`, `incomeOf` and `incomeOwed`, all run on the broker's storage by the
/// broker's DELEGATECALL. Call them at the broker's address: the module itself holds no state and
/// refuses direct calls (`DirectCall`). Liquidation and income are the liquidation module's
/// (IPrimeLiquidation): two modules, so that each stays under the EIP-170 limit with room.
interface IPrimeMargin {
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
    function marginCall(address account) external returns (uint256 deadline);
    function clearMarginCall(address account) external;
    function setTier(uint8 tier, MarginTier calldata terms) external;
    function setCollateral(address asset, CollateralConfig calldata config) external;
    function setPool(address asset, ILendingPool pool) external;
    function setCreditLine(address account, CreditLine calldata line) external;
    function reduceCreditLimit(address account, uint96 limitUsd) external;
}
