"""A keeper's margin pass over prime accounts on chain, as the demo's prime act and the 2008 stress
replay (scripts/prime_stress.py) run it once per replayed day: read each account's health at the
broker, liquidate what is liquidatable (the keeper's liquidator takes the seized collateral: it is
a verified holder, so no sale is needed), margin-call what fell below maintenance, close the
calls of accounts back at maintenance.

The margin keeper (silverback, `keepers/prime/bot.py`) does the same every block; this pass is its
synchronous core for replays, where a day is one step and nothing runs in the background.

Liquidation sizing: the close factor of the debt (all of it below 100%), against the account's
largest collateral by oracle value; a collateral that runs out repays less and the next largest is
taken in the same pass (up to `MAX_LIQUIDATIONS_PER_PASS`), until the account is healthy again or
has no collateral left — at which point the broker realises the rest as bad debt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

DEPOSIT, WITHDRAW, BORROW, REPAY, SWAP = range(5)
ZERO_ADDRESS = "0x" + "00" * 20
BPS = 10_000
# A keeper's bound on liquidations of one account in one pass (each one transaction).
MAX_LIQUIDATIONS_PER_PASS = 8


def action(kind: int, asset: Any = ZERO_ADDRESS, amount: int = 0, to: Any = ZERO_ADDRESS) -> tuple:
    """An IPrimeBroker Action as ape takes it (no swap data)."""
    return (kind, getattr(asset, "address", asset), amount, getattr(to, "address", to), b"")


@dataclass(frozen=True)
class MarginEvent:
    """One thing the pass did to an account, with the figures of its transaction's events."""

    account: str
    kind: str  # "call", "cleared" (a call closed, the account back at maintenance) or "liquidation"
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


def _ratio(health: Any) -> int:
    return min(int(health.ratioBps), 2**64 - 1)


def margin_pass(
    broker: Any,
    margin: Any,
    oracle: Any,
    accounts: Iterable[str],
    debt_asset: Any,
    pool: Any,
    liquidator: Any,
    *,
    caller: Any | None = None,
    before_liquidation: Callable[[int], None] | None = None,
) -> MarginPass:
    """One pass over `accounts` (identities; `oracle` the broker's OracleRouter) whose debt is
    in `debt_asset` (borrowed from `pool`): liquidate the liquidatable, call those below
    maintenance without an open call, clear the open calls of those back at maintenance.
    `caller` sends the calls and clears (anyone may; default the liquidator);
    `before_liquidation(repay)` lets the caller fund the liquidator with the debt asset before each
    liquidation."""
    caller = caller or liquidator
    out = MarginPass()
    tiers: dict[int, Any] = {}  # read once a pass
    for account in accounts:
        health = margin.health(account)
        out.ratios[account] = _ratio(health)
        if int(health.debtUsd) == 0:
            continue
        if health.liquidatable:
            out.events.extend(
                _liquidate(
                    broker,
                    margin,
                    oracle,
                    account,
                    debt_asset,
                    pool,
                    liquidator,
                    before_liquidation,
                )
            )
            continue
        called = int(health.marginCallAt) != 0
        # A maintenance ratio is a uint16: an account at or above 65,536 bps is never below it.
        if _ratio(health) >= 2**16 and not called:
            continue
        tier_id = int(broker.creditLineOf(account).tier)
        if tier_id not in tiers:
            tiers[tier_id] = broker.tierOf(tier_id)
        below = _ratio(health) < int(tiers[tier_id].maintenanceBps)
        if called and not below:
            # Back at maintenance: the call is closed (anyone may), so a later fall is a new call
            # with a grace period of its own.
            receipt = broker.clearMarginCall(account, sender=caller)
            out.events.append(
                MarginEvent(account, "cleared", _ratio(health), int(receipt.block_number))
            )
        elif below and not called:
            receipt = broker.marginCall(account, sender=caller)
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
    return out


_DECIMALS: dict[str, int] = {}


def _decimals(asset: str) -> int:
    if asset not in _DECIMALS:
        from ape import project

        # Any ERC-20 ABI reads decimals().
        _DECIMALS[asset] = int(project.LocalStablecoin.at(asset).decimals())
    return _DECIMALS[asset]


def _collateral_by_value(broker: Any, oracle: Any, account: str) -> list[tuple[str, int]]:
    """The account's posted assets with their oracle value (USD, 18 decimals), largest first
    (ties by address)."""
    held = []
    for asset in broker.assets():
        balance = int(broker.balanceOf(account, asset))
        if balance:
            held.append((str(asset), balance * int(oracle.price(asset)) // 10 ** _decimals(asset)))
    return sorted(held, key=lambda item: (-item[1], item[0].lower()))


def _liquidate(
    broker: Any,
    margin: Any,
    oracle: Any,
    account: str,
    debt_asset: Any,
    pool: Any,
    liquidator: Any,
    before_liquidation: Callable[[int], None] | None,
) -> list[MarginEvent]:
    events: list[MarginEvent] = []
    tier = broker.tierOf(broker.creditLineOf(account).tier)
    spread = int(broker.creditLineOf(account).spreadBps)
    for _ in range(MAX_LIQUIDATIONS_PER_PASS):
        health = margin.health(account)
        if not health.liquidatable:
            break
        held = _collateral_by_value(broker, oracle, account)
        if not held:
            break
        debt = int(pool.debtOf(account, spread))
        repay = debt if _ratio(health) < BPS else debt * int(tier.closeFactorBps) // BPS
        if repay == 0:
            break
        if before_liquidation is not None:
            before_liquidation(repay)
        collateral = held[0][0]
        receipt = broker.liquidate(
            account,
            debt_asset,
            repay,
            collateral,
            b"",
            int(broker.liquidationCount(account)),
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
                collateral=collateral,
                repaid=int(done.repaid),
                seized=int(done.seized),
                ratio_after_bps=min(int(done.ratioAfterBps), 2**64 - 1),
                bad_debt=bad,
            )
        )
        if bad:
            break
    return events
