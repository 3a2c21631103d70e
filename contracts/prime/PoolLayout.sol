// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILendingPoolErrors, RateModel} from "../../interfaces/ILendingPool.sol";
import {PoolMath} from "./PoolMath.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title PoolLayout
/// @notice The lending pool's own storage, described once, and the accrual both its halves run:
/// the pool (LendingPool, the ERC-4626 shares and the broker's hot path) and its module
/// (PoolLosses: bad debt written off, assigned, dropped and recovered, run by the pool's
/// DELEGATECALL, `Dispatch`). Both list this base first, so its variables take the same slots from
/// slot 0 in both (the pool's ERC-20 and AccessManaged variables follow it; the module has no
/// other). A test compares the two layouts slot by slot.
abstract contract PoolLayout is ILendingPoolErrors {
    using SafeCast for uint256;

    /// @dev How long a restoration of the lenders' loss takes to unlock (ILendingPool).
    uint256 internal constant RESTORATION_UNLOCK_SECONDS = 7 days;
    /// @dev The bad-debt module's id (DelegatedModule `moduleId`): bump it when this layout changes.
    bytes32 internal constant LOSSES_MODULE_ID = keccak256("quantera.prime.PoolLosses.2");

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
    /// absorbed and what its lenders lost, at its write-off and re-marks; and the shares
    /// outstanding when its lenders lost (SEC-246, round13 R1: the loss-weighted harmonic supply
    /// of its losses, `lenders / supply` their sum per share; read only while `lenders` is not
    /// 0), so a recovery restores only the holders' part (two slots).
    struct Loss {
        uint128 reserves;
        uint128 lenders;
        uint256 supply;
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
    /// @dev The shares' compliance engine (ILendingPool `shareCompliance`).
    address internal _shareCompliance;
    /// @dev Debt written off beside a claim (SEC-231): out of `totalDebt` (no interest), in
    /// `totalAssets` at face until recovered (`recoverBadDebt`) or dropped (`dropAssignedDebt`).
    uint256 internal _assignedDebt;
    /// @dev The restoration lock (`_lockedAt` now).
    Lock internal _lock;
    /// @dev Each account's loss not yet restored (`lossOf`).
    mapping(address account => Loss) internal _losses;

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

    /// @dev The restoration still locked now: `lock.amount` (as at `lock.start`) unlocking
    /// linearly to 0 at `lock.end`, rounded up (never credited early).
    function _lockedAt(Lock memory lock) internal view returns (uint256) {
        uint256 end = lock.end;
        if (block.timestamp >= end) return 0;
        // No underflow, span > 0: start <= now < end.
        uint256 span = end - lock.start;
        return (lock.amount * (end - block.timestamp) + span - 1) / span;
    }
}
