// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

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
        _losses[account] = Loss(uint128(r), uint128(l));
    }

    /// @dev Realised at once (reserves first), added to the account's loss record.
    function dropAssignedDebt(address account, uint256 amount) external onlyDelegated {
        Market memory m = _accrue();
        _takeAssigned(amount);
        (uint256 r, uint256 l) = _realise(account, m, amount);
        Loss memory loss = _losses[account];
        // No truncation: each part is at most the assigned debt, 128 bits.
        loss.reserves += uint128(r);
        loss.lenders += uint128(l);
        _losses[account] = loss;
    }

    /// @dev Accrues first (at the utilisation before the cash arrives): `carried` of the assigned
    /// debt becomes cash one for one (`totalAssets` does not move for it); the rest restores this
    /// account's realised loss, its lenders' part first, locked (vested over RESTORATION_UNLOCK:
    /// no step for a depositor to time), then its reserves' (at once: outside `totalAssets`).
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
            _losses[account] = loss;
            m.reserves += uint128(toReserves);
            // The lenders' part, and anything beyond the account's record, vests.
            uint256 vested = restored - toReserves;
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
