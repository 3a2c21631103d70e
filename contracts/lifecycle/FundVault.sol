// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ManagedInit} from "../access/ManagedInit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IFundNavSource, IFundVault} from "../../interfaces/IFundVault.sol";
import {IERC7540Deposit, IERC7540Operator, IERC7540Redeem, IERC7575} from "../../interfaces/erc7540/IERC7540.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {FeeKind, IFeeAccruer, IFeeSchedule} from "../../interfaces/IFeeSchedule.sol";
import {BPS} from "../libraries/Constants.sol";
import {DealingMath} from "./DealingMath.sol";
import {FundInstant} from "./FundInstant.sol";
import {FundState} from "./FundState.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {FeeMath} from "./FeeMath.sol";
import {
    AccrualWord,
    AccrualWordLibrary,
    Claim,
    Dealing,
    DealingLibrary,
    FeeLedger,
    InstantWord,
    Late,
    Position,
    StrikeWord,
    StrikeWordLibrary
} from "../types/FundWords.sol";

/// @title FundVault
/// @notice ERC-7540 subscriptions and redemptions at the next NAV over one SecurityToken share
/// class, with dealing periods, a redemption gate with pro-rata carry, and O(1) strikes and claims.
/// @dev Everything the vault knows is in the words below (FundWords): the open period, the late
/// requests and settings, the reserved cash, and per controller one position and two claims; per
/// struck period two words (its NAV and the queue after it); per closed era-and-scale one sum;
/// the fees held for the recipient and the period's instant liquidity used, one word each.
/// Split over EIP-170 by the one module pattern (Dispatch), each module on this storage
/// (FundState) after this vault's checks: instant dealing, cancellations and claims run in the
/// FundInstant module; governance, the issuer's cash movements and `collectFees` in the FundAdmin
/// module. Requests, strikes and fee accrual run here.
contract FundVault is FundState, IFundVault, ManagedInit, ReentrancyGuardTransient, Dispatch {
    using SafeERC20 for IERC20;

    /// @notice The instant liquidity module (FundInstant), deployed before the vault and passed in
    /// (checked: its `moduleId` names this layout and this vault's immutables).
    address internal immutable INSTANT;
    /// @notice The governance, cash and fee collection module (FundAdmin), deployed before the
    /// vault and passed in (checked as INSTANT).
    address internal immutable ADMIN;

    /// @notice Bounds of `dealingInterval`.
    uint256 public constant MIN_DEALING_INTERVAL = MIN_INTERVAL;
    uint256 public constant MAX_DEALING_INTERVAL = MAX_INTERVAL;

    /// @dev The implementation: immutables and modules only. The vault's storage (its authority,
    /// first cut-off, dealing interval, gate, fee clock, the start's strike word) is the proxy's,
    /// written once by the proxy's constructor calling `initialize` (ManagedInit).
    constructor(
        ISecurityToken share_,
        IERC20 asset_,
        IFundNavSource navSource_,
        uint256 instrumentId_,
        IFeeSchedule fees_,
        address instant_,
        address admin_
    ) FundState(share_, asset_, navSource_, instrumentId_, fees_) {
        // The module's code only: it runs on this vault's storage (Dispatch).
        _requireModule(instant_, _instantId());
        INSTANT = instant_;
        _requireModule(admin_, _adminId());
        ADMIN = admin_;
    }

    /// @inheritdoc IFundVault
    function modules() external view returns (address instant, address admin) {
        return (INSTANT, ADMIN);
    }

    /// @inheritdoc IFundVault
    /// @dev Unrestricted (there is no authority yet): the FundAdmin module runs it only on an account
    /// under construction, the proxy's constructor (ManagedInit).
    function initialize(address, uint256, uint32, uint16) external {
        _delegate(ADMIN);
    }

    // ================================================================ governance
    // Checked here (`restricted`: this vault's authority, this selector), then checked and stored
    // by the FundAdmin module on this vault's storage: governance's path, not a hot one.

    /// @inheritdoc IFundVault
    function setGate(uint16) external restricted {
        _delegate(ADMIN);
    }

    /// @inheritdoc IFundVault
    function setDealingInterval(uint32) external restricted {
        _delegate(ADMIN);
    }

    /// @inheritdoc IFundVault
    function setCustodian(address) external restricted {
        _delegate(ADMIN);
    }

    /// @inheritdoc IFundVault
    function setInstantLimit(uint96) external restricted {
        _delegate(ADMIN);
    }

    // ================================================================ NAV agent

    /// @inheritdoc IFundVault
    /// @dev The strike at the share's declaration count now (so it binds nothing). Its own
    /// selector's role is checked (SEC-186): GOVERNOR can keep the unbound form from NAV agents.
    function strike() external restricted nonReentrant returns (uint256 period, uint256 nav18) {
        (uint256 incomeIndex,) = _incomeIndex();
        return _strike(incomeIndex);
    }

    /// @inheritdoc IFundVault
    function strike(uint256 declarations) external restricted nonReentrant returns (uint256 period, uint256 nav18) {
        // The income index this NAV goes with (instant dealing prices what is declared since); its
        // declarations must be the ones the NAV agent read the supply with (SEC-183).
        (uint256 incomeIndex, uint256 declared) = _incomeIndex();
        if (declared != declarations) revert DeclarationsChanged(declarations, declared);
        return _strike(incomeIndex);
    }

    // ================================================================ issuer
    // The fund manager's cash movements run in the FundAdmin module (the size budget), after this
    // vault's access check; the module takes this vault's lock (FundAdmin: the same transient
    // slot), so the stub ends with its answer.

    /// @inheritdoc IFundVault
    function investCash(uint256) external restricted {
        _delegate(ADMIN);
    }

    /// @inheritdoc IFundVault
    function returnCash(uint256) external {
        _delegate(ADMIN);
    }

    // ================================================================ fees

    /// @inheritdoc IFeeAccruer
    function accrueFees() external nonReentrant {
        FeeLedger stored = _feeLedger;
        (FeeLedger ledger, uint256 feeShares,) = _accrued(stored);
        // The schedule is the protocol's (immutable); its view only.
        (uint256 managementBps, bool charges) = FEES.accrualTermsOf(address(this));
        // The clock moves to now:
        // - at a new rate, which applies from now (at the same rate it moves only with a fee or on
        //   an empty base, `_accrued`: a fee rounded to 0 leaves the time to the next accrual,
        //   SEC-133, whoever calls, SEC-188);
        // - at the desk's accrual before it strikes its vaults (the class's base then changes in
        //   several, none carries), below one share unit a strike forfeited (an emptied class's
        //   idle months are never charged to the next subscribers, round 11 M-1; at the supply cap
        //   the recipient's time too), but not within MIN_BILLED of the clock (SEC-233: nothing
        //   was minted, and anyone's accrual just before made every strike forfeit up to 10
        //   minutes of fee, round 10 M-1). No underflow: the clock is a past block's time.
        unchecked {
            if (
                managementBps != stored.managementBps()
                    || (msg.sender == address(NAV_SOURCE) && block.timestamp - stored.accruedAt() >= FeeMath.MIN_BILLED)
            ) ledger = ledger.setAccruedAt(block.timestamp);
        }
        _feeLedger = ledger.setTerms(managementBps, charges);
        if (feeShares != 0) emit ManagementFeeAccrued(feeShares, block.timestamp);
    }

    /// @inheritdoc IFundVault
    /// @dev Runs the FundAdmin module's code on this vault's storage (the size budget). The
    /// module takes this vault's lock itself (`nonReentrant` there: the same transient slot, in
    /// this vault's context), so the stub returns its two words as they come (`_delegate`).
    function collectFees() external returns (uint256, uint256) {
        _delegate(ADMIN);
    }

    // ================================================================ instant liquidity

    /// @inheritdoc IFundVault
    /// @dev Runs the FundInstant module's code on this vault's storage (the size budget).
    function instantDeposit(uint256, address) external nonReentrant returns (uint256 shares) {
        uint256 base = _accrueClass();
        shares = _runInstant();
        _carryClock(base);
    }

    /// @inheritdoc IFundVault
    /// @dev Runs the FundInstant module's code on this vault's storage (the size budget).
    function instantRedeem(uint256, address, address) external nonReentrant returns (uint256 assets) {
        uint256 base = _accrueClass();
        assets = _runInstant();
        _carryClock(base);
    }

    // ================================================================ operators

    /// @inheritdoc IERC7540Operator
    function setOperator(address operator, bool approved) external returns (bool) {
        if (operator == msg.sender) revert SelfOperator(msg.sender);
        _operators[msg.sender][operator] = approved;
        emit OperatorSet(msg.sender, operator, approved);
        return true;
    }

    // ================================================================ requests

    /// @inheritdoc IERC7540Deposit
    function requestDeposit(uint256 assets, address controller, address owner)
        external
        nonReentrant
        returns (uint256 requestId)
    {
        _requireOwnerOrOperator(owner);
        if (assets == 0) revert ZeroAmount();
        if (controller == address(0)) revert ZeroAddress();
        _requirePair(owner, controller);
        _requireDealing();
        _requireAtPar();
        Dealing dealing_ = _dealing;
        (uint256 target, bool late) = _requestPeriod(dealing_);
        Position position = _positions[controller];
        uint256 pending = position.depositAssets();
        Claim claim;
        bool settled;
        if (pending != 0 && position.depositPeriod() != target) {
            // An earlier period's request: struck (it becomes claimable), or still the pending one
            // (waiting for its strike, or refused at it and waiting for its refund).
            StrikeWord struck = _strikes[position.depositPeriod()];
            uint256 nav18 = struck.nav();
            if (nav18 == 0 || struck.depositsRefused()) {
                revert PendingInEarlierPeriod(controller, position.depositPeriod(), target);
            }
            claim = _addClaim(
                _depositClaims[controller], pending, DealingMath.sharesFor(pending, nav18, ASSET_UNIT, SHARE_SCALE)
            );
            (pending, settled) = (0, true);
        }
        // A request leans on the controller's pending one: cancelled, both go (one position).
        uint256 subscribed = _checkMinimum(controller, assets, 0);
        uint256 total = pending + assets;
        if (total > MAX_AMOUNT) revert AmountTooLarge(total, MAX_AMOUNT);

        _positions[controller] = position.setDeposit(total, target);
        _subscribed[controller] = subscribed;
        if (settled) _depositClaims[controller] = claim;
        if (late) {
            Late lateWord = _late;
            _late = lateWord.setRequests(_bounded(lateWord.deposits() + assets), lateWord.redemptions());
        } else {
            _dealing = DealingLibrary.pack(
                dealing_.period(), dealing_.cutoff(), _bounded(dealing_.deposits() + assets), dealing_.redemptions()
            );
        }
        emit DepositRequest(controller, owner, 0, msg.sender, assets);
        ASSET.safeTransferFrom(owner, address(this), assets);
        return 0;
    }

    /// @inheritdoc IERC7540Redeem
    function requestRedeem(uint256 shares, address controller, address owner)
        external
        nonReentrant
        returns (uint256 requestId)
    {
        _requireOwnerOrOperator(owner);
        if (shares == 0) revert ZeroAmount();
        if (controller == address(0)) revert ZeroAddress();
        // The controller may cancel the escrow to itself: it must be one the owner could send to.
        _requirePair(owner, controller);
        _requireDealing();
        Dealing dealing_ = _dealing;
        (uint256 target, bool late) = _requestPeriod(dealing_);
        (Position position, bool settled, uint256 servedShares, uint256 servedAssets) =
            _settleRedeem(controller, dealing_.period() - 1);
        uint256 pending = position.redeemShares();
        if (pending != 0 && position.redeemPeriod() != target) {
            revert PendingInEarlierPeriod(controller, position.redeemPeriod(), target);
        }
        uint256 total = pending + shares;
        if (total > MAX_AMOUNT) revert AmountTooLarge(total, MAX_AMOUNT);

        _positions[controller] = position.setRedeem(total, target);
        if (settled) _redeemClaims[controller] = _addClaim(_redeemClaims[controller], servedAssets, servedShares);
        if (late) {
            Late lateWord = _late;
            _late = lateWord.setRequests(lateWord.deposits(), _bounded(lateWord.redemptions() + shares));
        } else {
            _dealing = DealingLibrary.pack(
                dealing_.period(), dealing_.cutoff(), dealing_.deposits(), _bounded(dealing_.redemptions() + shares)
            );
        }
        emit RedeemRequest(controller, owner, 0, msg.sender, shares);
        // The escrow: a rule-checked transfer owner -> vault (the owner approved the vault).
        SafeERC20.safeTransferFrom(SHARE, owner, address(this), shares);
        return 0;
    }

    /// @inheritdoc IFundVault
    /// @dev Runs the FundInstant module's code on this vault's storage (the size budget).
    function cancelDepositRequest(address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    /// @inheritdoc IFundVault
    /// @dev Runs the FundInstant module's code on this vault's storage (the size budget).
    function cancelRedeemRequest(address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    // ================================================================ claims

    // Claims run in the FundInstant module (the size budget), on this vault's storage.

    /// @inheritdoc IERC7575
    function deposit(uint256 assets, address receiver) external nonReentrant returns (uint256) {
        return _delegateData(INSTANT, abi.encodeCall(FundInstant.deposit, (assets, receiver, msg.sender)));
    }

    /// @inheritdoc IERC7540Deposit
    /// @dev Returns the shares minted to `receiver`, net of the subscription fee.
    function deposit(uint256, address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    /// @inheritdoc IERC7575
    function mint(uint256 shares, address receiver) external nonReentrant returns (uint256) {
        return _delegateData(INSTANT, abi.encodeCall(FundInstant.mint, (shares, receiver, msg.sender)));
    }

    /// @inheritdoc IERC7540Deposit
    /// @dev Takes `shares` of the claim; `receiver` gets them net of the subscription fee.
    function mint(uint256, address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    /// @inheritdoc IERC7575
    /// @dev ERC-7540: the third argument is the controller. Takes `assets` of the claim;
    /// `receiver` gets them net of the redemption fee.
    function withdraw(uint256, address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    /// @inheritdoc IERC7575
    /// @dev ERC-7540: the third argument is the controller. Returns the assets paid, net of the fee.
    function redeem(uint256, address, address) external nonReentrant returns (uint256) {
        return _runInstant();
    }

    // ================================================================ views: ERC-7540

    /// @inheritdoc IERC7540Operator
    function isOperator(address controller, address operator) external view returns (bool) {
        return _operators[controller][operator];
    }

    /// @inheritdoc IERC7540Deposit
    /// @dev Every request is requestId 0 (aggregated per controller); `requestId` is not read.
    function pendingDepositRequest(uint256, address controller) external view returns (uint256) {
        Position position = _positions[controller];
        StrikeWord struck = _strikes[position.depositPeriod()];
        return struck.nav() == 0 || struck.depositsRefused() ? position.depositAssets() : 0;
    }

    /// @inheritdoc IERC7540Deposit
    function claimableDepositRequest(uint256, address controller) external view returns (uint256) {
        (, Claim claim,) = _settledDepositClaim(controller);
        return claim.assets();
    }

    /// @inheritdoc IERC7540Redeem
    function pendingRedeemRequest(uint256, address controller) external view returns (uint256) {
        (Position position,,,) = _settleRedeem(controller, _dealing.period() - 1);
        return position.redeemShares();
    }

    /// @inheritdoc IERC7540Redeem
    function claimableRedeemRequest(uint256, address controller) external view returns (uint256) {
        (, Claim claim,) = _settledRedeemClaim(controller);
        return claim.shares();
    }

    // ================================================================ views: ERC-4626 / ERC-7575

    /// @inheritdoc IERC7575
    function asset() external view returns (address) {
        return address(ASSET);
    }

    /// @inheritdoc IERC7575
    function share() external view returns (address) {
        return address(SHARE);
    }

    /// @inheritdoc IERC7575
    /// @dev The share supply at the last struck NAV (0 before the first strike).
    function totalAssets() external view returns (uint256) {
        return convertToAssets(SHARE.totalSupply());
    }

    /// @inheritdoc IERC7575
    /// @dev At the last struck NAV, rounded down (0 before the first strike): an estimate only,
    /// requests deal at the next NAV.
    function convertToShares(uint256 assets) public view returns (uint256) {
        uint256 nav18 = _lastNav();
        return nav18 == 0 ? 0 : DealingMath.sharesFor(assets, nav18, ASSET_UNIT, SHARE_SCALE);
    }

    /// @inheritdoc IERC7575
    /// @dev At the last struck NAV, rounded down (0 before the first strike).
    function convertToAssets(uint256 shares) public view returns (uint256) {
        return DealingMath.assetsFor(shares * _lastNav(), ASSET_UNIT, SHARE_SCALE, Math.Rounding.Floor);
    }

    /// @inheritdoc IERC7575
    /// @dev The controller's claimable deposit assets (ERC-7540).
    function maxDeposit(address controller) external view returns (uint256) {
        if (!_mayClaim(controller)) return 0;
        (, Claim claim,) = _settledDepositClaim(controller);
        return claim.assets();
    }

    /// @inheritdoc IERC7575
    /// @dev The controller's claimable deposit shares (ERC-7540); 0 while the controller may not
    /// claim (frozen, or no longer verified: the claim would revert `WalletFrozen` /
    /// `ControllerNotVerified`). The same holds for `maxDeposit`, `maxWithdraw` and `maxRedeem`.
    function maxMint(address controller) external view returns (uint256) {
        if (!_mayClaim(controller)) return 0;
        (, Claim claim,) = _settledDepositClaim(controller);
        return claim.shares();
    }

    /// @inheritdoc IERC7575
    /// @dev The controller's claimable redemption assets (ERC-7540).
    function maxWithdraw(address controller) external view returns (uint256) {
        if (!_mayClaim(controller)) return 0;
        (, Claim claim,) = _settledRedeemClaim(controller);
        return claim.assets();
    }

    /// @inheritdoc IERC7575
    /// @dev The controller's claimable redemption shares (ERC-7540).
    function maxRedeem(address controller) external view returns (uint256) {
        if (!_mayClaim(controller)) return 0;
        (, Claim claim,) = _settledRedeemClaim(controller);
        return claim.shares();
    }

    /// @inheritdoc IERC7575
    function previewDeposit(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC7575
    function previewMint(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC7575
    function previewWithdraw(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC7575
    function previewRedeem(uint256) external pure returns (uint256) {
        revert AsyncFlow();
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC7540Operator).interfaceId || interfaceId == type(IERC7540Deposit).interfaceId
            || interfaceId == type(IERC7540Redeem).interfaceId || interfaceId == type(IERC7575).interfaceId
            || interfaceId == type(IERC165).interfaceId;
    }

    // ================================================================ views: dealing

    /// @inheritdoc IFundVault
    function navSource() external view returns (IFundNavSource, uint256) {
        return (NAV_SOURCE, INSTRUMENT_ID);
    }

    /// @inheritdoc IFundVault
    function dealing() external view returns (uint256, uint256, uint256, uint256, uint256, uint256) {
        (Dealing dealing_, Late late) = (_dealing, _late);
        return (
            dealing_.period(),
            dealing_.cutoff(),
            dealing_.deposits(),
            dealing_.redemptions(),
            late.deposits(),
            late.redemptions()
        );
    }

    /// @inheritdoc IFundVault
    function strikeOf(uint256 period)
        external
        view
        returns (uint256 nav18, uint256 c, uint256 a, uint256 era, uint256 scale)
    {
        (StrikeWord s, AccrualWord w) = (_strikes[period], _accruals[period]);
        return (s.nav(), s.c(), w.a(), s.era(), w.scale());
    }

    /// @inheritdoc IFundVault
    function reservedAssets() external view returns (uint256) {
        return _reserved;
    }

    /// @inheritdoc IFundVault
    function freeCash() external view returns (uint256) {
        return _freeCash();
    }

    /// @inheritdoc IFundVault
    function feeSchedule() external view returns (IFeeSchedule) {
        return FEES;
    }

    /// @inheritdoc IFundVault
    function heldFees() external view returns (uint256 shares, uint256 assets, uint256 accruedAt) {
        FeeLedger ledger = _feeLedger;
        return (ledger.shares(), ledger.assets(), ledger.accruedAt());
    }

    /// @inheritdoc IFundVault
    function unclaimedShares() external view returns (uint256) {
        return _unclaimedShares;
    }

    /// @inheritdoc IFundVault
    function instantLiquidity() external view returns (uint256 limit, uint256 subscribed, uint256 redeemed) {
        InstantWord used = _instantUsed(_dealing.period());
        return (_instantLimit, used.subscribed(), used.redeemed());
    }

    /// @inheritdoc IFundVault
    function gateBps() external view returns (uint256) {
        return _late.gateBps();
    }

    /// @inheritdoc IFundVault
    function dealingInterval() external view returns (uint256) {
        return _late.interval();
    }

    /// @inheritdoc IFundVault
    function custodian() external view returns (address) {
        return _custodian;
    }

    // ================================================================ internal

    /// @dev The class's management fee accrued up to now, before an instant deal moves its supply
    /// (SEC-187): else the next accrual charges the time since the last on the supply as it is
    /// then (a redeemer escapes it, a subscriber pays for time before it held). In this vault when
    /// it is the share's management vault; else in that vault (the fee schedule's, set by
    /// GOVERNOR: a vault of the class, whose accrual reads this one's views only).
    /// @return base This vault's fee base before the deal, the seconds not yet charged on it
    /// (`_carryClock` carries them onto the base after); 0 when there are none to carry.
    function _accrueClass() internal returns (uint256 base) {
        address manager = FEES.managementVaultOf(address(SHARE));
        if (manager == address(this)) {
            uint256 feeShares;
            FeeLedger ledger;
            (ledger, feeShares, base) = _accrued(_feeLedger);
            _feeLedger = ledger;
            if (feeShares != 0) emit ManagementFeeAccrued(feeShares, block.timestamp);
        } else if (manager.code.length != 0) {
            IFeeAccruer(manager).accrueFees();
        }
    }

    /// @dev After this vault moved its fee base from `base` (`_accrued`'s: non-zero when the fee on
    /// it rounded to 0 and the clock stayed; 0: nothing to carry) to the base now: the seconds not
    /// yet charged carried onto the new base, so the fee owed for them (below one share unit) is
    /// not charged on shares that were not there (SEC-185) nor forfeited by a small deal (SEC-188):
    /// the clock is set to `now - ceil(elapsed x base / after)`, never further back than it was (a
    /// shrinking base leaves it: the sub-unit fee on the shares that left is forgone, and no later
    /// subscriber pays for time before the clock, round 7); to now on an empty base.
    function _carryClock(uint256 base) internal {
        if (base == 0) return;
        FeeLedger ledger = _feeLedger;
        uint256 after_ = _feeBase(SHARE.totalSupply(), ledger.shares());
        // No underflow: accruedAt is a past block's time.
        uint256 elapsed = block.timestamp - ledger.accruedAt();
        uint256 carried = after_ == 0 ? 0 : Math.min(Math.mulDiv(elapsed, base, after_, Math.Rounding.Ceil), elapsed);
        // No underflow: carried <= elapsed <= now.
        _feeLedger = ledger.setAccruedAt(block.timestamp - carried);
    }

    /// @dev Strikes the open period at the NAV source's NAV, with the income index `incomeIndex`
    /// (its declaration count checked by the caller). One copy of the strike's code for both
    /// entry points (the size budget).
    function _strike(uint256 incomeIndex) internal returns (uint256 period, uint256 nav18) {
        Dealing dealing_ = _dealing;
        period = dealing_.period();
        uint256 cutoff = dealing_.cutoff();
        if (block.timestamp < cutoff) revert StrikeBeforeCutoff(period, cutoff, block.timestamp);
        // The NAV is this strike's input: the registry (immutable, the protocol's own) records the
        // checkpoint and answers; nothing here is written yet, and the guard above stops re-entry.
        nav18 = NAV_SOURCE.strikeNav(INSTRUMENT_ID);
        if (nav18 == 0 || nav18 > DealingMath.MAX_NAV) revert NavOutOfRange(nav18, DealingMath.MAX_NAV);
        Late late = _late;
        // The management fee up to now, on the supply before this period's burn and mints.
        FeeLedger stored = _feeLedger;
        (FeeLedger ledger, uint256 feeShares, uint256 base) = _accrued(stored);
        // The period's deposits, priced; refused when the token could not mint their shares with
        // everything minted or promised (SEC-35): nothing is struck that cannot be claimed. A
        // refused deposit stays its investor's, held (not free cash) until refunded on request.
        uint256 deposits = dealing_.deposits();
        uint256 depositShares = DealingMath.sharesFor(deposits, nav18, ASSET_UNIT, SHARE_SCALE);
        uint256 room = _mintRoom(SHARE.totalSupply(), ledger.shares());
        // Nor are deposits struck at par in an asset the NAV source does not take at par now
        // (SEC-120; SEC-139: unpriced too, as a router's Deviation or OutOfBounds in a fast depeg
        // answers 0): refused as above.
        bool offPeg;
        uint256 price18;
        if (deposits != 0) {
            bool atPar;
            (atPar, price18,) = NAV_SOURCE.assetAtPar(INSTRUMENT_ID, address(ASSET));
            offPeg = !atPar;
        }
        bool refused = depositShares > room || offPeg;
        uint256 refunds = refused ? deposits : 0;
        uint256 reserved = _reserved;
        uint256 pending = dealing_.redemptions();
        uint256 fulfilled;
        uint256 reserve;
        if (pending != 0) {
            fulfilled = Math.min(pending, _redeemable(late, reserved + refunds + ledger.assets(), nav18));
            // Rounded up: the claims of this strike (each rounded down) never exceed it.
            reserve = DealingMath.assetsFor(fulfilled * nav18, ASSET_UNIT, SHARE_SCALE, Math.Rounding.Ceil);
        }
        // The shares the escrow keeps after this strike: the carried and the late requests'. The
        // vault's balance beyond them and the fulfilled shares is income an IncomeShareToken paid
        // on the escrow (or shares sent to the vault): owned by no investor, it is burned with the
        // fulfilled shares, so the supply the NAV divides by holds investors' shares only. One
        // balance read: no loop over requests. Never below `fulfilled` (the vault alone moves its
        // escrow; if an agent took from it, the burn reverts as before).
        uint256 kept = pending - fulfilled + late.redemptions();
        uint256 held = SHARE.balanceOf(address(this));
        uint256 income = held > kept + fulfilled ? held - kept - fulfilled : 0;
        DealingMath.Queue memory before = _queueAt(period - 1);
        (DealingMath.Queue memory next, bool closed, uint256 closedA) =
            DealingMath.fulfil(before, pending, fulfilled, nav18);
        uint256 nextCutoff = _nextCutoff(period, cutoff, late.interval());

        if (closed) _closedA[_eraScale(before.era, before.scale)] = closedA;
        if (FeeLedger.unwrap(ledger) != FeeLedger.unwrap(stored)) _feeLedger = ledger;
        if (incomeIndex != _strikeIncomeIndex) _strikeIncomeIndex = incomeIndex;
        _strikes[period] = StrikeWordLibrary.pack(next.c, nav18, next.era, refused);
        _accruals[period] = AccrualWordLibrary.pack(next.a, next.scale);
        if (reserve + refunds != 0) _reserved = reserved + reserve + refunds;
        // No overflow: at most the room, below 2^96.
        if (!refused && depositShares != 0) _unclaimedShares += depositShares;
        // No underflow: fulfilled <= pending. No overflow of 96 bits: the carried and late shares
        // are all in the vault's escrow, below the token's supply bound (2^96 - 1); the late
        // deposits were bounded when requested.
        _dealing = DealingLibrary.pack(period + 1, nextCutoff, late.deposits(), kept);
        if (late.deposits() | late.redemptions() != 0) _late = late.setRequests(0, 0);

        if (feeShares != 0) emit ManagementFeeAccrued(feeShares, ledger.accruedAt());
        if (refused) {
            if (offPeg) emit DepositsRefusedOffPeg(period, address(ASSET), price18);
            emit DepositsRefused(period, deposits, depositShares, room);
            (deposits, depositShares) = (0, 0);
        }
        emit PeriodStruck(period, nav18, deposits, depositShares, pending, fulfilled, reserve, nextCutoff);
        if (income != 0) emit EscrowIncomeBurned(period, income);
        // The period's fulfilled shares and the escrow's income leave it through the engine's
        // ledger (the token pays the income into the vault's balance first, recorded `created`).
        if (fulfilled + income != 0) SHARE.burn(address(this), fulfilled + income);
        _carryClock(base);
    }

    /// @dev The period a request made now joins: the open one before its cut-off, else the next.
    function _requestPeriod(Dealing dealing_) internal view returns (uint256 target, bool late) {
        late = block.timestamp >= dealing_.cutoff();
        target = late ? dealing_.period() + 1 : dealing_.period();
    }

    /// @dev Shares a strike can redeem: the gate on the share supply, and what the free cash buys
    /// (this period's deposits become the fund's now; later ones and the reserve are not free).
    /// Ungated, the supply is not read: the queue is escrowed shares, never above it.
    function _redeemable(Late late, uint256 reserved, uint256 nav18) internal view returns (uint256) {
        uint256 bps = late.gateBps();
        uint256 gate = bps == BPS ? type(uint256).max : Math.mulDiv(SHARE.totalSupply(), bps, BPS);
        uint256 held = late.deposits() + reserved;
        uint256 balance = ASSET.balanceOf(address(this));
        uint256 free = balance > held ? balance - held : 0;
        return Math.min(gate, DealingMath.sharesFor(free, nav18, ASSET_UNIT, SHARE_SCALE));
    }

    /// @dev The first `cutoff + k * interval` (k >= 1) after now; `MAX_CUTOFF` (never reached) past
    /// the Dealing word's 40 bits or for its last period, so the strike always opens a period and
    /// nothing wraps (SEC-37).
    function _nextCutoff(uint256 period, uint256 cutoff, uint256 interval) internal view returns (uint256 next) {
        next = cutoff + interval;
        if (next <= block.timestamp) next += ((block.timestamp - next) / interval + 1) * interval;
        if (next > MAX_CUTOFF || period + 1 == MAX_PERIOD) next = MAX_CUTOFF;
    }

    /// @dev The ledger with the management fee accrued up to now on the shares outstanding (not
    /// stored), the shares it adds, and the base the seconds not yet charged are on (0: none to
    /// carry, at a 0 rate, on an empty base or with no room).
    /// Outstanding (`_feeBase`): the supply, the shares owed to the recipient, the struck deposit
    /// shares not yet claimed (SEC-180) and the other vaults' of the class (their owed and
    /// unclaimed shares, from the NAV source: a desk sums them, SEC-181).
    /// At a 0 rate nothing accrues and the clock is not moved: `accrueFees`, which caches a new
    /// rate, moves it first. With no share outstanding there is nothing to charge: the clock
    /// moves to now, the empty time is nobody's (SEC-135). When the fee rounds to 0 shares, or
    /// the token has no room, the clock stays: the seconds are charged at the next accrual
    /// (SEC-133: frequent accruals never round the fee away); a base change carries them
    /// (`_carryClock`).
    function _accrued(FeeLedger stored) internal view returns (FeeLedger ledger, uint256 feeShares, uint256 base) {
        ledger = stored;
        uint256 managementBps = ledger.managementBps();
        if (managementBps == 0) return (ledger, 0, 0);
        // No underflow: accruedAt is a past block's time.
        uint256 elapsed = block.timestamp - ledger.accruedAt();
        if (elapsed == 0) return (ledger, 0, 0);
        uint256 owed = ledger.shares();
        uint256 supply = SHARE.totalSupply();
        base = _feeBase(supply, owed);
        if (base == 0) return (ledger.setAccruedAt(block.timestamp), 0, 0);
        feeShares = FeeMath.managementShares(base, managementBps, elapsed);
        // Nothing minted below a unit (SEC-133), nor for less than MIN_BILLED (SEC-232: each mint
        // moves the clock to the nearest second, off by up to half a second's fee; minting at
        // most every MIN_BILLED keeps that below 0.2%, whoever times the accruals): the clock
        // stays, and a base change carries the seconds (`_carryClock`).
        if (feeShares == 0 || elapsed < FeeMath.MIN_BILLED) return (ledger, 0, base);
        // At most what the token can still mint beyond the vault's promises (the recipient, not an
        // investor, bears the cap), so owed + fee < 2^96. No room: the clock stays.
        feeShares = Math.min(feeShares, _mintRoom(supply, owed));
        if (feeShares == 0) return (ledger, 0, 0);
        // The clock moves by the seconds the fee pays for, to the nearest (SEC-232: to now, it
        // forfeited the fee's fraction of a unit each accrual, up to half the fee of a low-decimal
        // class accrued by anyone at the right times), at most `elapsed`; to now past MAX_ACCRUAL
        // (the time beyond is not charged). The seconds left are charged on the base after
        // (returned, for `_carryClock`).
        uint256 paid = FeeMath.managementSeconds(feeShares, base, managementBps, elapsed);
        // No overflow: the seconds paid are at most `elapsed`, itself at most now.
        unchecked {
            ledger = ledger.setAmounts(owed + feeShares, ledger.assets()).setAccruedAt(block.timestamp - elapsed + paid);
        }
        base += feeShares;
    }

    /// @dev The class's shares outstanding with `supply` minted and `owed` fee shares of this vault.
    function _feeBase(uint256 supply, uint256 owed) internal view returns (uint256) {
        // A view of the NAV source (immutable: the protocol's registry or desk).
        return supply + owed + _unclaimedShares + NAV_SOURCE.unmintedSharesBesides(INSTRUMENT_ID, address(this));
    }

    /// @dev Runs this call in the FundInstant module on this vault's storage (Dispatch); its first
    /// return word.
    function _runInstant() internal returns (uint256 answer) {
        (answer,) = _delegateWords(INSTANT);
    }

    function _lastNav() internal view returns (uint256) {
        return _strikes[_dealing.period() - 1].nav();
    }
}
