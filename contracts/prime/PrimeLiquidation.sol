// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {CollateralRule, IncomeConfig, IncomeKind} from "../../interfaces/IPrimeBroker.sol";
import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {ILendingPool} from "../../interfaces/ILendingPool.sol";
import {IPrimeLiquidation} from "../../interfaces/IPrimeLiquidation.sol";
import {PrimeModule} from "./PrimeModule.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {MarginMath} from "./MarginMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PrimeLiquidation
/// @notice The prime broker's liquidation module: liquidation and the income of posted assets
/// (IPrimeLiquidation), run by the broker with DELEGATECALL on its own storage (the broker checks
/// roles and the reentrancy lock first). Called directly it refuses: it has no state of its own.
contract PrimeLiquidation is IPrimeLiquidation, PrimeModule {
    using SafeERC20 for IERC20;

    constructor(IIdentityRegistry registry_, IOracleRouter oracle_, ILiquidityAggregator aggregator_)
        PrimeModule(registry_, oracle_, aggregator_)
    {}

    /// @inheritdoc DelegatedModule
    function moduleId() external view override returns (bytes32) {
        return _moduleId(LIQUIDATION_MODULE_ID);
    }

    /// @inheritdoc IPrimeLiquidation
    function setIncome(address asset, IncomeKind kind, address source) external {
        _requireDelegated();
        Listing memory l = _requireListed(asset);
        if (address(l.pool) != address(0)) revert InvalidCollateral(asset, CollateralRule.Borrowable);
        // The accounts' marks start with the binding: nothing of it may be held yet (a matured
        // note's retired units count: they keep their claim on its servicer).
        if (_totalCollateral[asset] != 0) revert InvalidCollateral(asset, CollateralRule.Posted);
        address pay;
        if (kind == IncomeKind.Coupons) {
            IBondServicer servicer = IBondServicer(source);
            if (address(servicer.token()) != asset) {
                revert InvalidCollateral(asset, CollateralRule.ServicerOfAnotherToken);
            }
            if (servicer.SCALE() != SERVICER_SCALE) revert InvalidCollateral(asset, CollateralRule.ServicerScale);
            pay = address(servicer.paymentAsset());
            Listing memory p = _listings[pay];
            if (p.slot == 0 || p.income) revert InvalidCollateral(pay, CollateralRule.PaymentAsset);
        } else if (kind == IncomeKind.Shares) {
            if (source != asset) revert InvalidCollateral(asset, CollateralRule.Source);
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

    /// @inheritdoc IPrimeLiquidation
    function claimIncome(address account, address asset) external returns (uint256 credited) {
        _requireDelegated();
        Account memory a = _requireOpen(account);
        credited = _settleIncome(account, a, asset);
        _accounts[account] = a;
    }

    /// @inheritdoc IPrimeLiquidation
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
        // Effects: the collateral leaves the account and the count moves before any token does
        // (the assigned debt recovered falls after the sale, at what it fetched: below).
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
            if (q.assigned != 0) {
                // Written off before: the pool recovers it (SEC-190), what a sale fetched (round 9
                // M1). Booked after the transfers (the broker's lock holds: nothing reenters).
                // No underflow: repaid <= repay <= assigned (`_quote`'s cap for assigned debt).
                _assign(account, a, debtAsset, _bit(q.debt), q.assigned - q.repaid);
                q.carried = _uncarry(account, debtAsset, q.repaid);
                debtAfter = q.debtBefore - q.repaid;
                q.debt.pool.recoverBadDebt(account, q.repaid, q.carried);
            } else {
                debtAfter = q.debt.pool.repay(account, q.repaid, a.spreadBps);
                if (debtAfter == 0) a.debtMask &= ~_bit(q.debt);
            }
        }
        uint256 ratioAfter = MarginMath.NO_DEBT_RATIO;
        if (a.heldMask == 0 || q.writeOff) {
            _writeOff(account, a, q.claimUsd);
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

    // ================================================================ internal: income

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
            IBondServicer servicer = IBondServicer(inc.source);
            if (redeeming) {
                if (units != 0) {
                    // Matured: no longer a balance (it cannot move), still the account's claim (and
                    // still in `_totalCollateral`, the units the broker holds for its accounts).
                    _balances[account][asset] = 0;
                    _retired[account][asset] += units;
                    emit CollateralMatured(account, asset, units);
                }
                // The claim stays collateral (valued, settled first, forfeited by a write-off)
                // until the redemption is complete (SEC-160, SEC-161).
                (uint256 pricePerShare,,,,) = servicer.redemptionPool();
                uint16 bit = _bit(_listings[asset]);
                if (second < pricePerShare && _retired[account][asset] != 0) a.heldMask |= bit;
                else a.heldMask &= ~bit;
            }
            if (owed != 0) {
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

    // ================================================================ internal: liquidation

    /// @dev A write-off (SEC-23): each pool the account owes realises its debt as bad debt (its
    /// reserves first, then its lenders). While the account keeps a claim on a matured note's
    /// redemption, the debt is assigned to it instead (`_assigned`: without interest, recovered to
    /// the pool from what the claim pays, SEC-190), and the pools carry at face at most the claims'
    /// haircut value, `claimUsd`, taken by each asset in turn (`_carried`, the pool's
    /// `assignBadDebt`, SEC-231, SEC-234): the rest is realised now. Carried debt above what the
    /// claims' value still covers is dropped (a re-mark: realised then); never raised. Without a
    /// claim nothing will pay it: the assigned debt is dropped in full and forgotten. Bounded by
    /// MAX_ASSETS (one bit per listed asset).
    function _writeOff(address account, Account memory a, uint256 claimUsd) internal {
        bool claims = _claims(account, a);
        uint256 mask = uint256(a.debtMask) | a.assignedMask;
        for (uint256 i; mask != 0; ++i) {
            if (mask & 1 != 0) claimUsd = _writeOffAsset(account, a, i, claims ? claimUsd : type(uint256).max);
            mask >>= 1;
        }
        a.debtMask = 0;
        a.marginCallAt = 0;
    }

    /// @dev `_writeOff` of asset `i`; `claimUsd` the claims' haircut value left (`type(uint256).max`:
    /// no claim, nothing carried or kept), returns what is left of it after this asset's carry.
    function _writeOffAsset(address account, Account memory a, uint256 i, uint256 claimUsd) internal returns (uint256) {
        Entry memory e = _entries[i];
        uint16 bit = uint16(1 << i);
        ILendingPool pool = _listings[e.asset].pool;
        bool claims = claimUsd != type(uint256).max;
        // Owed, so priced (`_figures` reverted `PriceUnavailable` otherwise).
        uint256 price = _oracle.price(e.asset);
        // What the claims' value left can carry of this asset (units, rounded down).
        uint256 room = claims ? Math.mulDiv(claimUsd, 10 ** e.decimals, price) : 0;
        uint256 carried = _carried[account][e.asset];
        uint256 owed = _assigned[account][e.asset];
        uint256 before = owed;
        if (carried > room) {
            // No underflow: compared just above.
            pool.dropAssignedDebt(account, carried - room);
            carried = room;
        }
        if (a.debtMask & bit != 0) {
            uint256 amount;
            if (claims) {
                // No underflow: carried <= room (just above).
                amount = pool.assignBadDebt(account, a.spreadBps, room - carried);
                carried += Math.min(amount, room - carried);
                owed += amount;
            } else {
                amount = pool.realiseBadDebt(account, a.spreadBps);
            }
            emit BadDebt(account, e.asset, amount);
        }
        _carried[account][e.asset] = carried;
        // No claim: nothing will pay it, the assigned debt is forgotten (its carry dropped above).
        if (!claims) owed = 0;
        if (owed != before) _assign(account, a, e.asset, bit, owed);
        if (!claims) return claimUsd;
        uint256 used = MarginMath.valueUp(carried, price, e.decimals);
        return claimUsd > used ? claimUsd - used : 0;
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
    /// MAX_LIQUIDATION_SLIPPAGE_BPS and cover the repayment (assigned debt: the repayment is at
    /// most the proceeds); the pool gets the repayment, the liquidator the rest. Sets `q.seized`
    /// to what was sold.
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
        if (sold < q.seized) {
            uint256 unsold = q.seized - sold;
            _credit(account, a, q.collateral, collateralAsset, unsold, false);
            // The write-off is decided on what the account holds after the sale (SEC-163).
            q.leftUsd += MarginMath.valueDown(unsold, q.colPrice, q.collateral.decimals);
            if (q.writeOff) _decideWriteOff(q);
        }
        q.seized = sold;
        _requireOracleFloor(sold, q.colPrice, q.collateral.decimals, proceeds, q.debtPrice, q.debt.decimals);
        if (proceeds < q.repaid) {
            // Assigned debt recovers what the sale fetched (round 9 M1: below a ratio of 100% the
            // bonus is 0 and no sale covers the value seized), short of the repayment by at most
            // MAX_RECOVERY_SHORTFALL_BPS (round 10 F1: the oracle floor's 3% went to the venue),
            // which the account bears.
            if (q.assigned == 0 || proceeds * BPS < q.repaid * (BPS - MAX_RECOVERY_SHORTFALL_BPS)) {
                revert InsufficientProceeds(proceeds, q.repaid);
            }
            q.repaid = proceeds;
        }
        IERC20(debtAsset).safeTransfer(address(q.debt.pool), q.repaid);
        if (proceeds > q.repaid) IERC20(debtAsset).safeTransfer(msg.sender, proceeds - q.repaid);
    }
}
