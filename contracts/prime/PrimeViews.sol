// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {
    IPrimeBroker,
    MarginTier,
    AccountHealth,
    IncomeConfig,
    CollateralConfig,
    CollateralRule,
    CreditLine
} from "../../interfaces/IPrimeBroker.sol";
import {ILendingPool} from "../../interfaces/ILendingPool.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IPrimeViews} from "../../interfaces/IPrimeViews.sol";
import {PrimeModule} from "./PrimeModule.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeViews
/// @notice The prime broker's views module (IPrimeViews): listings, terms, and what an account is
/// worth, may borrow, must post or would lose to a liquidation, run by the broker's DELEGATECALL
/// on its storage. The broker forwards to it every call it has no function for, so it holds view
/// functions only (the compiler refuses a state change in one) and refuses any other selector
/// (`UnknownCall`). Called directly it refuses: it has no state of its own.
contract PrimeViews is IPrimeViews, PrimeModule {
    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_)
        PrimeModule(registry_, oracle_, aggregator_)
    {}

    /// @inheritdoc DelegatedModule
    function moduleId() external view override returns (bytes32) {
        return _moduleId(VIEWS_MODULE_ID);
    }

    /// @notice Any selector this module has no function for: the broker forwarded a call nothing
    /// serves.
    fallback() external {
        revert Dispatch.UnknownCall(msg.sig);
    }

    /// @inheritdoc IPrimeViews
    function assets() external view returns (address[] memory list) {
        _requireDelegated();
        uint256 count = _assetCount;
        list = new address[](count);
        // Bounded: count <= MAX_ASSETS.
        for (uint256 i; i < count; ++i) {
            list[i] = _entries[i].asset;
        }
    }

    /// @inheritdoc IPrimeViews
    function poolOf(address asset) external view returns (ILendingPool) {
        _requireDelegated();
        return _listings[asset].pool;
    }

    /// @inheritdoc IPrimeViews
    function collateralOf(address asset) external view returns (CollateralConfig memory) {
        _requireDelegated();
        Caps memory caps = _caps[asset];
        return CollateralConfig(_listings[asset].riskWeightBps, caps.capTotal, caps.capPerAccount);
    }

    /// @inheritdoc IPrimeViews
    function tierOf(uint8 tier) external view returns (MarginTier memory) {
        _requireDelegated();
        return _tiers[tier];
    }

    /// @inheritdoc IPrimeViews
    function creditLineOf(address account) external view returns (CreditLine memory) {
        _requireDelegated();
        Account memory a = _accounts[account];
        return CreditLine(a.limitUsd, a.spreadBps, a.tier);
    }

    /// @inheritdoc IPrimeViews
    function haircutBps(address asset) external view returns (uint256) {
        _requireDelegated();
        return MarginMath.haircutBps(_listings[asset].riskWeightBps);
    }

    /// @inheritdoc IPrimeViews
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
        bool due = f.ratioBps < t.liquidationBps
            || (h.deadline != 0 && block.timestamp >= h.deadline && f.ratioBps < t.maintenanceBps);
        // And a liquidation can act (SEC-197, `_quote`'s rule): it repays or writes off pool debt,
        // recovers assigned debt from more than dust (SEC-190), drops assigned debt that no claim
        // will pay (SEC-199; beside pool debt only once that is due), or re-marks carried debt the
        // claims' haircut value no longer covers (SEC-234). Assigned debt beside a claim that
        // covers its carry and at most dust is not, nor a write-off beside a balance without a
        // usable price (SEC-162: `_quote` refuses it; round 7 L1, round 8 #6).
        // Income owed and not yet settled counts (a liquidation settles it first: SEC-234, round 6
        // F2, a redemption top-up beside assigned debt).
        bool seizable =
            f.collateralUsd - f.claimUsd > MAX_DUST_USD || (a.assignedMask != 0 && _incomePending(account, a));
        bool remark = _remark(f);
        h.liquidatable = (due && a.debtMask != 0)
            || (a.assignedMask != 0
                && (seizable || (a.debtMask == 0 && f.unpriced == address(0) && (remark || !_claims(account, a)))));
    }

    /// @dev Whether income is owed on an income-bearing asset the account holds or keeps a claim
    /// on, not yet settled (bounded by MAX_ASSETS).
    function _incomePending(address account, Account memory a) internal view returns (bool) {
        uint256 mask = a.heldMask;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0 && _entries[i].income) {
                address asset = _entries[i].asset;
                (uint256 owed,,,) = _owed(account, asset, _incomes[asset]);
                if (owed != 0) return true;
            }
            mask >>= 1;
        }
        return false;
    }

    /// @inheritdoc IPrimeViews
    function incomeOf(address asset) external view returns (IncomeConfig memory) {
        _requireDelegated();
        Income memory i = _incomes[asset];
        return IncomeConfig(i.kind, i.source, i.payAsset);
    }

    /// @inheritdoc IPrimeViews
    function incomeOwed(address account, address asset) external view returns (uint256 owed) {
        _requireDelegated();
        (owed,,,) = _owed(account, asset, _incomes[asset]);
    }

    /// @inheritdoc IPrimeViews
    function topUp(address account, address asset) external view returns (uint256 units, uint256 adjustedUsd) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        Listing memory l = _requireListed(asset);
        Figures memory f = _figures(account, a);
        // Matured notes' claims apart, as the initial margin check counts (`_initialRatio`).
        adjustedUsd = MarginMath.shortfall(
            f.adjustedCollateralUsd - f.adjustedClaimUsd, f.adjustedDebtUsd, _tiers[a.tier].initialBps
        );
        if (adjustedUsd == 0) return (0, 0);
        uint256 haircut = MarginMath.haircutBps(l.riskWeightBps);
        if (haircut >= BPS) revert InvalidCollateral(asset, CollateralRule.NoCollateralValue);
        // Adjusted value per whole token: price x (1 - haircut); units rounded up.
        uint256 perToken = _oracle.price(asset) * (BPS - haircut) / BPS;
        units = Math.mulDiv(adjustedUsd, 10 ** l.decimals, perToken, Math.Rounding.Ceil);
    }

    /// @inheritdoc IPrimeViews
    function maxBorrow(address account, address asset) external view returns (uint256 units) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        Listing memory l = _requireListed(asset);
        if (address(l.pool) == address(0)) revert NoPool(asset);
        // A halted account (or book) borrows nothing (SEC-157): the broker's own view, on its
        // storage and immutables.
        if (IPrimeBroker(address(this)).isHalted(account)) return 0;
        Figures memory f = _figures(account, a);
        uint256 room = (f.adjustedCollateralUsd - f.adjustedClaimUsd) * BPS / _tiers[a.tier].initialBps;
        if (room <= f.adjustedDebtUsd || f.debtUsd >= a.limitUsd) return 0;
        uint256 price = _oracle.price(asset);
        uint256 byMargin = Math.mulDiv(
            room - f.adjustedDebtUsd, 10 ** l.decimals * BPS, price * (BPS + MarginMath.haircutBps(l.riskWeightBps))
        );
        uint256 byCredit = Math.mulDiv(a.limitUsd - f.debtUsd, 10 ** l.decimals, price);
        units = Math.min(Math.min(byMargin, byCredit), l.pool.state().cash);
    }

    /// @inheritdoc IPrimeViews
    function previewLiquidation(address account, address debtAsset, uint256 repay, address collateralAsset)
        external
        view
        returns (uint256 repaid, uint256 seized, uint256 bonusBps, uint256 seizedValueUsd)
    {
        _requireDelegated();
        Quote memory q = _quote(account, _requireOpen(account), debtAsset, repay, collateralAsset);
        return (q.repaid, q.seized, q.bonusBps, MarginMath.valueDown(q.seized, q.colPrice, q.collateral.decimals));
    }
}
