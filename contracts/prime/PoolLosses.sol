// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {PoolMath} from "./PoolMath.sol";
import {PoolLayout} from "./PoolLayout.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";

/// @title PoolLosses
/// @notice The lending pool's bad-debt module: a write-off realised or assigned, assigned debt
/// dropped or recovered, and the restoration of the loss it realised (ILendingPool "Assigned
/// debt"). It runs only by a LendingPool's DELEGATECALL (`Dispatch`), on the pool's storage
/// (`PoolLayout`); one deployment serves every pool.
/// @dev NOT checked here: the caller is the broker, the lock is held, a recovery's cash has
/// arrived (`RepaymentNotReceived`) and its amount is not 0. The pool's stub checks them before it
/// delegates (LendingPool `realiseBadDebt`, `assignBadDebt`, `dropAssignedDebt`,
/// `recoverBadDebt`); the selectors are the pool's (a test compares them).
contract PoolLosses is PoolLayout, DelegatedModule {
    using SafeCast for uint256;

    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return LOSSES_MODULE_ID;
    }

    /// @dev The whole debt leaves `totalDebt` with the account's scaled debt; the reserves give up
    /// what they can, and the rest is the lenders' loss (their claim, `totalAssets`, falls by it).
    function realiseBadDebt(address account, uint16 spreadBps) external onlyDelegated returns (uint256 amount) {
        Market memory m;
        (m, amount) = _writeOff(account, spreadBps);
        _realise(account, m, amount);
    }

    /// @dev The debt leaves `totalDebt`: `keep` of it for `_assignedDebt` (`totalAssets` does not
    /// move for it), the rest realised at once (reserves first).
    function assignBadDebt(address account, uint16 spreadBps, uint256 keep)
        external
        onlyDelegated
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
        _losses[account] = Loss(uint128(r), uint128(l), l != 0 ? _supply() : 0);
    }

    /// @dev Realised at once (reserves first), added to the account's loss record.
    function dropAssignedDebt(address account, uint256 amount) external onlyDelegated {
        Market memory m = _accrue();
        _takeAssigned(amount);
        (uint256 r, uint256 l) = _realise(account, m, amount);
        Loss memory loss = _losses[account];
        // The shares that bore this loss join the record's (SEC-246): `lenders / supply` stays
        // the loss per share the holders bore, summed over the record's losses.
        if (l != 0) loss.supply = _mergedSupply(loss.lenders, loss.supply, l, _supply());
        // No truncation: each part is at most the assigned debt, 128 bits.
        loss.reserves += uint128(r);
        loss.lenders += uint128(l);
        _losses[account] = loss;
    }

    /// @dev Accrues first (at the utilisation before the cash arrives): `carried` of the assigned
    /// debt becomes cash one for one (`totalAssets` does not move for it); the rest restores this
    /// account's realised loss, its lenders' part first, locked (vested over RESTORATION_UNLOCK:
    /// no step for a depositor to time), then its reserves' (at once: outside `totalAssets`).
    /// The lenders' part is the holders' only as far as shares are still out: `min(supply now,
    /// supply at the loss) / supply at the loss` of it is locked, the part of those who left
    /// after the loss (paid at the price after it) goes to the reserves at once (SEC-246,
    /// round13 R1: it went to those who stayed; `RestorationForfeited` from no owner).
    function recoverBadDebt(address account, uint256 assets, uint256 carried) external onlyDelegated {
        if (carried > assets) revert CarriedAboveRecovery(assets, carried);
        Market memory m = _accrue();
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
            uint256 forfeited = _leaversPart(toLenders, loss.supply);
            _losses[account] = loss;
            // No truncation: each at most the recovery, within the cash (128 bits).
            m.reserves += uint128(toReserves + forfeited);
            if (forfeited != 0) emit RestorationForfeited(address(0), forfeited);
            // The holders' part of the lenders', and anything beyond the account's record, vests.
            // No underflow: toReserves + forfeited <= toReserves + toLenders <= restored.
            uint256 vested = restored - toReserves - forfeited;
            if (vested != 0) _addLock(vested);
        }
        _market = m;
        emit BadDebtRecovered(account, assets, carried, assigned, toLenders, toReserves);
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

    /// @dev Of `toLenders` restored to a loss borne by `then` shares, the part of the shares
    /// gone since (rounded up: the holders are never credited what was not theirs); all of it
    /// when no share bore the loss (the virtual shares').
    function _leaversPart(uint256 toLenders, uint256 then) internal view returns (uint256) {
        if (toLenders == 0) return 0;
        uint256 held = _supply();
        if (held >= then) return then == 0 ? toLenders : 0;
        // No underflow: the holders' part, rounded down, is at most toLenders.
        return toLenders - Math.mulDiv(toLenders, held, then);
    }

    /// @dev The supply of a record of `was` lost by `then` shares (per share `was / then`) after
    /// `l` more lost by `s` shares: the loss-weighted harmonic supply, `(was + l) / (was / then +
    /// l / s)` (F1 of the read of SEC-246: keeping the smaller supply let a small early loss at a
    /// low supply decide the split of a larger later one), rounded down (the holders' favour). A
    /// part no share bore (supply 0) adds nothing per share: its restoration is the reserves'.
    function _mergedSupply(uint256 was, uint256 then, uint256 l, uint256 s) internal pure returns (uint256) {
        if (was == 0) return s;
        if (s == 0) return then == 0 ? 0 : Math.mulDiv(was + l, then, was);
        // The earlier part's per share is negligible next to this one's (none, or `then` above
        // 2^100 times `s`: dust shares bore this part): this part alone sets the rate. Bounds
        // `l x then / s` below 2^228 in the general case (no overflow).
        if (then == 0 || then / s > 2 ** 100) return Math.mulDiv(was + l, s, l);
        return Math.mulDiv(was + l, then, was + Math.mulDiv(l, then, s, Math.Rounding.Ceil));
    }

    /// @dev The pool's shares outstanding (its own `totalSupply`: this runs in its context).
    function _supply() internal view returns (uint256) {
        return IERC20(address(this)).totalSupply();
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

    /// @dev Adds `amount` (not 0) to the lock, with no step: the lock is re-stamped at now with
    /// what is still locked plus `amount`, over the period that keeps the locked seconds of both
    /// (Yearn v3's profit unlock): `(before x left + amount x RESTORATION_UNLOCK) / total`.
    function _addLock(uint256 amount) internal {
        Lock memory lock = _lock;
        uint256 before = _lockedAt(lock);
        uint256 total = before + amount;
        uint256 left = lock.end > block.timestamp ? lock.end - block.timestamp : 0;
        // In [1, RESTORATION_UNLOCK]: before != 0 only while left >= 1.
        uint256 period = (before * left + amount * RESTORATION_UNLOCK_SECONDS) / total;
        _lock = Lock(total.toUint128(), uint40(block.timestamp), uint40(block.timestamp + period));
    }
}
