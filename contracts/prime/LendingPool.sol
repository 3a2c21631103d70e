// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ManagedInit} from "../access/ManagedInit.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ShortString, ShortStrings} from "@openzeppelin/contracts/utils/ShortStrings.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ILendingPool, PoolState, RateModel} from "../../interfaces/ILendingPool.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {PoolMath} from "./PoolMath.sol";
import {ShareCompliance} from "../libraries/ShareCompliance.sol";
import {RAY} from "../libraries/Constants.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {PoolLayout} from "./PoolLayout.sol";

/// @title LendingPool
/// @notice Permissioned lending pool of one asset, lent to the prime broker (see ILendingPool).
contract LendingPool is PoolLayout, ILendingPool, ERC4626, ManagedInit, ReentrancyGuardTransient, Dispatch {
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
    uint256 public constant RESTORATION_UNLOCK = RESTORATION_UNLOCK_SECONDS;
    /// @inheritdoc ILendingPool
    address public immutable lossesModule;

    /// @dev The shares' ERC-20 name and symbol, immutables of the implementation (at most 31 bytes
    /// each: ShortStrings' `StringTooLong(name)`): the pool runs behind a GovernedProxy, where the
    /// ERC-20 base's own, written by a constructor, would be the implementation's storage.
    ShortString private immutable _shareName;
    ShortString private immutable _shareSymbol;

    /// @dev The implementation (immutables only): the pool runs behind a GovernedProxy (issue 34),
    /// whose constructor writes its storage through `initialize`.
    constructor(
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        IIdentityRegistry registry_,
        address broker_,
        address lossesModule_
    ) ERC4626(asset_) ERC20("", "") {
        _shareName = ShortStrings.toShortString(name_);
        _shareSymbol = ShortStrings.toShortString(symbol_);
        registry = registry_;
        broker = broker_;
        _requireModule(lossesModule_, LOSSES_MODULE_ID);
        lossesModule = lossesModule_;
    }

    /// @inheritdoc ILendingPool
    function initialize(address authority_, RateModel calldata model) external {
        _initialize(authority_);
        _market.borrowIndexRay = uint216(RAY);
        _market.lastAccrual = uint40(block.timestamp);
        _setRateModel(model);
    }

    /// @notice The shares' name (an immutable of the code).
    function name() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return ShortStrings.toString(_shareName);
    }

    /// @notice The shares' symbol (an immutable of the code).
    function symbol() public view override(ERC20, IERC20Metadata) returns (string memory) {
        return ShortStrings.toString(_shareSymbol);
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
        emit ShareComplianceSet(_shareCompliance, engine);
        _shareCompliance = engine;
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
        _requireReceived(m.cash, assets);
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
    /// @dev Runs in PoolLosses.
    function realiseBadDebt(address, uint16) external onlyBroker returns (uint256 amount) {
        (amount,) = _delegateWords(lossesModule);
    }

    /// @inheritdoc ILendingPool
    /// @dev Runs in PoolLosses.
    function assignBadDebt(address, uint16, uint256) external onlyBroker returns (uint256 amount) {
        (amount,) = _delegateWords(lossesModule);
    }

    /// @inheritdoc ILendingPool
    /// @dev Runs in PoolLosses.
    function dropAssignedDebt(address, uint256) external onlyBroker {
        _delegateWords(lossesModule);
    }

    /// @inheritdoc ILendingPool
    /// @dev Checks the cash arrived, then runs in PoolLosses.
    function recoverBadDebt(address, uint256 assets, uint256) external onlyBroker nonReentrant {
        if (assets == 0) revert ZeroAmount();
        _requireReceived(_market.cash, assets);
        _delegateWords(lossesModule);
        // No lender is left to unlock it to (prime13 L1): the lock goes to the reserves.
        if (totalSupply() == 0) _forfeitLock(address(0), 1, 1);
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
    function shareCompliance() external view returns (address) {
        return _shareCompliance;
    }

    /// @inheritdoc ILendingPool
    function lossOf(address account) external view returns (uint256 reserves, uint256 lenders, uint256 supply) {
        Loss memory loss = _losses[account];
        return (loss.reserves, loss.lenders, loss.supply);
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

    /// @dev What an entrant's shares are priced at: the lenders' assets and the lock.
    function _entryAssets() internal view returns (uint256) {
        return totalAssets() + _lockedAt(_lock);
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
        // The leaver's part of what is still locked (pro rata to its shares, rounded down) goes to
        // the reserves (prime13 M1, prime12 L1 and L3): those who stay keep exactly their part of
        // the lock, an entrant gets nothing of a leaver's, and the last leaver's leaves none to
        // the virtual shares. `totalAssets` and the share price do not move. Before the burn and
        // the payout (no state written after an external call).
        _forfeitLock(owner, shares, totalSupply());
        super._withdraw(caller, receiver, owner, assets, shares);
    }

    /// @dev Every share movement passes the share compliance engine, as the PortfolioVault's shares
    /// do (a refusal reverts `TransferNotCompliant` with the reason code); a frozen sender is
    /// refused here (a burn is only recorded by the engine).
    function _update(address from, address to, uint256 value) internal override {
        address engine = _shareCompliance;
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
        address engine = _shareCompliance;
        return registry.isVerified(receiver) && engine != address(0)
            && IComplianceEngine(engine).detectTransferRestriction(address(0), receiver, 1) == 0;
    }

    /// @dev Moves `shares / supply` of the restoration still locked (rounded down) to the
    /// reserves, for `owner` leaving with `shares` of `supply`; the rest unlocks as before (the
    /// lock re-stamped now with what stays, same end).
    function _forfeitLock(address owner, uint256 shares, uint256 supply) internal {
        Lock memory lock = _lock;
        uint256 locked = _lockedAt(lock);
        if (locked == 0 || supply == 0) return;
        uint256 forfeited = Math.mulDiv(locked, shares, supply);
        if (forfeited == 0) return;
        // No underflow or truncation: forfeited <= locked, a 128-bit amount.
        unchecked {
            _lock = Lock(uint128(locked - forfeited), uint40(block.timestamp), lock.end);
        }
        _market.reserves += uint128(forfeited);
        emit RestorationForfeited(owner, forfeited);
    }

    /// @dev At least `assets` of the asset arrived beyond the cash (`RepaymentNotReceived`).
    function _requireReceived(uint256 cash, uint256 assets) internal view {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 received = balance > cash ? balance - cash : 0;
        if (received < assets) revert RepaymentNotReceived(received, assets);
    }

    function _requireVerified(address receiver) internal view {
        if (!registry.isVerified(receiver)) revert LenderNotVerified(receiver);
    }
}
