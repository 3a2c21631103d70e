"""A keeper's margin pass over prime accounts on chain, as the demo's prime act and the 2008 stress
replay (scripts/prime_stress.py) run it once per replayed day: the margin keeper's own reads and
decisions (`PrimeBook.marks`, one batched read of every account's health, tier and liquidation
count; `needs_margin_call`; `choose_liquidation`, keepers/prime/margin.py), sent synchronously:
liquidate what is liquidatable, the seized collateral taken by the keeper's liquidator (a verified
holder holding the debt asset: no sale needed), margin-call what fell below maintenance, confirm
the open calls still below it (SEC-24: the broker lets an unconfirmed call lapse) and close the
calls of accounts back at maintenance (`clearMarginCall`, anyone's) so that a later fall is a new
call with a grace period of its own.

Between two passes a replay holds the last close (`hold`): chain time moves in steps of at most
HOLD_STEP_SECONDS, and at each stop the feeds report their last answers again and every open call
still below maintenance is confirmed — what the keeper, running every block, would do while the
prices stood still; without it a call would lapse between two daily closes.

The margin keeper (keepers/prime/keeper.py, silverback) runs the same decisions every block,
records each liquidation before it signs and sells the seizure through the smart order router
when a sale covers the repayment; a replay has no background and no AMM pools priced at the
replayed day, so it sends in line and takes. A liquidation that leaves the account liquidatable is
followed by the next (up to `MAX_LIQUIDATIONS_PER_PASS`), until it is healthy again or has no
collateral left — at which point the broker realises the rest as bad debt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from keepers.prime.book import PrimeBook
from keepers.prime.margin import (
    Mark,
    choose_liquidation,
    heartbeat,
    needs_clearing,
    needs_confirmation,
    needs_margin_call,
)

DEPOSIT, WITHDRAW, BORROW, REPAY, SWAP = range(5)
ZERO_ADDRESS = "0x" + "00" * 20
NO_RATIO = 2**64 - 1  # a ratio without debt, as the reports print it
# A keeper's bound on liquidations of one account in one pass (each one transaction).
MAX_LIQUIDATIONS_PER_PASS = 8
# A replay's longest step between two confirmations of open calls (half the default heartbeat).
HOLD_STEP_SECONDS = 12 * 3_600


def action(kind: int, asset: Any = ZERO_ADDRESS, amount: int = 0, to: Any = ZERO_ADDRESS) -> tuple:
    """An IPrimeBroker Action as ape takes it (no swap data)."""
    return (kind, getattr(asset, "address", asset), amount, getattr(to, "address", to), b"")


@dataclass(frozen=True)
class MarginEvent:
    """One thing the pass did to an account, with the figures of its transaction's events."""

    account: str
    # "call", "confirmed" (an open call seen below maintenance again), "cleared" (a call closed,
    # the account back at maintenance), "liquidation"
    kind: str
    ratio_bps: int  # the account's ratio before (the call's, or the liquidation's before)
    block: int
    deadline: int = 0  # a call's
    shortfall_usd: int = 0  # a call's, to initial margin (18 decimals)
    collateral: str = ""  # a liquidation's seized asset
    repaid: int = 0
    seized: int = 0
    ratio_after_bps: int = 0
    bad_debt: int = 0  # debt written off by this liquidation (the account ran out of collateral)


@dataclass
class MarginPass:
    """What one pass did (in order) and each account's ratio as it found it."""

    events: list[MarginEvent] = field(default_factory=list)
    ratios: dict[str, int] = field(default_factory=dict)

    def of(self, kind: str) -> list[MarginEvent]:
        return [e for e in self.events if e.kind == kind]


def _ratio(bps: int) -> int:
    return min(int(bps), NO_RATIO)


def margin_pass(
    book: PrimeBook,
    accounts: Iterable[str],
    liquidator: Any,
    *,
    caller: Any | None = None,
    before_liquidation: Callable[[str, int], None] | None = None,
) -> MarginPass:
    """One pass over `accounts` (identities) of `book`'s broker (see the module notice). `caller`
    sends the calls and clears (anyone may; default the liquidator); `before_liquidation(asset,
    repay)` lets the caller fund the liquidator with the debt asset before each liquidation."""
    from ape import chain

    caller = caller or liquidator
    out = MarginPass()
    head = chain.blocks.head  # every mark and the time they are judged at of one block
    marks, unreadable = book.marks(list(accounts), int(head.number))
    if unreadable:
        account, reason = next(iter(unreadable.items()))
        raise LookupError(f"health of {account} unreadable: {reason}")
    now = int(head.timestamp)
    for mark in marks:
        health, account = mark.health, mark.account
        out.ratios[account] = _ratio(health.ratio_bps)
        if health.debt_usd == 0:
            continue
        if health.liquidatable:
            out.events.extend(_liquidate(book, mark, liquidator, before_liquidation))
        elif needs_margin_call(mark):
            receipt = book.broker.marginCall(account, sender=caller)
            (called,) = [e for e in receipt.events if e.event_name == "MarginCalled"]
            out.events.append(
                MarginEvent(
                    account,
                    "call",
                    int(called.ratioBps),
                    int(receipt.block_number),
                    deadline=int(called.deadline),
                    shortfall_usd=int(called.shortfallUsd),
                )
            )
        elif needs_clearing(mark):
            receipt = book.broker.clearMarginCall(account, sender=caller)
            out.events.append(
                MarginEvent(account, "cleared", _ratio(health.ratio_bps), receipt.block_number)
            )
        elif needs_confirmation(mark, now):
            receipt = book.broker.marginCall(account, sender=caller)
            out.events.append(
                MarginEvent(account, "confirmed", _ratio(health.ratio_bps), receipt.block_number)
            )
    return out


def hold(
    book: PrimeBook,
    accounts: Iterable[str],
    caller: Any,
    seconds: int,
    advance: Callable[[int], None],
    refresh: Callable[[], None],
) -> int:
    """Moves chain time `seconds` on (`advance(step)`) holding the last close: while any account
    has an open call, in steps of at most HOLD_STEP_SECONDS (and half its heartbeat), at each stop
    the feeds reporting their last answers again (`refresh()`) and each open call still below
    maintenance confirmed by `caller`. Returns how many calls it confirmed."""
    accounts = list(accounts)
    confirmed = 0
    while True:
        marks, _ = book.marks(accounts)
        called = [m for m in marks if m.health.margin_call_at != 0]
        step = min([HOLD_STEP_SECONDS] + [heartbeat(m.tier) // 2 for m in called])
        if not called or seconds <= step:
            break
        advance(step)
        seconds -= step
        refresh()
        for mark in book.marks([m.account for m in called])[0]:
            if mark.health.margin_call_at != 0 and mark.below_maintenance:
                book.broker.marginCall(mark.account, sender=caller)
                confirmed += 1
    advance(seconds)
    return confirmed


def _liquidate(
    book: PrimeBook,
    mark: Mark,
    liquidator: Any,
    before_liquidation: Callable[[str, int], None] | None,
) -> list[MarginEvent]:
    events: list[MarginEvent] = []
    account = mark.account
    for _ in range(MAX_LIQUIDATIONS_PER_PASS):
        if not mark.health.liquidatable:
            break
        holdings = book.holdings(account)
        choice = choose_liquidation(holdings, mark.health.ratio_bps, mark.tier)
        if choice is None:
            break
        if before_liquidation is not None:
            before_liquidation(choice.debt_asset, choice.repay)
        receipt = book.broker.liquidate(
            account,
            choice.debt_asset,
            choice.repay,
            choice.collateral_asset,
            b"",
            mark.liquidations,
            sender=liquidator,
        )
        (done,) = [e for e in receipt.events if e.event_name == "Liquidated"]
        bad = sum(int(e.amount) for e in receipt.events if e.event_name == "BadDebt")
        events.append(
            MarginEvent(
                account,
                "liquidation",
                int(done.ratioBeforeBps),
                int(receipt.block_number),
                collateral=choice.collateral_asset,
                repaid=int(done.repaid),
                seized=int(done.seized),
                ratio_after_bps=_ratio(done.ratioAfterBps),
                bad_debt=bad,
            )
        )
        if bad:
            break
        mark = book.mark(account)
    return events
