// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {MarginTier, CollateralConfig, CollateralRule, CreditLine, TierRule} from "../../interfaces/IPrimeBroker.sol";
import {ILendingPool} from "../../interfaces/ILendingPool.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IPrimeMargin} from "../../interfaces/IPrimeMargin.sol";
import {PrimeModule} from "./PrimeModule.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeMargin
/// @notice The prime broker's margin module: margin calls and governance (tiers, collateral listings,
/// pools, credit lines) (IPrimeMargin), run by the broker with DELEGATECALL on its own storage (the
/// broker checks roles first). Liquidation and income are the liquidation module's
/// (PrimeLiquidation), the views the views module's (PrimeViews).
/// Called directly it refuses: it has no state of its own.
contract PrimeMargin is IPrimeMargin, PrimeModule {
    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_)
        PrimeModule(registry_, oracle_, aggregator_)
    {}

    /// @inheritdoc DelegatedModule
    function moduleId() external view override returns (bytes32) {
        return _moduleId(MARGIN_MODULE_ID);
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
        if (tier >= MAX_TIERS) revert InvalidTier(tier, TierRule.Index, tier);
        if (t.liquidationBps < MIN_LIQUIDATION_BPS) {
            revert InvalidTier(tier, TierRule.LiquidationRatio, t.liquidationBps);
        }
        if (t.maintenanceBps <= t.liquidationBps) {
            revert InvalidTier(tier, TierRule.MaintenanceNotAboveLiquidation, t.maintenanceBps);
        }
        if (t.initialBps <= t.maintenanceBps || t.initialBps > MAX_INITIAL_BPS) {
            revert InvalidTier(tier, TierRule.Initial, t.initialBps);
        }
        if (t.bonusBps > MAX_BONUS_BPS || t.bonusBps > t.liquidationBps - BPS) {
            revert InvalidTier(tier, TierRule.Bonus, t.bonusBps);
        }
        if (t.closeFactorBps < MIN_CLOSE_FACTOR_BPS || t.closeFactorBps > BPS) {
            revert InvalidTier(tier, TierRule.CloseFactor, t.closeFactorBps);
        }
        if (t.gracePeriod < MIN_GRACE_PERIOD || t.gracePeriod > MAX_GRACE_PERIOD) {
            revert InvalidTier(tier, TierRule.GracePeriod, t.gracePeriod);
        }
        emit TierSet(tier, _tiers[tier], t);
        _tiers[tier] = t;
    }

    /// @inheritdoc IPrimeMargin
    function setCollateral(address asset, CollateralConfig calldata c) external {
        _requireDelegated();
        if (c.riskWeightBps > MAX_RISK_WEIGHT_BPS) revert InvalidCollateral(asset, CollateralRule.RiskWeight);
        if (c.capPerAccount > c.capTotal) revert InvalidCollateral(asset, CollateralRule.AccountCapAboveTotal);
        Listing storage l = _listings[asset];
        if (l.slot == 0) {
            // Reverts for an asset without a usable price: nothing unpriced is listed.
            _oracle.price(asset);
            uint256 count = _assetCount;
            if (count >= MAX_ASSETS) revert TooManyAssets(address(0), MAX_ASSETS);
            _assetCount = count + 1;
            l.slot = uint8(count + 1);
            l.decimals = IERC20Metadata(asset).decimals();
            _entries[count] = Entry(asset, l.decimals, 0, false);
        }
        Caps memory caps = _caps[asset];
        emit CollateralSet(asset, CollateralConfig(l.riskWeightBps, caps.capTotal, caps.capPerAccount), c);
        l.riskWeightBps = c.riskWeightBps;
        _entries[l.slot - 1].riskWeightBps = c.riskWeightBps;
        _caps[asset] = Caps(c.capTotal, c.capPerAccount);
    }

    /// @inheritdoc IPrimeMargin
    function setPool(address asset, ILendingPool pool) external {
        _requireDelegated();
        Listing storage l = _listings[asset];
        if (l.slot == 0) revert AssetNotListed(asset);
        // A pool would receive the income of what it holds and count it for no lender (SEC-28).
        if (l.income) revert InvalidCollateral(asset, CollateralRule.IncomeBearing);
        if (pool.broker() != address(this)) revert InvalidCollateral(asset, CollateralRule.PoolOfAnotherBroker);
        // One pool per asset (round 9 I2: two listings on one pool broke assignedDebt = sum carried).
        if (IERC4626(address(pool)).asset() != asset) {
            revert InvalidCollateral(asset, CollateralRule.PoolOfAnotherAsset);
        }
        // The accounts' debts are the listed pool's: moving them would erase them here (SEC-155);
        // so is their assigned debt (its recovery is that pool's, SEC-195).
        if (address(l.pool) != address(0) && (l.pool.state().totalDebt != 0 || _totalAssigned[asset] != 0)) {
            revert InvalidCollateral(asset, CollateralRule.PoolOwed);
        }
        emit PoolSet(asset, address(l.pool), address(pool));
        l.pool = pool;
    }

    /// @inheritdoc IPrimeMargin
    function setCreditLine(address account, CreditLine calldata line) external {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        if (line.tier >= MAX_TIERS || _tiers[line.tier].initialBps == 0) {
            revert InvalidTier(line.tier, TierRule.Unset, line.tier);
        }
        // The spread so far is charged at the old rate before the new one applies.
        if (line.spreadBps != a.spreadBps) _touchDebts(account, a);
        emit CreditLineSet(account, CreditLine(a.limitUsd, a.spreadBps, a.tier), line);
        a.limitUsd = line.limitUsd;
        a.spreadBps = line.spreadBps;
        a.tier = line.tier;
        _accounts[account] = a;
    }

    /// @inheritdoc IPrimeMargin
    function reduceCreditLimit(address account, uint96 limitUsd) external {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        if (limitUsd > a.limitUsd) revert CreditIncreaseNotAllowed(account, a.limitUsd, limitUsd);
        emit CreditLineSet(
            account, CreditLine(a.limitUsd, a.spreadBps, a.tier), CreditLine(limitUsd, a.spreadBps, a.tier)
        );
        _accounts[account].limitUsd = limitUsd;
    }

    // ================================================================ internal

    function _touchDebts(address account, Account memory a) internal {
        uint256 mask = a.debtMask;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) _listings[_entries[i].asset].pool.touch(account, a.spreadBps);
            mask >>= 1;
        }
    }
}
