"""The 2008 stress replay on chain (issue 19 item 9): a stack of its own on the connected local
chain, the seeded books opened at the first day's closes, then each trading day replayed onto the
feeds and a keeper's margin pass (`keepers.prime.margin_pass`), the figures read back from the
chain's events and state. scripts/prime_stress.py runs it and writes the report; the pure parts
(prices, books, the Morpho baseline) are `keepers.prime.stress`.

The stack: an authority, an identity registry, USDC and three security tokens (QTB, QCORP, QSPX:
each with its compliance engine, open to US institutions), reporter feeds behind an OracleRouter,
a LiquidityAggregator (the broker's constructor needs one; no venue is listed), a RiskEngine
(whose halts the broker reads; nothing is halted here), and the prime
brokerage by `keepers.prime.deploy_prime` (the deploy script's step): the PrimeBroker and its
margin module, the four assets listed at their risk weights, one USDC LendingPool (funded by one
verified lender), LIQUIDATOR for the keeper's liquidator — each by its domain's deploy steps.

Liquidations are taken, not sold: the keeper's liquidator is a verified institution holding the
cash, and takes the seized collateral at the oracle price less the bonus. Selling through the
aggregator would need the AMM pools re-balanced to each day's oracle price (an arbitrageur's
trades, a dozen transactions a day) and would measure the pools' depth as much as the margin
rules; the broker's sale path is covered by PRM-18. No institution answers a margin call: the
books are passive on both sides of the comparison, so the grace period only delays liquidations
here (the demo's act shows a top-up).

Chain time moves by the calendar gap between trading days (`evm_increaseTime`): the grace period
and the interest run over weekends as they would. Every feed is reported each day (their
heartbeat is a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from keepers.core.artifacts import project_at
from keepers.prime.stress import ASSETS, RISK_WEIGHT_BPS, Book, feed_answer

US, INSTITUTIONAL, NEVER = 840, 4, 2**40 - 1
OPEN = (True, 1, 0, 0, 0)  # jurisdiction allowed, retail and up, no holder caps
USDC_UNIT = 10**6
CAP = 10**15  # whole tokens: caps not binding in the replay
LENDER_HEADROOM = 1.25  # the lender funds 125% of what the books borrow
CREDIT_LIMIT_USD = 10**9


@dataclass
class StressStack:
    deployment: Any  # the Deployment: its sender keeps the authority until the books are open
    broker: Any
    margin: Any
    oracle: Any
    pool: Any
    tokens: dict[str, Any]
    feeds: dict[str, Any]
    registry: Any
    deployer: Any
    operator: Any
    agent: Any
    reporter: Any
    liquidator: Any
    lender: Any
    first_block: int


@dataclass
class DayFigures:
    day: str
    utilisation_bps: int
    borrow_rate_bps: int
    total_debt_usdc: int
    cash_usdc: int
    calls: int
    liquidations: int
    bad_debt_usdc: int


@dataclass
class ChainRun:
    """What the replay did, as the chain says."""

    broker: str
    pool: str
    books: list[Book]
    identities: list[str]
    days: list[DayFigures] = field(default_factory=list)
    # identity -> its ratio (bps) at each day's pass, in day order.
    ratios: dict[str, list[int]] = field(default_factory=dict)
    calls: list[tuple[str, str, int]] = field(default_factory=list)  # (day, identity, ratio)
    cleared: list[tuple[str, str, int]] = field(default_factory=list)  # calls closed, the same
    liquidations: list[dict] = field(default_factory=list)
    end_debt: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    closed: int = 0  # the block the closing figures (end_debt, totals) are read at


def stress_identity(name: str) -> str:
    from keepers.prime import identity_of

    return identity_of(f"prime stress {name}")


def _funded_wallet(rpc: Callable[[str, list], Any]) -> Any:
    from ape import accounts

    wallet = accounts.test_accounts.generate_test_account()
    rpc("anvil_setBalance", [wallet.address, hex(10**22)])
    return wallet


def deploy_stress_stack(
    opening: pd.Series, rpc: Callable[[str, list], Any], lender_usdc: int
) -> StressStack:
    """The stack (see the module notice) with feeds at `opening` (USD per token) and the pool
    funded with `lender_usdc` (USDC units)."""
    from ape import accounts, chain

    from keepers.access import deploy_access
    from keepers.compliance import deploy_registry, deploy_security
    from keepers.core.deploying import Deployment
    from keepers.liquidity import deploy_aggregator
    from keepers.prime import deploy_prime, load_prime_spec
    from keepers.risk import (
        deploy_feeds,
        deploy_oracle,
        deploy_risk_engine,
        feed_config,
        set_feeds,
    )
    from keepers.vault import deploy_stablecoin

    test = accounts.test_accounts
    deployer, governor, operator, agent, reporter = (test[i] for i in (0, 2, 3, 5, 8))
    first_block = int(chain.blocks.head.number)
    d = Deployment.in_memory(deployer)
    deploy_access(
        d, {"GOVERNOR": governor, "OPERATOR": operator, "PRICE_REPORTER": reporter.address}
    )
    registry = deploy_registry(d)
    tokens: dict[str, Any] = {"USDC": deploy_stablecoin(d, "USDC")}
    names = {"QTB": "T-Bill Fund", "QCORP": "IG Credit Fund", "QSPX": "S&P 500 Fund"}
    for symbol, name in names.items():
        tokens[symbol] = deploy_security(
            d,
            f".{symbol}",
            f"Quantera {name}",
            symbol,
            agent=agent.address,
            jurisdictions=[(US, OPEN)],
        )
    oracle = deploy_oracle(d)
    feeds = deploy_feeds(d, {s: feed_answer(float(opening[s])) for s in ASSETS})
    set_feeds(d, oracle, {s: (tokens[s], feed_config(feeds[s].address)) for s in ASSETS})
    deploy_aggregator(d, oracle, 300, 2)
    deploy_risk_engine(d, oracle)  # whose halts the broker reads
    liquidator, lender = _funded_wallet(rpc), _funded_wallet(rpc)
    spec = {
        "collateral": {
            s: {"risk_weight_bps": RISK_WEIGHT_BPS[s], "cap_total": CAP, "cap_per_account": CAP}
            for s in ASSETS
        },
        # The USDC pool's rate model as the deploy script sets it (keepers/data/prime.yaml).
        "pools": {"USDC": load_prime_spec()["pools"]["USDC"]},
    }
    broker = deploy_prime(d, tokens, spec, liquidator=liquidator.address)
    pool = d.at("LendingPool", "LendingPool.USDC")
    stack = StressStack(
        d,
        broker,
        project_at("PrimeViews", broker.address),
        oracle,
        pool,
        tokens,
        feeds,
        registry,
        deployer,
        operator,
        agent,
        reporter,
        liquidator,
        lender,
        first_block,
    )
    for symbol in names:
        tokens[symbol].unpause(sender=agent)
    registry.registerInvestor(
        lender, stress_identity("the lender"), US, INSTITUTIONAL, NEVER, sender=operator
    )
    tokens["USDC"].mint(lender, lender_usdc, sender=operator)
    tokens["USDC"].approve(pool, lender_usdc, sender=lender)
    pool.deposit(lender_usdc, lender, sender=lender)
    tokens["USDC"].approve(broker, 2**256 - 1, sender=liquidator)
    return stack


def open_books(stack: StressStack, books: Sequence[Book], rpc) -> list[str]:
    """Verifies each book's institution, opens its account, sets its credit line (GOVERNOR, held
    by the deployer until then: it renounces every role after), posts its collateral and borrows
    its USDC in one batch; returns the identities."""
    from keepers.access import as_role, renounce_temporary_roles
    from keepers.prime import BORROW, DEPOSIT, action

    d = stack.deployment
    wallets, identities = [], []
    for book in books:
        wallet, identity = _funded_wallet(rpc), stress_identity(book.name)
        stack.registry.registerInvestor(
            wallet, identity, US, INSTITUTIONAL, NEVER, sender=stack.operator
        )
        stack.broker.openAccount(sender=wallet)
        wallets.append(wallet)
        identities.append(identity)
    as_role(
        d,
        "GOVERNOR",
        [
            (
                f"credit line of {book.name}",
                lambda i=identity, b=book: stack.broker.setCreditLine(
                    i, (CREDIT_LIMIT_USD * 10**18, b.spread_bps, 0), sender=d.sender
                ),
            )
            for book, identity in zip(books, identities, strict=True)
        ],
    )
    renounce_temporary_roles(d)
    for book, wallet, identity in zip(books, wallets, identities, strict=True):
        batch = []
        for symbol, units in book.posted.items():
            token = stack.tokens[symbol]
            if symbol == "USDC":
                token.mint(wallet, units, sender=stack.operator)
            else:
                token.mint(wallet, units, sender=stack.agent)
            token.approve(stack.broker, units, sender=wallet)
            batch.append(action(DEPOSIT, token, units))
        batch.append(action(BORROW, stack.tokens["USDC"], book.borrowed, wallet))
        stack.broker.execute(identity, batch, sender=wallet)
    return identities


def replay(
    stack: StressStack,
    books: Sequence[Book],
    identities: Sequence[str],
    prices: pd.DataFrame,
    rpc,
    progress: Callable[[str], None] | None = None,
) -> ChainRun:
    """Replays `prices`' rows after the first (the opening) day by day (see the module notice)."""

    from keepers.prime import PrimeBook, hold, margin_pass

    run = ChainRun(stack.broker.address, stack.pool.address, list(books), list(identities))
    run.ratios = {i: [] for i in identities}
    spreads = {i: b.spread_bps for i, b in zip(identities, books, strict=True)}
    previous = prices.index[0]
    book = PrimeBook(stack.broker.address)

    def fund(asset: str, repay: int) -> None:
        if asset != stack.tokens["USDC"].address:
            raise ValueError(f"the books borrow USDC only, not {asset}")
        stack.tokens["USDC"].mint(stack.liquidator, repay, sender=stack.operator)

    def refresh() -> None:
        for feed in stack.feeds.values():
            feed.report(feed.latestRoundData()[1], sender=stack.reporter)

    for day, row in prices.iloc[1:].iterrows():
        label = str(day.date())
        # The last close held until this one: open calls confirmed on the way (SEC-24).
        hold(
            book,
            identities,
            stack.liquidator,
            int((day - previous).days) * 86_400,
            lambda seconds: rpc("evm_increaseTime", [seconds]),
            refresh,
        )
        previous = day
        for symbol, feed in stack.feeds.items():
            feed.report(feed_answer(float(row[symbol])), sender=stack.reporter)
        step = margin_pass(book, identities, stack.liquidator, before_liquidation=fund)
        for identity, ratio in step.ratios.items():
            run.ratios[identity].append(ratio)
        bad = 0
        for e in step.events:
            if e.kind == "confirmed":
                continue  # an open call seen below maintenance again (SEC-24)
            if e.kind == "cleared":
                run.cleared.append((label, e.account, e.ratio_bps))
            elif e.kind == "call":
                run.calls.append((label, e.account, e.ratio_bps))
            else:
                symbol = next(s for s, t in stack.tokens.items() if t.address == e.collateral)
                run.liquidations.append(
                    {
                        "day": label,
                        "account": e.account,
                        "collateral": symbol,
                        "repaid": e.repaid,
                        "seized": e.seized,
                        "ratio_before_bps": e.ratio_bps,
                        "ratio_after_bps": e.ratio_after_bps,
                        "bad_debt": e.bad_debt,
                    }
                )
                bad += e.bad_debt
        state = stack.pool.state()
        run.days.append(
            DayFigures(
                label,
                int(state.utilisationBps),
                int(state.borrowRateBps),
                int(state.totalDebt),
                int(state.cash),
                len(step.of("call")),
                len(step.of("liquidation")),
                bad,
            )
        )
        if progress is not None:
            progress(label)
    # The pool accrues on its next interaction only: a deposit of one unit by the lender brings it
    # (and its Accrued event) to the replay's end, so the event totals below balance its state.
    usdc = stack.tokens["USDC"]
    usdc.mint(stack.lender, 1, sender=stack.operator)
    usdc.approve(stack.pool, 1, sender=stack.lender)
    closed = int(stack.pool.deposit(1, stack.lender, sender=stack.lender).block_number)
    wait_past(closed)
    run.closed = closed
    run.end_debt = closing_debts(stack, spreads, closed)
    run.totals = chain_totals(stack, closed)
    return run


def wait_past(block: int, timeout: float = 60.0) -> None:
    """Returns once the chain has mined a block after `block`: anvil may answer a read at its head
    from the block it is mining (see keepers.core.reads.SETTLE_BLOCKS)."""
    import time

    from ape import chain

    deadline = time.monotonic() + timeout
    while int(chain.blocks.head.number) <= block:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no block after {block} in {timeout:.0f} s")
        time.sleep(0.2)


def closing_debts(stack: StressStack, spreads: dict[str, int], block: int) -> dict[str, int]:
    """What each account owes (its pending spread included) at `block`: read there, as the totals
    are, since the pool's views accrue to the block's clock and the demo's chain mines a block a
    second (a read at `latest` a few blocks on carries their interest: PRM-48 failed by 4,689 units
    on a slow machine)."""
    return {i: int(stack.pool.debtOf(i, s, block_id=block)) for i, s in spreads.items()}


def chain_totals(stack: StressStack, head: int) -> dict[str, int]:
    """The pool's and broker's totals from their events since the stack's first block, and the
    pool's state, all at block `head`: what the report's counts and the conservation check are
    held to."""
    pool, broker, start = stack.pool, stack.broker, stack.first_block
    end = head + 1
    state = pool.state(block_id=head)
    return {
        "borrowed": sum(int(e.assets) for e in pool.Borrowed.range(start, end)),
        "repaid": sum(int(e.assets) for e in pool.Repaid.range(start, end)),
        "interest": sum(int(e.interest) for e in pool.Accrued.range(start, end)),
        "spread_charged": sum(int(e.amount) for e in pool.SpreadCharged.range(start, end)),
        "bad_debt_written_off": sum(int(e.amount) for e in pool.BadDebtRealised.range(start, end)),
        # Written off beside a claim and carried (SEC-234): still carried, or paid back against the
        # carry since (the rest of a recovery restores realised loss, already counted above).
        "bad_debt_carried": int(state.assignedDebt),
        "carry_recovered": sum(int(e.carried) for e in pool.BadDebtRecovered.range(start, end)),
        "margin_calls": len(list(broker.MarginCalled.range(start, end))),
        # By the keeper's clearMarginCall, or by a liquidation leaving the account at maintenance.
        "calls_cleared": len(list(broker.MarginCallCleared.range(start, end))),
        "liquidations": len(list(broker.Liquidated.range(start, end))),
        "bad_debt_events": len(list(broker.BadDebt.range(start, end))),
        "total_debt": int(state.totalDebt),
        "bad_debt_absorbed": int(state.badDebtAbsorbed),
        "bad_debt_realised": int(state.badDebtRealised),
        "reserves": int(state.reserves),
        "cash": int(state.cash),
    }


def trading_days_between(days: Sequence[str], first: str, second: str) -> int:
    return days.index(second) - days.index(first)


def calendar_days_between(first: str, second: str) -> int:
    return (dt.date.fromisoformat(second) - dt.date.fromisoformat(first)).days


def quantera_report(run: ChainRun, morpho_names: dict[str, str] | None = None) -> dict:
    """The Quantera side's figures (USD as floats, 2 decimals; USDC has 6 decimals)."""
    usd = lambda units: round(units / USDC_UNIT, 2)  # noqa: E731
    names = {i: b.name for i, b in zip(run.identities, run.books, strict=True)}
    days = [d.day for d in run.days]
    calls_by_account: dict[str, list[str]] = {}
    for day, account, _ in run.calls:
        calls_by_account.setdefault(account, []).append(day)
    waits_trading, waits_calendar, without_call = [], [], 0
    seen: set[str] = set()
    for x in run.liquidations:
        if x["account"] in seen:
            continue
        seen.add(x["account"])
        before = [c for c in calls_by_account.get(x["account"], []) if c <= x["day"]]
        if not before:
            without_call += 1  # gapped below the liquidation ratio before any call
            continue
        waits_trading.append(trading_days_between(days, before[-1], x["day"]))
        waits_calendar.append(calendar_days_between(before[-1], x["day"]))
    min_ratio = {i: min(r) if r else 0 for i, r in run.ratios.items()}
    worst = min(run.identities, key=lambda i: (min_ratio[i], i))
    bad_by_account: dict[str, int] = {}
    for x in run.liquidations:
        bad_by_account[x["account"]] = bad_by_account.get(x["account"], 0) + x["bad_debt"]
    t = run.totals
    remaining = sum(run.end_debt.values())
    owed = t["borrowed"] + t["interest"] + t["spread_charged"]
    settled = (
        t["repaid"]
        + t["bad_debt_written_off"]
        + t["bad_debt_carried"]
        + t["carry_recovered"]
        + t["total_debt"]
    )
    return {
        "rules": "initial 150%, maintenance 125%, liquidation 110%, grace 1 day, close factor "
        "50% (100% below a ratio of 100%), bonus 5% (less where it would lower the ratio), "
        "cross-margin over the four assets, risk-weight haircuts (T-bills 1.6%, credit and "
        "equity 8%)",
        "borrowed_usd": usd(t["borrowed"]),
        "margin_calls": len(run.calls),
        "accounts_called": len(calls_by_account),
        "calls_cleared_by_the_keeper": len(run.cleared),
        "liquidations": len(run.liquidations),
        "accounts_liquidated": len(seen),
        "liquidated_without_a_call": without_call,
        "days_from_call_to_liquidation": {
            "trading": waits_trading,
            "calendar": waits_calendar,
            "median_trading": float(pd.Series(waits_trading).median()) if waits_trading else None,
            "median_calendar": float(pd.Series(waits_calendar).median())
            if waits_calendar
            else None,
        },
        "repaid_by_liquidations_usd": usd(t["repaid"]),
        "bad_debt_by_pool_usd": {"USDC": usd(t["bad_debt_written_off"])},
        "bad_debt_absorbed_by_reserves_usd": usd(t["bad_debt_absorbed"]),
        "bad_debt_realised_by_lenders_usd": usd(t["bad_debt_realised"]),
        "accounts_with_bad_debt": sum(1 for v in bad_by_account.values() if v),
        "remaining_debt_usd": usd(remaining),
        "interest_usd": usd(t["interest"] + t["spread_charged"]),
        "worst_account": {
            "name": names[worst],
            "min_ratio_bps": min_ratio[worst],
            "on": days[run.ratios[worst].index(min_ratio[worst])] if run.ratios[worst] else None,
            "liquidations": sum(1 for x in run.liquidations if x["account"] == worst),
            "bad_debt_usd": usd(bad_by_account.get(worst, 0)),
        },
        "conservation": {
            "borrowed_plus_interest_usdc": owed,
            "repaid_plus_bad_debt_plus_remaining_usdc": settled,
            "difference_units": settled - owed,
        },
        "chain_events": dict(t),
        "utilisation_bps_by_day": {d.day: d.utilisation_bps for d in run.days},
        "borrow_rate_bps_by_day": {d.day: d.borrow_rate_bps for d in run.days},
    }
