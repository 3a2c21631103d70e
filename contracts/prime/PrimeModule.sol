// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {MarginTier, IncomeKind} from "../../interfaces/IPrimeBroker.sol";
import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {PrimeLayout} from "./PrimeLayout.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {MarginMath} from "./MarginMath.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeModule
/// @notice What the broker's two modules (PrimeMargin, PrimeLiquidation) share: the refusal of a
/// direct call, a liquidation's checked terms (`_quote`: run by `liquidate`, previewed by
/// `previewLiquidation`), a margin call's liveness and an account's income owed. Each module runs
/// only by the broker's DELEGATECALL on the broker's storage (PrimeLayout).
abstract contract PrimeModule is PrimeLayout, DelegatedModule {
    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_)
        PrimeLayout(registry_, oracle_, aggregator_)
    {}

    /// @dev A call is live while it was seen below maintenance within its heartbeat (SEC-24).
    function _live(Account memory a, MarginTier memory t, uint256 seenAt) internal view returns (bool) {
        return a.marginCallAt != 0 && block.timestamp < seenAt + Math.min(t.gracePeriod, MARGIN_CALL_HEARTBEAT);
    }

    /// @dev A liquidation's terms, checked: the account is liquidatable, the repayment within the
    /// close factor, the collateral seized at oracle prices with the (dynamic) bonus, capped by the
    /// account's balance of it. Assigned debt of the debt asset is recovered first, in full,
    /// whatever the ratio (SEC-190).
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
        /// The account's debt of the debt asset: the pool's and the assigned debt together.
        uint256 debtBefore;
        /// The account's assigned debt of the debt asset: this liquidation recovers it (to the
        /// pool's `recoverBadDebt`) and writes nothing off (SEC-190).
        uint256 assigned;
        /// The part of `repaid` that pays assigned debt its pool carries (SEC-234).
        uint256 carried;
        /// The claims' haircut value (`Figures.adjustedClaimUsd`): what a write-off beside them
        /// leaves the pools carrying at most (SEC-234).
        uint256 claimUsd;
        uint256 balanceBefore;
        /// What a liquidation could still seize after this one, at oracle value (the account's
        /// collateral less its matured notes' claims and this seizure).
        uint256 leftUsd;
        /// A held balance without a usable price (no write-off beside it, SEC-162).
        address unpriced;
        /// What is left is dust (`_dust`): write the debts off (SEC-23), or re-mark or drop the
        /// assigned debt (SEC-234, SEC-199).
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
        // Written off already, due in full whatever the ratio (SEC-190); read only when there is any.
        if (a.assignedMask != 0) q.assigned = _assigned[account][debtAsset];
        // The call's last sighting read only when there is one (a cold load otherwise wasted).
        q.callLive = a.marginCallAt != 0 && _live(a, t, _callSeenAt[account]);
        uint256 deadline = q.callLive ? a.marginCallAt + t.gracePeriod : 0;
        bool overdue = deadline != 0 && block.timestamp >= deadline && f.ratioBps < t.maintenanceBps;
        bool due = f.ratioBps < t.liquidationBps || overdue;
        if (q.assigned == 0 && !due) {
            revert NotLiquidatable(account, f.ratioBps, deadline);
        }
        q.debt = _listings[debtAsset];
        q.collateral = _requireListed(collateralAsset);
        if (address(q.debt.pool) == address(0)) revert NoPool(debtAsset);
        q.debtBefore = f.debtX;
        if (q.debtBefore == 0) revert NoDebt(account, debtAsset);
        q.balanceBefore = _balances[account][collateralAsset];
        // An account with nothing to seize (none, or only matured notes' claims) is written off
        // whatever asset is named (below), or refused.
        if (q.balanceBefore == 0 && f.collateralUsd > f.claimUsd) {
            revert InsufficientBalance(account, collateralAsset, 0, 1);
        }
        uint256 most = q.assigned != 0 ? q.assigned : MarginMath.maxRepay(q.debtBefore, f.ratioBps, t.closeFactorBps);
        if (repay > most) {
            // Assigned debt: all of it at most (round 9 L1: a repayment of a few units ahead of a
            // recovery of all of it does not make the recovery revert).
            if (q.assigned == 0) revert RepayAboveCloseFactor(repay, most);
            repay = most;
        }
        q.ratioBeforeBps = f.ratioBps;
        q.unpriced = f.unpriced;
        q.adjustedCollateralUsd = f.adjustedCollateralUsd;
        q.adjustedDebtUsd = f.adjustedDebtUsd;
        q.maintenanceBps = t.maintenanceBps;
        q.debtPrice = f.priceX;
        q.colPrice = f.priceY;
        // A holding without a usable price is valued 0 (SEC-153): it cannot be seized at a price.
        if (q.colPrice == 0 && q.balanceBefore != 0) revert CollateralUnpriced(collateralAsset);
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
        // What is left to seize, at oracle value (the claims apart: no liquidation takes them).
        uint8 cd = q.collateral.decimals;
        q.leftUsd = f.collateralUsd - f.claimUsd - MarginMath.valueDown(q.balanceBefore, q.colPrice, cd)
            + MarginMath.valueDown(q.balanceBefore - q.seized, q.colPrice, cd);
        // Dust left: a write-off realises the pool's debts of a liquidatable account; assigned
        // debt alone is written off again only to drop it, once no claim is left (SEC-199: nothing
        // will ever pay it), or to re-mark it, once its pools carry more of it than the claims'
        // haircut value by more than the margin (SEC-234); beside a claim that covers the carry,
        // nothing (it was made, SEC-190). `liquidatable` (PrimeMargin.health) reads the same rule for
        // assigned debt (`_dust`).
        q.claimUsd = f.adjustedClaimUsd;
        if (
            _decideWriteOff(q) && !(due && a.debtMask != 0) && (a.debtMask != 0 || (_claims(account, a) && !_remark(f)))
        ) {
            q.writeOff = false;
        }
        if (!q.writeOff && q.repaid == 0) {
            if (q.unpriced != address(0) && _dust(q)) revert WriteOffUnpriced(account, q.unpriced);
            revert ZeroAmount();
        }
    }

    /// @dev Whether the account holds a claim on a matured note's redemption: an income-bearing
    /// asset's bit with retired units (SEC-160: the bit stays while the redemption is incomplete).
    function _claims(address account, Account memory a) internal view returns (bool) {
        uint256 mask = a.heldMask;
        // Bounded by MAX_ASSETS.
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0 && _entries[i].income && _retired[account][_entries[i].asset] != 0) return true;
            mask >>= 1;
        }
        return false;
    }

    /// @dev Dust (SEC-23): what is left to seize is worth at most MAX_DUST_USD (whatever the debt's
    /// unit: a liquidator naming a debt of a costly unit writes nothing off beside collateral worth
    /// more) and, for pool debt, cannot repay one unit of it. For assigned debt, MAX_DUST_USD
    /// alone, the rule `health` reads (round 9 M1: a few units of cash, the claim's own residue or
    /// a unit the debtor deposits, held off its re-mark or drop for good; so a drop, no claim left,
    /// leaves up to MAX_DUST_USD at oracle value with the debtor, round 10 F5). Matured notes'
    /// claims are not counted: nothing seizes them, and a write-off assigns the debts to them
    /// (SEC-190, SEC-191: a claim's price, one print of it, decides no write-off, and no claim
    /// keeps a debt accruing).
    function _dust(Quote memory q) internal pure returns (bool) {
        return q.leftUsd <= MAX_DUST_USD
            && (q.assigned != 0 || MarginMath.repayableFor(q.leftUsd, q.debtPrice, q.debt.decimals, q.bonusBps) == 0);
    }

    /// @dev Sets (and returns) `q.writeOff`: dust, and no balance without a usable price (SEC-162:
    /// valued 0, it is not known to be dust).
    function _decideWriteOff(Quote memory q) internal pure returns (bool) {
        q.writeOff = _dust(q) && q.unpriced == address(0);
        return q.writeOff;
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
}
