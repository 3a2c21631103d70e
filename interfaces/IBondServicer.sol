// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BalanceChange} from "./ISecurityToken.sol";
import {IInstrumentRegistry} from "./IInstrumentRegistry.sol";
import {PriceStatus} from "./IOracleRouter.sol";

/// @notice The OracleRouter key under which rate index `index` (an instrument's `floatingIndex`,
/// e.g. 1 = SOFR in keepers/lifecycle/instruments.py, whose `rate_index_key` is its twin) is
/// published: the low 160 bits of `keccak256(abi.encodePacked("quantera.rate-index", uint16
/// index))`, a key no token has. Its feed answers the index as an annual fraction in its own
/// decimals (5.30% is 0.0530; the router normalises it to 18 decimals).
/// @dev A free function, not a servicer entry point: one more selector would cost every
/// transfer's hook call a dispatch step.
function rateIndexKey(uint16 index) pure returns (address) {
    return address(uint160(uint256(keccak256(abi.encodePacked("quantera.rate-index", index)))));
}

/// @title IBondServicer
/// @notice The servicer of a fixed-coupon note's, a floating-rate note's or a bill's share token
/// (`BondShareToken`, a SecurityToken that calls it first in every balance change): coupons in its
/// payment asset on the InstrumentRegistry's schedule (DayCount.sol) to the holders of record, and
/// redemption at maturity (or at an issuer call the terms allow) at face value (the call price) plus
/// the last coupon, from pools the issuer funds; an underfunded coupon or redemption pays pro rata,
/// records the shortfall and emits `Defaulted`. Every cost is O(1) in the number of holders.
/// @dev Coupons. A coupon index `C` (payment-asset base units per whole share, 18 extra decimals)
/// starts at 0; recording coupon `n` raises it by the coupon per whole share, `couponAmount(face,
/// rate, dayCount, start_n, end_n)` converted at par into the payment asset (`couponPerShare`).
/// Floating-rate notes. A floating coupon's rate is the index in force at its record date (payment
/// date less `recordDateOffsetDays`), whoever records it and whenever: the recorder names the
/// round (`recordFloatingCoupon(n, fixingRound)`) of the index's primary feed — the feed the
/// OracleRouter holds under `rateIndexKey(floatingIndex)` (`feedOf(key).primary`) — and the
/// servicer proves it in O(1) (at most four reads of the feed): the round was published at or
/// before the record date (`NotFixingRound(id, round, updatedAt, recordDate)` otherwise, updatedAt
/// 0 for no such round), and the round after it was published after the record date, or there is
/// none and the round is the latest (`FixingRoundSuperseded(id, round, next, nextUpdatedAt,
/// recordDate)` otherwise). Round ids are Chainlink proxy ids (`phaseId << 64 | aggregatorRound`):
/// the round after `r` is `r + 1` in its phase; when there is none and `r` is not the latest, it
/// is the next phase's first round (`(phaseId + 1) << 64 | 1`, an aggregator upgrade). The index
/// is `answer` normalised to 18 decimals (an annual fraction: 0.0530e18 is 5.30%), within the
/// router's bounds (`FixingUnavailable(id, index, OutOfBounds)`), and the rate `max(0, max(0,
/// index) + spread)` with the terms' `spreadBps` (1e14 in WAD each): a negative index is floored
/// at 0 (a zero floor on the index, then on the rate when the spread is negative), and the rate
/// is capped at 150% a year (see Bounds; `CouponFixed` records the rate used). Fallback: when
/// the round in force at the record date is older than the feed's heartbeat AT the record date
/// (or there is none), the coupon is fixed at the first round published after the record date
/// (as ISDA's fallbacks take the first publication after the fixing date): the recorder names
/// that round, and the servicer checks in O(1) that it was published after the record date and
/// that its predecessor (`round - 1` in its phase) was published at or before it and was stale
/// then, or that it is phase 1's (or a phase-0 feed's) first round; otherwise
/// `NotFixingRound(id, round, updatedAt, recordDate)`. `FixingFallback(id, n, round, updatedAt)`
/// marks such a fixing. Naming the stale round in force fixes at the round after it (the same
/// fallback, found as in the superseded check, across a proxy phase too), or reverts
/// `StaleFixing(id, updatedAt, heartbeat)` when no round was published since: the coupon waits. No feed (`FixingUnavailable(id, index, NoFeed)`) or a feed that answers
/// nothing (`FeedReverted`) refuses the recording too: the balances stay fixed meanwhile.
/// `CouponFixed` records each fixing with its round's publication time. A call between two payment dates fixes the last coupon's
/// rate at the call date the same way (`startRedemption(fixingRound)`). The coupon per share is
/// then `couponAmount(face, rate, dayCount, start, end)` as for a fixed coupon: QuantLib's
/// `IborCoupon` fixed in arrears at the record date at the same fixing, rounded down
/// (keepers/lifecycle/coupons.py `floating_coupon_per_unit`, docs/specs.md LCY-85..LCY-90; the
/// keeper finds the round, keepers/lifecycle/servicing.py `fixing_round`).
/// Each holder keeps the index at its last settlement and the coupons settled and not claimed;
/// settling (first in every balance change, both sides, and in `claimCoupons`) adds
/// `floor(balance * (C - C_holder) / SCALE)` to what it is owed. From coupon `n`'s record date
/// (payment date less `recordDateOffsetDays`) until it is recorded every balance change is refused
/// (`BalancesFixed`), so the holders at recording are the holders of record. Recording is open to
/// anyone from the payment date, to the issuer (or its DECLARE operator) from the record date.
/// Funding. The issuer (anyone) funds coupons (`fundCoupons`) and the redemption (`fundRedemption`)
/// in the payment asset; recording coupon `n` takes `ceil(supply * couponPerShare / SCALE)` from
/// the coupon reserve. When the reserve is short the index rises by what the reserve pays pro rata
/// (`floor(reserve * SCALE / supply)` per share), the shortfall is added to `couponShortfall()` and
/// `Defaulted(id, n, due, paid)` is emitted; the coupon is recorded all the same (transfers reopen).
/// Arrears (SEC-131): a shortfall is owed, not forgotten. The next recording takes it with its
/// own coupon from the reserve (`due` then includes it; topped up by `fundCoupons`) and pays it to
/// that coupon's holders of record (a bond in arrears trades flat: the claim goes with the
/// holding, as a special record date does), `ArrearsPaid`; what is still owed when redemption
/// starts joins the redemption price, and the coupon reserve left joins the redemption pool.
/// Once redemption started, what the pool holds beyond every share's full price is the issuer's:
/// `sweepExcess` (the issuer or its FUND operator) pays it, never what a holder can claim.
/// Calls (SEC-124): after the issuer's call, a coupon ending after the call date is refused
/// (`CouponAfterCall`): the one accrued over the call is in the call's redemption price.
/// Maturity. Once the registry has the instrument Matured (at maturity by anyone, or by the
/// issuer's call), `startRedemption` (anyone) fixes the price per whole share (face value, or the
/// call price plus the coupon accrued to the call date) and the supply, and stops every balance
/// change for good but an agent's forced transfer or recovery (SEC-125). A redemption index `R`
/// (per whole share, like `C`) is
/// `min(price, funded * SCALE / supply)`: a late top-up raises it and pays everyone the same
/// fraction; `redeem(holder)` pays `floor(balance * (R - R_holder) / SCALE)` plus the coupons owed.
/// While `R` is below the price the shortfall is `redemptionShortfall()`; `Defaulted(id, 0, due,
/// funded)` is emitted when redemption starts underfunded. Shares are not burnt: they stay the
/// record of each holder's claim on later top-ups.
/// Exactness: every per-holder amount rounds down and every pool debit rounds up, so what is paid
/// never exceeds what was funded (docs/specs.md LCY-65..LCY-68).
/// Bounds (SEC-30, SEC-31): the indexes are sized for the largest instrument the registry accepts,
/// so no recording, claim or transfer can overflow over an instrument's whole life: face value
/// at most `MAX_FACE_VALUE` (1e9 currency units a share), a fixed coupon at most 100% a year, a
/// floating coupon capped at 150% a year (the largest fixed coupon plus the largest spread: above
/// it the rate is the cap, as below 0 it is 0), a term of at most `MAX_TERM_DAYS` (100 years),
/// a call at most twice par (ITermsValidator), and a payment asset of at most 18 decimals (the
/// constructor refuses more: `UnsupportedDecimals`). Over such a life the coupon index stays below
/// face x 1.5 x 101.5 years (ACT/360 over 100 years and a roll) x 1e18 x 1e18 < 2^157, in a
/// 192-bit field; a holder's balance (below the token's 2^96 supply cap) times it stays below
/// 2^253, and so does its product with the redemption index (at most twice par plus a period's
/// coupon). tests/keepers/lifecycle/test_servicing_bounds.py checks this over the whole term space
/// (keepers/lifecycle/coupons.py `servicing_bounds`, the chain's rounding); the recording's
/// `SafeCast` to 192 bits is the backstop and never reverts for accepted terms. A holder's
/// account names the last coupon it was settled at (16 bits: at most `DayCount.MAX_COUPONS`),
/// and the index after each coupon is kept once (one word per coupon recorded), so the account
/// holds what it is owed in 240 bits.
/// Binding: the servicer is deployed first, naming at construction the token it serves (the
/// address the deployer's next deployment creates); the token's constructor checks that the
/// servicer names it (`BondShareToken.ServicerOfAnotherToken`). Nothing binds later, so nobody
/// can take the binding between the two deployments (SEC-38).
/// Warning (not checked): the token's `detectTransferRestriction` does not see the record-date
/// windows nor the redemption (the servicer refuses the change itself, `BalancesFixed`); the
/// payment asset is paid at par with the instrument's currency (its
/// peg is the SettlementAssets' business); a floating coupon's fixing is the primary feed's
/// round alone: the router's secondary feed (cross-check, fallback) is not consulted for a past
/// round, nor is `startedAt` or the deprecated `answeredInRound`; a phase of the proxy skipped
/// entirely (no round in phase p + 1) cannot be ordered and is refused; a fallback round that is
/// the first of a phase after the first is refused when named itself (its predecessor, the
/// previous phase's last round, cannot be found in O(1)): name the stale round in force; a forced
/// transfer or a recovery moves its part of what the holding is owed (coupons, and redemption once
/// started) with it, at any time (SEC-125); an agent's burn is refused once balances are fixed (a
/// burnt holding would leave its redemption unclaimable); the schedule is
/// generated without the end-of-month rule (`END_OF_MONTH` false, keepers/lifecycle/schedule.py's
/// default).
interface IBondServicer {
    /// @notice The token is not the share token of an instrument of `instrumentRegistry()`.
    error NoInstrument(address shareToken);
    /// @notice The payment asset has more than `maxDecimals` (18) decimals: the indexes are sized
    /// for 18 (see Bounds).
    error UnsupportedDecimals(address asset, uint8 decimals, uint8 maxDecimals);
    /// @notice Only the bound token calls the balance-change hook.
    error OnlyToken(address caller, address token);
    /// @notice Servicing was started already.
    error ServicingAlreadyStarted(uint256 instrumentId);
    /// @notice Coupons and redemption need `startServicing` first.
    error ServicingNotStarted(uint256 instrumentId);
    /// @notice The rate index in force at a floating coupon's fixing date was published at
    /// `updatedAt`, more than its feed's heartbeat `maxAge` (seconds) before that date: no fixing.
    error StaleFixing(uint256 instrumentId, uint256 updatedAt, uint256 maxAge);
    /// @notice Round `roundId` of the index's primary feed was not published at or before the
    /// fixing date `fixingDate` (`updatedAt`: its publication, 0 when there is no such round), nor
    /// is it the fallback (the first round after `fixingDate`, the one in force then stale).
    error NotFixingRound(uint256 instrumentId, uint80 roundId, uint256 updatedAt, uint256 fixingDate);
    /// @notice Round `roundId` was no longer the index at `fixingDate`: round `nextRoundId` was
    /// published at `nextUpdatedAt`, at or before it (0: a later round, the latest, that cannot be
    /// ordered, a proxy phase being skipped).
    error FixingRoundSuperseded(
        uint256 instrumentId, uint80 roundId, uint80 nextRoundId, uint256 nextUpdatedAt, uint256 fixingDate
    );
    /// @notice No usable fixing for rate index `floatingIndex` (`status`: `NoFeed` in the
    /// OracleRouter, `FeedReverted` its primary feed answers nothing, `OutOfBounds` the round's
    /// index is outside the router's bounds).
    error FixingUnavailable(uint256 instrumentId, uint16 floatingIndex, PriceStatus status);
    /// @notice The token's payment asset is not among the instrument's settlement assets.
    error PaymentAssetNotAccepted(uint256 instrumentId, address asset);
    /// @notice Balances are fixed from coupon `couponNumber`'s record date until it is recorded,
    /// and for good once redemption starts (`couponNumber` 0; `since` its start).
    error BalancesFixed(uint256 couponNumber, uint256 since);
    /// @notice Coupons are recorded in order: `number` is not the next one (`expected`).
    error UnexpectedCoupon(uint256 number, uint256 expected);
    /// @notice Coupon `number` cannot be recorded before `earliest` by `caller`.
    error CouponNotDue(uint256 number, uint256 earliest, address caller);
    /// @notice The instrument is not Matured in the registry.
    error NotMatured(uint256 instrumentId);
    /// @notice Redemption has started already.
    error RedemptionAlreadyStarted(uint256 instrumentId);
    /// @notice Redemption needs coupon `number` (paid on or before the redemption date) recorded.
    error CouponOutstanding(uint256 number);
    /// @notice Funding of 0.
    error ZeroAmount();
    /// @notice Coupon `number` ends at `end`, after the issuer's call at `calledAt` (SEC-124): it
    /// is not paid; its part up to the call is in the redemption price.
    error CouponAfterCall(uint256 number, uint256 end, uint256 calledAt);
    /// @notice `holder` is not verified in the token's registry (or is under its sanctions freeze)
    /// or is frozen on the token (SEC-125): what it is owed stays, claimable once resolved.
    error HolderNotPayable(address holder);
    /// @notice `caller` claimed for `holder`, a contract (an account with code, EIP-7702 accounts
    /// included): a contract claims for itself (SEC-159).
    error ClaimForAContract(address holder, address caller);
    /// @notice `caller` is neither the instrument's issuer nor its FUND operator.
    error NotIssuerOrFunder(uint256 instrumentId, address caller);
    /// @notice The redemption pool holds `funded`, no more than `due` (every share at its price):
    /// nothing is the issuer's.
    error NothingToSweep(uint256 funded, uint256 due);

    /// @notice Servicing of `instrumentId` started: `coupons` on the schedule, the first record
    /// date `firstRecordDate` (the maturity date when there are none).
    event ServicingStarted(uint256 indexed instrumentId, uint256 coupons, uint256 firstRecordDate);
    /// @notice Coupon `number` recorded on `supply` shares: due `couponPerShare` per whole share
    /// (scaled, see `SCALE`), the index moved by `indexIncrease` (less when underfunded, more when
    /// it also pays earlier coupons' arrears: `ArrearsPaid`); `paid` taken from the reserve; the
    /// next record date `nextRecordDate` (maturity after the last).
    event CouponRecorded(
        uint256 indexed number,
        uint256 supply,
        uint256 couponPerShare,
        uint256 indexIncrease,
        uint256 paid,
        uint256 nextRecordDate,
        address indexed by
    );
    /// @notice Floating coupon `number`'s rate fixed: the index (18 decimals, 0 when the answer
    /// was not positive: the floor), the terms' spread (bps), the annual rate used (WAD,
    /// `min(150%, max(0, index + spread))`) and when the index was published.
    event CouponFixed(
        uint256 indexed instrumentId,
        uint256 indexed number,
        uint256 index,
        int256 spreadBps,
        uint256 rateWad,
        uint256 indexUpdatedAt
    );
    /// @notice Floating coupon `number` (or the coupon accrued to a call) fixed by the fallback:
    /// the round in force at the fixing date was stale then (or there was none), so round
    /// `roundId`, the first published after that date (at `updatedAt`), fixes it (`CouponFixed`
    /// follows with that round's index).
    event FixingFallback(uint256 indexed instrumentId, uint256 indexed number, uint80 roundId, uint256 updatedAt);
    /// @notice Funds arrived: `amount` for coupons (`redemption` false) or the redemption.
    event Funded(bool indexed redemption, uint256 amount, address indexed by);
    /// @notice Redemption started at `pricePerShare` (scaled) on `supply` shares; `called` when by
    /// the issuer's call.
    event RedemptionStarted(uint256 indexed instrumentId, uint256 pricePerShare, uint256 supply, bool called);
    /// @notice The redemption index moved from `previous` to `next` (a top-up).
    event RedemptionIndexRaised(uint256 previous, uint256 next);
    /// @notice `couponNumber` (0: the redemption) was due `due` (a coupon's with the arrears of
    /// earlier ones, SEC-131) and only `paid` was there: a payment default of `due - paid`.
    event Defaulted(uint256 indexed instrumentId, uint256 indexed couponNumber, uint256 due, uint256 paid);
    /// @notice `holder` was paid `coupons` and `redemption` (payment-asset base units).
    event Paid(address indexed holder, uint256 coupons, uint256 redemption, address indexed by);
    /// @notice Coupon `number`'s recording paid `paid` of earlier coupons' shortfall to its holders
    /// of record; `remaining` is still owed (SEC-131).
    event ArrearsPaid(uint256 indexed number, uint256 paid, uint256 remaining);
    /// @notice At the redemption's start the coupons' shortfall (`arrears`, now in the price) and
    /// the coupon reserve left (`reserve`, now in the redemption pool) moved to the redemption.
    event CouponPoolMoved(uint256 arrears, uint256 reserve);
    /// @notice `amount`, the redemption pool beyond every share's full price, paid to the issuer.
    event ExcessSwept(address indexed issuer, uint256 amount, address indexed by);

    /// @notice Index denominator: 1e18 times one whole share (10**18 base units: the share token
    /// has 18 decimals).
    function SCALE() external view returns (uint256);
    /// @notice The schedule's end-of-month rule (false).
    function END_OF_MONTH() external view returns (bool);

    /// @notice The token's hook, first in every balance change of `amount` (only the bound token):
    /// refuses a transfer, mint or burn in a record-date window or after redemption started
    /// (`BalancesFixed`), and settles both wallets' coupons. An agent's forced transfer or
    /// recovery goes through at any time (SEC-125: a sanctioned holding can be seized, a lost one
    /// recovered, until the end), settling both wallets' coupons (and redemption, once started)
    /// and moving `amount / balance` of what `from` is owed to `to` (all of it for the whole
    /// balance; a recovery's `amount` is 2^256 - 1, the whole): the holding moves with its claims. In a record-date window the coming coupon
    /// follows the shares (the holder at the recording is paid).
    function beforeBalanceChange(BalanceChange kind, address from, address to, uint256 amount) external;

    /// @notice Starts coupon servicing (anyone, once, after registration): checks the terms (the
    /// payment asset accepted) and fixes the first record date. A floating index's feed is not
    /// read here: its fixings are checked at each recording. Until then no
    /// balance change is refused and no coupon accrues.
    function startServicing() external;

    /// @notice Funds the coupon reserve with `amount` of the payment asset from the caller.
    function fundCoupons(uint256 amount) external;

    /// @notice Funds the redemption pool with `amount` from the caller; after redemption started
    /// it raises the redemption index (a late top-up).
    function fundRedemption(uint256 amount) external;

    /// @notice Records coupon `number` (the next one) of a fixed-coupon note or a bill: from its
    /// payment date anyone, from its record date the issuer or its DECLARE operator. O(1). A
    /// floating coupon reverts `NotFixingRound(id, 0, 0, recordDate)`: it needs its round. After
    /// an issuer's call, a coupon ending after the call date reverts `CouponAfterCall` (SEC-124).
    /// The recording also pays earlier coupons' shortfall when the reserve can (`ArrearsPaid`).
    function recordCoupon(uint256 number) external;

    /// @notice Records floating coupon `number` (the next one; who and when as `recordCoupon`),
    /// its rate fixed at the index in force at its record date: round `fixingRound` of the
    /// index's primary feed, proven so, or when that round was stale at the record date the first
    /// round published after it (`FixingFallback`) (`CouponFixed`; `NotFixingRound`,
    /// `FixingRoundSuperseded`, `StaleFixing`, `FixingUnavailable`). O(1). On a fixed note the
    /// round is ignored.
    function recordFloatingCoupon(uint256 number, uint80 fixingRound) external;

    /// @notice Pays `holder` its coupons owed (anyone may call for a holder without code; a contract
    /// holder calls for itself, `ClaimForAContract`: a payment pushed to a contract that measures
    /// what it is paid by its balance, a NAV desk in its payment callback, would count as the
    /// caller's money, SEC-159). Only the holder is paid. O(1). Reverts `HolderNotPayable` while
    /// the holder is frozen or unverified (SEC-125): its coupons stay owed.
    function claimCoupons(address holder) external returns (uint256 paid);

    /// @notice Starts the redemption (anyone; the lifecycle keeper does it once the instrument is
    /// Matured, keepers/lifecycle/servicing.py) once the registry has the instrument Matured; the
    /// coupons' arrears join the price and the coupon reserve left the redemption pool (SEC-131);
    /// by a call, the next coupon must end after the call date (record the earlier ones first), and a
    /// floating note's coupon accrued to the call date is fixed at the index in force at the call
    /// date, round `fixingRound` of its feed (proven as in `recordFloatingCoupon`; ignored
    /// otherwise: pass 0; above 2**80 - 1 reverts `SafeCastOverflowedUintDowncast` on that path).
    function startRedemption(uint256 fixingRound) external;

    /// @notice Pays `holder` its redemption share so far and its coupons owed (who may call: as
    /// `claimCoupons`).
    /// Reverts `HolderNotPayable` while the holder is frozen or unverified (SEC-125).
    function redeem(address holder) external returns (uint256 coupons, uint256 redemption);

    /// @notice Pays the issuer what the redemption pool holds beyond every share's full price
    /// (`funded - ceil(supply x price / SCALE)`: overfunding, the coupon reserve left), once
    /// redemption started (SEC-131). The issuer or its FUND operator. Bounded by construction:
    /// what any holder can still claim (their unclaimed coupons and redemption, and the rounding
    /// dust of their floors) is never swept. `NothingToSweep` when nothing is beyond.
    /// @return excess Paid to the issuer.
    function sweepExcess() external returns (uint256 excess);

    // ------------------------------------------------------------ views
    /// @notice The coupon index, the last coupon recorded, the next record date (0: servicing not
    /// started) and whether redemption started.
    function servicing()
        external
        view
        returns (uint256 couponIndex, uint256 lastRecorded, uint256 nextRecordDate, bool redeeming);
    /// @notice Coupons owed to `holder` (settled and not), payment-asset base units.
    function couponsOwed(address holder) external view returns (uint256);
    /// @notice Redemption `holder` can be paid now.
    function redeemable(address holder) external view returns (uint256);
    /// @notice Unpaid reserve, total coupon shortfall.
    function couponPool() external view returns (uint256 reserve, uint256 shortfall);
    /// @notice Price per whole share (scaled), supply at start, funded, index, shortfall.
    function redemptionPool()
        external
        view
        returns (uint256 pricePerShare, uint256 supply, uint256 funded, uint256 index, uint256 shortfall);
    function paymentAsset() external view returns (IERC20);
    /// @notice The serviced share token, fixed at construction.
    function token() external view returns (IERC20);
    function instrumentRegistry() external view returns (IInstrumentRegistry);
}
