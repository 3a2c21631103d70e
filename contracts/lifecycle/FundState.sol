// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {InvestorWord} from "../types/InvestorWord.sol";
import {FeeKind, IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {BPS} from "../libraries/Constants.sol";
import {DealingMath} from "./DealingMath.sol";
import {InstrumentRules} from "./InstrumentRules.sol";
import {
    AccrualWord,
    Claim,
    ClaimLibrary,
    Dealing,
    FeeLedger,
    InstantWord,
    InstantWordLibrary,
    Late,
    Position,
    StrikeWord
} from "../types/FundWords.sol";

/// @title FundState
/// @notice The FundVault's storage, immutables and the helpers its modules (FundInstant: instant
/// liquidity, cancellations, claims; FundAdmin: governance, the issuer's cash, fee collection)
/// share with it. The vault and each module inherit it alone at the root, so a module, run by
/// `delegatecall` from the vault, sees the vault's storage at the same slots.
/// @dev Warning: any storage added to FundVault or to one of its other bases lands after these
/// slots; the modules declare none of their own. Errors and events are IFundVault's.
abstract contract FundState {
    /// @notice Largest pending amount per controller and per period total (storage width).
    uint256 internal constant MAX_AMOUNT = type(uint96).max;
    /// @notice Largest claimable amount per controller (storage width).
    uint256 internal constant MAX_CLAIM = type(uint128).max;
    /// @notice Largest cut-off (the Dealing word's 40 bits: the year 36812). A strike whose next
    /// cut-off would pass it, or that would open period `MAX_PERIOD`, sets this cut-off instead:
    /// that period is never struck and its requests stay cancellable (nothing wraps, nothing
    /// freezes).
    uint256 internal constant MAX_CUTOFF = type(uint40).max;
    /// @notice Largest period number the Dealing word holds (24 bits).
    uint256 internal constant MAX_PERIOD = type(uint24).max;
    /// @notice The most decimals the asset and the share may have (InstrumentRules'): amounts are
    /// 96 bits, 7.9e10 units at 18 decimals (7.9e-8 at 36: SEC-39).
    uint8 internal constant MAX_DECIMALS = InstrumentRules.MAX_ASSET_DECIMALS;
    /// @dev The instant module's layout id: bump it when this layout changes.
    bytes32 internal constant INSTANT_LAYOUT_ID = keccak256("quantera.lifecycle.FundInstant.1");
    /// @dev The governance module's (FundAdmin) layout id: bump it when this layout changes.
    bytes32 internal constant ADMIN_LAYOUT_ID = keccak256("quantera.lifecycle.FundAdmin.1");
    /// @dev Bounds of the dealing interval (the vault's MIN_ and MAX_DEALING_INTERVAL).
    uint256 internal constant MIN_INTERVAL = 1 hours;
    uint256 internal constant MAX_INTERVAL = 366 days;

    ISecurityToken internal immutable SHARE;
    IERC20 internal immutable ASSET;
    IFundNavSource internal immutable NAV_SOURCE;
    uint256 internal immutable INSTRUMENT_ID;
    /// @dev 10**asset decimals.
    uint256 internal immutable ASSET_UNIT;
    /// @dev 10**share decimals * 1e18 (a NAV is 18-decimal per whole share).
    uint256 internal immutable SHARE_SCALE;
    IFeeSchedule internal immutable FEES;

    Dealing internal _dealing;
    Late internal _late;
    uint256 internal _reserved;
    address internal _custodian;
    mapping(address controller => Position) internal _positions;
    mapping(address controller => Claim) internal _depositClaims;
    mapping(address controller => Claim) internal _redeemClaims;
    mapping(address controller => mapping(address operator => bool)) internal _operators;
    /// @dev Per struck period: its NAV, and the redemption queue after its strike (period 0: the start).
    mapping(uint256 period => StrikeWord) internal _strikes;
    mapping(uint256 period => AccrualWord) internal _accruals;
    /// @dev Final A of each closed era-and-scale, keyed `era << 32 | scale`.
    mapping(uint256 eraScale => uint256) internal _closedA;
    /// @dev The fees held for the recipient and the management fee's clock.
    FeeLedger internal _feeLedger;
    /// @dev The open period's instant liquidity used.
    InstantWord internal _instant;
    /// @dev Instant subscriptions, and separately instant redemptions, per period (assets, gross).
    uint256 internal _instantLimit;
    /// @dev Deposit shares struck and not yet claimed (this vault's): with the supply and the fee
    /// shares owed, what the share token must still be able to mint (`_mintRoom`).
    uint256 internal _unclaimedShares;
    /// @dev Each controller's subscriptions here, requested (less cancelled) and instant, valued in
    /// the instrument's currency at par (18 decimals): what makes a subscription initial (SEC-132).
    mapping(address controller => uint256) internal _subscribed;
    /// @dev The share's income index at the last strike (an IncomeShareToken's; 0 for a share
    /// without one): instant dealing prices the last NAV for the income declared since (SEC-121).
    uint256 internal _strikeIncomeIndex;

    /// @dev The id of the FundInstant module built for this layout and these immutables (its
    /// `moduleId`, which the vault's constructor compares): a module of another fund's share,
    /// asset, NAV source, instrument or fee schedule is refused.
    function _instantId() internal view returns (bytes32) {
        return keccak256(abi.encode(INSTANT_LAYOUT_ID, SHARE, ASSET, NAV_SOURCE, INSTRUMENT_ID, FEES));
    }

    /// @dev The id of the FundAdmin module built for this layout and these immutables (as
    /// `_instantId`).
    function _adminId() internal view returns (bytes32) {
        return keccak256(abi.encode(ADMIN_LAYOUT_ID, SHARE, ASSET, NAV_SOURCE, INSTRUMENT_ID, FEES));
    }

    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_
    ) {
        if (
            address(share_) == address(0) || address(asset_) == address(0) || address(navSource_) == address(0)
                || address(fees_) == address(0)
        ) revert IFundVault.ZeroAddress();
        uint8 assetDecimals = IERC20Metadata(address(asset_)).decimals();
        uint8 shareDecimals = share_.decimals();
        if (assetDecimals > MAX_DECIMALS) revert IFundVault.UnsupportedDecimals(address(asset_), assetDecimals);
        if (shareDecimals > MAX_DECIMALS) revert IFundVault.UnsupportedDecimals(address(share_), shareDecimals);
        SHARE = share_;
        ASSET = asset_;
        NAV_SOURCE = navSource_;
        INSTRUMENT_ID = instrumentId_;
        ASSET_UNIT = 10 ** assetDecimals;
        SHARE_SCALE = 10 ** shareDecimals * DealingMath.NAV_UNIT;
        FEES = fees_;
    }

    // ================================================================ internal

    /// @dev Shares the token can still mint beyond what this vault has promised: its supply cap
    /// (`MAX_AMOUNT`, the token's `MAX_SUPPLY`) less the supply, the fee shares owed (`owed`) and
    /// the struck deposit shares not claimed. What the vault promises (a strike's deposit shares,
    /// an instant subscription, a management fee) fits it, so every promise can be minted.
    function _mintRoom(uint256 supply, uint256 owed) internal view returns (uint256) {
        uint256 used = supply + owed + _unclaimedShares;
        return used < MAX_AMOUNT ? MAX_AMOUNT - used : 0;
    }

    /// @dev Reverts `PairNotCompliant` unless the share token would let `from` transfer shares to
    /// `to` now (`detectTransferRestriction(from, to, 0)`: the token's pause and wallet freezes,
    /// and the engine's identity rules: verification, freezes, jurisdictions, the route between
    /// them, investor class, flowback window, lock-ups). The party who gives the shares, or the
    /// money for them, against the one who ends up with them, when they differ: an escrow or a
    /// claim is never a hop around a rule a transfer between them would meet (SEC-32, SEC-33).
    function _requirePair(address from, address to) internal view {
        if (from == to) return;
        uint8 code = SHARE.detectTransferRestriction(from, to, 0);
        if (code != 0) revert IFundVault.PairNotCompliant(from, to, code);
    }

    /// @dev The vault's balance less pending deposits, reserved cash and fee cash held.
    function _freeCash() internal view returns (uint256) {
        uint256 held = _dealing.deposits() + _late.deposits() + _reserved + _feeLedger.assets();
        uint256 balance = ASSET.balanceOf(address(this));
        return balance > held ? balance - held : 0;
    }

    /// @dev Adds to the fees held for the recipient (shares owed, assets held).
    function _addFees(uint256 shares, uint256 assets) internal {
        FeeLedger ledger = _feeLedger;
        _feeLedger = ledger.setAmounts(_bounded(ledger.shares() + shares), _bounded(ledger.assets() + assets));
    }

    /// @dev The fee of `kind` on `amount` for `investor`: 0 without asking when the cached terms
    /// have no dealing fee and no tier; else the schedule's `charge` (the protocol's, immutable:
    /// it records the identity's volume and returns the fee, at most `amount`).
    function _charge(FeeKind kind, address investor, uint256 amount, uint256 utilisationBps)
        internal
        returns (uint256)
    {
        if (!_feeLedger.charges()) return 0;
        return FEES.charge(kind, investor, amount, utilisationBps);
    }

    /// @dev The open period and the NAV instant dealing deals at, while it is open: the instrument
    /// deals, a NAV was struck and the open period's cut-off has not passed (between a cut-off and
    /// its strike the last NAV is about to change: no instant dealing). The NAV is the last struck
    /// one for the income an IncomeShareToken declared since (SEC-121): a declaration adds shares,
    /// not assets, so a share is worth `nav x indexAtStrike / indexNow` (rounded up when the vault
    /// sells, `up`, down when it buys: never in the dealer's favour).
    function _instantWindow(bool up) internal view returns (uint256 period, uint256 nav18) {
        _requireDealing();
        Dealing dealing_ = _dealing;
        period = dealing_.period();
        if (block.timestamp >= dealing_.cutoff()) revert IFundVault.CutoffPassed(period, dealing_.cutoff());
        nav18 = _strikes[period - 1].nav();
        if (nav18 == 0) revert IFundVault.NoStruckNav();
        uint256 atStrike = _strikeIncomeIndex;
        if (atStrike != 0) {
            (uint256 index,) = _incomeIndex();
            // The index never decreases; the NAV stays within 96 bits (index >= atStrike).
            if (index > atStrike) {
                nav18 = Math.mulDiv(nav18, atStrike, index, up ? Math.Rounding.Ceil : Math.Rounding.Floor);
            }
        }
    }

    /// @dev The share's income index and declaration count (IIncomeShareToken.incomeIndex), 0 and
    /// 0 for a share without one (a plain SecurityToken answers the selector with a revert).
    function _incomeIndex() internal view returns (uint256 index, uint256 declarations) {
        (bool ok, bytes memory data) = address(SHARE).staticcall(abi.encodeCall(IIncomeShareToken.incomeIndex, ()));
        if (ok && data.length >= 64) (index, declarations) = abi.decode(data, (uint256, uint256));
    }

    /// @dev Reverts `AssetDepegged` unless the NAV source takes this vault's asset at par now
    /// (SEC-120): every deposit path asks (request, instant subscription; the strike refuses).
    function _requireAtPar() internal view {
        (bool atPar, uint256 price18, uint256 deviationBps) = NAV_SOURCE.assetAtPar(INSTRUMENT_ID, address(ASSET));
        if (!atPar) revert IFundVault.AssetDepegged(address(ASSET), price18, deviationBps);
    }

    /// @dev Reverts unless `controller` may claim or cancel now and `receiver` may be paid (SEC-123,
    /// the freeze rule of ISecurityToken): the controller verified in the share's registry (not
    /// under a sanctions freeze: `ControllerNotVerified` / `WalletFrozen`) and not frozen on the
    /// share token, the receiver frozen by neither. A payout waits, claimable, until resolved.
    /// @dev Whether `controller` may claim now (what `_requireClaimant` checks of the controller):
    /// the ERC-7540 maximums are 0 when it may not, since its claim would revert.
    function _mayClaim(address controller) internal view returns (bool) {
        (InvestorWord word,) = IIdentityRegistry(SHARE.identityRegistry()).investorWords(controller, controller);
        return word.verified() && !word.frozen() && !SHARE.isFrozen(controller);
    }

    function _requireClaimant(address controller, address receiver) internal view {
        IIdentityRegistry registry = IIdentityRegistry(SHARE.identityRegistry());
        (InvestorWord word,) = registry.investorWords(controller, controller);
        if (word.frozen() || SHARE.isFrozen(controller)) revert IFundVault.WalletFrozen(controller);
        if (!word.verified()) revert IFundVault.ControllerNotVerified(controller);
        if (receiver != controller && (registry.isFrozen(receiver) || SHARE.isFrozen(receiver))) {
            revert IFundVault.WalletFrozen(receiver);
        }
    }

    /// @dev The instant liquidity used in `period` (an older period's word reads as unused).
    function _instantUsed(uint256 period) internal view returns (InstantWord used) {
        used = _instant;
        if (used.period() != period) used = InstantWordLibrary.pack(period, 0, 0);
    }

    /// @dev `used + assets`, refused above the per-period limit.
    function _withinInstantLimit(uint256 used, uint256 assets) internal view returns (uint256 total) {
        uint256 limit = _instantLimit;
        total = used + assets;
        if (total > limit) revert IFundVault.InstantLimitExceeded(assets, limit > used ? limit - used : 0);
    }

    /// @dev The mean share of the period's instant redemption limit used over a redemption that
    /// takes the period's redemptions from `before` to `after` (rounded up: the urgency premium
    /// never favours the investor). The premium is linear in utilisation, so charged on the mean it
    /// is the integral over the redemption: split in pieces it costs what it costs whole (SEC-127).
    /// The limit is > 0: checked before.
    function _utilisationBps(uint256 before, uint256 after_) internal view returns (uint256) {
        return Math.mulDiv(before + after_, BPS, 2 * _instantLimit, Math.Rounding.Ceil);
    }

    /// @dev Refuses a subscription of `assets` for `controller` below its jurisdiction's minimum and
    /// returns the controller's subscriptions here after it (the caller stores them). Minimums
    /// are in the instrument's currency, 18 decimals (SEC-126): `assets` count at par (the vault
    /// takes its asset at par: SEC-120). A subscription is initial while the controller's
    /// subscriptions here, this one excluded, are below the initial minimum (SEC-132: whatever
    /// shares it holds); it must bring them to it. A later one meets the subsequent minimum.
    /// `cancellable` (assets of a request the controller can still cancel) is left out of what the
    /// test counts (SEC-136: an instant subscription leans on no request that can be cancelled).
    function _checkMinimum(address controller, uint256 assets, uint256 cancellable)
        internal
        view
        returns (uint256 subscribed)
    {
        (uint256 minInitial, uint256 minSubsequent, bool verified) =
            IComplianceEngine(SHARE.compliance()).subscriptionTerms(controller);
        if (!verified) revert IFundVault.ControllerNotVerified(controller);
        uint256 value = _value18(assets);
        uint256 before = _subscribed[controller];
        subscribed = before + value;
        // Never below 0: a cancellation takes its whole request back (`_unsubscribe`, floored).
        uint256 firm = before > _value18(cancellable) ? before - _value18(cancellable) : 0;
        bool initial = firm < minInitial;
        if (initial ? firm + value < minInitial : value < minSubsequent) {
            revert IFundVault.BelowMinimumInvestment(
                controller, initial ? firm + value : value, initial ? minInitial : minSubsequent, initial
            );
        }
    }

    /// @dev The assets of the controller's deposit request it can still cancel: pending (its
    /// period not struck) or refused at its strike; 0 once struck (claimable, no longer its own).
    function _cancellableDeposit(address controller) internal view returns (uint256 assets) {
        Position position = _positions[controller];
        assets = position.depositAssets();
        StrikeWord struck = _strikes[position.depositPeriod()];
        if (struck.nav() != 0 && !struck.depositsRefused()) return 0;
    }

    /// @dev `assets` of this vault's asset valued at par in the instrument's currency, 18 decimals
    /// (exact: the asset has at most 18 decimals).
    function _value18(uint256 assets) internal view returns (uint256) {
        return assets * (DealingMath.NAV_UNIT / ASSET_UNIT);
    }

    /// @dev The controller's subscriptions less `assets` cancelled (never below 0).
    function _unsubscribe(address controller, uint256 assets) internal {
        uint256 value = _value18(assets);
        uint256 before = _subscribed[controller];
        _subscribed[controller] = before > value ? before - value : 0;
    }

    /// @dev The controller's redemption request seen after strike `lastStruck` (O(1)): what was
    /// served since it entered (shares, and assets rounded down) and the position with what is
    /// still pending re-entered in the open period (`lastStruck + 1`).
    function _settleRedeem(address controller, uint256 lastStruck)
        internal
        view
        returns (Position position, bool settled, uint256 servedShares, uint256 servedAssets)
    {
        position = _positions[controller];
        uint256 shares = position.redeemShares();
        uint256 entryPeriod = position.redeemPeriod();
        if (shares == 0 || entryPeriod > lastStruck) return (position, false, 0, 0);
        DealingMath.Queue memory entry = _queueAt(entryPeriod - 1);
        DealingMath.Queue memory current = _queueAt(lastStruck);
        uint256 distance = DealingMath.distance(entry, current);
        uint256 closedAt;
        uint256 closedAfter;
        if (distance != 0) {
            uint256 key = _eraScale(entry.era, entry.scale);
            closedAt = _closedA[key];
            if (distance == 2) closedAfter = _closedA[key + 1];
        }
        (uint256 remaining, uint256 navShares) = DealingMath.progress(shares, entry, current, closedAt, closedAfter);
        // No underflow: remaining <= shares (C only decreases within a scale; see DealingMath).
        servedShares = shares - remaining;
        servedAssets = DealingMath.assetsFor(navShares, ASSET_UNIT, SHARE_SCALE, Math.Rounding.Floor);
        // Served in full: the period stays (the slot is never zeroed). Else what is pending is in
        // the open period's queue and re-enters it: its entry state is the last strike's.
        position = position.setRedeem(remaining, remaining == 0 ? entryPeriod : lastStruck + 1);
        settled = true;
    }

    /// @dev The controller's position and claimable deposit with a struck pending deposit moved
    /// into the claim (not stored).
    function _settledDepositClaim(address controller)
        internal
        view
        returns (Position position, Claim claim, bool settled)
    {
        position = _positions[controller];
        claim = _depositClaims[controller];
        uint256 pending = position.depositAssets();
        if (pending == 0) return (position, claim, false);
        StrikeWord struck = _strikes[position.depositPeriod()];
        uint256 nav18 = struck.nav();
        if (nav18 == 0 || struck.depositsRefused()) return (position, claim, false);
        claim = _addClaim(claim, pending, DealingMath.sharesFor(pending, nav18, ASSET_UNIT, SHARE_SCALE));
        // The period stays: the slot is never zeroed, so a later request rewrites it (no new slot).
        return (position.setDeposit(0, position.depositPeriod()), claim, true);
    }

    /// @dev The controller's position and claimable redemption with the served part of its
    /// pending redemption moved into the claim (not stored).
    function _settledRedeemClaim(address controller)
        internal
        view
        returns (Position position, Claim claim, bool settled)
    {
        uint256 servedShares;
        uint256 servedAssets;
        (position, settled, servedShares, servedAssets) = _settleRedeem(controller, _dealing.period() - 1);
        claim = _redeemClaims[controller];
        if (settled) claim = _addClaim(claim, servedAssets, servedShares);
    }

    /// @dev The redemption queue after strike `period` (period 0: before any strike).
    function _queueAt(uint256 period) internal view returns (DealingMath.Queue memory) {
        (StrikeWord s, AccrualWord w) = (_strikes[period], _accruals[period]);
        return DealingMath.Queue(s.c(), w.a(), s.era(), w.scale());
    }

    /// @dev A request is cancellable before its period's cut-off; after it only once the instrument
    /// is wound up (matured, closed: no strike can come). A suspension is not enough (SEC-134): the
    /// period's NAV may be known by then, and a suspension lifted strikes it.
    function _requireCancellable(bool late, Dealing dealing_) internal view {
        // A late request's period (the next) has not reached its cut-off: the strike sets it.
        if (late || block.timestamp < dealing_.cutoff()) return;
        if (!NAV_SOURCE.isWoundUp(INSTRUMENT_ID)) revert IFundVault.CutoffPassed(dealing_.period(), dealing_.cutoff());
    }

    function _requireControllerOrOperator(address controller) internal view {
        if (msg.sender != controller && !_operators[controller][msg.sender]) {
            revert IFundVault.NotControllerOrOperator(msg.sender, controller);
        }
    }

    function _addClaim(Claim claim, uint256 assets, uint256 shares) internal pure returns (Claim) {
        uint256 totalAssets_ = claim.assets() + assets;
        uint256 totalShares = claim.shares() + shares;
        if (totalAssets_ > MAX_CLAIM) revert IFundVault.AmountTooLarge(totalAssets_, MAX_CLAIM);
        if (totalShares > MAX_CLAIM) revert IFundVault.AmountTooLarge(totalShares, MAX_CLAIM);
        return ClaimLibrary.pack(totalAssets_, totalShares);
    }

    function _eraScale(uint256 era, uint256 scale) internal pure returns (uint256) {
        return (era << 32) | scale;
    }

    function _requireDealing() internal view {
        if (!NAV_SOURCE.isDealing(INSTRUMENT_ID)) revert IFundVault.NotDealing(INSTRUMENT_ID);
    }

    function _requireOwnerOrOperator(address owner) internal view {
        if (msg.sender != owner && !_operators[owner][msg.sender]) {
            revert IFundVault.NotOwnerOrOperator(msg.sender, owner);
        }
    }

    function _bounded(uint256 total) internal pure returns (uint256) {
        if (total > MAX_AMOUNT) revert IFundVault.AmountTooLarge(total, MAX_AMOUNT);
        return total;
    }

    function _checkGate(uint256 bps) internal pure {
        if (bps == 0 || bps > BPS) revert IFundVault.GateOutOfRange(bps, BPS);
    }

    function _checkInterval(uint256 interval) internal pure {
        if (interval < MIN_INTERVAL || interval > MAX_INTERVAL) {
            revert IFundVault.IntervalOutOfRange(interval, MIN_INTERVAL, MAX_INTERVAL);
        }
    }
}
