// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {
    IPrimeBroker,
    MarginTier,
    CollateralConfig,
    CreditLine,
    Action,
    ActionKind,
    AccountHealth,
    IncomeKind
} from "../../interfaces/IPrimeBroker.sol";
import {ILendingPool} from "../../interfaces/ILendingPool.sol";
import {ILiquidityAggregator, ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";
import {IPrimeMargin} from "../../interfaces/IPrimeMargin.sol";
import {IPrimeLiquidation} from "../../interfaces/IPrimeLiquidation.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry, Investor, InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {IRiskEngine} from "../../interfaces/IRiskEngine.sol";
import {TradePayment} from "../vault/TradePayment.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {MarginMath} from "./MarginMath.sol";
import {PrimeLayout} from "./PrimeLayout.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {BPS} from "../libraries/Constants.sol";
import {ManagedInit} from "../access/ManagedInit.sol";

/// @title PrimeBroker
/// @notice Cross-margin accounts for institutions against tokenized collateral (see IPrimeBroker).
/// Margin calls and governance's listings, pools, tiers and credit lines run in the margin module
/// (PrimeMargin), liquidations and income in the liquidation module (PrimeLiquidation), both by
/// DELEGATECALL on this storage; the margin module's
/// views (`health`, `topUp`, `maxBorrow`, `previewLiquidation`, `incomeOf`,
/// `incomeOwed`) are served here too, through the fallback.
contract PrimeBroker is IPrimeBroker, PrimeLayout, Dispatch, ISwapPayer, ManagedInit, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The margin module (same storage layout; runs only by this contract's DELEGATECALL).
    address public immutable marginModule;
    /// @notice The liquidation module (liquidations and income; same storage layout, runs only by
    /// this contract's DELEGATECALL).
    address public immutable liquidationModule;
    /// @notice The views module (IPrimeViews: listings, terms and account figures; same storage
    /// layout, view functions only, runs only by this contract's DELEGATECALL).
    address public immutable viewsModule;
    /// @inheritdoc IPrimeBroker
    IRiskEngine public immutable riskEngine;

    /// @dev The implementation (immutables only): the broker runs behind a GovernedProxy (issue
    /// 34), whose constructor writes its storage through `initialize`.
    constructor(
        IIdentityRegistry registry_,
        IOracleRouter oracle_,
        ILiquidityAggregator aggregator_,
        address marginModule_,
        address liquidationModule_,
        address viewsModule_,
        IRiskEngine riskEngine_
    ) PrimeLayout(registry_, oracle_, aggregator_) {
        // Each module of its layout and built on this broker's registry, oracle and aggregator.
        _requireModule(marginModule_, _moduleId(MARGIN_MODULE_ID));
        _requireModule(liquidationModule_, _moduleId(LIQUIDATION_MODULE_ID));
        _requireModule(viewsModule_, _moduleId(VIEWS_MODULE_ID));
        marginModule = marginModule_;
        liquidationModule = liquidationModule_;
        viewsModule = viewsModule_;
        riskEngine = riskEngine_;
    }

    /// @inheritdoc IPrimeBroker
    function initialize(address authority_) external {
        _initialize(authority_);
        // The product plan's defaults: 150% / 125% / 110%, half a debt per liquidation, 5% bonus,
        // a day's grace.
        MarginTier memory standard = MarginTier(15_000, 12_500, 11_000, 5_000, 500, 1 days);
        _tiers[0] = standard;
        emit TierSet(0, MarginTier(0, 0, 0, 0, 0, 0), standard);
    }

    // ================================================================ governance

    /// @inheritdoc IPrimeBroker
    /// @dev Checked and stored by the margin module (governance's path, not the hot one).
    function setTier(uint8, MarginTier calldata) external restricted {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeBroker
    /// @dev Checked and stored by the margin module, as the rest of governance below.
    function setCollateral(address, CollateralConfig calldata) external restricted {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeBroker
    function setPool(address, ILendingPool) external restricted {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeLiquidation
    function setIncome(address, IncomeKind, address) external restricted {
        _delegate(liquidationModule);
    }

    /// @inheritdoc IPrimeBroker
    function setCreditLine(address, CreditLine calldata) external restricted {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeBroker
    function reduceCreditLimit(address, uint96) external restricted {
        _delegate(marginModule);
    }

    // ================================================================ accounts

    /// @inheritdoc IPrimeBroker
    function openAccount() external returns (address account) {
        Investor memory investor = _registry.investorOf(msg.sender);
        if (!investor.verified || investor.frozen) revert WalletNotVerified(msg.sender);
        if (investor.investorClass != InvestorClass.Institutional) {
            revert NotInstitutional(msg.sender, investor.identity, uint8(investor.investorClass));
        }
        account = investor.identity;
        // The RiskEngine's subject for the whole book: no account may share its halts.
        if (account == address(this)) revert ReservedAccount(account);
        if (_accounts[account].open) revert AccountExists(account);
        _accounts[account].open = true;
        emit AccountOpened(account, msg.sender);
    }

    /// @inheritdoc IPrimeBroker
    function execute(address account, Action[] calldata actions) external nonReentrant returns (uint256 ratioBps) {
        Account memory a = _requireOpen(account);
        _requireWallet(msg.sender, account);
        // What the batch does decides its check: a withdrawal or a borrow must end at initial
        // margin; swaps must end there or be risk-reducing; deposits and repayments only reduce risk.
        bool increasing;
        bool swaps;
        for (uint256 i; i < actions.length; ++i) {
            ActionKind kind = actions[i].kind;
            if (kind == ActionKind.Withdraw || kind == ActionKind.Borrow) increasing = true;
            else if (kind == ActionKind.Swap) swaps = true;
        }
        // Halts are the RiskEngine's (two reads); a batch of deposits and repayments needs none.
        bool halted = (increasing || swaps) && _halted(account);
        if (halted && increasing) revert Halted(account);
        // Written-off debt is paid before anything leaves the account (SEC-234, round 6 F5).
        if (increasing && a.assignedMask != 0) revert DebtAssignedOutstanding(account);
        uint256 ratioBefore;
        uint256 debtBefore;
        // The ratio before, for a batch that swaps without borrowing or withdrawing: it may pass as
        // risk-reducing (the only way a halted account swaps; a halted borrow reverted above).
        if (swaps && !increasing) {
            Figures memory f = _figures(account, a);
            (ratioBefore, debtBefore) = (f.ratioBps, f.debtUsd);
        }
        bool borrowed;
        // Risk-reducing: every swap strictly raised the ratio itself (SEC-164: judged over the
        // batch, a deposit beside it did it for the swap).
        bool reducing = true;
        for (uint256 i; i < actions.length; ++i) {
            Action calldata action = actions[i];
            ActionKind kind = action.kind;
            if (kind == ActionKind.Deposit) _deposit(account, a, action.asset, action.amount);
            else if (kind == ActionKind.Withdraw) _withdraw(account, a, action.asset, action.amount, action.to);
            else if (kind == ActionKind.Borrow) borrowed = _borrow(account, a, action.asset, action.amount, action.to);
            else if (kind == ActionKind.Repay) _repay(account, a, action.asset, action.amount, action.to);
            else if (!_swap(account, a, action.data, !increasing)) reducing = false;
            // Written back after each action: a view called during the next one's token transfer
            // sees the masks that match the balances.
            _accounts[account] = a;
        }
        if (!increasing && !swaps && a.marginCallAt == 0) return 0;
        Figures memory post = _figures(account, a);
        ratioBps = post.ratioBps;
        uint256 initial = _tiers[a.tier].initialBps;
        // Strictly: a swap that leaves the ratio where it was reduces nothing (SEC-151, SEC-156: a
        // halted account's swap without debt, a liquidatable account rotating its collateral).
        reducing = reducing && ratioBps > ratioBefore && post.debtUsd <= debtBefore;
        if (increasing || swaps) {
            // Matured notes' claims support no new debt or withdrawal (`_initialRatio`).
            if ((increasing || !reducing) && _initialRatio(post) < initial) {
                revert InitialMarginBreached(account, ratioBps, initial);
            }
            if (halted && !reducing) revert Halted(account);
        }
        if (borrowed && post.debtUsd > a.limitUsd) revert CreditLimitExceeded(account, post.debtUsd, a.limitUsd);
        if (a.marginCallAt != 0 && ratioBps >= _tiers[a.tier].maintenanceBps) _clearCall(account, ratioBps);
        emit Checked(account, ratioBefore, ratioBps);
    }

    // ================================================================ margin

    /// @inheritdoc IPrimeBroker
    function marginCall(address) external returns (uint256) {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeBroker
    function clearMarginCall(address) external {
        _delegate(marginModule);
    }

    /// @inheritdoc IPrimeLiquidation
    /// @dev Returns from Solidity (`_delegateWords`), so the lock is released (SEC-165).
    function claimIncome(address, address) external nonReentrant returns (uint256 credited) {
        (credited,) = _delegateWords(liquidationModule);
    }

    /// @inheritdoc IPrimeLiquidation
    function liquidate(address, address, uint256, address, bytes calldata, uint32)
        external
        restricted
        nonReentrant
        returns (uint256 repaid, uint256 seized)
    {
        (repaid, seized) = _delegateWords(liquidationModule);
    }

    /// @notice Serves the views module's functions (IPrimeViews) on this storage: every call no
    /// function here serves goes to it, which has view functions only and refuses the rest
    /// (`UnknownCall`). But `moduleId`: a broker is no module, and answering with its views
    /// module's id would let a dispatcher's constructor take a broker for one (`_requireModule`).
    fallback() external {
        if (msg.sig == DelegatedModule.moduleId.selector) revert UnknownCall(msg.sig);
        _delegate(viewsModule);
    }

    /// @notice Pays the aggregator's venue during this broker's own sale: only the running sale's
    /// token, at most what the sale may spend (TradePayment's transient record).
    function payForSwap(address token, address to, uint256 amount) external {
        (address payer, address sellAsset, uint256 remaining) = TradePayment.current();
        if (payer == address(0) || msg.sender != address(_aggregator) || token != sellAsset) {
            revert PaymentNotExpected(msg.sender, token);
        }
        if (amount > remaining) revert InsufficientBalance(address(0), token, remaining, amount);
        unchecked {
            TradePayment.setRemaining(remaining - amount);
        }
        IERC20(token).safeTransfer(to, amount);
    }

    // ================================================================ views

    /// @inheritdoc IPrimeBroker
    function totalCollateral(address asset) external view returns (uint256) {
        return _totalCollateral[asset];
    }

    /// @inheritdoc IPrimeBroker
    function balanceOf(address account, address asset) external view returns (uint256) {
        return _balances[account][asset];
    }

    /// @inheritdoc IPrimeBroker
    function assignedDebtOf(address account, address asset) external view returns (uint256) {
        return _assigned[account][asset];
    }

    /// @inheritdoc IPrimeBroker
    function carriedDebtOf(address account, address asset) external view returns (uint256) {
        return _carried[account][asset];
    }

    /// @inheritdoc IPrimeBroker
    function registry() external view returns (IIdentityRegistry) {
        return _registry;
    }

    /// @inheritdoc IPrimeBroker
    function oracle() external view returns (IOracleRouter) {
        return _oracle;
    }

    /// @inheritdoc IPrimeBroker
    function aggregator() external view returns (ILiquidityAggregator) {
        return _aggregator;
    }

    /// @inheritdoc IPrimeBroker
    function bookHalted() external view returns (bool) {
        return riskEngine.isHalted(address(this));
    }

    /// @inheritdoc IPrimeBroker
    function isOpen(address account) external view returns (bool) {
        return _accounts[account].open;
    }

    /// @inheritdoc IPrimeBroker
    function isHalted(address account) external view returns (bool) {
        return _halted(account);
    }

    /// @inheritdoc IPrimeBroker
    function liquidationCount(address account) external view returns (uint32) {
        return _accounts[account].liquidations;
    }

    // ================================================================ internal: actions

    /// @dev Settles the account's income on `asset` (the liquidation module's `claimIncome`, by
    /// DELEGATECALL:
    /// it credits the payment asset, or retires matured notes, in storage) before its balance of
    /// `asset` moves; `a` takes the masks it left.
    function _settleIncome(address account, Account memory a, address asset) internal {
        _delegateTwo(
            liquidationModule,
            IPrimeLiquidation.claimIncome.selector,
            uint256(uint160(account)),
            uint256(uint160(asset))
        );
        a.heldMask = _accounts[account].heldMask;
    }

    function _deposit(address account, Account memory a, address asset, uint256 amount) internal {
        Listing memory l = _requireListed(asset);
        if (amount == 0) revert ZeroAmount();
        if (l.income) _settleIncome(account, a, asset);
        _credit(account, a, l, asset, amount, true);
        emit Deposited(account, asset, msg.sender, amount);
        IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
    }

    function _withdraw(address account, Account memory a, address asset, uint256 amount, address to) internal {
        Listing memory l = _requireListed(asset);
        if (to != msg.sender) _requireWallet(to, account);
        if (l.income) _settleIncome(account, a, asset);
        _debit(account, a, l, asset, amount);
        emit Withdrawn(account, asset, to, amount);
        IERC20(asset).safeTransfer(to, amount);
    }

    function _borrow(address account, Account memory a, address asset, uint256 amount, address to)
        internal
        returns (bool)
    {
        Listing memory l = _requireListed(asset);
        if (address(l.pool) == address(0)) revert NoPool(asset);
        if (amount == 0) revert ZeroAmount();
        a.debtMask |= _bit(l);
        if (to == address(0)) {
            // Kept in the account, to trade: counted as its holding, one its identity may hold
            // (SEC-152), within the caps like every other credit (SEC-158: an uncapped borrowed
            // leg pushed the total past the cap and locked every account's deposits out).
            _requireEligible(account, asset, amount);
            _credit(account, a, l, asset, amount, true);
            to = address(this);
        } else if (to != msg.sender) {
            _requireWallet(to, account);
        }
        emit Borrowed(account, asset, to, amount);
        l.pool.borrow(account, amount, a.spreadBps, to);
        return true;
    }

    /// @dev Repays the account's assigned debt of `asset` first (written off: the pool recovers it,
    /// SEC-193), else its debt to the pool.
    function _repay(address account, Account memory a, address asset, uint256 amount, address from) internal {
        Listing memory l = _requireListed(asset);
        if (address(l.pool) == address(0)) revert NoPool(asset);
        uint256 assigned = a.assignedMask != 0 ? _assigned[account][asset] : 0;
        uint256 debt = assigned != 0 ? assigned : l.pool.debtOf(account, a.spreadBps);
        if (debt == 0) revert NoDebt(account, asset);
        if (amount > debt) amount = debt;
        if (amount == 0) revert ZeroAmount();
        // No underflow: amount <= debt == assigned. The carried part is paid first (SEC-234).
        uint256 carried;
        if (assigned != 0) {
            _assign(account, a, asset, _bit(l), assigned - amount);
            carried = _uncarry(account, asset, amount);
        }
        if (from == address(0)) {
            _debit(account, a, l, asset, amount);
            IERC20(asset).safeTransfer(address(l.pool), amount);
        } else {
            IERC20(asset).safeTransferFrom(msg.sender, address(l.pool), amount);
        }
        emit Repaid(account, asset, from == address(0) ? address(this) : msg.sender, amount);
        if (assigned != 0) l.pool.recoverBadDebt(account, amount, carried);
        else if (l.pool.repay(account, amount, a.spreadBps) == 0) a.debtMask &= ~_bit(l);
    }

    /// @dev Returns whether the swap strictly raised the account's ratio (measured after the
    /// income settled, only when `judged`; true otherwise), what it bought counted at no more than
    /// the oracle value of what it sold (SEC-167).
    function _swap(address account, Account memory a, bytes calldata route, bool judged)
        internal
        returns (bool raised)
    {
        address tokenIn = RouteCodec.tokenIn(route);
        address tokenOut = RouteCodec.tokenOut(route);
        Listing memory lIn = _requireListed(tokenIn);
        Listing memory lOut = _requireListed(tokenOut);
        if (lIn.income) _settleIncome(account, a, tokenIn);
        if (lOut.income) _settleIncome(account, a, tokenOut);
        uint256 before = judged ? _figures(account, a).ratioBps : 0;
        uint256 available = _balances[account][tokenIn];
        (uint256 sold, uint256 bought) = _sell(route, tokenIn, tokenOut, available);
        // At the oracle value less the bound, halted or not (SEC-151), into a holding the
        // account's identity may hold (SEC-152).
        uint256 fair = _requireOracleFloor(
            sold, _oracle.price(tokenIn), lIn.decimals, bought, _oracle.price(tokenOut), lOut.decimals
        );
        _requireEligible(account, tokenOut, bought);
        _debit(account, a, lIn, tokenIn, sold);
        // Judged on what it bought up to the oracle value of what it sold: a delivery above it (the
        // account's own maker's) is a deposit, and raises nothing for the swap (SEC-167).
        uint256 counted = judged && bought > fair ? fair : bought;
        _credit(account, a, lOut, tokenOut, counted, true);
        raised = !judged || _figures(account, a).ratioBps > before;
        if (bought != counted) _credit(account, a, lOut, tokenOut, bought - counted, true);
        emit Swapped(account, tokenIn, tokenOut, sold, bought);
    }

    /// @dev The whole book (the RiskEngine's halt of this broker) or the account (of its identity).
    function _halted(address account) internal view returns (bool) {
        return riskEngine.isHalted(address(this)) || riskEngine.isHalted(account);
    }
}
