// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILendingPool, PoolState, RateModel} from "../../interfaces/ILendingPool.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {PoolMath} from "./PoolMath.sol";
import {ShareCompliance} from "../libraries/ShareCompliance.sol";
import {BPS, RAY} from "../libraries/Constants.sol";

/// @title LendingPool
/// @notice Permissioned lending pool of one asset, lent to the prime broker (see ILendingPool).
contract LendingPool is ILendingPool, ERC4626, AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @inheritdoc ILendingPool
    uint256 public constant MAX_RESERVE_FACTOR_BPS = PoolMath.MAX_RESERVE_FACTOR_BPS;
    /// @inheritdoc ILendingPool
    uint256 public constant MAX_BORROW_RATE_BPS = PoolMath.MAX_BORROW_RATE_BPS;
    /// @dev Virtual shares (OpenZeppelin's inflation-attack defence): shares have 6 more decimals.
    uint8 internal constant DECIMALS_OFFSET = 6;

    /// @inheritdoc ILendingPool
    address public immutable broker;
    /// @notice Where lenders are verified (deposits) and frozen (every share movement, payouts).
    IIdentityRegistry public immutable registry;

    /// @inheritdoc ILendingPool
    uint256 public constant RESTORATION_UNLOCK = 7 days;

    /// @dev The accounting the hot path reads, in three slots (totalDebt is derived:
    /// `totalScaledDebt x borrowIndexRay`, rounded up). The index has a slot of its own, at most
    /// 216 bits (PoolMath.MAX_INDEX_RAY: e^87.5 of headroom, where 128 bits gave e^26.5); the
    /// accrual time shares the total scaled debt's, so neither slot is ever zero (a pool's first
    /// borrow writes no zero slot).
    struct Market {
        uint128 cash;
        uint128 reserves;
        uint128 totalScaledDebt;
        uint40 lastAccrual;
        uint216 borrowIndexRay;
    }

    /// @dev Restored loss not yet the lenders' (round 8 #3): `amount` as at `start`, unlocking
    /// linearly to 0 at `end` (one slot).
    struct Lock {
        uint128 amount;
        uint40 start;
        uint40 end;
    }

    /// @dev An account's bad debt realised and not yet restored (round 8 #3): what its reserves
    /// absorbed and what its lenders lost, at its write-off and re-marks.
    struct Loss {
        uint128 reserves;
        uint128 lenders;
    }

    /// @dev One margin account's debt: scaled by the borrow index, and when its spread was last
    /// charged (one slot).
    struct Account {
        uint128 scaled;
        uint40 lastTouch;
    }

    Market internal _market;
    RateModel internal _model;
    uint256 internal _badDebtRealised;
    uint256 internal _badDebtAbsorbed;
    mapping(address account => Account) internal _accounts;
    /// @inheritdoc ILendingPool
    address public shareCompliance;
    /// @dev Debt written off beside a claim (SEC-231): out of `totalDebt` (no interest), in
    /// `totalAssets` at face until recovered (`recoverBadDebt`) or dropped (`dropAssignedDebt`).
    uint256 internal _assignedDebt;
    /// @dev The restoration lock (`_lockedAt` now).
    Lock internal _lock;
    /// @dev Each account's loss not yet restored (`lossOf`).
    mapping(address account => Loss) internal _losses;

    constructor(
        address authority,
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        IIdentityRegistry registry_,
        address broker_,
        RateModel memory model
    ) ERC4626(asset_) ERC20(name_, symbol_) AccessManaged(authority) {
        registry = registry_;
        broker = broker_;
        _market.borrowIndexRay = uint216(RAY);
        _market.lastAccrual = uint40(block.timestamp);
        _setRateModel(model);
    }

    modifier onlyBroker() {
        if (msg.sender != broker) revert OnlyBroker(msg.sender);
        _;
    }

    // ================================================================ governance

    /// @inheritdoc ILendingPool
    function setRateModel(RateModel calldata model) external restricted {
        _accrue();
        _setRateModel(model);
    }

    /// @inheritdoc ILendingPool
    function setShareCompliance(address engine) external restricted {
        emit ShareComplianceSet(shareCompliance, engine);
        shareCompliance = engine;
        ShareCompliance.bind(engine, address(registry));
    }

    /// @inheritdoc ILendingPool
    function withdrawReserves(uint256 amount, address to) external restricted nonReentrant {
        Market memory m = _accrue();
        // The reserves stand first behind the assigned debt still carried (SEC-234): a sweep
        // leaves them that.
        uint256 free = m.reserves > _assignedDebt ? m.reserves - _assignedDebt : 0;
        if (amount > free) revert ReservesExceeded(free, amount);
        if (amount > m.cash) revert InsufficientCash(m.cash, amount);
        // No underflow: both compared just above.
        unchecked {
            _market.reserves = m.reserves - uint128(amount);
            _market.cash = m.cash - uint128(amount);
        }
        emit ReservesWithdrawn(to, amount);
        IERC20(asset()).safeTransfer(to, amount);
    }

    // ================================================================ the broker

    /// @inheritdoc ILendingPool
    function borrow(address account, uint256 assets, uint16 spreadBps, address to)
        external
        onlyBroker
        nonReentrant
        returns (uint256 debtAfter)
    {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Account memory a) = _accrueAndCharge(account, spreadBps);
        if (assets > m.cash) revert InsufficientCash(m.cash, assets);
        // Rounded up: the account owes at least what it received.
        uint128 scaled = PoolMath.toScaled(assets, m.borrowIndexRay, true).toUint128();
        a.scaled += scaled;
        m.totalScaledDebt += scaled;
        m.cash -= uint128(assets); // No truncation: assets <= cash, a uint128.
        debtAfter = _store(account, m, a);
        emit Borrowed(account, to, assets, debtAfter);
        IERC20(asset()).safeTransfer(to, assets);
    }

    /// @inheritdoc ILendingPool
    function repay(address account, uint256 assets, uint16 spreadBps)
        external
        onlyBroker
        nonReentrant
        returns (uint256 debtAfter)
    {
        if (assets == 0) revert ZeroAmount();
        (Market memory m, Account memory a) = _accrueAndCharge(account, spreadBps);
        uint256 debt = PoolMath.toDebt(a.scaled, m.borrowIndexRay);
        if (assets > debt) assets = debt;
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 received = balance > m.cash ? balance - m.cash : 0;
        if (received < assets) revert RepaymentNotReceived(received, assets);
        // Rounded down: a partial repayment never clears more debt than it pays; paying the whole
        // debt clears the scaled debt (`toScaled(toDebt(s)) >= s`).
        uint256 burned = Math.min(PoolMath.toScaled(assets, m.borrowIndexRay, false), a.scaled);
        // No underflow: burned <= a.scaled <= totalScaledDebt (the sum of the accounts').
        unchecked {
            a.scaled -= uint128(burned);
            m.totalScaledDebt -= uint128(burned);
        }
        m.cash += assets.toUint128();
        debtAfter = _store(account, m, a);
        emit Repaid(account, assets, debtAfter);
    }

    /// @inheritdoc ILendingPool
    function touch(address account, uint16 spreadBps) external onlyBroker returns (uint256) {
        (Market memory m, Account memory a) = _accrueAndCharge(account, spreadBps);
        return _store(account, m, a);
    }

    /// @inheritdoc ILendingPool
    /// @dev The whole debt leaves `totalDebt` with the account's scaled debt; the reserves give up
    /// what they can, and the rest is the lenders' loss (their claim, `totalAssets`, falls by it).
    function realiseBadDebt(address account, uint16 spreadBps) external onlyBroker returns (uint256 amount) {
        Market memory m;
        (m, amount) = _writeOff(account, spreadBps);
        _realise(account, m, amount);
    }

    /// @inheritdoc ILendingPool
    /// @dev The debt leaves `totalDebt`: `keep` of it for `_assignedDebt` (`totalAssets` does not
    /// move for it), the rest realised at once (reserves first).
    function assignBadDebt(address account, uint16 spreadBps, uint256 keep)
        external
        onlyBroker
        returns (uint256 amount)
    {
        Market memory m;
        (m, amount) = _writeOff(account, spreadBps);
        uint256 kept = Math.min(amount, keep);
        uint256 assigned = _assignedDebt + kept;
        _assignedDebt = assigned;
        emit BadDebtAssigned(account, amount, kept, assigned);
        // A new life of the account's assigned debt (the broker writes it off once per life, all
        // pools at once): its record starts with what this write-off realises. No underflow:
        // kept <= amount.
        (uint256 r, uint256 l) = amount != kept ? _realise(account, m, amount - kept) : (0, 0);
        _losses[account] = Loss(uint128(r), uint128(l));
    }

    /// @inheritdoc ILendingPool
    function dropAssignedDebt(address account, uint256 amount) external onlyBroker {
        Market memory m = _accrue();
        _takeAssigned(amount);
        (uint256 r, uint256 l) = _realise(account, m, amount);
        Loss memory loss = _losses[account];
        // No truncation: each part is at most the assigned debt, 128 bits.
        loss.reserves += uint128(r);
        loss.lenders += uint128(l);
        _losses[account] = loss;
    }

    /// @inheritdoc ILendingPool
    /// @dev Accrues first (at the utilisation before the cash arrives): `carried` of the assigned
    /// debt becomes cash one for one (`totalAssets` does not move for it); the rest restores this
    /// account's realised loss, its lenders' part first, locked (vested over RESTORATION_UNLOCK:
    /// no step for a depositor to time), then its reserves' (at once: outside `totalAssets`).
    function recoverBadDebt(address account, uint256 assets, uint256 carried) external onlyBroker nonReentrant {
        if (assets == 0) revert ZeroAmount();
        if (carried > assets) revert CarriedAboveRecovery(assets, carried);
        Market memory m = _accrue();
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 received = balance > m.cash ? balance - m.cash : 0;
        if (received < assets) revert RepaymentNotReceived(received, assets);
        uint256 assigned = _takeAssigned(carried);
        m.cash += assets.toUint128();
        // No underflow: carried <= assets (above).
        uint256 restored = assets - carried;
        uint256 toLenders;
        uint256 toReserves;
        if (restored != 0) {
            Loss memory loss = _losses[account];
            toLenders = Math.min(restored, loss.lenders);
            toReserves = Math.min(restored - toLenders, loss.reserves);
            // No underflow: each at most its record (just above), and each record at most the
            // pool-wide one (both rise and fall together).
            unchecked {
                loss.lenders -= uint128(toLenders);
                loss.reserves -= uint128(toReserves);
                _badDebtRealised -= toLenders;
                _badDebtAbsorbed -= toReserves;
            }
            _losses[account] = loss;
            m.reserves += uint128(toReserves);
            // The lenders' part, and anything beyond the account's record, vests.
            uint256 vested = restored - toReserves;
            if (vested != 0) _addLock(vested);
        }
        _market = m;
        emit BadDebtRecovered(account, assets, carried, assigned, toLenders, toReserves);
    }

    // ================================================================ lenders

    /// @inheritdoc ERC4626
    /// @dev Verified receiver (`LenderNotVerified`); accrues first, so the shares are priced at the
    /// interest to date.
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256) {
        _requireVerified(receiver);
        _accrue();
        return super.deposit(assets, receiver);
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256) {
        _requireVerified(receiver);
        _accrue();
        return super.mint(shares, receiver);
    }

    /// @inheritdoc ERC4626
    /// @dev Up to the owner's claim (`ERC4626ExceededMaxWithdraw`) and the pool's cash
    /// (`InsufficientCash`).
    function withdraw(uint256 assets, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 shares)
    {
        _accrue();
        uint256 claim = previewRedeem(balanceOf(owner));
        if (assets > claim) revert ERC4626ExceededMaxWithdraw(owner, assets, claim);
        shares = previewWithdraw(assets);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
    }

    /// @inheritdoc ERC4626
    /// @dev Up to the owner's shares (`ERC4626ExceededMaxRedeem`) and the pool's cash
    /// (`InsufficientCash`).
    function redeem(uint256 shares, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 assets)
    {
        _accrue();
        uint256 held = balanceOf(owner);
        if (shares > held) revert ERC4626ExceededMaxRedeem(owner, shares, held);
        assets = previewRedeem(shares);
        _withdraw(_msgSender(), receiver, owner, assets, shares);
    }

    // ================================================================ views

    /// @inheritdoc ERC4626
    /// @dev Priced at the lenders' assets plus the restoration still locked (round 11 #1): an
    /// entrant buys into the lock at its full value, so one who holds to its end comes out whole
    /// and the lock is the earlier lenders'. Redemptions are priced at `totalAssets` (a leaver
    /// forfeits what is still locked).
    function previewDeposit(uint256 assets) public view override returns (uint256) {
        return Math.mulDiv(assets, totalSupply() + 10 ** DECIMALS_OFFSET, _entryAssets() + 1, Math.Rounding.Floor);
    }

    /// @inheritdoc ERC4626
    /// @dev As `previewDeposit`, rounded up.
    function previewMint(uint256 shares) public view override returns (uint256) {
        return Math.mulDiv(shares, _entryAssets() + 1, totalSupply() + 10 ** DECIMALS_OFFSET, Math.Rounding.Ceil);
    }

    /// @inheritdoc ERC4626
    /// @dev Accrued to now: cash + totalDebt + assignedDebt - reserves - restoration still locked
    /// (what the lenders own).
    function totalAssets() public view override returns (uint256) {
        (Market memory m,,) = _accrued();
        uint256 gross = m.cash + PoolMath.toDebt(m.totalScaledDebt, m.borrowIndexRay) + _assignedDebt;
        uint256 held = m.reserves + _lockedAt(_lock);
        // Saturating: reserves are part of `gross` up to the debt's rounding.
        return gross > held ? gross - held : 0;
    }

    /// @inheritdoc ERC4626
    /// @dev Limited by cash (a fully utilised pool pays lenders as borrowers repay); 0 for a frozen
    /// owner (it can neither withdraw nor move shares). Not checked: a frozen caller or receiver.
    function maxWithdraw(address owner) public view override returns (uint256) {
        if (registry.isFrozen(owner)) return 0;
        (Market memory m,,) = _accrued();
        return Math.min(previewRedeem(balanceOf(owner)), m.cash);
    }

    /// @inheritdoc ERC4626
    /// @dev As `maxWithdraw`: what the cash pays (rounded down both ways, so `redeem` of it pays at
    /// most the cash), 0 for a frozen owner.
    function maxRedeem(address owner) public view override returns (uint256) {
        if (registry.isFrozen(owner)) return 0;
        (Market memory m,,) = _accrued();
        return Math.min(balanceOf(owner), convertToShares(m.cash));
    }

    /// @inheritdoc ERC4626
    /// @dev 0 for an unverified receiver (ERC-4626: deposits disabled for it).
    /// @dev 0 for a receiver the shares' engine refuses (SEC-157): not verified, or one whose
    /// jurisdiction or class may not hold them (an issue of one share to it refused).
    function maxDeposit(address receiver) public view override returns (uint256) {
        return _mayHold(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc ERC4626
    function maxMint(address receiver) public view override returns (uint256) {
        return _mayHold(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc ILendingPool
    function debtOf(address account, uint16 spreadBps) external view returns (uint256) {
        (Market memory m,,) = _accrued();
        Account memory a = _accounts[account];
        uint256 debt = PoolMath.toDebt(a.scaled, m.borrowIndexRay);
        return debt + PoolMath.spread(debt, spreadBps, block.timestamp - a.lastTouch);
    }

    /// @inheritdoc ILendingPool
    function state() external view returns (PoolState memory s) {
        (Market memory m,,) = _accrued();
        s.cash = m.cash;
        s.totalDebt = PoolMath.toDebt(m.totalScaledDebt, m.borrowIndexRay);
        s.reserves = m.reserves;
        s.badDebtRealised = _badDebtRealised;
        s.badDebtAbsorbed = _badDebtAbsorbed;
        s.assignedDebt = _assignedDebt;
        s.lockedRestoration = _lockedAt(_lock);
        if (s.lockedRestoration != 0) s.restorationUnlocksAt = _lock.end;
        s.borrowIndexRay = m.borrowIndexRay;
        s.lastAccrual = m.lastAccrual;
        s.utilisationBps = PoolMath.utilisationBps(s.cash, s.totalDebt);
        s.borrowRateBps = PoolMath.borrowRateBps(_model, s.utilisationBps);
    }

    /// @inheritdoc ILendingPool
    function lossOf(address account) external view returns (uint256 reserves, uint256 lenders) {
        Loss memory loss = _losses[account];
        return (loss.reserves, loss.lenders);
    }

    /// @inheritdoc ILendingPool
    function rateModel() external view returns (RateModel memory) {
        return _model;
    }

    /// @inheritdoc ILendingPool
    function borrowRateAt(uint256 utilisationBps) external view returns (uint256) {
        return PoolMath.borrowRateBps(_model, utilisationBps);
    }

    // ================================================================ internal

    /// @dev The market accrued to now (not stored), with the interest and its reserve share since
    /// the last accrual. The index moves only while there is debt, at the rate of the utilisation
    /// at the last accrual, by e^(rt) up to its ceiling (PoolMath.indexCeiling: never past it, so
    /// no accrual reverts); the interest is the growth of `totalDebt`.
    function _accrued() internal view returns (Market memory m, uint256 interest, uint256 toReserves) {
        m = _market;
        uint256 elapsed = block.timestamp - m.lastAccrual;
        if (elapsed == 0) return (m, 0, 0);
        m.lastAccrual = uint40(block.timestamp);
        if (m.totalScaledDebt == 0) return (m, 0, 0);
        RateModel memory model = _model;
        uint256 debtBefore = PoolMath.toDebt(m.totalScaledDebt, m.borrowIndexRay);
        uint256 rate = PoolMath.borrowRateBps(model, PoolMath.utilisationBps(m.cash, debtBefore));
        // No truncation: at most the ceiling, at most MAX_INDEX_RAY (216 bits).
        m.borrowIndexRay =
            uint216(PoolMath.compound(m.borrowIndexRay, rate, elapsed, PoolMath.indexCeiling(m.totalScaledDebt)));
        interest = PoolMath.toDebt(m.totalScaledDebt, m.borrowIndexRay) - debtBefore;
        toReserves = interest * model.reserveFactorBps / BPS;
        m.reserves += toReserves.toUint128();
    }

    /// @dev Stores the accrual and returns the market, for the caller to move and store.
    function _accrue() internal returns (Market memory m) {
        uint256 interest;
        uint256 toReserves;
        (m, interest, toReserves) = _accrued();
        if (m.lastAccrual == _market.lastAccrual) return m;
        _market = m;
        if (interest != 0) emit Accrued(m.borrowIndexRay, interest, toReserves);
    }

    /// @dev Accrues (stored), then adds `account`'s spread since its last touch to its scaled debt
    /// (rounded up), to the market's total and to the reserves, and stamps the touch — in memory:
    /// the caller moves both and stores them (`_store`).
    function _accrueAndCharge(address account, uint16 spreadBps) internal returns (Market memory m, Account memory a) {
        m = _accrue();
        a = _accounts[account];
        uint256 amount =
            PoolMath.spread(PoolMath.toDebt(a.scaled, m.borrowIndexRay), spreadBps, block.timestamp - a.lastTouch);
        a.lastTouch = uint40(block.timestamp);
        if (amount == 0) return (m, a);
        // Within the total debt's ceiling, as the index (no 128-bit field can overflow): a spread
        // past it is not charged.
        uint256 total = PoolMath.toDebt(m.totalScaledDebt, m.borrowIndexRay);
        uint256 room = total < PoolMath.MAX_TOTAL_DEBT ? PoolMath.MAX_TOTAL_DEBT - total : 0;
        if (amount > room) amount = room;
        if (amount == 0) return (m, a);
        uint128 scaled = PoolMath.toScaled(amount, m.borrowIndexRay, true).toUint128();
        a.scaled += scaled;
        m.totalScaledDebt += scaled;
        m.reserves += amount.toUint128();
        emit SpreadCharged(account, spreadBps, amount);
    }

    /// @dev Stores the market and the account; the account's debt.
    function _store(address account, Market memory m, Account memory a) internal returns (uint256) {
        _market = m;
        _accounts[account] = a;
        return PoolMath.toDebt(a.scaled, m.borrowIndexRay);
    }

    /// @dev Accrues, charges the account's spread and takes its whole debt out of `totalDebt`
    /// (stored); the market and the amount.
    function _writeOff(address account, uint16 spreadBps) internal returns (Market memory m, uint256 amount) {
        Account memory a;
        (m, a) = _accrueAndCharge(account, spreadBps);
        amount = PoolMath.toDebt(a.scaled, m.borrowIndexRay);
        // No underflow: a.scaled is part of the total.
        unchecked {
            m.totalScaledDebt -= a.scaled;
        }
        a.scaled = 0;
        _store(account, m, a);
    }

    /// @dev `amount` of bad debt lost: the reserves give up what they can, the lenders the rest
    /// (stored over `m`, the market as accrued); returns the two parts.
    function _realise(address account, Market memory m, uint256 amount)
        internal
        returns (uint256 fromReserves, uint256 fromLenders)
    {
        fromReserves = Math.min(amount, m.reserves);
        fromLenders = amount - fromReserves;
        // No underflow: fromReserves <= reserves.
        unchecked {
            _market.reserves = m.reserves - uint128(fromReserves);
        }
        _badDebtAbsorbed += fromReserves;
        _badDebtRealised += fromLenders;
        emit BadDebtRealised(account, amount, fromReserves, fromLenders);
        // The lenders' part takes their restoration still locked first (Yearn v3's loss against
        // locked profit; round 11 #2: a loss past their unlocked claim held `totalAssets` at 0
        // for days while the lock counted): their claim now does not move for that part.
        Lock memory lock = _lock;
        uint256 locked = _lockedAt(lock);
        if (fromLenders != 0 && locked != 0) {
            // No underflow: the cut is at most what is locked; the end stays.
            _lock = Lock(uint128(locked - Math.min(fromLenders, locked)), uint40(block.timestamp), lock.end);
        }
    }

    /// @dev Takes `amount` off the assigned debt (`AssignedDebtExceeded` past it); what is left.
    function _takeAssigned(uint256 amount) internal returns (uint256 left) {
        uint256 assigned = _assignedDebt;
        if (amount > assigned) revert AssignedDebtExceeded(assigned, amount);
        // No underflow: compared just above.
        unchecked {
            left = assigned - amount;
        }
        _assignedDebt = left;
    }

    /// @dev What an entrant's shares are priced at: the lenders' assets and the lock.
    function _entryAssets() internal view returns (uint256) {
        return totalAssets() + _lockedAt(_lock);
    }

    /// @dev The restoration still locked now: `lock.amount` (as at `lock.start`) unlocking
    /// linearly to 0 at `lock.end`, rounded up (never credited early).
    function _lockedAt(Lock memory lock) internal view returns (uint256) {
        uint256 end = lock.end;
        if (block.timestamp >= end) return 0;
        // No underflow, span > 0: start <= now < end.
        uint256 span = end - lock.start;
        return (lock.amount * (end - block.timestamp) + span - 1) / span;
    }

    /// @dev Adds `amount` (not 0) to the lock, with no step: the lock is re-stamped at now with
    /// what is still locked plus `amount`, over the period that keeps the locked seconds of both
    /// (Yearn v3's profit unlock): `(before x left + amount x RESTORATION_UNLOCK) / total`.
    function _addLock(uint256 amount) internal {
        Lock memory lock = _lock;
        uint256 before = _lockedAt(lock);
        uint256 total = before + amount;
        uint256 left = lock.end > block.timestamp ? lock.end - block.timestamp : 0;
        // In [1, RESTORATION_UNLOCK]: before != 0 only while left >= 1.
        uint256 period = (before * left + amount * RESTORATION_UNLOCK) / total;
        _lock = Lock(total.toUint128(), uint40(block.timestamp), uint40(block.timestamp + period));
    }

    function _setRateModel(RateModel memory model) internal {
        string memory reason = PoolMath.invalidity(model);
        if (bytes(reason).length != 0) revert InvalidRateModel(reason);
        emit RateModelSet(_model, model);
        _model = model;
    }

    /// @dev Deposits are counted as cash (tokens arriving otherwise are not).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) internal override {
        _market.cash += assets.toUint128();
        super._deposit(caller, receiver, assets, shares);
    }

    /// @dev Paid out of cash (`InsufficientCash`), to callers and receivers not frozen.
    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        uint128 cash = _market.cash;
        if (assets > cash) revert InsufficientCash(cash, assets);
        if (registry.isFrozen(caller)) revert LenderFrozen(caller);
        if (registry.isFrozen(receiver)) revert LenderFrozen(receiver);
        // No truncation or underflow: assets <= cash, a uint128.
        unchecked {
            _market.cash = cash - uint128(assets);
        }
        super._withdraw(caller, receiver, owner, assets, shares);
    }

    /// @dev Every share movement passes the share compliance engine, as the PortfolioVault's shares
    /// do (a refusal reverts `TransferNotCompliant` with the reason code); a frozen sender is
    /// refused here (a burn is only recorded by the engine).
    function _update(address from, address to, uint256 value) internal override {
        address engine = shareCompliance;
        if (engine == address(0)) revert ShareComplianceNotSet();
        if (from != address(0) && registry.isFrozen(from)) revert LenderFrozen(from);
        super._update(from, to, value);
        ShareCompliance.record(engine, from, to, value);
    }

    function _decimalsOffset() internal pure override returns (uint8) {
        return DECIMALS_OFFSET;
    }

    /// @dev A verified receiver the shares' engine would issue one share to.
    function _mayHold(address receiver) internal view returns (bool) {
        address engine = shareCompliance;
        return registry.isVerified(receiver) && engine != address(0)
            && IComplianceEngine(engine).detectTransferRestriction(address(0), receiver, 1) == 0;
    }

    function _requireVerified(address receiver) internal view {
        if (!registry.isVerified(receiver)) revert LenderNotVerified(receiver);
    }
}
