"""The lending pool's maths in Python, integer for integer (contracts/prime/PoolMath.sol): the
kinked rate model and its bounds, the borrow index compounded exactly (e^(rt), saturating at its
ceiling), the debt and scaled-debt conversions and the spread — and `PoolModel`, the pool's
accounting replayed from its calls, which the differential and stateful tests hold the contract to
(PRM-1 to PRM-5).

No chain access: every figure is computed from its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from keepers.core.units import BPS

RAY = 10**27
YEAR = 365 * 86_400
MAX_RESERVE_FACTOR_BPS = 5_000
# The highest rate a model may reach (at full utilisation), bps a year.
MAX_BORROW_RATE_BPS = 40_000
# The index's ceiling (216 bits) and the total debt it may compound to (2^126 units).
MAX_INDEX_RAY = 2**216 - 1
MAX_TOTAL_DEBT = 2**126
LN2_RAY = 693_147_180_559_945_309_417_232_121
MAX_EXP_TERMS = 27
RATE_FIELDS = ("base_bps", "slope1_bps", "slope2_bps", "kink_bps", "reserve_factor_bps")
# LendingPool.RESTORATION_UNLOCK: a restoration of the lenders' loss unlocks over this (round 8 #3).
RESTORATION_UNLOCK = 7 * 86_400


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


@dataclass(frozen=True)
class RateModel:
    """The pool's kinked rate model (ILendingPool's `RateModel`, in its field order)."""

    base_bps: int
    slope1_bps: int
    slope2_bps: int
    kink_bps: int
    reserve_factor_bps: int

    @classmethod
    def of(cls, model: RateModel | Mapping[str, int] | Any) -> RateModel:
        """A model from a RateModel, a mapping with RATE_FIELDS' keys (snake case or the
        contract's camel case) or a struct read from the chain (a 5-tuple)."""
        if isinstance(model, RateModel):
            return model
        if isinstance(model, Mapping):
            camel = {name: _camel(name) for name in RATE_FIELDS}
            missing = [n for n in RATE_FIELDS if n not in model and camel[n] not in model]
            if missing:
                raise ValueError(f"rate model lacks {', '.join(missing)}")
            return cls(*(int(model.get(n, model.get(camel[n]))) for n in RATE_FIELDS))
        return cls(*(int(value) for value in model))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        """The contract's struct argument."""
        return (
            self.base_bps,
            self.slope1_bps,
            self.slope2_bps,
            self.kink_bps,
            self.reserve_factor_bps,
        )

    def invalidity(self) -> str:
        """Why the pool refuses the model (`InvalidRateModel(reason)`), or "" within bounds."""
        if not 0 < self.kink_bps < BPS:
            return "kink not in (0, BPS)"
        if self.reserve_factor_bps > MAX_RESERVE_FACTOR_BPS:
            return "reserve factor above max"
        if self.base_bps + self.slope1_bps > BPS:
            return "base + slope1 above BPS"
        if self.base_bps + self.slope1_bps + self.slope2_bps > MAX_BORROW_RATE_BPS:
            return "rate at full utilisation above max"
        return ""

    def borrow_rate_bps(self, utilisation_bps: int) -> int:
        """The annual borrow rate at `utilisation_bps`, bps, rounded down."""
        kink = self.kink_bps
        if utilisation_bps <= kink:
            return self.base_bps + self.slope1_bps * utilisation_bps // kink
        return (
            self.base_bps
            + self.slope1_bps
            + self.slope2_bps * (utilisation_bps - kink) // (BPS - kink)
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() if part != "bps" else "Bps" for part in rest)


def utilisation_bps(cash: int, debt: int) -> int:
    """debt / (cash + debt) in bps, rounded down; 0 without debt."""
    return 0 if debt == 0 else debt * BPS // (cash + debt)


def index_ceiling(total_scaled: int) -> int:
    """The highest index `total_scaled` of scaled debt may reach: MAX_INDEX_RAY, or lower so that
    the total debt stays within MAX_TOTAL_DEBT."""
    if total_scaled == 0:
        return MAX_INDEX_RAY
    return min(MAX_INDEX_RAY, MAX_TOTAL_DEBT * RAY // total_scaled)


def compound(index_ray: int, rate_bps: int, elapsed: int, ceiling_ray: int = MAX_INDEX_RAY) -> int:
    """The index after `elapsed` seconds at `rate_bps` a year: index x e^(rt), x = rt reduced to
    2^k e^f (0 <= f < ln 2), e^f by its Taylor series to its last nonzero term, each step rounded
    down; at most `ceiling_ray` and never below `index_ray`."""
    if index_ray >= ceiling_ray:
        return index_ray
    x = rate_bps * elapsed * RAY // (BPS * YEAR)
    k = x // LN2_RAY
    if k > 216:
        return ceiling_ray
    f = x - k * LN2_RAY
    total = term = RAY
    for i in range(1, MAX_EXP_TERMS + 1):
        if term == 0:
            break
        term = term * f // (i * RAY)
        total += term
    grown = index_ray * total // RAY
    if grown > ceiling_ray >> k:
        return ceiling_ray
    return grown << k


def to_debt(scaled: int, index_ray: int) -> int:
    """The debt of `scaled` at `index_ray`, rounded up."""
    return _ceil_div(scaled * index_ray, RAY)


def to_scaled(assets: int, index_ray: int, up: bool) -> int:
    """The scaled debt of `assets` at `index_ray`, rounded up (a borrow) or down (a repayment)."""
    return _ceil_div(assets * RAY, index_ray) if up else assets * RAY // index_ray


def spread(debt: int, spread_bps: int, elapsed: int) -> int:
    """Simple interest on `debt` at `spread_bps` a year for `elapsed` seconds, rounded up."""
    return _ceil_div(debt * spread_bps * elapsed, BPS * YEAR)


@dataclass
class Account:
    scaled: int = 0
    last_touch: int = 0


def merged_supply(was: int, then: int, lost: int, supply: int) -> int:
    """PoolLosses `_mergedSupply`: the loss-weighted harmonic supply of a record of `was` lost by
    `then` shares after `lost` more lost by `supply` shares, rounded down (SEC-246)."""
    if not was:
        return supply
    if not supply:
        return (was + lost) * then // was if then else 0
    if not then or then // supply > 2**100:
        return (was + lost) * supply // lost
    return (was + lost) * then // (was + _ceil_div(lost * then, supply))


@dataclass
class Loss:
    """An account's bad debt realised and not yet restored (`lossOf`), and the shares outstanding
    when its lenders lost (round13 R1; None: not known to the model, every holder's)."""

    reserves: int = 0
    lenders: int = 0
    supply: int | None = None


@dataclass
class PoolModel:
    """The pool's accounting replayed from its calls (each at a block timestamp `now`)."""

    model: RateModel
    last_accrual: int
    cash: int = 0
    reserves: int = 0
    total_scaled: int = 0
    index_ray: int = RAY
    bad_debt_realised: int = 0
    bad_debt_absorbed: int = 0
    assigned_debt: int = 0
    accounts: dict[str, Account] = field(default_factory=dict)
    # The restoration lock (as at `unlock_start`) and each account's loss record (round 8 #3).
    locked: int = 0
    unlock_start: int = 0
    unlock_end: int = 0
    losses: dict[str, Loss] = field(default_factory=dict)

    @property
    def total_debt(self) -> int:
        return to_debt(self.total_scaled, self.index_ray)

    def locked_at(self, now: int) -> int:
        """The restoration still locked at `now`, rounded up (0 from `unlock_end` on)."""
        if now >= self.unlock_end:
            return 0
        span = self.unlock_end - self.unlock_start
        return _ceil_div(self.locked * (self.unlock_end - now), span)

    def total_assets(self, now: int | None = None) -> int:
        """`totalAssets` at `now` (by default the last accrual: `viewed_at` sets it)."""
        now = self.last_accrual if now is None else now
        held = self.reserves + self.locked_at(now)
        return max(self.cash + self.total_debt + self.assigned_debt - held, 0)

    def _lock(self, amount: int, now: int) -> None:
        """Adds `amount` to the lock with no step, over the period keeping the locked seconds."""
        before = self.locked_at(now)
        total = before + amount
        left = max(self.unlock_end - now, 0)
        period = (before * left + amount * RESTORATION_UNLOCK) // total
        self.locked, self.unlock_start, self.unlock_end = total, now, now + period

    def accrue(self, now: int) -> tuple[int, int]:
        """Moves the index to `now`; returns (interest, to reserves)."""
        elapsed = now - self.last_accrual
        self.last_accrual = now
        if elapsed == 0 or self.total_scaled == 0:
            return 0, 0
        before = self.total_debt
        rate = self.model.borrow_rate_bps(utilisation_bps(self.cash, before))
        self.index_ray = compound(self.index_ray, rate, elapsed, index_ceiling(self.total_scaled))
        interest = self.total_debt - before
        to_reserves = interest * self.model.reserve_factor_bps // BPS
        self.reserves += to_reserves
        return interest, to_reserves

    def viewed_at(self, now: int) -> PoolModel:
        """A copy accrued to `now`: what the pool's views show at a time it stored no accrual
        (accruing the model itself there would split the next accrual in two, which compounds
        differently)."""
        view = deepcopy(self)
        view.accrue(now)
        return view

    def debt_of(self, account: str, spread_bps: int, now: int) -> int:
        """`debtOf`: the account's debt with its pending spread (after `accrue(now)`)."""
        a = self.accounts.get(account, Account())
        debt = to_debt(a.scaled, self.index_ray)
        return debt + spread(debt, spread_bps, now - a.last_touch)

    def charge(self, account: str, spread_bps: int, now: int) -> int:
        """Charges the account's pending spread into its debt and the reserves; the amount."""
        a = self.accounts.setdefault(account, Account())
        amount = spread(to_debt(a.scaled, self.index_ray), spread_bps, now - a.last_touch)
        a.last_touch = now
        if amount:
            # Within the total debt's ceiling, as the index.
            amount = min(amount, max(MAX_TOTAL_DEBT - self.total_debt, 0))
        if amount:
            scaled = to_scaled(amount, self.index_ray, up=True)
            a.scaled += scaled
            self.total_scaled += scaled
            self.reserves += amount
        return amount

    def borrow(self, account: str, assets: int, spread_bps: int, now: int) -> int:
        self.accrue(now)
        self.charge(account, spread_bps, now)
        if assets > self.cash:
            raise ValueError(f"InsufficientCash({self.cash}, {assets})")
        scaled = to_scaled(assets, self.index_ray, up=True)
        self.accounts[account].scaled += scaled
        self.total_scaled += scaled
        self.cash -= assets
        return to_debt(self.accounts[account].scaled, self.index_ray)

    def repay(self, account: str, assets: int, spread_bps: int, now: int) -> tuple[int, int]:
        """Books a repayment of at most the debt; returns (assets booked, debt after)."""
        self.accrue(now)
        self.charge(account, spread_bps, now)
        a = self.accounts[account]
        assets = min(assets, to_debt(a.scaled, self.index_ray))
        burned = min(to_scaled(assets, self.index_ray, up=False), a.scaled)
        a.scaled -= burned
        self.total_scaled -= burned
        self.cash += assets
        return assets, to_debt(a.scaled, self.index_ray)

    def _write_off(self, account: str, spread_bps: int, now: int) -> int:
        """The account's whole debt (accrued, its spread charged) out of `totalDebt`."""
        self.accrue(now)
        self.charge(account, spread_bps, now)
        a = self.accounts[account]
        amount = to_debt(a.scaled, self.index_ray)
        self.total_scaled -= a.scaled
        a.scaled = 0
        return amount

    def _realise(self, amount: int) -> tuple[int, int]:
        """`amount` lost: the reserves first, then the lenders; returns (from reserves, from
        lenders)."""
        from_reserves = min(amount, self.reserves)
        self.reserves -= from_reserves
        self.bad_debt_absorbed += from_reserves
        self.bad_debt_realised += amount - from_reserves
        # The lenders' part takes the restoration still locked first (round 11 #2).
        locked = self.locked_at(self.last_accrual)
        if amount - from_reserves and locked:
            self.locked = locked - min(amount - from_reserves, locked)
            self.unlock_start = self.last_accrual
        return from_reserves, amount - from_reserves

    def realise_bad_debt(self, account: str, spread_bps: int, now: int) -> tuple[int, int, int]:
        """Writes the account's debt off; returns (amount, from reserves, from lenders)."""
        amount = self._write_off(account, spread_bps, now)
        return (amount, *self._realise(amount))

    def assign_bad_debt(
        self,
        account: str,
        spread_bps: int,
        now: int,
        keep: int | None = None,
        supply: int | None = None,
    ) -> tuple[int, int, tuple[int, int]]:
        """`assignBadDebt` (SEC-231, SEC-234): the account's debt out of `totalDebt`, at most `keep`
        of it (all of it when None) into the assigned debt, which `total_assets` counts at face, the
        rest realised; the record keeps `supply`, the shares outstanding (SEC-246: 0 while the
        lenders lost nothing); returns (amount, kept, (from reserves, from lenders))."""
        amount = self._write_off(account, spread_bps, now)
        kept = amount if keep is None else min(amount, keep)
        self.assigned_debt += kept
        realised = self._realise(amount - kept) if amount != kept else (0, 0)
        at_loss = (supply if realised[1] else 0) if supply is not None else None
        self.losses[account] = Loss(*realised, supply=at_loss)
        return amount, kept, realised

    def _take_assigned(self, amount: int) -> None:
        if amount > self.assigned_debt:
            raise ValueError(f"AssignedDebtExceeded({self.assigned_debt}, {amount})")
        self.assigned_debt -= amount

    def drop_assigned_debt(
        self, account: str, amount: int, now: int, supply: int | None = None
    ) -> tuple[int, int]:
        """`dropAssignedDebt`: assigned debt no claim will pay, realised and added to the
        account's record, whose supply merges `supply` (the shares outstanding now) as
        `merged_supply` (SEC-246); returns (from reserves, from lenders)."""
        self.accrue(now)
        self._take_assigned(amount)
        from_reserves, from_lenders = self._realise(amount)
        loss = self.losses.setdefault(account, Loss())
        if from_lenders:
            if not loss.lenders:
                loss.supply = supply
            elif loss.supply is not None and supply is not None:
                loss.supply = merged_supply(loss.lenders, loss.supply, from_lenders, supply)
            else:
                loss.supply = None
        loss.reserves += from_reserves
        loss.lenders += from_lenders
        return from_reserves, from_lenders

    def recover_bad_debt(
        self,
        account: str,
        assets: int,
        now: int,
        carried: int | None = None,
        supply: int | None = None,
    ) -> int:
        """`recoverBadDebt`: written-off debt paid back as cash; `carried` of it (all of it when
        None) pays assigned debt one for one, the rest restores the account's realised loss, its
        lenders' part first (locked, unlocking over RESTORATION_UNLOCK), then its reserves' (at
        once); anything beyond the record is locked too (SEC-234, round 8 #3); with no share
        left (`supply` 0) the lock goes to the reserves (prime13 L1); the shares outstanding now
        (`supply`) against the record's at the loss send the leavers' part of the lenders'
        restoration to the reserves (SEC-246; None: not known, no leaver); returns the assigned
        debt after."""
        carried = assets if carried is None else carried
        if carried > assets:
            raise ValueError(f"CarriedAboveRecovery({assets}, {carried})")
        self.accrue(now)
        self._take_assigned(carried)
        self.cash += assets
        restored = assets - carried
        if restored:
            loss = self.losses.setdefault(account, Loss())
            lenders = min(restored, loss.lenders)
            reserves = min(restored - lenders, loss.reserves)
            # SEC-246 (round13 R1): the lenders' part for the holders at the loss who still hold,
            # `min(supply now, supply then) / supply then` of it; the leavers' to the reserves.
            leavers = 0
            if lenders and loss.supply is not None and supply is not None:
                then = loss.supply
                leavers = lenders - (lenders * min(supply, then) // then if then else 0)
            loss.lenders -= lenders
            loss.reserves -= reserves
            self.bad_debt_realised -= lenders
            self.bad_debt_absorbed -= reserves
            self.reserves += reserves + leavers
            if restored - reserves - leavers:
                self._lock(restored - reserves - leavers, now)
        # No share left (`supply` 0): nobody to unlock it to, the lock goes to the reserves.
        if supply == 0:
            self.forfeit(1, 1, now)
        return self.assigned_debt

    def withdraw_reserves(self, amount: int, now: int) -> None:
        """`withdrawReserves`: at most the reserves above the assigned debt (SEC-234), and cash."""
        self.accrue(now)
        free = max(self.reserves - self.assigned_debt, 0)
        if amount > free:
            raise ValueError(f"ReservesExceeded({free}, {amount})")
        if amount > self.cash:
            raise ValueError(f"InsufficientCash({self.cash}, {amount})")
        self.reserves -= amount
        self.cash -= amount

    def deposit(self, assets: int, now: int) -> None:
        self.accrue(now)
        self.cash += assets

    def withdraw(self, assets: int, now: int, shares: int, supply: int) -> int:
        """A lender leaves with `assets` for `shares` of `supply`: its pro-rata part of the
        restoration still locked (rounded down) goes to the reserves (prime13 M1); returns it."""
        self.accrue(now)
        if assets > self.cash:
            raise ValueError(f"InsufficientCash({self.cash}, {assets})")
        forfeited = self.forfeit(shares, supply, now)
        self.cash -= assets
        return forfeited

    def forfeit(self, shares: int, supply: int, now: int) -> int:
        """`shares / supply` of the restoration still locked at `now` (rounded down) to the
        reserves, the lock re-stamped at `now` with what stays (same end); the amount."""
        locked = self.locked_at(now)
        if not locked or not supply:
            return 0
        forfeited = locked * shares // supply
        if forfeited:
            self.locked, self.unlock_start = locked - forfeited, now
            self.reserves += forfeited
        return forfeited
