// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice How a listed asset pays income to whoever holds it — the broker, while it is posted —
/// and so how the broker passes it on to each account (see IPrimeBroker "Income").
enum IncomeKind {
    /// None the broker knows of.
    None,
    /// A note's coupons and redemption, paid by its BondServicer (`source`) in its payment asset.
    Coupons,
    /// An income share class's dividend, paid in new shares into the holder's balance (IIncomeShareToken;
    /// `source` is the token itself).
    Shares
}

/// @title IPrimeLiquidation
/// @notice The prime broker's liquidation and income calls: `liquidate`, `setIncome` and
/// `claimIncome`. IPrimeBroker inherits them; PrimeLiquidation implements them on the broker's
/// storage, run by the broker's DELEGATECALL (the broker checks roles and its reentrancy lock
/// first). Call them at the broker's address: the module itself holds no state and refuses
/// direct calls (`DirectCall`).
interface IPrimeLiquidation {
    /// @notice GOVERNOR (timelocked): binds listed `asset` to its income (see IPrimeBroker
    /// "Income"): `Coupons` with its BondServicer as `source` (whose `token()` must be `asset`; its payment asset must
    /// be listed and bear no income itself), `Shares` with the asset itself as `source`, `None` to
    /// unbind. Only while none of it is posted (`InvalidCollateral(asset, Posted)`: the accounts'
    /// marks start with it; a matured note's units retired from the accounts' collateral count:
    /// they keep their claim on its servicer) and never for a borrowable asset (`Borrowable`).
    /// Warning (not checked): that the asset is not itself the payment asset of another bound
    /// note (its income would be measured twice).
    function setIncome(address asset, IncomeKind kind, address source) external;
    /// @notice Anyone: credits the account its income on `asset` since its last settlement (see
    /// IPrimeBroker "Income"); for a matured note, its redemption too, the notes leaving its
    /// collateral.
    /// Nothing (0) for an asset bound to no income.
    /// @return credited What was credited, in the income's payment asset.
    function claimIncome(address account, address asset) external returns (uint256 credited);
    /// @notice LIQUIDATOR (a verified wallet): repays `repay` of the account's `debtAsset` debt and
    /// receives `collateralAsset` worth it plus the bonus — or, with a `route` (tokenIn the
    /// collateral, tokenOut the debt asset, recipient this broker), has that collateral sold and
    /// keeps the proceeds above `repay`. `expectedLiquidations` must equal the account's count of
    /// liquidations (a keeper's replayed transaction cannot liquidate twice). Writes the account's
    /// debts off when what is left to seize is dust (IPrimeBroker "Liquidation"): never beside a
    /// balance without a usable price (`WriteOffUnpriced(account, asset)` when nothing would be
    /// repaid); matured notes' claims are not counted, and the write-off assigns the debts to them
    /// (IPrimeBroker "Assigned debt"). The account's assigned debt of `debtAsset`, if any, is what
    /// this liquidation repays — in full, whatever the ratio, to the pool's `recoverBadDebt`, the
    /// pool's carry first (SEC-234). With nothing to seize beside it, it writes off only to drop
    /// that debt (no claim left, SEC-199) or to re-mark the carry the claims' haircut value no
    /// longer covers (SEC-234), and reverts `ZeroAmount` otherwise. Naming an asset the account
    /// holds none of reverts `InsufficientBalance` unless it has nothing to seize.
    /// Releases the reentrancy lock on return: a contract may liquidate twice in one transaction.
    /// @return repaid The debt repaid (below `repay` when the collateral ran out).
    /// @return seized The collateral taken from the account.
    function liquidate(
        address account,
        address debtAsset,
        uint256 repay,
        address collateralAsset,
        bytes calldata route,
        uint32 expectedLiquidations
    ) external returns (uint256 repaid, uint256 seized);
}
