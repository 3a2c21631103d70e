// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice The pool's interest-rate model: a kinked line of utilisation (Aave's and Compound's
/// "jump rate"). All annual figures are simple annual rates in basis points, compounded
/// continuously: an accrual after t years at the rate r multiplies the index by e^(rt), exactly
/// for any gap (PoolMath.compound; a three-term Taylor sum lost 37% of a year idle at 310%).
/// rate(u) = baseBps + slope1Bps x u / kinkBps                              for u <= kinkBps
///         = baseBps + slope1Bps + slope2Bps x (u - kinkBps) / (BPS - kinkBps)  above it
/// with u = debt / (cash + debt) in bps.
struct RateModel {
    uint16 baseBps;
    uint16 slope1Bps;
    /// The steep part above the kink (may exceed 100% a year: base + slope1 + slope2, the rate at
    /// full utilisation, is at most `MAX_BORROW_RATE_BPS`).
    uint32 slope2Bps;
    /// Utilisation at the kink, in (0, BPS).
    uint16 kinkBps;
    /// Share of interest kept as reserves (first loss on bad debt), at most `MAX_RESERVE_FACTOR_BPS`.
    uint16 reserveFactorBps;
}

/// @notice The pool's accounting, one read: everything a lender's claim and a rate depend on.
struct PoolState {
    /// Tokens the pool holds for lenders and reserves (tracked: a donation is never counted).
    uint256 cash;
    /// Total debt, accrued to now: `totalScaledDebt x borrowIndex`, rounded up.
    uint256 totalDebt;
    /// The part of `cash + totalDebt` that belongs to the reserves, not to lenders.
    uint256 reserves;
    /// Bad debt realised against lenders (after the reserves were exhausted), less what recoveries
    /// restored to them (SEC-234).
    uint256 badDebtRealised;
    /// Bad debt the reserves absorbed, less what recoveries restored to them.
    uint256 badDebtAbsorbed;
    /// Debt written off beside a claim and carried at face (`assignBadDebt`, SEC-231, SEC-234): no
    /// interest, not in `totalDebt`, counted in `totalAssets` until recovered or dropped; at most
    /// the claims' haircut value (the rest was realised at the write-off). The reserves stand
    /// behind it: `withdrawReserves` leaves at least this much of them.
    uint256 assignedDebt;
    /// Cumulative borrow index, 27 decimals (RAY), at `lastAccrual` (1e27 at deployment; at most
    /// 2^216 - 1, see "Ceilings").
    uint256 borrowIndexRay;
    uint256 lastAccrual;
    /// debt / (cash + debt), bps.
    uint256 utilisationBps;
    /// The annual borrow rate now, bps (the rate model at `utilisationBps`).
    uint256 borrowRateBps;
    /// Restored loss not yet the lenders' (round 8 #3): a recovery's restoration of the lenders'
    /// loss unlocks into `totalAssets` linearly over `RESTORATION_UNLOCK`; cash meanwhile.
    uint256 lockedRestoration;
    /// When the lock is all unlocked (0: nothing locked).
    uint256 restorationUnlocksAt;
}

/// @title ILendingPoolErrors
/// @notice The lending pool's errors and events (ILendingPool), apart: the pool's storage base
/// (contracts/prime/PoolLayout.sol), which the pool and its module share, emits them.
interface ILendingPoolErrors {
    error OnlyBroker(address caller);
    error InvalidRateModel(string reason);
    /// @notice The pool does not hold `needed` of cash (a borrow, a withdrawal or a reserve payout).
    error InsufficientCash(uint256 cash, uint256 needed);
    /// @notice `repay` found fewer tokens paid in than it accounts for.
    error RepaymentNotReceived(uint256 received, uint256 expected);
    error ReservesExceeded(uint256 reserves, uint256 amount);
    error ShareComplianceNotSet();
    error LenderNotVerified(address lender);
    /// @notice `account` (a caller, receiver or share holder) is under a sanctions freeze.
    error LenderFrozen(address account);
    /// @notice The share compliance engine refused a share movement (raised by the engine, declared
    /// here so the pool's ABI decodes it).
    error TransferNotCompliant(address from, address to, uint256 amount, uint8 reasonCode);
    error ZeroAmount();
    /// @notice More assigned debt recovered or dropped than the pool holds (`assigned`).
    error AssignedDebtExceeded(uint256 assigned, uint256 amount);
    /// @notice A recovery of `assets` said to pay more of the carried debt than itself.
    error CarriedAboveRecovery(uint256 assets, uint256 carried);

    event RateModelSet(RateModel previous, RateModel next);
    event ShareComplianceSet(address previous, address engine);
    /// @notice Interest accrued since the last accrual: the new index, the interest and what of it
    /// went to reserves.
    event Accrued(uint256 borrowIndexRay, uint256 interest, uint256 toReserves);
    event Borrowed(address indexed account, address indexed to, uint256 assets, uint256 debtAfter);
    event Repaid(address indexed account, uint256 assets, uint256 debtAfter);
    /// @notice The account's spread since its last touch, added to its debt and the reserves.
    event SpreadCharged(address indexed account, uint16 spreadBps, uint256 amount);
    event BadDebtRealised(address indexed account, uint256 amount, uint256 fromReserves, uint256 fromLenders);
    /// @notice `account`'s whole debt written off beside a claim and assigned to it; the pool's
    /// assigned debt after.
    /// `kept` of it carried in `assignedDebt` (the rest realised, `BadDebtRealised`).
    event BadDebtAssigned(address indexed account, uint256 amount, uint256 kept, uint256 assignedAfter);
    /// @notice Written-off debt of `account` paid back as cash (`recoverBadDebt`), `carried` of it
    /// against the assigned debt (the rest restores realised loss); the pool's assigned debt after.
    /// `toLenders` of the rest restores the account's lenders' loss (locked, see "Assigned debt"),
    /// `toReserves` its reserves'.
    event BadDebtRecovered(
        address indexed account,
        uint256 amount,
        uint256 carried,
        uint256 assignedAfter,
        uint256 toLenders,
        uint256 toReserves
    );
    event ReservesWithdrawn(address indexed to, uint256 amount);
    /// @notice `owner` left with a part of the pool's shares while a restoration was still
    /// locked: `amount` (its pro-rata part of the lock) went to the reserves. `owner` 0: a
    /// recovery landed with no share left, or restored a loss partly borne by shares gone since
    /// (SEC-246: their part).
    event RestorationForfeited(address indexed owner, uint256 amount);
}

/// @title ILendingPool
/// @notice A permissioned lending pool for one asset (a settlement stablecoin, or a security an
/// account may short). Verified lenders deposit the asset for ERC-4626 shares; the shares are a
/// compliant holding (every mint and transfer passes the pool's share compliance engine, as the
/// PortfolioVault's shares do). The prime broker is its only borrower: it borrows for margin
/// accounts and repays for them. Interest accrues per second on one borrow index (no loop over
/// accounts); a share of it goes to reserves.
///
/// Debt per account is kept as scaled debt (`debt = scaled x index`), plus the account's own spread
/// (its credit line's rate above the pool rate), accrued lazily: on each borrow or repay of the
/// account, the spread since its last touch is added to its debt and to the reserves (simple
/// interest between touches; `touch` compounds it). So the pool's `totalDebt` is the sum of
/// the accounts' `debtOf` minus their pending spread (PRM-1), up to one unit of rounding each.
///
/// Bad debt (`realiseBadDebt`, broker only, once the account has no collateral left): the reserves
/// absorb it first; the rest is the lenders' (`badDebtRealised`): it takes the restoration still
/// locked first (Yearn v3's loss against locked profit), then lowers `totalAssets`, so every
/// lender's claim falls pro rata. Lenders' claims never exceed the pool's cash plus its debt
/// plus its assigned debt, less the reserves and the restoration still locked (PRM-5).
///
/// Assigned debt (SEC-190, SEC-231, SEC-234): an account written off while it keeps a claim on a
/// matured note's redemption does not lose to the lenders at once what the claim will likely pay.
/// `assignBadDebt` takes the debt out of `totalDebt` (it bears no interest from then), keeps at
/// most `keep` of it (the broker's haircut value of the claims, in units of this asset) in
/// `assignedDebt`, which `totalAssets` counts at face, and realises the rest at once (reserves
/// first, then lenders). What the claim pays comes back as cash (`recoverBadDebt`): the carried
/// part first, one for one (no step), then what that account's write-off and re-marks realised
/// (`lossOf`, round 8 #3: its own record, not the pool's): its lenders' loss first, locked and
/// unlocked into `totalAssets` linearly over `RESTORATION_UNLOCK` (7 days; a lock added to one
/// still unlocking keeps the locked seconds of both, Yearn v3's profit unlock), so no step for a
/// depositor who times the recovery to share in; then its reserves' (at once: no step). Anything
/// beyond the account's record vests as the lenders'. What the claims' value no longer covers is dropped
/// (`dropAssignedDebt`: realised then, reserves first): the broker re-marks the carry when a
/// liquidation finds it above the claims' haircut value (IPrimeBroker "Assigned debt"), and drops
/// it all once no claim is left. So a depositor before a recovery shares only in what exceeds the
/// claims' haircut value, and a lender who withdraws before a re-mark escapes at most the value
/// the claims lost since the last one.
///
/// Entry and exit prices: deposits and mints are priced at `totalAssets` plus the restoration
/// still locked (`previewDeposit`, `previewMint`: an entrant during a lock buys into it at its full
/// value, so it is the earlier lenders'); withdrawals and redemptions at `totalAssets` (a leaver
/// forfeits its part still locked). `convertToShares` is the exit price's, above
/// `previewDeposit` while something is locked. A leaver's part of the lock still locked (pro rata
/// to its shares) goes to the reserves (`RestorationForfeited`): those who stay keep exactly their
/// part, and the last leaver leaves none to the virtual shares; a recovery that lands with no
/// share left goes to the reserves too. Forfeited restoration is reserves like any other: it
/// absorbs the next write-off first, and `withdrawReserves` leaves the assigned debt covered.
/// Warning (known limit, prime12 M1): the restoration goes to whoever holds shares while
/// it unlocks, not to the holders at the time of the loss. A depositor who enters after a loss and
/// before its recovery (a recovery is foreseeable: a matured note's redemption, a liquidation
/// anyone may run, the debtor's own repayment) bought at the price after the loss and shares pro
/// rata in what the recovery restores beyond the claims' haircut value (a deposit of D beside T
/// gets D/(T+D) of it). Holders at the loss would need a claim of their own (a snapshot of
/// shares at the write-off) or entries priced at the live loss records the broker closes. The
/// same class: a deposit made just before a recovery and redeemed just after forfeits its part
/// of the new lock to the reserves (SEC-243), at no cost to the depositor and at the holders'
/// (SEC-246 caps the lock at the holders' part, so only a deposit beyond the shares gone since
/// the loss does so).
///
/// Ceilings (SEC-25): no accepted parameter freezes the pool, whatever its life. The rate at full
/// utilisation is at most `MAX_BORROW_RATE_BPS` (400% a year), and the index stops compounding at
/// a ceiling instead of overflowing: 2^216 - 1 (e^87.5 times its start), or lower so that the total debt stays within 2^126 units (every interest,
/// reserve, spread and write-off amount then fits the pool's 128-bit fields); a spread past that
/// ceiling is not charged. Below the ceilings the accrual is exact; a pool borrowed in full at the
/// cap reaches them after 21 years (a debt of one unit) to 14 years (ten million USDC, 10^13
/// units), at 310% after 28 to 18 years, at the deployed pools' 65% and 103.5% after 55 to 134
/// years; from there the pool works on at an index that no longer grows (borrowers then pay no
/// pool interest). The 128-bit RAY index it replaces
/// overflowed after e^26.55 (2.47 years at the 1,100% it accepted), reverting `touch`, `deposit`,
/// `totalAssets` and `state` for good.
/// @dev Role mapping (deploy script): `setRateModel` and `withdrawReserves` -> GOVERNOR
/// (timelocked); `borrow`, `repay`, `touch`, `realiseBadDebt`, `assignBadDebt`,
/// `dropAssignedDebt` and `recoverBadDebt` are the broker's (immutable).
/// Warning: does not price anything: credit limits and margin are the broker's. Withdrawals are
/// limited by cash (a fully utilised pool pays lenders as borrowers repay, and its rate climbs
/// the slope above the kink to make them): `maxWithdraw` and `maxRedeem` say so, and are 0 for a
/// frozen owner (SEC-27); they do not see a frozen caller or receiver, which `withdraw` and
/// `redeem` refuse (`LenderFrozen`).
/// Warning: an income-bearing asset (a note paying coupons to its holder, an income share class
/// paying its dividend in new shares) is not supported: the pool would receive its income and
/// count it for no lender (tokens arriving outside a call are never cash). The broker refuses such
/// a pool (IPrimeBroker `setPool`: `InvalidCollateral(asset, IncomeBearing)`).
interface ILendingPool is ILendingPoolErrors {
    // ---------------------------------------------------------------- construction
    /// @notice Writes the pool's storage once, from its GovernedProxy's constructor (the pool runs
    /// behind one: issue 34): its AccessManager `authority`, a borrow index of 1 (RAY) accrued from
    /// now, and the rate model `model` (`setRateModel`'s bounds and `RateModelSet`). Reverts
    /// `InitializeOutsideConstruction(account)` on any account with code (a deployed proxy: no
    /// re-initialization, no front-running; the implementation, which keeps no authority and
    /// answers no restricted call), `AccessManagedInvalidAuthority` for an authority with no code,
    /// and `InvalidRateModel(reason)`. The asset, the broker, the registry, the losses module and
    /// the shares' name and symbol are immutables of the implementation.
    /// @dev NOT checked: that the proxy's constructor calls it (a proxy without it has no
    /// authority and a zero borrow index: deploy another).
    function initialize(address authority, RateModel calldata model) external;

    // ---------------------------------------------------------------- governance
    /// @notice Sets the rate model (accrues first at the old one). Bounds: 0 < kink < BPS,
    /// reserve factor <= MAX_RESERVE_FACTOR_BPS, base + slope1 <= BPS, base + slope1 + slope2 (the
    /// rate at full utilisation) <= MAX_BORROW_RATE_BPS (`InvalidRateModel(reason)` names the
    /// bound: "kink not in (0, BPS)", "reserve factor above max", "base + slope1 above BPS",
    /// "rate at full utilisation above max").
    function setRateModel(RateModel calldata model) external;
    /// @notice The compliance engine every share mint and transfer passes (bound to this pool).
    function setShareCompliance(address engine) external;
    /// @notice Pays `amount` of the reserves out of cash to `to`, at most the reserves above the
    /// assigned debt (`ReservesExceeded(free, amount)`, SEC-234: they stand first behind it).
    function withdrawReserves(uint256 amount, address to) external;

    // ---------------------------------------------------------------- the broker
    /// @notice Lends `assets` to `account` (a margin account of the broker), sent to `to`.
    /// Accrues, charges the account's pending spread, then adds the debt.
    /// @return debtAfter The account's debt after the borrow.
    function borrow(address account, uint256 assets, uint16 spreadBps, address to) external returns (uint256 debtAfter);
    /// @notice Books a repayment of `assets` (at most the account's debt) that the broker has
    /// already transferred in (pay-then-call: the pool checks its balance grew by it).
    /// @dev `assets` above the debt (`type(uint256).max`) repays the whole debt: the pool then
    /// expects the debt paid in (`debtOf` in the same block). Warning: the check is on the
    /// pool's balance above its cash, so tokens sent to the pool without a call (never counted
    /// as cash) count towards the next repayment.
    /// @return debtAfter The account's debt after the repayment.
    function repay(address account, uint256 assets, uint16 spreadBps) external returns (uint256 debtAfter);
    /// @notice Accrues and charges the account's pending spread (compounds it into its debt).
    function touch(address account, uint16 spreadBps) external returns (uint256 debt);
    /// @notice Writes the account's whole debt off: reserves first, then lenders (PRM-4).
    function realiseBadDebt(address account, uint16 spreadBps) external returns (uint256 amount);
    /// @notice Writes the account's whole debt off beside a claim that may pay it (SEC-231, SEC-234):
    /// out of `totalDebt`; at most `keep` of it into `assignedDebt` (`totalAssets` does not move
    /// for that part), the rest realised (reserves first, then lenders) and the account's record
    /// (`lossOf`) set to it. Accrues and charges the account's spread first.
    /// @dev Warning: `keep` is the broker's valuation; the pool does not check it.
    function assignBadDebt(address account, uint16 spreadBps, uint256 keep) external returns (uint256 amount);
    /// @notice `amount` of assigned debt no claim will pay: realised now, reserves first, then
    /// lenders (`BadDebtRealised`), and added to the account's record (`lossOf`);
    /// `AssignedDebtExceeded` past the pool's assigned debt.
    function dropAssignedDebt(address account, uint256 amount) external;
    /// @notice Books `assets` of written-off debt recovered, already transferred in (pay-then-call,
    /// as `repay`: `RepaymentNotReceived` otherwise): `carried` of it pays assigned debt, one for
    /// one (SEC-194, SEC-231), and the rest restores the account's realised loss (`lossOf`,
    /// SEC-234, round 8 #3): its lenders' part first, locked and unlocking into `totalAssets` over
    /// `RESTORATION_UNLOCK` (no step), then its reserves' (no step); anything beyond the record is
    /// locked as the lenders'. Of the lenders' part, only `min(totalSupply, supply) / supply`
    /// (the record's supply at the loss) is locked for the holders: the part of the shares that
    /// left since the loss, paid at the price after it, goes to the reserves at once
    /// (`RestorationForfeited` with owner 0; SEC-246). `AssignedDebtExceeded` past the pool's assigned debt,
    /// `CarriedAboveRecovery` past `assets`.
    /// @dev Warning: checked against the pool's assigned debt, not the account's (the broker's
    /// record, IPrimeBroker `carriedDebtOf`): the broker recovers no more than it carried.
    function recoverBadDebt(address account, uint256 assets, uint256 carried) external;

    // ---------------------------------------------------------------- views
    function broker() external view returns (address);
    /// @notice The ComplianceEngine the shares pass (zero until governance binds one: no share
    /// moves before).
    function shareCompliance() external view returns (address);
    /// @notice The bad-debt module (contracts/prime/PoolLosses.sol) the pool runs by DELEGATECALL
    /// on its own storage: `realiseBadDebt`, `assignBadDebt`, `dropAssignedDebt` and
    /// `recoverBadDebt` run there, after the pool checked the caller (and, for a recovery, the lock
    /// and the cash received). Immutable; one deployment serves every pool.
    function lossesModule() external view returns (address);
    /// @notice Highest reserve factor `setRateModel` accepts, bps.
    function MAX_RESERVE_FACTOR_BPS() external view returns (uint256);
    /// @notice Highest rate at full utilisation (base + slope1 + slope2) `setRateModel` accepts,
    /// bps a year (40,000: 400%; see "Ceilings").
    function MAX_BORROW_RATE_BPS() external view returns (uint256);
    /// @notice The account's debt now: scaled debt at the current index plus its pending spread
    /// (`spreadBps` is the broker's figure for the account), rounded up.
    function debtOf(address account, uint16 spreadBps) external view returns (uint256);
    function state() external view returns (PoolState memory);
    /// @notice How long a restoration of the lenders' loss takes to unlock into `totalAssets`.
    function RESTORATION_UNLOCK() external view returns (uint256);
    /// @notice `account`'s bad debt realised by its write-off and re-marks and not yet restored:
    /// what the reserves absorbed and what the lenders lost, and the pool's shares outstanding
    /// when the lenders lost it (SEC-246: with several losses, the loss-weighted harmonic supply,
    /// so `lenders / supply` is their sum per share; meaningful while `lenders` is not 0).
    /// Meaningful while the broker holds the account's assigned debt (a new write-off starts a
    /// new record; a record whose debt was forgotten, no claim left, stays and is never read).
    function lossOf(address account) external view returns (uint256 reserves, uint256 lenders, uint256 supply);
    function rateModel() external view returns (RateModel memory);
    /// @notice The annual borrow rate at `utilisationBps` under the current model, bps.
    function borrowRateAt(uint256 utilisationBps) external view returns (uint256);
}
