"""Python references for the FundVault (contracts/lifecycle): an integer replica of DealingMath
(same roundings, to predict the contract to the unit) and an exact model of a fund's dealing in
fractions (what each investor is owed at the struck NAVs, with no rounding at all), independent of
the contract's fixed-point scheme."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

ONE = 1 << 127
FLOOR = 1 << 63
SCALE_BITS = 64
MAX_NAV = 2**96 - 1
NAV_UNIT = 10**18


def mul_div(a: int, b: int, c: int, up: bool = False) -> int:
    q, r = divmod(a * b, c)
    return q + (1 if up and r else 0)


@dataclass(frozen=True)
class Queue:
    c: int = ONE
    a: int = 0
    era: int = 0
    scale: int = 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.c, self.a, self.era, self.scale)


def fulfil(q: Queue, pending: int, fulfilled: int, nav18: int) -> tuple[Queue, bool, int]:
    """DealingMath.fulfil."""
    if fulfilled == 0:
        return q, False, 0
    a = q.a + mul_div(q.c * nav18, fulfilled, pending)
    if fulfilled == pending:
        return Queue(ONE, 0, q.era + 1, 0), True, a
    rest = pending - fulfilled
    c = mul_div(q.c, rest, pending)
    if c >= FLOOR:
        return Queue(c, a, q.era, q.scale), False, 0
    scale = q.scale + 1
    c = mul_div(q.c << SCALE_BITS, rest, pending)
    if c < FLOOR:
        c = mul_div(q.c << (2 * SCALE_BITS), rest, pending)
        scale += 1
    return Queue(c, 0, q.era, scale), True, a


def distance(entry: Queue, current: Queue) -> int:
    if current.era != entry.era:
        return 2
    if current.scale == entry.scale:
        return 0
    return 1 if current.scale == entry.scale + 1 else 2


def progress(
    shares: int, entry: Queue, current: Queue, closed_at: int, closed_after: int
) -> tuple[int, int]:
    """DealingMath.progress: (shares still pending, earned shares x nav18)."""
    d = distance(entry, current)
    if d == 0:
        return (
            mul_div(shares, current.c, entry.c),
            mul_div(shares, current.a - entry.a, entry.c),
        )
    nav_shares = mul_div(shares, closed_at - entry.a, entry.c)
    rescaled = entry.c << SCALE_BITS
    if d == 1:
        return (
            mul_div(shares, current.c, rescaled),
            nav_shares + mul_div(shares, current.a, rescaled),
        )
    return 0, nav_shares + mul_div(shares, closed_after, rescaled)


def shares_for(assets: int, nav18: int, asset_unit: int, share_unit: int) -> int:
    return mul_div(assets, share_unit * NAV_UNIT, nav18 * asset_unit)


def assets_for(nav_shares: int, asset_unit: int, share_unit: int, up: bool = False) -> int:
    return mul_div(nav_shares, asset_unit, share_unit * NAV_UNIT, up)


@dataclass
class Replica:
    """The vault's redemption queue, strike by strike, as the contract computes it (integers)."""

    queues: list[Queue] = field(default_factory=lambda: [Queue()])
    closed: dict[tuple[int, int], int] = field(default_factory=dict)

    def strike(self, pending: int, fulfilled: int, nav18: int) -> Queue:
        before = self.queues[-1]
        after, was_closed, closed_a = fulfil(before, pending, fulfilled, nav18)
        if was_closed:
            self.closed[(before.era, before.scale)] = closed_a
        self.queues.append(after)
        return after

    def request(self, shares: int, entry_period: int) -> tuple[int, int]:
        """A request of `shares` entering `entry_period` (1-based), seen after the last strike."""
        entry, current = self.queues[entry_period - 1], self.queues[-1]
        return progress(
            shares,
            entry,
            current,
            self.closed.get((entry.era, entry.scale), 0),
            self.closed.get((entry.era, entry.scale + 1), 0),
        )


@dataclass
class ExactRequest:
    """One controller's redemption, exactly: shares still pending (from the strike of `period`
    on), shares served, value earned (shares x nav18, not yet converted to assets)."""

    pending: Fraction = Fraction(0)
    period: int = 0
    served: Fraction = Fraction(0)
    earned: Fraction = Fraction(0)


@dataclass
class ExactFund:
    """Every controller's exact entitlements at the struck NAVs: deposits priced without rounding,
    and each strike serving the same fraction F / P of every pending share."""

    asset_unit: int
    share_unit: int
    redemptions: dict[str, ExactRequest] = field(default_factory=dict)
    # controller -> exact shares owed for its struck deposits
    deposit_shares: dict[str, Fraction] = field(default_factory=dict)
    # controller -> (assets, period) of its pending deposit
    pending_deposits: dict[str, tuple[int, int]] = field(default_factory=dict)

    def request_redeem(self, controller: str, shares: int, period: int) -> None:
        request = self.redemptions.setdefault(controller, ExactRequest())
        request.pending += shares
        request.period = period

    def cancel_redeem(self, controller: str) -> Fraction:
        request = self.redemptions.setdefault(controller, ExactRequest())
        pending, request.pending = request.pending, Fraction(0)
        return pending

    def request_deposit(self, controller: str, assets: int, period: int) -> None:
        pending, _ = self.pending_deposits.get(controller, (0, period))
        self.pending_deposits[controller] = (pending + assets, period)

    def cancel_deposit(self, controller: str) -> int:
        return self.pending_deposits.pop(controller, (0, 0))[0]

    def pending_in(self, period: int) -> Fraction:
        """Exact shares pending for the strike of `period`."""
        return sum(
            (r.pending for r in self.redemptions.values() if r.pending and r.period <= period),
            Fraction(0),
        )

    def strike(self, period: int, nav18: int, pending_total: int, fulfilled: int) -> None:
        """Prices every deposit pending in `period` and serves F / P (the contract's integers) of
        every share pending in it."""
        for controller, (assets, p) in list(self.pending_deposits.items()):
            if p != period:
                continue
            del self.pending_deposits[controller]
            self.deposit_shares[controller] = self.deposit_shares.get(controller, 0) + Fraction(
                assets * self.share_unit * NAV_UNIT, nav18 * self.asset_unit
            )
        if pending_total == 0 or fulfilled == 0:
            return
        ratio = Fraction(fulfilled, pending_total)
        for request in self.redemptions.values():
            if not request.pending or request.period > period:
                continue
            served = request.pending * ratio
            request.served += served
            request.earned += served * nav18
            request.pending -= served

    def earned_assets(self, controller: str) -> Fraction:
        request = self.redemptions.get(controller, ExactRequest())
        return request.earned * self.asset_unit / (self.share_unit * NAV_UNIT)
