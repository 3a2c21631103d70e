// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MarginTier, AccountHealth} from "../../interfaces/IPrimeBroker.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {PrimeLayout} from "./PrimeLayout.sol";
import {IPrimeMargin} from "../../interfaces/IPrimeMargin.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeMargin
/// @notice The prime broker's margin module: margin calls, liquidation and the views that value an
/// account (IPrimeMargin), run by the broker with DELEGATECALL on its own storage (the broker
/// checks the liquidator's role and the reentrancy lock first). Called directly it refuses: it has
/// no state of its own.
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
    function marginCall(address account) external returns (uint256 deadline) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        if (a.marginCallAt != 0) revert MarginCallOpen(account, a.marginCallAt);
        Figures memory f = _figures(account, a);
        MarginTier memory t = _tiers[a.tier];
        if (f.ratioBps >= t.maintenanceBps) revert NotBelowMaintenance(account, f.ratioBps, t.maintenanceBps);
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
        h.marginCallAt = a.marginCallAt;
        h.deadline = a.marginCallAt == 0 ? 0 : a.marginCallAt + t.gracePeriod;
        h.liquidatable = f.ratioBps < t.liquidationBps
            || (h.deadline != 0 && block.timestamp >= h.deadline && f.ratioBps < t.maintenanceBps);
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
        Quote memory q = _quote(account, a, debtAsset, repay, collateralAsset);
        // Effects: the collateral leaves the account and the count moves before any token does.
        _debit(account, a, q.collateral, collateralAsset, q.seized);
        unchecked {
            ++a.liquidations;
        }
        _accounts[account] = a;
        uint256 proceeds;
        if (route.length == 0) {
            // Taken: the liquidator pays the debt and receives the collateral (the token's
            // compliance decides whether it may hold it).
            IERC20(debtAsset).safeTransferFrom(msg.sender, address(q.debt.pool), q.repaid);
            IERC20(collateralAsset).safeTransfer(msg.sender, q.seized);
        } else {
            proceeds = _sellSeized(account, a, q, route, collateralAsset, debtAsset);
        }
        uint256 debtAfter = q.debt.pool.repay(account, q.repaid, a.spreadBps);
        if (debtAfter == 0) a.debtMask &= ~_bit(q.debt);
        uint256 ratioAfter = MarginMath.NO_DEBT_RATIO;
        if (a.heldMask == 0) {
            _realiseBadDebt(account, a);
        } else {
            ratioAfter = _ratioAfter(q, _balances[account][collateralAsset], debtAfter);
            if (a.marginCallAt != 0 && ratioAfter >= q.maintenanceBps) {
                a.marginCallAt = 0;
                emit MarginCallCleared(account, ratioAfter);
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

    // ================================================================ internal: liquidation

    function _requireDelegated() internal view {
        if (address(this) == _self) revert DirectCall();
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
    }

    function _quote(address account, Account memory a, address debtAsset, uint256 repay, address collateralAsset)
        internal
        view
        returns (Quote memory q)
    {
        // One pass: the ratio, and the two assets' prices and the debt on the way.
        Figures memory f = _figures(account, a, debtAsset, collateralAsset);
        MarginTier memory t = _tiers[a.tier];
        uint256 deadline = a.marginCallAt == 0 ? 0 : a.marginCallAt + t.gracePeriod;
        bool overdue = deadline != 0 && block.timestamp >= deadline && f.ratioBps < t.maintenanceBps;
        if (f.ratioBps >= t.liquidationBps && !overdue) revert NotLiquidatable(account, f.ratioBps, deadline);
        q.debt = _listings[debtAsset];
        q.collateral = _requireListed(collateralAsset);
        if (address(q.debt.pool) == address(0)) revert NoPool(debtAsset);
        q.debtBefore = f.debtX;
        if (q.debtBefore == 0) revert NoDebt(account, debtAsset);
        q.balanceBefore = _balances[account][collateralAsset];
        if (q.balanceBefore == 0) revert InsufficientBalance(account, collateralAsset, 0, 1);
        uint256 most = MarginMath.maxRepay(q.debtBefore, f.ratioBps, t.closeFactorBps);
        if (repay > most) revert RepayAboveCloseFactor(repay, most);
        q.ratioBeforeBps = f.ratioBps;
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
        q.seized = MarginMath.seized(repay, q.debtPrice, q.debt.decimals, q.colPrice, q.collateral.decimals, q.bonusBps);
        if (q.seized > q.balanceBefore) {
            q.seized = q.balanceBefore;
            q.repaid = MarginMath.repayable(
                q.seized, q.colPrice, q.collateral.decimals, q.debtPrice, q.debt.decimals, q.bonusBps
            );
        }
        if (q.repaid == 0) revert ZeroAmount();
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
