// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IOracleRouter, PriceStatus} from "./IOracleRouter.sol";
import {ISettlementAssets} from "./ISettlementAssets.sol";
import {ITermsValidator} from "./ITermsValidator.sol";
import {IFundNavSource} from "./IFundVault.sol";

/// @notice How a period's days become a fraction of a year; each is the QuantLib day counter
/// named beside it, and `DayCount.dayCount` equals that counter's `dayCount` for every pair of
/// dates (tests/contracts/lifecycle/test_day_count.py).
enum DayCountConvention {
    // ACT/360: actual days / 360. QuantLib `Actual360()`.
    Actual360,
    // ACT/365 (Fixed): actual days / 365, leap years included. QuantLib `Actual365Fixed()`.
    Actual365Fixed,
    // 30/360 ISDA Bond Basis (ISDA 2006 Definitions §4.16(f), "30/360, 360/360, Bond Basis"):
    // D1 = 31 -> 30; D2 = 31 and D1 (after that) = 30 -> D2 = 30; days = 360 ΔY + 30 ΔM + ΔD.
    // QuantLib `Thirty360(Thirty360::BondBasis)`.
    Thirty360BondBasis
}

/// @notice How a date that falls on a weekend moves to a business day (QuantLib's
/// `BusinessDayConvention` of the same names, over QuantLib's `WeekendsOnly()` calendar).
enum BusinessDayConvention {
    // Kept as it is, weekend or not.
    Unadjusted,
    // The next business day (Saturday, Sunday -> Monday).
    Following,
    // The next business day, unless it is in the next month: then the previous one.
    ModifiedFollowing,
    // The previous business day (Saturday, Sunday -> Friday).
    Preceding
}

/// @notice What an instrument is; it decides which coupon, maturity and call terms are valid.
enum InstrumentKind {
    /// A money-market fund share class: no coupon (income is paid as new shares), no call; may
    /// have no maturity (open-ended); any face value (0: none).
    MoneyMarketFund,
    /// A treasury bill: zero coupon, a maturity, a face value.
    TreasuryBill,
    /// A fixed-coupon note or bond: a fixed rate, 1, 2, 4 or 12 coupons a year, a maturity.
    FixedCouponNote,
    /// A floating-rate note: an index id and a spread over it, 1, 2, 4 or 12 coupons a year.
    FloatingRateNote
}

// Day counts and business-day rolls: the `DayCount` library's conventions (one vocabulary for the
// registry's terms and the maths that computes with them; 30/360 is the ISDA Bond Basis).

/// @notice Where an instrument is in its life. `None`: no such instrument.
enum InstrumentStatus {
    None,
    Registered,
    Active,
    Suspended,
    Matured,
    Closed
}

/// @notice Coupon terms (the bounds named below are `ITermsValidator`'s constants: 10,000 bps,
/// 5,000 bps, 30 days, par and twice par). A fixed coupon sets `fixedRateBps` (index 0, spread 0); a floating one
/// sets `floatingIndex` (not 0) and `spreadBps` (rate 0); a bill or a fund share sets neither and
/// `frequency` 0.
struct CouponTerms {
    /// Annual rate, basis points of face value: 1 to `MAX_COUPON_BPS` for a fixed-coupon note.
    uint16 fixedRateBps;
    /// The rate index a floating coupon follows (an id the keepers map to a published rate, e.g.
    /// 1 = SOFR in keepers/lifecycle); 0 for none. The registry checks only that it is not 0.
    uint16 floatingIndex;
    /// Spread over the index, basis points, within +-`MAX_SPREAD_BPS` (floating-rate notes only).
    int16 spreadBps;
    /// Coupons a year: 0 (none), 1, 2, 4 or 12.
    uint8 frequency;
    DayCountConvention dayCount;
    BusinessDayConvention roll;
    /// Days before a payment date that its holders of record are fixed: at most
    /// `MAX_RECORD_DATE_OFFSET_DAYS`, below 28 for monthly coupons, 0 without coupons.
    uint16 recordDateOffsetDays;
}

/// @notice Issuer call (early redemption) terms.
struct CallTerms {
    bool callable;
    /// From this date on the issuer (or an operator with `CALL`) may call; after the issue date
    /// and before maturity. 0 when not callable.
    uint40 firstCallDate;
    /// Redemption price when called, basis points of face value: `MIN_CALL_PRICE_BPS` (par) to
    /// `MAX_CALL_PRICE_BPS`. 0 when not callable.
    uint16 callPriceBps;
}

/// @notice An instrument's terms, as registered. Dates are UTC midnights (unix seconds divisible
/// by 86,400).
struct InstrumentTerms {
    InstrumentKind kind;
    /// ISO 6166: two letters (the country), nine letters or digits, a check digit (letters count
    /// A = 10 .. Z = 35, then the Luhn mod-10 check). One instrument per ISIN.
    bytes12 isin;
    /// Optional (0: none): eight letters, digits, asterisks, at signs or
    /// hashes, then the CUSIP check digit. With a US or
    /// CA ISIN it must be the ISIN's characters 3 to 11.
    bytes9 cusip;
    /// ISO 4217 alphabetic code, three upper-case letters (e.g. "USD"). Only the form is checked.
    bytes3 currency;
    /// The instrument's share token: a SecurityToken (answers `identityRegistry()` with a non-zero
    /// address). One instrument per token.
    address shareToken;
    /// Accepted settlement assets: 1 to `MAX_SETTLEMENT_ASSETS`, distinct, each listed in
    /// `settlementAssets()` at registration.
    address[] settlementAssets;
    /// Redemption value of one whole share (10**decimals base units) in `currency`, 18 decimals;
    /// not 0 except for a money-market share class.
    uint256 faceValue;
    CouponTerms coupon;
    uint40 issueDate;
    /// After `issueDate` and in the future at registration; 0 (no maturity) for a money-market
    /// share class only.
    uint40 maturityDate;
    CallTerms call;
}

/// @notice An instrument's life and controls, besides its terms.
struct InstrumentState {
    address issuer;
    InstrumentStatus status;
    /// The GUARDIAN suspended it: only GOVERNOR resumes it (kept after maturity as a record).
    bool guardianHold;
    /// The instrument's fund contract (may strike NAV); address(0) until the issuer sets it.
    address fund;
    /// When the issuer called it (0: not called); a called instrument is `Matured` at the call price.
    uint40 calledAt;
    uint16 maxNavMoveBps;
    uint32 maxNavAge;
    /// Timestamp of the latest NAV strike (0: none).
    uint40 lastStrikeAt;
}

/// @notice The named operations an issuer delegates to an operator (`setOperator`), one bit each.
library InstrumentOperations {
    /// Registered -> Active, and Suspended -> Active unless the GUARDIAN suspended it.
    uint16 internal constant ACTIVATE = 1 << 0;
    /// Active -> Suspended.
    uint16 internal constant SUSPEND = 1 << 1;
    /// `strikeNav`.
    uint16 internal constant STRIKE = 1 << 2;
    /// Declaring income on the instrument's fund (checked by the fund through `canAct`).
    uint16 internal constant DECLARE = 1 << 3;
    /// Funding its coupon and redemption pools (checked by the fund through `canAct`).
    uint16 internal constant FUND = 1 << 4;
    /// `exerciseCall`: Active -> Matured early, at the call price.
    uint16 internal constant CALL = 1 << 5;
    uint16 internal constant ALL = (1 << 6) - 1;
}

/// @title IInstrumentRegistry
/// @notice The product plan's TreasuryRegistry: one record per instrument (a money-market fund
/// share class, a T-bill, a fixed-coupon note or bond, a floating-rate note) with its validated
/// identifiers and terms, the issuers GOVERNOR approves, each issuer's delegation of named
/// operations to operators with an expiry, the status machine, and the instrument's NAV
/// checkpoints, readable at any past block.
/// @dev Who may do what (role mapping in keepers/access/protocol.py):
/// - GOVERNOR (timelocked): `setIssuer`, `setNavBounds`, `resume` (Suspended -> Active, whoever
///   suspended).
/// - GUARDIAN: `guardianSuspend` (Active -> Suspended, or an issuer's suspension made a hold that
///   only GOVERNOR lifts).
/// - An approved issuer: `register` (it becomes the instrument's issuer), and on its instruments
///   `amendTerms` (while Registered), `setFund`, `close` (Matured -> Closed), `setOperator` (its
///   delegations), and every delegable operation.
/// - An operator of the issuer, for the operations delegated to it and before their expiry:
///   `activate` (ACTIVATE), `suspend` (SUSPEND), `strikeNav` (STRIKE), `exerciseCall` (CALL).
/// - The instrument's fund contract: `strikeNav`.
/// - Anyone: `mature` (Active or Suspended -> Matured at or after the maturity date).
/// An issuer's powers, and those it gave (its operators, its fund's strikes), last while GOVERNOR
/// keeps it approved. Every status move emits `StatusChanged(id, previous, next, by)`; a move the
/// machine does not allow reverts `IllegalStatusMove(id, from, to)`. Terms are immutable once the
/// instrument leaves `Registered`: the one path that changes them is `amendTerms`, the issuer's,
/// while Registered, logged with the previous and new terms. After activation only the NAV bounds
/// (GOVERNOR, within protocol bounds) and the fund address (the issuer) change, each logged.
/// Warning (non-goals): the registry holds no funds and moves no tokens. Dates are checked for
/// order only: there is no holiday calendar (business-day rolls move weekends only, in the fund's
/// schedule code) and no coupon schedule is stored. The ISO 4217 code and the floating index id
/// are checked for form, not against a list. The issuer must be an agent of the share token it
/// registers (or amends to), with any capability (SEC-130: `NotTokenAgent`; the token's agents are
/// its GOVERNOR's choice, so an approved issuer cannot register another issuer's token and take its
/// BondServicer, strikes or calls); not checked: which capabilities it holds, nor that a share
/// token's compliance engine is set. A
/// NAV strike trusts the router's price of the share token (the router validates its feed) within
/// the instrument's move and age bounds; the first strike has no previous NAV to bound its move.
/// A GOVERNOR call executed through the AccessManager after its delay shows the manager as `by`.
interface IInstrumentRegistry is IFundNavSource {
    // ------------------------------------------------------------ errors

    error UnknownInstrument(uint256 id);
    /// @notice `issuer` is not (or no longer) approved by GOVERNOR.
    error IssuerNotApproved(address issuer);
    /// @notice `issuer` is not an agent of `shareToken` (SEC-130): only an issuer the token's
    /// governance named its agent registers it.
    error NotTokenAgent(address shareToken, address issuer);
    /// @notice Only the instrument's issuer may do this (not its operators).
    error NotIssuer(uint256 id, address caller, address issuer);
    /// @notice `operator` may not perform `operation` on `id`: never delegated, revoked (`expiry`
    /// 0) or expired (`expiry` at or before now).
    error OperationNotDelegated(uint256 id, address operator, uint16 operation, uint40 expiry);
    error IllegalStatusMove(uint256 id, InstrumentStatus from, InstrumentStatus to);
    /// @notice `amendTerms` on an instrument no longer Registered: its terms are fixed.
    error TermsLocked(uint256 id, InstrumentStatus status);
    /// @notice The GUARDIAN suspended `id`: only GOVERNOR's `resume` lifts it.
    error GuardianHold(uint256 id);
    /// @notice `mature` before the maturity date (0: the instrument has none).
    error MaturityNotReached(uint256 id, uint40 maturityDate);
    /// @notice Not callable, or before its first call date.
    error CallNotAllowed(uint256 id, bool callable, uint40 firstCallDate);
    error InvalidIsin(bytes12 isin);
    error InvalidCusip(bytes9 cusip);
    /// @notice A US or CA ISIN whose characters 3 to 11 are not the CUSIP given.
    error CusipIsinMismatch(bytes12 isin, bytes9 cusip);
    error InvalidCurrency(bytes3 currency);
    error IsinTaken(bytes12 isin, uint256 id);
    error ShareTokenTaken(address shareToken, uint256 id);
    /// @notice No code, or no answer (or address(0)) from `identityRegistry()`.
    error NotASecurityToken(address shareToken);
    error SettlementAssetNotListed(address asset);
    error DuplicateSettlementAsset(address asset);
    error TooManySettlementAssets(uint256 count, uint256 max);
    /// @notice A term breaks its rule (see `InstrumentTerms`): `field` names it, `value` is what was
    /// given (a signed spread as its two's complement).
    error InvalidTerms(string field, uint256 value);
    /// @notice Operation bits outside `InstrumentOperations.ALL`.
    error UnknownOperations(uint16 operations);
    /// @notice A delegation's expiry in the past, or beyond now + `MAX_DELEGATION_PERIOD`.
    error InvalidExpiry(uint40 expiry, uint40 maxExpiry);
    error InstrumentNotActive(uint256 id, InstrumentStatus status);
    error NavUnavailable(uint256 id, address shareToken, PriceStatus status);
    /// @notice The router's answer is older than the instrument's `maxNavAge`.
    error StaleNav(uint256 id, uint256 updatedAt, uint32 maxNavAge);
    /// @notice `|next - previous| / previous` above `maxBps`.
    error NavMoveTooLarge(uint256 id, uint256 previous, uint256 next, uint16 maxBps);
    error NavBoundsOutOfRange(uint256 id, uint16 maxNavMoveBps, uint32 maxNavAge);
    error FutureBlock(uint256 blockNumber, uint256 currentBlock);

    // ------------------------------------------------------------ events

    event IssuerSet(address indexed issuer, bool previous, bool next);
    event OperatorSet(
        address indexed issuer,
        address indexed operator,
        uint16 previousOperations,
        uint16 nextOperations,
        uint40 previousExpiry,
        uint40 nextExpiry
    );
    event InstrumentRegistered(uint256 indexed id, address indexed issuer, InstrumentTerms terms);
    event TermsAmended(uint256 indexed id, InstrumentTerms previous, InstrumentTerms next);
    event StatusChanged(uint256 indexed id, InstrumentStatus previous, InstrumentStatus next, address indexed by);
    event GuardianHoldSet(uint256 indexed id, bool previous, bool next, address indexed by);
    event Called(uint256 indexed id, uint16 callPriceBps, address indexed by);
    event FundSet(uint256 indexed id, address previous, address next);
    event NavBoundsSet(
        uint256 indexed id, uint16 previousMaxMoveBps, uint16 nextMaxMoveBps, uint32 previousMaxAge, uint32 nextMaxAge
    );
    /// @notice A NAV checkpoint at this block (`previous` 0 for the first); `updatedAt` is the
    /// router answer's timestamp.
    event NavStruck(uint256 indexed id, uint256 previous, uint256 next, uint256 updatedAt, address indexed by);

    // ------------------------------------------------------------ GOVERNOR, GUARDIAN

    /// @notice Approves or revokes an issuer. Revoking stops its registrations and every power it
    /// holds or gave over its instruments (they stay as they are; GUARDIAN and GOVERNOR still act).
    function setIssuer(address issuer, bool approved) external;

    /// @notice Sets the largest NAV move per strike (1 to `MAX_NAV_MOVE_BPS`) and the oldest router
    /// answer a strike accepts (`MIN_NAV_AGE` to `MAX_NAV_AGE` seconds) of `id`. New instruments
    /// start at `DEFAULT_MAX_NAV_MOVE_BPS` and `DEFAULT_MAX_NAV_AGE`.
    function setNavBounds(uint256 id, uint16 maxNavMoveBps, uint32 maxNavAge) external;

    /// @notice Suspended -> Active, whoever suspended it; clears the GUARDIAN's hold.
    function resume(uint256 id) external;

    /// @notice Active -> Suspended at once, held until GOVERNOR resumes it; on an instrument its
    /// issuer suspended, makes the suspension a hold (`GuardianHoldSet`, no status change).
    function guardianSuspend(uint256 id) external;

    // ------------------------------------------------------------ issuers and operators

    /// @notice Registers an instrument with `msg.sender` (an approved issuer) as its issuer, in
    /// status Registered. Every term is checked by `validator()` (see `InstrumentTerms`; its errors
    /// are this interface's), the caller must be an agent of the share token (`NotTokenAgent`,
    /// SEC-130), then the ISIN and the share token must be free (`IsinTaken`, `ShareTokenTaken`).
    /// @return id The new instrument's id (1, 2, ...).
    function register(InstrumentTerms calldata terms) external returns (uint256 id);

    /// @notice Replaces the terms of a Registered instrument (its issuer only), validated as at
    /// registration; the ISIN and the share token may change (freeing the old ones).
    function amendTerms(uint256 id, InstrumentTerms calldata terms) external;

    /// @notice Delegates `operations` (`InstrumentOperations` bits; 0 revokes) over every
    /// instrument of `msg.sender` (an approved issuer) to `operator`, until `expiry` (exclusive;
    /// after now, at most `MAX_DELEGATION_PERIOD` ahead; 0 when revoking). Replaces what was given.
    /// @dev Revoking needs no approval (an issuer GOVERNOR revoked can still revoke its operators:
    /// re-approving an issuer revives its unexpired delegations).
    function setOperator(address operator, uint16 operations, uint40 expiry) external;

    /// @notice Sets the instrument's fund contract (its issuer only; address(0) removes it): it may
    /// strike NAV. Any status.
    function setFund(uint256 id, address fund) external;

    /// @notice Registered -> Active, or Suspended -> Active unless held by the GUARDIAN.
    function activate(uint256 id) external;

    /// @notice Active -> Suspended.
    function suspend(uint256 id) external;

    /// @notice Active -> Matured before maturity, at the call price: needs `call.callable` and now
    /// at or after `call.firstCallDate`. Records `calledAt`. No notice period is enforced.
    function exerciseCall(uint256 id) external;

    /// @notice Active or Suspended -> Matured, by anyone, at or after the maturity date.
    function mature(uint256 id) external;

    /// @notice Matured -> Closed (the issuer only).
    function close(uint256 id) external;

    // `strikeNav(id)` (IFundNavSource, the fund's NAV source): records the router's price of the
    // share token as the NAV of `id` at this block and returns it (18 decimals, the router's quote
    // currency per whole share). Callers: the instrument's fund (`setFund`), its issuer, or an
    // operator with STRIKE. Needs status Active, a usable router price (`NavUnavailable`) no older
    // than `maxNavAge` (`StaleNav`), and a move from the latest checkpoint of at most
    // `maxNavMoveBps` (`NavMoveTooLarge`; the bound is inclusive). A second strike in one block
    // replaces that block's checkpoint. `isDealing(id)` (IFundNavSource): status Active (one read).

    // ------------------------------------------------------------ views

    function instrumentCount() external view returns (uint256);
    function termsOf(uint256 id) external view returns (InstrumentTerms memory);
    function stateOf(uint256 id) external view returns (InstrumentState memory);
    function statusOf(uint256 id) external view returns (InstrumentStatus);
    /// @notice The instrument registered with `isin` (0: none).
    function idOfIsin(bytes12 isin) external view returns (uint256);
    /// @notice The instrument whose share token is `shareToken` (0: none).
    function idOfShareToken(address shareToken) external view returns (uint256);
    function isIssuer(address issuer) external view returns (bool);
    function delegationOf(address issuer, address operator) external view returns (uint16 operations, uint40 expiry);

    /// @notice Whether `account` may perform `operation` on `id` now: its approved issuer, or an
    /// operator of it with that operation unexpired. The fund checks DECLARE and FUND with it.
    /// @dev Does not say whether the instrument's status allows the operation.
    function canAct(uint256 id, address account, uint16 operation) external view returns (bool);

    /// @notice The latest NAV of `id` with the block and the timestamp it was struck at (all 0 when
    /// never struck).
    function latestNav(uint256 id) external view returns (uint256 nav, uint256 blockNumber, uint256 timestamp);

    /// @notice The NAV in force at `blockNumber`: that of the latest strike at or before it (0 when
    /// none). Reverts `FutureBlock` beyond the current block; at the current block a later strike in
    /// the same block may still replace it.
    function navAt(uint256 id, uint256 blockNumber) external view returns (uint256);

    function navCheckpointCount(uint256 id) external view returns (uint256);

    function oracle() external view returns (IOracleRouter);
    /// @notice The terms' rules (fixed at construction).
    function validator() external view returns (ITermsValidator);
    /// @notice The validator's settlement assets (fixed at construction).
    function settlementAssets() external view returns (ISettlementAssets);
}
