// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MarginTier, AccountHealth, IncomeConfig, IncomeKind} from "../../interfaces/IPrimeBroker.sol";
import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {PrimeLayout} from "./PrimeLayout.sol";
import {IPrimeMargin} from "../../interfaces/IPrimeMargin.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeMargin
/// @notice The prime broker's margin module: margin calls, liquidation, the income of posted assets
/// and the views that value an account (IPrimeMargin), run by the broker with DELEGATECALL on its
/// own storage (the broker checks roles and the reentrancy lock first). Called directly it
/// refuses: it has no state of its own.
contract PrimeMargin is IPrimeMargin, PrimeLayout {
    using SafeERC20 for IERC20;

    error DirectCall();

    address private immutable _self;

    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_)
        PrimeLayout(registry_, oracle_, aggregator_)
    {
        _self = address(this);
    }

    /// @inheritdoc IPrimeMargin
    /// @dev Opens a call, or confirms the live one (SEC-24: seen below maintenance again).
    function marginCall(address account) external returns (uint256 deadline) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        Figures memory f = _figures(account, a);
        MarginTier memory t = _tiers[a.tier];
        if (f.ratioBps >= t.maintenanceBps) revert NotBelowMaintenance(account, f.ratioBps, t.maintenanceBps);
        bool live = _live(a, t, _callSeenAt[account]);
        _callSeenAt[account] = block.timestamp;
        if (live) {
            emit MarginCallConfirmed(account, f.ratioBps);
            return a.marginCallAt + t.gracePeriod;
        }
        _accounts[account].marginCallAt = uint40(block.timestamp);
        deadline = block.timestamp + t.gracePeriod;
        emit MarginCalled(
            account,
            f.ratioBps,
            MarginMath.shortfall(f.adjustedCollateralUsd, f.adjustedDebtUsd, t.initialBps),
            deadline
        );
    }

    /// @inheritdoc IPrimeMargin
    function clearMarginCall(address account) external {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        if (a.marginCallAt == 0) revert NoMarginCall(account);
        uint256 ratio = _figures(account, a).ratioBps;
        uint256 maintenance = _tiers[a.tier].maintenanceBps;
        if (ratio < maintenance) revert NotBelowMaintenance(account, ratio, maintenance);
        _clearCall(account, ratio);
    }

    /// @inheritdoc IPrimeMargin
    function setTier(uint8 tier, MarginTier calldata t) external {
        _requireDelegated();
        if (tier >= MAX_TIERS) revert InvalidTier(tier, "index");
        if (t.liquidationBps < MIN_LIQUIDATION_BPS) revert InvalidTier(tier, "liquidation ratio");
        if (t.maintenanceBps <= t.liquidationBps) revert InvalidTier(tier, "maintenance <= liquidation");
        if (t.initialBps <= t.maintenanceBps || t.initialBps > MAX_INITIAL_BPS) revert InvalidTier(tier, "initial");
        if (t.bonusBps > MAX_BONUS_BPS || t.bonusBps > t.liquidationBps - BPS) revert InvalidTier(tier, "bonus");
        if (t.closeFactorBps < MIN_CLOSE_FACTOR_BPS || t.closeFactorBps > BPS) {
            revert InvalidTier(tier, "close factor");
        }
        if (t.gracePeriod < MIN_GRACE_PERIOD || t.gracePeriod > MAX_GRACE_PERIOD) revert InvalidTier(tier, "grace");
        emit TierSet(tier, _tiers[tier], t);
        _tiers[tier] = t;
    }

    /// @inheritdoc IPrimeMargin
    function setIncome(address asset, IncomeKind kind, address source) external {
        _requireDelegated();
        Listing memory l = _requireListed(asset);
        if (address(l.pool) != address(0)) revert InvalidCollateral(asset, "borrowable");
        // The accounts' marks start with the binding: nothing of it may be held yet (a matured
        // note's retired units count: they keep their claim on its servicer).
        if (_totalCollateral[asset] != 0) revert InvalidCollateral(asset, "posted");
        address pay;
        if (kind == IncomeKind.Coupons) {
            IBondServicer servicer = IBondServicer(source);
            if (address(servicer.token()) != asset) revert InvalidCollateral(asset, "servicer of another token");
            if (servicer.SCALE() != SERVICER_SCALE) revert InvalidCollateral(asset, "servicer scale");
            pay = address(servicer.paymentAsset());
            Listing memory p = _listings[pay];
            if (p.slot == 0 || p.income) revert InvalidCollateral(pay, "payment asset");
        } else if (kind == IncomeKind.Shares) {
            if (source != asset) revert InvalidCollateral(asset, "source");
            // Reverts for a token without an income index.
            IIncomeShareToken(asset).incomeIndex();
            pay = asset;
        } else {
            source = address(0);
        }
        Income memory previous = _incomes[asset];
        emit IncomeSet(
            asset, IncomeConfig(previous.kind, previous.source, previous.payAsset), IncomeConfig(kind, source, pay)
        );
        _incomes[asset] = Income(kind, source, pay);
        bool bearing = kind != IncomeKind.None;
        _listings[asset].income = bearing;
        _entries[l.slot - 1].income = bearing;
    }

    /// @inheritdoc IPrimeMargin
    function claimIncome(address account, address asset) external returns (uint256 credited) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        credited = _settleIncome(account, a, asset);
        _accounts[account] = a;
    }

    /// @inheritdoc IPrimeMargin
    function health(address account) external view returns (AccountHealth memory h) {
        _requireDelegated();
        Account memory a = _accounts[account];
        Figures memory f = _figures(account, a);
        MarginTier memory t = _tiers[a.tier];
        h.collateralUsd = f.collateralUsd;
        h.adjustedCollateralUsd = f.adjustedCollateralUsd;
        h.debtUsd = f.debtUsd;
        h.adjustedDebtUsd = f.adjustedDebtUsd;
        h.ratioBps = f.ratioBps;
        uint256 seen = _callSeenAt[account];
        if (_live(a, t, seen)) {
            h.marginCallAt = a.marginCallAt;
            h.marginCallSeenAt = seen;
            h.deadline = a.marginCallAt + t.gracePeriod;
        }
        h.liquidatable = f.ratioBps < t.liquidationBps
            || (h.deadline != 0 && block.timestamp >= h.deadline && f.ratioBps < t.maintenanceBps);
    }

    /// @inheritdoc IPrimeMargin
    function incomeOf(address asset) external view returns (IncomeConfig memory) {
        _requireDelegated();
        Income memory i = _incomes[asset];
        return IncomeConfig(i.kind, i.source, i.payAsset);
    }

    /// @inheritdoc IPrimeMargin
    function incomeOwed(address account, address asset) external view returns (uint256 owed) {
        _requireDelegated();
        (owed,,,) = _owed(account, asset, _incomes[asset]);
    }

    /// @inheritdoc IPrimeMargin
    function topUp(address account, address asset) external view returns (uint256 units, uint256 adjustedUsd) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        Listing memory l = _requireListed(asset);
        Figures memory f = _figures(account, a);
        adjustedUsd = MarginMath.shortfall(f.adjustedCollateralUsd, f.adjustedDebtUsd, _tiers[a.tier].initialBps);
        if (adjustedUsd == 0) return (0, 0);
        uint256 haircut = MarginMath.haircutBps(l.riskWeightBps);
        if (haircut >= BPS) revert InvalidCollateral(asset, "no collateral value");
        // Adjusted value per whole token: price x (1 - haircut); units rounded up.
        uint256 perToken = _oracle.price(asset) * (BPS - haircut) / BPS;
        units = Math.mulDiv(adjustedUsd, 10 ** l.decimals, perToken, Math.Rounding.Ceil);
    }

    /// @inheritdoc IPrimeMargin
    function maxBorrow(address account, address asset) external view returns (uint256 units) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        Listing memory l = _requireListed(asset);
        if (address(l.pool) == address(0)) revert NoPool(asset);
        Figures memory f = _figures(account, a);
        uint256 room = f.adjustedCollateralUsd * BPS / _tiers[a.tier].initialBps;
        if (room <= f.adjustedDebtUsd || f.debtUsd >= a.limitUsd) return 0;
        uint256 price = _oracle.price(asset);
        uint256 byMargin = Math.mulDiv(
            room - f.adjustedDebtUsd, 10 ** l.decimals * BPS, price * (BPS + MarginMath.haircutBps(l.riskWeightBps))
        );
        uint256 byCredit = Math.mulDiv(a.limitUsd - f.debtUsd, 10 ** l.decimals, price);
        units = Math.min(Math.min(byMargin, byCredit), l.pool.state().cash);
    }

    /// @inheritdoc IPrimeMargin
    function liquidate(
        address account,
        address debtAsset,
        uint256 repay,
        address collateralAsset,
        bytes calldata route,
        uint32 expectedLiquidations
    ) external returns (uint256 repaid, uint256 seized) {
        _requireDelegated();
        if (!_registry.isVerified(msg.sender)) revert LiquidatorNotVerified(msg.sender);
        Account memory a = _requireOpen(account);
        if (a.liquidations != expectedLiquidations) {
            revert StaleLiquidation(account, expectedLiquidations, a.liquidations);
        }
        // The account's income first: what it was paid counts, a matured note's units leave its
        // collateral for the cash they were redeemed for (IPrimeBroker "Income").
        _settleAllIncome(account, a);
        Quote memory q = _quote(account, a, debtAsset, repay, collateralAsset);
        // Effects: the collateral leaves the account and the count moves before any token does.
        if (q.seized != 0) _debit(account, a, q.collateral, collateralAsset, q.seized);
        unchecked {
            ++a.liquidations;
        }
        _accounts[account] = a;
        uint256 proceeds;
        uint256 debtAfter;
        // Nothing repaid: the collateral is dust, written off below (`q.writeOff`).
        if (q.repaid != 0) {
            if (route.length == 0) {
                // Taken: the liquidator pays the debt and receives the collateral (the token's
                // compliance decides whether it may hold it).
                IERC20(debtAsset).safeTransferFrom(msg.sender, address(q.debt.pool), q.repaid);
                IERC20(collateralAsset).safeTransfer(msg.sender, q.seized);
            } else {
                proceeds = _sellSeized(account, a, q, route, collateralAsset, debtAsset);
            }
            debtAfter = q.debt.pool.repay(account, q.repaid, a.spreadBps);
            if (debtAfter == 0) a.debtMask &= ~_bit(q.debt);
        }
        uint256 ratioAfter = MarginMath.NO_DEBT_RATIO;
        if (a.heldMask == 0 || q.writeOff) {
            _realiseBadDebt(account, a);
        } else {
            ratioAfter = _ratioAfter(q, _balances[account][collateralAsset], debtAfter);
            if (a.marginCallAt != 0) {
                if (ratioAfter >= q.maintenanceBps) {
                    a.marginCallAt = 0;
                    emit MarginCallCleared(account, ratioAfter);
                } else if (q.callLive) {
                    // Seen below maintenance: the call stays live (SEC-24).
                    _callSeenAt[account] = block.timestamp;
                }
            }
        }
        _accounts[account] = a;
        (repaid, seized) = (q.repaid, q.seized);
        emit Liquidated(
            account, msg.sender, debtAsset, collateralAsset, repaid, seized, proceeds, q.ratioBeforeBps, ratioAfter
        );
    }

    /// @inheritdoc IPrimeMargin
    function previewLiquidation(address account, address debtAsset, uint256 repay, address collateralAsset)
        external
        view
        returns (uint256 repaid, uint256 seized, uint256 bonusBps, uint256 seizedValueUsd)
    {
        _requireDelegated();
        Quote memory q = _quote(account, _requireOpen(account), debtAsset, repay, collateralAsset);
        return (q.repaid, q.seized, q.bonusBps, MarginMath.valueDown(q.seized, q.colPrice, q.collateral.decimals));
    }

    // ================================================================ internal: income

    function _requireDelegated() internal view {
        if (address(this) == _self) revert DirectCall();
    }

    /// @dev Settles each income-bearing asset the account holds (bounded by MAX_ASSETS).
    function _settleAllIncome(address account, Account memory a) internal {
        uint256 mask = a.heldMask;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0 && _entries[i].income) _settleIncome(account, a, _entries[i].asset);
            mask >>= 1;
        }
    }

    /// @dev Credits the account its income on `asset` since its marks (IPrimeBroker "Income"), at
    /// most what the broker holds of the payment asset beyond the accounts' balances; moves the
    /// marks; retires a matured note's units from the collateral; makes the servicer pay the
    /// broker what it owes it. Returns what it credited.
    function _settleIncome(address account, Account memory a, address asset) internal returns (uint256 credited) {
        Income memory inc = _incomes[asset];
        if (inc.kind == IncomeKind.None) return 0;
        (uint256 owed, uint256 first, uint256 second, bool redeeming) = _owed(account, asset, inc);
        _incomeMarks[account][asset] = IncomeMark(first, second);
        if (inc.kind == IncomeKind.Coupons) {
            uint256 units = _balances[account][asset];
            if (redeeming && units != 0) {
                // Matured: no longer collateral (it cannot move), still the account's claim (and
                // still in `_totalCollateral`, the units the broker holds for its accounts).
                _balances[account][asset] = 0;
                _retired[account][asset] += units;
                a.heldMask &= ~_bit(_listings[asset]);
                emit CollateralMatured(account, asset, units);
            }
            if (owed != 0) {
                IBondServicer servicer = IBondServicer(inc.source);
                if (redeeming) servicer.redeem(address(this));
                else servicer.claimCoupons(address(this));
            }
        }
        if (owed == 0) return 0;
        address pay = inc.payAsset;
        uint256 held = IERC20(pay).balanceOf(address(this));
        uint256 posted = _totalCollateral[pay];
        credited = Math.min(owed, held > posted ? held - posted : 0);
        if (credited == 0) return 0;
        _credit(account, a, _listings[pay], pay, credited, false);
        emit IncomeCredited(account, asset, pay, credited);
    }

    /// @dev The account's income on `asset` since its marks, rounded down (what the source pays a
    /// holder of its units), and the source's indices now (the marks' next values) and whether a
    /// note is being redeemed. A mark of 0, or no units, owes nothing (an account settles before
    /// its first units arrive; a source changes only while nothing is held).
    function _owed(address account, address asset, Income memory inc)
        internal
        view
        returns (uint256 owed, uint256 first, uint256 second, bool redeeming)
    {
        IncomeMark memory mark = _incomeMarks[account][asset];
        uint256 units = _balances[account][asset];
        if (inc.kind == IncomeKind.Shares) {
            (first,,) = IIncomeShareToken(asset).incomeIndex();
            // No underflow: the income index never decreases.
            if (mark.coupon != 0 && units != 0) owed = Math.mulDiv(units, first, mark.coupon) - units;
        } else if (inc.kind == IncomeKind.Coupons) {
            IBondServicer servicer = IBondServicer(inc.source);
            (first,,, redeeming) = servicer.servicing();
            if (redeeming) {
                (,,, second,) = servicer.redemptionPool();
                units += _retired[account][asset];
            }
            // No underflow: the coupon and redemption indices never decrease.
            if (units != 0) {
                owed = Math.mulDiv(units, first - mark.coupon, SERVICER_SCALE)
                    + Math.mulDiv(units, second - mark.redemption, SERVICER_SCALE);
            }
        }
    }

    // ================================================================ internal: liquidation

    /// @dev A call is live while it was seen below maintenance within its heartbeat (SEC-24).
    function _live(Account memory a, MarginTier memory t, uint256 seenAt) internal view returns (bool) {
        return a.marginCallAt != 0 && block.timestamp < seenAt + Math.min(t.gracePeriod, MARGIN_CALL_HEARTBEAT);
    }

    /// @dev A liquidation's terms, checked: the account is liquidatable, the repayment within the
    /// close factor, the collateral seized at oracle prices with the (dynamic) bonus, capped by the
    /// account's balance of it.
    struct Quote {
        Listing debt;
        Listing collateral;
        uint256 debtPrice;
        uint256 colPrice;
        uint256 bonusBps;
        uint256 repaid;
        uint256 seized;
        uint256 ratioBeforeBps;
        uint256 maintenanceBps;
        uint256 adjustedCollateralUsd;
        uint256 adjustedDebtUsd;
        uint256 debtBefore;
        uint256 balanceBefore;
        /// The account's collateral at oracle value before (Figures.collateralUsd).
        uint256 collateralUsd;
        /// What is left cannot repay one unit of the debt: write the debts off (SEC-23).
        bool writeOff;
        /// The account's call is live (SEC-24).
        bool callLive;
    }

    function _quote(address account, Account memory a, address debtAsset, uint256 repay, address collateralAsset)
        internal
        view
        returns (Quote memory q)
    {
        // One pass: the ratio, and the two assets' prices and the debt on the way.
        Figures memory f = _figures(account, a, debtAsset, collateralAsset);
        MarginTier memory t = _tiers[a.tier];
        // The call's last sighting read only when there is one (a cold load otherwise wasted).
        q.callLive = a.marginCallAt != 0 && _live(a, t, _callSeenAt[account]);
        uint256 deadline = q.callLive ? a.marginCallAt + t.gracePeriod : 0;
        bool overdue = deadline != 0 && block.timestamp >= deadline && f.ratioBps < t.maintenanceBps;
        if (f.ratioBps >= t.liquidationBps && !overdue) revert NotLiquidatable(account, f.ratioBps, deadline);
        q.debt = _listings[debtAsset];
        q.collateral = _requireListed(collateralAsset);
        if (address(q.debt.pool) == address(0)) revert NoPool(debtAsset);
        q.debtBefore = f.debtX;
        if (q.debtBefore == 0) revert NoDebt(account, debtAsset);
        q.balanceBefore = _balances[account][collateralAsset];
        // An account with no collateral at all is written off whatever asset is named (below).
        if (q.balanceBefore == 0 && a.heldMask != 0) revert InsufficientBalance(account, collateralAsset, 0, 1);
        uint256 most = MarginMath.maxRepay(q.debtBefore, f.ratioBps, t.closeFactorBps);
        if (repay > most) revert RepayAboveCloseFactor(repay, most);
        q.ratioBeforeBps = f.ratioBps;
        q.collateralUsd = f.collateralUsd;
        q.adjustedCollateralUsd = f.adjustedCollateralUsd;
        q.adjustedDebtUsd = f.adjustedDebtUsd;
        q.maintenanceBps = t.maintenanceBps;
        q.debtPrice = f.priceX;
        q.colPrice = f.priceY;
        q.bonusBps = MarginMath.bonusBps(
            t.bonusBps,
            f.ratioBps,
            MarginMath.haircutBps(q.collateral.riskWeightBps),
            MarginMath.haircutBps(q.debt.riskWeightBps)
        );
        q.repaid = repay;
        if (q.balanceBefore == 0) {
            // No collateral at all (its price was not read): nothing to seize, written off below.
            q.repaid = 0;
        } else {
            q.seized =
                MarginMath.seized(repay, q.debtPrice, q.debt.decimals, q.colPrice, q.collateral.decimals, q.bonusBps);
            if (q.seized > q.balanceBefore) {
                q.seized = q.balanceBefore;
                q.repaid = MarginMath.repayable(
                    q.seized, q.colPrice, q.collateral.decimals, q.debtPrice, q.debt.decimals, q.bonusBps
                );
            }
        }
        // Nothing to repay: nothing is seized (dust stays with the account).
        if (q.repaid == 0) q.seized = 0;
        // What is left, at oracle value: dust when it cannot repay one unit of the debt (SEC-23).
        uint8 cd = q.collateral.decimals;
        uint256 left = q.collateralUsd - MarginMath.valueDown(q.balanceBefore, q.colPrice, cd)
            + MarginMath.valueDown(q.balanceBefore - q.seized, q.colPrice, cd);
        // And at most MAX_DUST_USD whatever the debt's unit (a liquidator naming a debt of a costly
        // unit writes nothing off beside collateral worth more).
        q.writeOff =
            left <= MAX_DUST_USD && MarginMath.repayableFor(left, q.debtPrice, q.debt.decimals, q.bonusBps) == 0;
        if (q.repaid == 0 && !q.writeOff) revert ZeroAmount();
    }

    /// @dev The ratio after the liquidation, exactly as `_figures` would compute it, from the one
    /// before: only the seized asset's collateral term and the repaid asset's debt term changed
    /// (no other price, balance or debt moved), so they are replaced (no second pass of oracle
    /// reads).
    function _ratioAfter(Quote memory q, uint256 balanceAfter, uint256 debtAfter) internal pure returns (uint256) {
        uint256 hc = MarginMath.haircutBps(q.collateral.riskWeightBps);
        uint256 hd = MarginMath.haircutBps(q.debt.riskWeightBps);
        uint8 cd = q.collateral.decimals;
        uint8 dd = q.debt.decimals;
        uint256 collateral = q.adjustedCollateralUsd
            - MarginMath.adjustedCollateral(MarginMath.valueDown(q.balanceBefore, q.colPrice, cd), hc)
            + MarginMath.adjustedCollateral(MarginMath.valueDown(balanceAfter, q.colPrice, cd), hc);
        uint256 debt = q.adjustedDebtUsd
            - MarginMath.adjustedDebt(MarginMath.valueUp(q.debtBefore, q.debtPrice, dd), hd)
            + MarginMath.adjustedDebt(MarginMath.valueUp(debtAfter, q.debtPrice, dd), hd);
        return MarginMath.ratioBps(collateral, debt);
    }

    /// @dev Sells the seized collateral along `route`; what the route did not spend goes back to the
    /// account. The proceeds must reach the oracle value of what was sold less
    /// MAX_LIQUIDATION_SLIPPAGE_BPS and cover the repayment; the pool gets the repayment, the
    /// liquidator the rest. Sets `q.seized` to what was sold.
    function _sellSeized(
        address account,
        Account memory a,
        Quote memory q,
        bytes calldata route,
        address collateralAsset,
        address debtAsset
    ) internal returns (uint256 proceeds) {
        uint256 sold;
        (sold, proceeds) = _sell(route, collateralAsset, debtAsset, q.seized);
        if (sold < q.seized) _credit(account, a, q.collateral, collateralAsset, q.seized - sold, false);
        q.seized = sold;
        uint256 floor = MarginMath.seized(sold, q.colPrice, q.collateral.decimals, q.debtPrice, q.debt.decimals, 0)
            * (BPS - MAX_LIQUIDATION_SLIPPAGE_BPS) / BPS;
        if (proceeds < floor) revert SwapOutputBelowOracle(proceeds, floor);
        if (proceeds < q.repaid) revert InsufficientProceeds(proceeds, q.repaid);
        IERC20(debtAsset).safeTransfer(address(q.debt.pool), q.repaid);
        if (proceeds > q.repaid) IERC20(debtAsset).safeTransfer(msg.sender, proceeds - q.repaid);
    }
}
