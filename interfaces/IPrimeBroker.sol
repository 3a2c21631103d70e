// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ILendingPool} from "./ILendingPool.sol";
import {IIdentityRegistry} from "./IIdentityRegistry.sol";
import {IOracleRouter} from "./IOracleRouter.sol";
import {ILiquidityAggregator} from "./ILiquidityAggregator.sol";
import {IRiskEngine} from "./IRiskEngine.sol";
import {IPrimeLiquidation, IncomeKind} from "./IPrimeLiquidation.sol";

/// @notice Margin ratios and liquidation terms of a tier. Ratios are adjusted collateral over
/// adjusted debt (see IPrimeBroker "Health"), in bps: 15,000 is 150%.
struct MarginTier {
    /// After any borrow, withdrawal or new position the ratio must be at least this (default 150%).
    uint16 initialBps;
    /// Below it a margin call may be issued (default 125%).
    uint16 maintenanceBps;
    /// Below it the account may be liquidated at once (default 110%).
    uint16 liquidationBps;
    /// Most of one debt a liquidation may repay, bps of that debt (100% once the ratio is < 100%).
    uint16 closeFactorBps;
    /// Collateral the liquidator receives above the debt it repays, bps of the repaid value.
    uint16 bonusBps;
    /// Seconds between a margin call and the liquidation it allows (while the ratio stays below
    /// maintenance).
    uint32 gracePeriod;
}

/// @notice How an asset counts as collateral.
struct CollateralConfig {
    /// BIS-style risk weight, bps (T-bills 2,000, corporates 10,000; 125,000 = 1250%). The haircut
    /// is 8% of it (Basel's minimum capital ratio), capped at 100%: `haircutBps = min(BPS, rw x 8%)`.
    uint32 riskWeightBps;
    /// Most of the asset all accounts together may post, token units (0: not accepted any more;
    /// what is posted stays and counts).
    uint128 capTotal;
    /// Most one account may post, token units.
    uint128 capPerAccount;
}

/// @notice A credit line: what an account may borrow and at what rate above the pools'.
struct CreditLine {
    /// Most debt the account may have, USD with 18 decimals at oracle prices (0: none; at most
    /// about 79 billion USD).
    uint96 limitUsd;
    /// Annual rate added to each pool's rate for this account, bps.
    uint16 spreadBps;
    /// The account's margin tier (< MAX_TIERS).
    uint8 tier;
}

/// @notice A listed asset's income: its kind, what pays it and in what (`payAsset`: the servicer's
/// payment asset for a note, the asset itself for income shares).
struct IncomeConfig {
    IncomeKind kind;
    address source;
    address payAsset;
}

/// @notice What an account's action in a batch does (see `execute`).
enum ActionKind {
    /// Pull `amount` of `asset` from the caller into the account (counts as collateral).
    Deposit,
    /// Send `amount` of `asset` from the account to `to`, a verified wallet of the account's identity.
    Withdraw,
    /// Borrow `amount` of `asset` from its pool: `to` zero keeps it in the account (to trade it: a
    /// long or a short), otherwise it is sent to `to`, a verified wallet of the identity.
    Borrow,
    /// Repay `amount` of the account's `asset` debt (type(uint256).max: all of it) from the
    /// account's own balance of `asset` (`to` zero) or from the caller's wallet (`to` = caller).
    Repay,
    /// Sell through the aggregator: `data` is a packed route (ILiquidityAggregator) whose recipient
    /// is the broker; its input comes from the account's balance of the route's `tokenIn`, its
    /// output is credited to the account. `asset`, `amount` and `to` are not used.
    Swap
}

struct Action {
    ActionKind kind;
    address asset;
    uint256 amount;
    address to;
    bytes data;
}

/// @notice An account's health, one read (USD figures with 18 decimals at oracle prices).
struct AccountHealth {
    /// Collateral at market value.
    uint256 collateralUsd;
    /// Collateral after haircuts.
    uint256 adjustedCollateralUsd;
    /// Debt at market value.
    uint256 debtUsd;
    /// Debt with each borrowed asset's haircut added (a short of a risky asset weighs more).
    uint256 adjustedDebtUsd;
    /// adjustedCollateral / adjustedDebt in bps (type(uint256).max without debt).
    uint256 ratioBps;
    /// When the open margin call was issued (0: none, or one that lapsed: see "Margin").
    uint256 marginCallAt;
    /// When it allows liquidation (0: no call).
    uint256 deadline;
    /// A liquidation can act now (SEC-197): below the liquidation ratio, or below maintenance past
    /// its call's deadline, while it owes a pool (repaid, or written off); or owing assigned debt
    /// (see "Assigned debt") beside more than `MAX_DUST_USD` seizable or income owed not yet
    /// settled (SEC-236), or, with no balance lacking a usable price, beside no claim (dropped,
    /// SEC-199) or beside claims whose haircut value no longer covers the pools' carry (re-marked,
    /// SEC-234). Assigned debt beside a claim that covers its carry and at most `MAX_DUST_USD`
    /// seizable reads false: that dust is the account's, as a liquidation's dust of assigned
    /// debt is (`MAX_DUST_USD`, the one rule of both; red team round 9 M1).
    bool liquidatable;
    /// When the open call was last seen below maintenance (its issue or its last confirmation; 0:
    /// none open). It lapses `min(gracePeriod, MARGIN_CALL_HEARTBEAT)` after this.
    uint256 marginCallSeenAt;
}

/// @notice The tier field `setTier` or `setCreditLine` refused (`InvalidTier`, with the value refused).
enum TierRule {
    Index, // at or above MAX_TIERS (value: the index)
    LiquidationRatio, // below MIN_LIQUIDATION_BPS
    MaintenanceNotAboveLiquidation, // maintenanceBps at or below liquidationBps
    Initial, // at or below maintenanceBps, or above MAX_INITIAL_BPS
    Bonus, // above MAX_BONUS_BPS, or above the liquidation ratio's excess over 100%
    CloseFactor, // below MIN_CLOSE_FACTOR_BPS or above 10,000
    GracePeriod, // outside [MIN_GRACE_PERIOD, MAX_GRACE_PERIOD]
    Unset // a credit line on a tier never set (value: the tier)
}

/// @notice Why an asset's listing, pool or income binding was refused (`InvalidCollateral`).
enum CollateralRule {
    RiskWeight, // above MAX_RISK_WEIGHT_BPS
    AccountCapAboveTotal, // capPerAccount above capTotal
    IncomeBearing, // an income-bearing asset made borrowable (SEC-28)
    PoolOfAnotherBroker, // the pool's broker is not this one
    PoolOfAnotherAsset, // the pool lends another asset (round 9 I2)
    PoolOwed, // the listed pool is owed debt or assigned debt (SEC-155, SEC-195)
    NoCollateralValue, // a 100% haircut: no units raise margin
    Borrowable, // an income binding on a borrowable asset
    Posted, // an income binding while some of the asset is posted
    ServicerOfAnotherToken, // the servicer pays another token's coupons
    ServicerScale, // the servicer's SCALE is not the broker's
    PaymentAsset, // the servicer's payment asset is unlisted, or income-bearing itself
    Source // a share token's income source is not the token itself
}

/// @notice The prime broker's errors and events (shared by the broker and its liquidation module).
interface IPrimeBrokerErrors {
    // ---------------------------------------------------------------- errors
    error NotInstitutional(address wallet, address identity, uint8 investorClass);
    error WalletNotVerified(address wallet);
    error NotAccountWallet(address wallet, address account);
    error AccountExists(address account);
    error NoAccount(address account);
    error InvalidTier(uint8 tier, TierRule rule, uint256 value);
    error InvalidCollateral(address asset, CollateralRule rule);
    error CreditIncreaseNotAllowed(address account, uint96 limitUsd, uint96 requestedUsd);
    error AssetNotListed(address asset);
    error NoPool(address asset);
    error TooManyAssets(address account, uint256 max);
    error CapExceeded(address asset, uint256 amount, uint256 cap, bool perAccount);
    error InsufficientBalance(address account, address asset, uint256 balance, uint256 needed);
    error CreditLimitExceeded(address account, uint256 debtUsd, uint256 limitUsd);
    /// @notice The batch leaves the account below initial margin (and is not risk-reducing).
    error InitialMarginBreached(address account, uint256 ratioBps, uint256 initialBps);
    error Halted(address account);
    /// @notice A withdrawal or a borrow while the account owes assigned debt (SEC-234): it is repaid
    /// (or recovered by liquidation) first.
    error DebtAssignedOutstanding(address account);
    /// @notice The identity is this broker's own address (the RiskEngine's subject for the book).
    error ReservedAccount(address account);
    /// @notice A route that does not sell `sell` for `buy` to this broker (`tokenIn`, `tokenOut` and
    /// `recipient` as the route encodes them).
    error InvalidRoute(address tokenIn, address tokenOut, address recipient);
    /// @notice A sale through the broker (a liquidation's, or an account's swap) fetched less than
    /// the oracle value of what it sold less MAX_LIQUIDATION_SLIPPAGE_BPS.
    error SwapOutputBelowOracle(uint256 amountOut, uint256 oracleMinimum);
    /// @notice The account's wallet may not receive `asset` (its compliance engine's `reasonCode`
    /// for an issue to it): not bought or borrowed into the account either (SEC-152).
    error AssetNotEligible(address account, address asset, uint8 reasonCode);
    /// @notice The liquidation names a collateral without a usable price (valued 0: SEC-153).
    error CollateralUnpriced(address asset);
    /// @notice The liquidation repays nothing and would write the account's debts off, but the
    /// account holds `asset` without a usable price (valued 0, not known to be dust: SEC-162). It
    /// waits for the feed; a liquidation that repays something goes on without the write-off.
    error WriteOffUnpriced(address account, address asset);
    error NotBelowMaintenance(address account, uint256 ratioBps, uint256 maintenanceBps);
    error NoMarginCall(address account);
    error NotLiquidatable(address account, uint256 ratioBps, uint256 deadline);
    error StaleLiquidation(address account, uint32 expected, uint32 actual);
    error NoDebt(address account, address asset);
    error RepayAboveCloseFactor(uint256 repay, uint256 maxRepay);
    error LiquidatorNotVerified(address liquidator);
    error InsufficientProceeds(uint256 proceeds, uint256 repay);
    error PaymentNotExpected(address caller, address token);
    error ZeroAmount();

    // ---------------------------------------------------------------- events
    event TierSet(uint8 indexed tier, MarginTier previous, MarginTier next);
    event CollateralSet(address indexed asset, CollateralConfig previous, CollateralConfig next);
    event PoolSet(address indexed asset, address previous, address pool);
    event AccountOpened(address indexed account, address indexed wallet);
    event CreditLineSet(address indexed account, CreditLine previous, CreditLine next);
    event Deposited(address indexed account, address indexed asset, address from, uint256 amount);
    event Withdrawn(address indexed account, address indexed asset, address to, uint256 amount);
    event Borrowed(address indexed account, address indexed asset, address to, uint256 amount);
    event Repaid(address indexed account, address indexed asset, address from, uint256 amount);
    event Swapped(address indexed account, address tokenIn, address tokenOut, uint256 amountIn, uint256 amountOut);
    /// @notice The batch's checked outcome: the ratio after, and before (read only for a batch with
    /// swaps and no borrow or withdrawal, which may pass as risk-reducing: otherwise 0).
    event Checked(address indexed account, uint256 ratioBeforeBps, uint256 ratioAfterBps);
    event MarginCalled(address indexed account, uint256 ratioBps, uint256 shortfallUsd, uint256 deadline);
    /// @notice The open call was seen below maintenance again (`marginCall` on it): it stays live
    /// for another heartbeat.
    event MarginCallConfirmed(address indexed account, uint256 ratioBps);
    event MarginCallCleared(address indexed account, uint256 ratioBps);
    event Liquidated(
        address indexed account,
        address indexed liquidator,
        address debtAsset,
        address collateralAsset,
        uint256 repaid,
        uint256 seized,
        uint256 proceeds,
        uint256 ratioBeforeBps,
        uint256 ratioAfterBps
    );
    event BadDebt(address indexed account, address indexed asset, uint256 amount);
    event IncomeSet(address indexed asset, IncomeConfig previous, IncomeConfig next);
    /// @notice `amount` of `payAsset` credited to the account as collateral: its share of `asset`'s
    /// income since its last settlement (see "Income").
    event IncomeCredited(address indexed account, address indexed asset, address payAsset, uint256 amount);
    /// @notice The account's `units` of a matured note left its collateral (their redemption is paid
    /// as cash collateral; they stay on its books, `balanceOf`, as its claim on a late top-up).
    event CollateralMatured(address indexed account, address indexed asset, uint256 units);
    /// @notice The account's assigned debt of `asset` moved from `previous` to `next` (see
    /// "Assigned debt"): a write-off beside a matured note's claim, a recovery, a repayment, or
    /// the rest dropped once no claim is left.
    event DebtAssigned(address indexed account, address indexed asset, uint256 previous, uint256 next);
    // A call the broker neither implements nor serves from a module reverts with
    // `Dispatch.UnknownCall(selector)` (contracts/libraries/Dispatch.sol).
}

/// @title IPrimeBroker
/// @notice Cross-margin credit for institutions against tokenized collateral (docs/prime.md).
///
/// Accounts. An institution — an identity of the IdentityRegistry of class Institutional — opens
/// one margin account, keyed by its identity (an ONCHAINID address); every verified, unfrozen
/// wallet of that identity may operate it. Governance sets its credit line (an increase through
/// GOVERNOR's timelock, `setCreditLine`; a decrease by the GUARDIAN at once, `reduceCreditLimit`).
///
/// Collateral. Any listed ERC-20 with an OracleRouter price: stablecoins, fund shares, lifecycle
/// instruments, vault shares. The broker holds the tokens (it is a registered wallet of the
/// platform's own identity), so collateral stays a compliant holding: depositing and withdrawing
/// are token transfers that pass the token's compliance engine, and a withdrawal goes only to a
/// verified wallet of the account's identity. Caps per asset and per account, on every credit but a
/// liquidation's unsold remainder and income (a borrowed leg kept in the account too, SEC-158).
///
/// Funding. One ILendingPool per borrowable asset; the broker borrows and repays for accounts.
///
/// Health. adjustedCollateral = sum of balance x price x (1 - haircut); adjustedDebt = sum of
/// debt x price x (1 + haircut of the borrowed asset); ratio = adjustedCollateral / adjustedDebt.
/// Every batch of actions (`execute`) is checked once, after its last action (EVC-style deferred
/// check): a batch with a Withdraw or a Borrow must leave the ratio at or above the tier's initial
/// margin; a batch with swaps (and no Withdraw or Borrow) must leave it at or above initial margin,
/// or strictly higher than before with no more debt (a risk-reducing batch: what an account under
/// a margin call may always do; a swap that leaves the ratio where it was reduces nothing, SEC-156),
/// each swap judged on its own: the ratio just after it against just before it (SEC-164), what
/// the swap bought counted at no more than the oracle value of what it sold (SEC-167: a delivery
/// above it, by the account's own RFQ maker say, is a deposit in disguise and raises nothing, so
/// a liquidatable account cannot rotate its collateral out from under a liquidation that names
/// it; the surplus is still credited to the account). A rotation at the oracle price into an
/// asset of a lower haircut does raise the ratio and passes: it is de-risking, and a liquidator
/// names the asset the account holds then.
/// Initial margin (new debt, withdrawals) does not count matured notes' claims (see "Income").
/// Every swap of an account fetches at least the oracle value of what it sells less
/// MAX_LIQUIDATION_SLIPPAGE_BPS (`SwapOutputBelowOracle`, SEC-151), and a security it buys (or
/// borrows into the account) must be one the executing wallet could receive: its compliance
/// engine's check of an issue to that wallet (`AssetNotEligible`, SEC-152; the account's identity
/// is the economic holder). So a hedged position opens in one transaction. A batch of deposits
/// and repayments only is not checked: a deposit only adds collateral and a repayment retires debt
/// at par. Warning: below (1 - hc) / (1 + hd) — hc the repaid asset's haircut as collateral, hd as
/// a debt — repaying from the account's own balance lowers the ratio (the collateral it spends
/// weighs less than the debt it retires only above that line) while it still lowers what lenders
/// are owed; the margin keeper and liquidators see the lower ratio at once.
///
/// Margin. Below maintenance anyone may issue a margin call (`marginCall`): the account has the
/// tier's grace period to top up or reduce. It is liquidatable below the liquidation ratio, or
/// below maintenance once the grace period of its open call has passed. A call clears when the
/// ratio is back at maintenance (`clearMarginCall`, or any batch of the account). A call counts
/// only for the breach it was issued for (SEC-24): it lapses unless it is seen below maintenance
/// again within its heartbeat, `min(gracePeriod, MARGIN_CALL_HEARTBEAT)` (one day) after it was
/// issued or last seen — `marginCall` on an open call below maintenance confirms it
/// (`MarginCallConfirmed`), as does a liquidation that leaves it open — so a call the account
/// recovered from (nobody can confirm it while the account is above maintenance) lapses, and the
/// next breach needs a call, with a grace period, of its own. Liquidation after the grace period
/// therefore needs a confirmation after the call. Warning: a recovery shorter than the heartbeat
/// between two confirmations is not seen here; the margin keeper clears every call of an account
/// it finds back at maintenance (each block).
///
/// Liquidation, by verified liquidators only (role LIQUIDATOR): repay up to the close factor of
/// one debt, receive collateral worth the repaid value plus the bonus at oracle prices — taken
/// (the liquidator must be allowed to hold it: the token's compliance decides) or sold through
/// the aggregator, oracle-bounded, with the liquidator keeping the proceeds above the debt. The
/// bonus shrinks so that a liquidation does not lower the account's ratio (Euler's dynamic
/// discount) while the ratio allows it. When the account has no collateral left — or what is left
/// is worth less, at oracle prices with the bonus, than one unit of the debt being repaid (dust no
/// liquidation can take: its repayment rounds to 0), and at most `MAX_DUST_USD` (one USD, whatever
/// that debt's unit) — its remaining debt is bad debt: each pool's
/// reserves absorb it first, then its lenders (recorded); the dust stays the account's (SEC-23). A
/// liquidation whose collateral is such dust repays and seizes nothing and writes the debt off.
/// Never while the account holds a balance without a usable price (SEC-162: `WriteOffUnpriced` for
/// a liquidation that would repay nothing); it is decided on what the account holds after a sale
/// (its unsold remainder counts, SEC-163), and on what a liquidation can seize only: matured notes'
/// claims do not count (SEC-191: nothing seizes them, and no price of theirs, one print, decides
/// a write-off); a write-off beside one assigns the debts to it (see "Assigned debt").
///
/// Assigned debt (SEC-190, SEC-231, SEC-234). A write-off while the account keeps a claim on a
/// matured note's redemption: each pool takes the debt out of its interest-bearing book (the
/// interest on it stops), and the broker records it as the account's assigned debt of that asset
/// (`assignedDebtOf`, `DebtAssigned`), counted as debt in health and margin at the asset's price,
/// without interest. The pools carry at face in their `totalAssets` at most the claims' haircut
/// value (what the margin check counts them at; `carriedDebtOf`, taken by each debt asset in turn)
/// and realise the rest at once, reserves first (ILendingPool "Assigned debt"). The claim stays the
/// account's and its redemption is credited to it as cash, as before. Assigned debt is due in full
/// whatever the ratio: a liquidation naming its asset recovers it first, up to all of it (a
/// larger `repay` is cut to it), with the tier's (dynamic) bonus — 0 below a ratio of 100%, so a
/// sale of the seizure recovers what it fetched, short of the repayment by at most
/// MAX_RECOVERY_SHORTFALL_BPS (1%; the account bears it, nothing goes to the liquidator;
/// `previewLiquidation`'s `repaid` is then an upper bound) — the account is liquidatable while it owes some and holds more than
/// `MAX_DUST_USD` seizable, or is owed income not yet settled (`AccountHealth.liquidatable`,
/// SEC-197, SEC-234) — and a Repay of that asset pays it before the pool's debt (SEC-193); either
/// way the pool books the carried part back first, one for one, and the rest as restored loss (a
/// step up for its lenders of at most what they lost at the write-off; the reserves' loss goes
/// back to the reserves). While any is owed the account may neither withdraw nor borrow
/// (`DebtAssignedOutstanding`). A liquidation that leaves at most `MAX_DUST_USD` seizable beside
/// assigned debt (whatever that is in units of the debt) re-marks: when the pools carry more
/// than the claims' haircut value covers, by more than 5% and `MAX_DUST_USD` (a claim's part
/// without a usable price counting 0), and no balance is without a usable price (SEC-162), the
/// account is liquidatable and the excess is dropped (realised then); a carry is never marked up. Once the account has no claim left, what is left is dropped and the debt
/// forgotten (SEC-199: nothing will pay it; one wei kept it for good), and the pools' debt of a
/// liquidatable account beside it is written off. `setPool` takes only a pool of this broker
/// and of the asset itself (`PoolOfAnotherAsset`, round 9 I2), and refuses while any debt of the asset
/// is assigned (`PoolOwed`, SEC-195: its recovery is that pool's).
/// Warning: the carry follows the note's oracle price: one low print re-marks it down (realised
/// then, restored by the recovery), as any collateral is valued. A depositor before a recovery
/// shares in the part beyond the claims' haircut value at the write-off, never in the carry; a
/// lender who leaves before a re-mark escapes the value the claims lost since the last one.
///
/// Income (SEC-20..22). A posted token's income is paid to its holder, the broker: a note's
/// coupons and redemption by its BondServicer, an income share class's dividend into the broker's
/// balance. Governance binds each such asset to its income (`setIncome`, before any of it is
/// posted), and the broker passes it on to each account, exactly its share, O(1) per account:
/// the account keeps the source's indices at its last settlement (a note's coupon and redemption
/// indices, the share class's income index) and is credited `balance x (index - its index)` —
/// what the source pays a holder of its balance, rounded down — in the payment asset, as
/// collateral (a note's coupons in cash, income shares in more shares). Settling happens first
/// whenever the account's balance of the asset moves (deposit, withdrawal, swap, liquidation) and
/// whenever anyone calls `claimIncome`; a note's servicer is made to pay the broker then (or was
/// made to by anyone: it pays the holder only). Not settled, income is not counted (health,
/// previews). A note at maturity: its redemption (face value or call price, pro rata while
/// underfunded, and each later top-up) is paid the same way as cash collateral, and the notes
/// leave the account's balance (`CollateralMatured`; they can no longer move, `BalancesFixed`,
/// and stay on its books as its claim on a top-up): the account withdraws the cash, or a
/// liquidator seizes it (a liquidation settles every income-bearing asset of the account first).
/// Until the redemption is complete the claim is collateral no liquidation can seize (SEC-160,
/// SEC-161): valued by the servicer's terms in two parts (SEC-198), at the payment asset's price
/// (0 without a usable one): the funded part, `retired x (index - paid) / SCALE` (the servicer's
/// redemption index above the one paid to the account: cash it holds); and the unfunded part,
/// `retired x (pricePerShare - max(index, paid)) / SCALE`, at most the same part of the notes'
/// value at the note's oracle price, and 0 while the note has no usable price — stale, out of its
/// bounds, non-positive or failing its cross-check alike (the market's doubt counts and silence
/// is no promise of the issuer's; a claim is still never a holding without a price, so it blocks
/// no write-off: SEC-192), with the note's haircut, in
/// health, margin calls and liquidations — not in initial margin (`execute`'s borrows and
/// withdrawals, `maxBorrow`, `topUp`). A write-off leaves it to the account and assigns the debts
/// to it (see "Assigned debt"): its later redemption pays them back to the pools.
/// Warning: what is credited never exceeds what the broker holds of the payment asset beyond the
/// accounts' balances (rounding dust of the source's own settlements may leave the last claimant
/// a unit short); an income-bearing asset is never borrowable (a pool would receive its income:
/// `setPool` refuses it); an asset left unbound keeps the red team's loss (its income stays with
/// the broker, credited to no account): binding is governance's duty when it lists one. Not
/// checked: a source that reverts (a servicer or a payment asset that refuses to pay) blocks
/// every movement of its asset and the liquidation of every account holding it — sources are
/// governance's to bind, and a note's servicer is the lifecycle domain's own contract.
///
/// Halts are the RiskEngine's (`riskEngine`), the protocol's one switch for vaults and the book
/// alike: its `halt(broker)` halts the whole book, its `halt(account)` one account (by identity);
/// GUARDIAN halts, GOVERNOR resumes, there. A halted account takes no borrow, withdrawal or swap
/// that does not strictly raise its ratio (with no more debt: an account without debt swaps
/// nothing, SEC-151); deposits, repayments, margin calls and liquidations go on.
/// Warning: the engine's subjects share one address space (portfolios, this broker, identities):
/// an identity equal to this broker's address is refused an account (`ReservedAccount`); one equal
/// to a configured portfolio would share that portfolio's halts (identities are ONCHAINID
/// contracts, registered by the OPERATOR: not checked here).
/// Liquidation runs in a module (IPrimeLiquidation) the broker calls by DELEGATECALL on its own
/// storage; the module's `previewLiquidation` view is served at the broker's address too.
/// @dev Role mapping (deploy script): `setTier`, `setCollateral`, `setPool`, `setCreditLine`,
/// `setIncome` -> GOVERNOR (timelocked); `reduceCreditLimit` -> GUARDIAN; `liquidate` ->
/// LIQUIDATOR. `openAccount`, `execute`, `marginCall`, `clearMarginCall`, `claimIncome` are the
/// public's (each checks its caller).
/// Warning: prices are the OracleRouter's, read live: a held asset without a usable price (a
/// stale or deviating feed) counts 0 as collateral (SEC-153: one unit of it cannot block a margin
/// call or a liquidation; a liquidation naming it reverts `CollateralUnpriced`); an owed asset
/// without one reverts every health check of the account (`PriceUnavailable`) until the feed is
/// back. A liquidation's sale runs through the aggregator without a commitment, so it must stay
/// below the aggregator's large-order threshold of the collateral (`CommitmentRequired`
/// otherwise): a larger repayment is split over several liquidations (the margin keeper sizes
/// each, SEC-150).
/// Not checked: the per-identity limits of a collateral token's compliance see the broker's
/// identity as the holder while the collateral is posted — every account's withdrawals, sales and
/// liquidations of the asset share one identity's daily and monthly flow, lock-up and balance
/// limits, so one account can use them up and block the others' (and liquidations) until the
/// window passes: list only collateral whose engine sets no flow or lock-up limit on the broker's
/// identity (the red team's finding 3; an omnibus exemption in the compliance engine is open).
interface IPrimeBroker is IPrimeBrokerErrors, IPrimeLiquidation {
    // ---------------------------------------------------------------- construction
    /// @notice Writes the broker's storage once, from its GovernedProxy's constructor (the broker
    /// runs behind one: issue 34): its AccessManager `authority` and tier 0, the product plan's
    /// standard terms (150% / 125% / 110%, half a debt per liquidation, 5% bonus, a day's grace;
    /// `TierSet(0, ...)`). Reverts `InitializeOutsideConstruction(account)` on any account with
    /// code (a deployed proxy: no re-initialization, no front-running; the implementation, which
    /// keeps no authority and answers no restricted call) and `AccessManagedInvalidAuthority` for
    /// an authority with no code.
    /// @dev NOT checked: that the proxy's constructor calls it (a proxy without it has no
    /// authority, and every restricted function reverts: deploy another).
    function initialize(address authority) external;

    // ---------------------------------------------------------------- governance
    function setTier(uint8 tier, MarginTier calldata terms) external;
    function setCollateral(address asset, CollateralConfig calldata config) external;
    /// @notice Makes `asset` borrowable from `pool` (whose broker must be this contract and whose
    /// asset must be `asset`: `PoolOfAnotherAsset`, round 9 I2). Lists it.
    /// Refuses an income-bearing asset (`InvalidCollateral(asset, IncomeBearing)`, SEC-28) and
    /// any change while the listed pool is owed anything (`PoolOwed`, SEC-155: the accounts'
    /// debts are that pool's), assigned debt included (SEC-195: its recovery is that pool's).
    function setPool(address asset, ILendingPool pool) external;
    /// @notice GOVERNOR (timelocked): the account's whole credit line (its pools are touched at the
    /// old spread first).
    function setCreditLine(address account, CreditLine calldata line) external;
    /// @notice GUARDIAN: lowers the account's limit at once (never raises it).
    function reduceCreditLimit(address account, uint96 limitUsd) external;

    // ---------------------------------------------------------------- accounts
    /// @notice Opens the margin account of the caller's identity (verified, Institutional).
    /// @return account The identity.
    function openAccount() external returns (address account);
    /// @notice Runs `actions` on `account` in order, then checks its margin once (see "Health").
    /// The caller must be a verified, unfrozen wallet of the account's identity.
    /// @return ratioBps The account's ratio after the batch; 0 for a batch of deposits and
    /// repayments only with no margin call open (not checked, so not computed: see "Health").
    function execute(address account, Action[] calldata actions) external returns (uint256 ratioBps);

    // ---------------------------------------------------------------- margin
    /// @notice Anyone: opens a margin call on an account below maintenance, or confirms its open
    /// call (see "Margin": it stays live for another heartbeat). `NotBelowMaintenance` otherwise.
    /// @return deadline When the (open) call allows liquidation.
    function marginCall(address account) external returns (uint256 deadline);
    /// @notice Anyone: closes the open call of an account back at or above maintenance.
    function clearMarginCall(address account) external;

    // ---------------------------------------------------------------- views
    // The listing, terms and margin views (`assets`, `poolOf`, `collateralOf`, `tierOf`,
    // `creditLineOf`, `haircutBps`, `health`, `topUp`, `maxBorrow`, `previewLiquidation`,
    // `incomeOf`, `incomeOwed`) are IPrimeViews, served at this address by the views module.
    /// @notice Collateral of `asset` posted by all accounts together, token units (the cap's measure;
    /// a matured note's units retired from the accounts' collateral still count, see "Income").
    function totalCollateral(address asset) external view returns (uint256);
    /// @notice The account's balance of `asset` held by the broker (posted, bought or borrowed).
    function balanceOf(address account, address asset) external view returns (uint256);
    /// @notice The account's assigned debt of `asset`, token units (see "Assigned debt"): written
    /// off beside a matured note's claim, owed to the asset's pool without interest. Its debt to
    /// the pool is the pool's `debtOf`; `health` counts both.
    function assignedDebtOf(address account, address asset) external view returns (uint256);
    /// @notice The part of `assignedDebtOf` the asset's pool still carries at face in its
    /// `totalAssets` (at most the claims' haircut value when last marked; the rest was realised,
    /// SEC-234). The pool's `assignedDebt` is the sum of these over the accounts (PRM-55).
    function carriedDebtOf(address account, address asset) external view returns (uint256);
    function registry() external view returns (IIdentityRegistry);
    function oracle() external view returns (IOracleRouter);
    function aggregator() external view returns (ILiquidityAggregator);
    /// @notice The RiskEngine whose halts bind the book (`isHalted(broker)`) and each account.
    function riskEngine() external view returns (IRiskEngine);
    /// @notice Whether the RiskEngine halts the whole book.
    function bookHalted() external view returns (bool);
    function isOpen(address account) external view returns (bool);
    /// @notice Whether the account is halted: the whole book, or the account itself, at the RiskEngine.
    function isHalted(address account) external view returns (bool);
    function liquidationCount(address account) external view returns (uint32);
}
