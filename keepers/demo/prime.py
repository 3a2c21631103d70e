"""Prime-brokerage part of the demo (issue 19 item 9): cross-margin credit for four institutions
against the demo's tokenized collateral, through the first week of October 2008.

The prime brokerage is the one `deploy all` put on the chain (its step 7, `keepers.prime.
deploy_prime`: the PrimeBroker and its margin module, a USDC and a QSPX LendingPool, the
collateral of keepers/data/prime.yaml, LIQUIDATOR for the margin keeper's key, test account 4),
recorded in the demo's deployment record, so the operator console and the keepers find it. The
act uses it as an operator would: a bank treasury lends the USDC pool 8,000,000 USDC; four
verified institutions open margin accounts; governance sets their credit lines through the
GOVERNOR's one-hour timelock (scheduled, then executed after the delay).

The book, opened at the close of Friday 3 October 2008 (`OPEN_DAY`): a pension plan (T-bill fund
shares and an S&P 500 fund, at 250% of its debt), an insurer (T-bills, cash and a Nasdaq-100 fund,
at 200%), and two equity funds levered to just above the 150% initial margin. Then each trading
day of 6-10 October is a chain day (one day of chain time each): the price keeper reports the
day's closes, and a keeper's margin pass (`keepers.prime.margin_pass`: the margin keeper's own
reads and decisions, `PrimeBook.marks` and `choose_liquidation`, sent in line with the
LIQUIDATOR's key, the seizure taken) marks every account to market, calls those below the 125%
maintenance and liquidates those the broker lets it. The S&P 500 fell 18% that week: the macro
fund is called on the 9th and, not topping up, liquidated after its one-day grace period on the
10th (half its debt repaid, the collateral taken by the verified liquidator with the 5% bonus);
the multi-strategy fund, called on the 10th, tops up at once and its call clears.

Figures: `PrimeOutcome` (written as prime-report.json beside the lifecycle's), its `on_chain`
check reads the broker's and the pool's events back.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from keepers.core.artifacts import project_at
from keepers.demo.actions import ActionLog
from keepers.demo.stage import Act, Stage, actions, console, table
from keepers.prime import identity_of

SECTION = "prime"
GOVERNOR, OPERATOR, LIQUIDATOR, AGENT, PRICE_REPORTER = 2, 3, 4, 5, 8
GOVERNOR_DELAY_SECONDS = 3_600
DAY = 86_400
US, INSTITUTIONAL, NEVER = 840, 4, 2**40 - 1
USDC_UNIT, TOKEN_UNIT = 10**6, 10**18
OPEN_DAY = "2008-10-03"
REPLAY_DAYS = ("2008-10-06", "2008-10-07", "2008-10-08", "2008-10-09", "2008-10-10")
LENDER_USDC = 8_000_000
# The collateral the books post (listed by the deploy script, keepers/data/prime.yaml) and its
# risk weights there (bps): cash 0%, T-bills 20%, equity funds 100% (haircut 8% of the weight).
RISK_WEIGHTS = {"USDC": 0, "QTF": 2_000, "QSPX": 10_000, "QNDX": 10_000}


@dataclass(frozen=True)
class Institution:
    name: str
    book: dict[str, int]  # whole tokens posted
    target_ratio_bps: int  # borrows USDC to this ratio at the opening prices
    spread_bps: int  # its credit line's spread over the pool's rate
    tops_up: bool  # answers a margin call with cash at once


INSTITUTIONS = (
    Institution("Harbor pension plan", {"QTF": 15_000, "QSPX": 500}, 25_000, 50, True),
    Institution("Ashford insurer", {"QTF": 5_000, "USDC": 500_000, "QNDX": 200}, 20_000, 75, True),
    Institution("Meridian macro fund", {"QSPX": 2_000}, 15_050, 150, False),
    Institution("Calder multi-strategy fund", {"QSPX": 1_500, "QNDX": 300}, 15_050, 125, True),
)
CREDIT_LIMIT_USD = 5_000_000


@dataclass
class AccountResult:
    name: str
    identity: str
    book: dict[str, int]
    borrowed_usdc: int
    opening_ratio_bps: int
    ratios_bps: dict[str, int] = field(default_factory=dict)  # day -> ratio at the keeper's pass
    calls: list[dict] = field(default_factory=list)
    liquidations: list[dict] = field(default_factory=list)
    top_ups_usdc: list[int] = field(default_factory=list)
    debt_end: int = 0
    ratio_end_bps: int = 0


@dataclass
class PrimeOutcome:
    broker: str = ""
    pool: str = ""
    recorded: dict[str, str] = field(default_factory=dict)
    accounts: list[AccountResult] = field(default_factory=list)
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # day -> symbol -> USD
    pool_days: dict[str, dict[str, int]] = field(default_factory=dict)  # day -> utilisation, rate
    liquidator_seized: dict[str, int] = field(default_factory=dict)
    bad_debt: int = 0
    on_chain: bool = False

    @property
    def calls(self) -> int:
        return sum(len(a.calls) for a in self.accounts)

    @property
    def liquidations(self) -> int:
        return sum(len(a.liquidations) for a in self.accounts)

    def write_report(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {**asdict(self), "calls": self.calls, "liquidations": self.liquidations}
        path.write_text(json.dumps(body, indent=1, default=str))
        return path


def _identity(name: str) -> str:
    return identity_of(f"prime demo {name}")


def exercise_prime(log: ActionLog, record_file: Path, rpc_url: str, rpc) -> PrimeOutcome:
    """The act (see the module notice)."""
    from ape import accounts, chain, project

    from keepers.core.deployments import load, name_accounts
    from keepers.core.units import FEED_DECIMALS
    from keepers.prime import BORROW, DEPOSIT, PrimeBook, action, hold, margin_pass, model
    from keepers.vault import history, load_portfolio

    acct = {i: accounts.test_accounts[i] for i in (GOVERNOR, OPERATOR, LIQUIDATOR, AGENT)}
    reporter = accounts.test_accounts[PRICE_REPORTER]
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731
    record = load(record_file)
    manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
    registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
    oracle = project_at("OracleRouter", record.address_of("OracleRouter"))
    broker = project_at("PrimeBroker", record.address_of("PrimeBroker"))
    margin = project_at("PrimeViews", broker.address)
    book = PrimeBook(broker.address)
    pool = project_at("LendingPool", record.address_of("LendingPool.USDC"))
    tokens: dict[str, Any] = {
        "USDC": project.LocalStablecoin.at(record.address_of("LocalStablecoin.USDC")),
        "QTF": project.SecurityToken.at(record.address_of("SecurityToken")),
        "QSPX": project.SecurityToken.at(record.address_of("SecurityToken.QSPX")),
        "QNDX": project.SecurityToken.at(record.address_of("SecurityToken.QNDX")),
    }
    # Every listed asset's feed is reported each day, QOIL's too though no book holds it: the
    # keeper's reads (PrimeBook.holdings) price every listed asset.
    listed = {**tokens, "QOIL": project.SecurityToken.at(record.address_of("SecurityToken.QOIL"))}
    feeds = {s: project.ReporterPriceFeed.at(oracle.feedOf(t).primary) for s, t in listed.items()}
    prices = history(load_portfolio())
    liquidator = acct[LIQUIDATOR]
    outcome = PrimeOutcome(broker.address, pool.address)
    outcome.recorded = {
        name: address
        for name, address in record.contracts.items()
        if name.startswith(("Prime", "LendingPool"))
    }

    def wallet(name: str):
        """A fresh funded wallet (the demo's 24 named test accounts are all in use)."""
        w = accounts.test_accounts.generate_test_account()
        rpc(rpc_url, "anvil_setBalance", [w.address, hex(10**21)])
        return w

    def report(day: str) -> None:
        for symbol, feed in feeds.items():
            feed.report(
                int(round(float(prices.loc[day, symbol]) * 10**FEED_DECIMALS)), sender=reporter
            )
        outcome.prices[day] = {s: round(float(prices.loc[day, s]), 4) for s in feeds}

    def mint(symbol: str, to, whole: int) -> None:
        sender = acct[OPERATOR] if symbol == "USDC" else acct[AGENT]
        unit = USDC_UNIT if symbol == "USDC" else TOKEN_UNIT
        tokens[symbol].mint(to, whole * unit, sender=sender)

    for symbol, token in tokens.items():
        if symbol != "USDC" and token.paused():
            act(
                "token agent",
                f"open {symbol} for trading (unpause)",
                lambda t=token: t.unpause(sender=acct[AGENT]),
            )
    act(
        "price keeper",
        f"report the {OPEN_DAY} closes of USDC, QTF, QSPX, QNDX, QOIL",
        lambda: report(OPEN_DAY),
    )

    # --- the lender and the institutions, verified; the pool funded; the accounts opened
    lender = wallet("lender")
    wallets = {i.name: wallet(i.name) for i in INSTITUTIONS}
    lender_name = "Northfield bank treasury, lender"
    # The deployment's address book: every screen names them as the demo does (a margin account
    # is the institution's identity; its wallet signs for it).
    name_accounts(
        record_file,
        {
            lender.address: lender_name,
            **{_identity(n): n for n in wallets},
            **{w.address: f"{n} wallet" for n, w in wallets.items()},
        },
    )
    for name, w in {lender_name: lender, **wallets}.items():
        act(
            "operator",
            f"verify {name} (US, institutional)",
            lambda w=w, name=name: registry.registerInvestor(
                w, _identity(name), US, INSTITUTIONAL, NEVER, sender=acct[OPERATOR]
            ),
        )
    mint("USDC", lender, LENDER_USDC)
    tokens["USDC"].approve(pool, LENDER_USDC * USDC_UNIT, sender=lender)
    act(
        "lender",
        f"deposit {LENDER_USDC:,} USDC in the pool",
        lambda: pool.deposit(LENDER_USDC * USDC_UNIT, lender, sender=lender),
    )
    for i in INSTITUTIONS:
        act(i.name, "open a margin account", lambda i=i: broker.openAccount(sender=wallets[i.name]))

    # --- the credit lines: GOVERNOR's, behind its one-hour timelock
    lines = {
        i.name: broker.setCreditLine.encode_input(
            _identity(i.name), (CREDIT_LIMIT_USD * 10**18, i.spread_bps, 0)
        )
        for i in INSTITUTIONS
    }
    for name, data in lines.items():
        act(
            "governor",
            f"schedule the credit line of {name} ($5M)",
            lambda data=data: manager.schedule(broker, data, 0, sender=acct[GOVERNOR]),
        )
    rpc(rpc_url, "evm_increaseTime", [GOVERNOR_DELAY_SECONDS + 1])
    rpc(rpc_url, "evm_mine")
    for name, data in lines.items():
        act(
            "governor",
            f"execute the credit line of {name} after {GOVERNOR_DELAY_SECONDS}s",
            lambda data=data: manager.execute(broker, data, sender=acct[GOVERNOR]),
        )

    # --- the books: post collateral and borrow USDC to the target ratio, one batch each
    for i in INSTITUTIONS:
        w, identity = wallets[i.name], _identity(i.name)
        batch = []
        holdings = []
        for symbol, whole in i.book.items():
            unit = USDC_UNIT if symbol == "USDC" else TOKEN_UNIT
            mint(symbol, w, whole)
            tokens[symbol].approve(broker, whole * unit, sender=w)
            batch.append(action(DEPOSIT, tokens[symbol], whole * unit))
            holdings.append(
                model.Holding(
                    whole * unit,
                    0,
                    int(oracle.price(tokens[symbol])),
                    6 if symbol == "USDC" else 18,
                    RISK_WEIGHTS[symbol],
                )
            )
        adjusted = model.figures(holdings).adjusted_collateral_usd
        borrow = adjusted * 10_000 // i.target_ratio_bps // 10**12  # USDC units
        batch.append(action(BORROW, tokens["USDC"], borrow, w))
        receipt = act(
            i.name,
            f"post {', '.join(f'{v:,} {s}' for s, v in i.book.items())}; "
            f"borrow {borrow / USDC_UNIT:,.0f} USDC",
            lambda w=w, batch=batch, identity=identity: broker.execute(identity, batch, sender=w),
        )
        outcome.accounts.append(
            AccountResult(
                i.name,
                identity,
                dict(i.book),
                borrow,
                _checked_ratio(receipt),
            )
        )
    results = {a.identity: a for a in outcome.accounts}
    by_identity = {_identity(i.name): i for i in INSTITUTIONS}

    # --- the week, a chain day per trading day: prices, then the keeper's pass
    tokens["USDC"].approve(broker, 2**256 - 1, sender=liquidator)

    def fund_liquidator(asset: str, repay: int) -> None:
        if asset != tokens["USDC"].address:
            raise ValueError(f"the books borrow USDC only, not {asset}")
        tokens["USDC"].mint(liquidator, repay, sender=acct[OPERATOR])

    def refresh() -> None:
        for feed in feeds.values():
            feed.report(feed.latestRoundData()[1], sender=reporter)

    for day in REPLAY_DAYS:
        # The last close held until this one: open calls confirmed on the way (SEC-24).
        hold(
            book,
            list(results),
            liquidator,
            DAY,
            lambda seconds: rpc(rpc_url, "evm_increaseTime", [seconds]),
            refresh,
        )
        report(day)
        step = margin_pass(book, list(results), liquidator, before_liquidation=fund_liquidator)
        for identity, ratio in step.ratios.items():
            results[identity].ratios_bps[day] = ratio
        for e in step.events:
            a, i = results[e.account], by_identity[e.account]
            if e.kind == "confirmed":
                continue  # an open call seen below maintenance again (SEC-24)
            if e.kind == "cleared":
                log.record(
                    SECTION,
                    "margin keeper",
                    f"{day}: clear the call on {i.name}",
                    f"ratio back at {e.ratio_bps / 100:.2f}%",
                )
            elif e.kind == "call":
                a.calls.append(
                    {
                        "day": day,
                        "ratio_bps": e.ratio_bps,
                        "deadline": e.deadline,
                        "shortfall_usd": e.shortfall_usd,
                    }
                )
                log.record(
                    SECTION,
                    "margin keeper",
                    f"{day}: margin call on {i.name}",
                    f"ratio {e.ratio_bps / 100:.2f}%, top up ${e.shortfall_usd / 10**18:,.0f} "
                    "to initial margin within 1 day",
                )
                if i.tops_up:
                    usdc = -(-e.shortfall_usd // 10**12) + USDC_UNIT
                    w = wallets[i.name]
                    mint("USDC", w, usdc // USDC_UNIT + 1)
                    tokens["USDC"].approve(broker, usdc, sender=w)
                    top_up = act(
                        i.name,
                        f"{day}: top up {usdc / USDC_UNIT:,.0f} USDC",
                        lambda w=w, usdc=usdc, identity=e.account: broker.execute(
                            identity, [action(DEPOSIT, tokens["USDC"], usdc)], sender=w
                        ),
                    )
                    if top_up is not None:
                        a.top_ups_usdc.append(usdc)
            else:
                seized_symbol = next(s for s, t in tokens.items() if t.address == e.collateral)
                a.liquidations.append(
                    {
                        "day": day,
                        "ratio_before_bps": e.ratio_bps,
                        "ratio_after_bps": e.ratio_after_bps,
                        "repaid_usdc": e.repaid,
                        "seized": e.seized,
                        "collateral": seized_symbol,
                        "bad_debt": e.bad_debt,
                    }
                )
                outcome.bad_debt += e.bad_debt
                log.record(
                    SECTION,
                    "margin keeper",
                    f"{day}: liquidate {i.name}",
                    f"repaid {e.repaid / USDC_UNIT:,.0f} USDC, took {e.seized / TOKEN_UNIT:,.2f} "
                    f"{seized_symbol}; ratio {e.ratio_bps / 100:.2f}% -> "
                    f"{e.ratio_after_bps / 100:.2f}%",
                )
        state = pool.state()
        outcome.pool_days[day] = {
            "utilisation_bps": int(state.utilisationBps),
            "borrow_rate_bps": int(state.borrowRateBps),
            "total_debt_usdc": int(state.totalDebt),
        }

    for a in outcome.accounts:
        health = margin.health(a.identity)
        a.debt_end = int(pool.debtOf(a.identity, by_identity[a.identity].spread_bps))
        a.ratio_end_bps = min(int(health.ratioBps), 2**64 - 1)
    outcome.liquidator_seized = {
        s: int(t.balanceOf(liquidator)) for s, t in tokens.items() if s != "USDC"
    }
    outcome.on_chain = _on_chain(broker, pool, outcome, int(record.block or 0), chain)
    return outcome


def _checked_ratio(receipt) -> int:
    """The batch's ratio after, from its `Checked` event (0 if the batch was refused)."""
    if receipt is None:
        return 0
    return int(next(e for e in receipt.events if e.event_name == "Checked").ratioAfterBps)


def _on_chain(broker, pool, outcome: PrimeOutcome, from_block: int, chain) -> bool:
    """The act's figures against the chain's events: every call and liquidation the outcome
    lists (and no other), each liquidation's repayment booked by the pool, each account's
    liquidation count, no bad debt recorded."""
    end = chain.blocks.head.number + 1
    called = sorted(
        (str(e.account), int(e.ratioBps)) for e in broker.MarginCalled.range(from_block, end)
    )
    liquidated = sorted(
        (str(e.account), int(e.repaid), int(e.seized))
        for e in broker.Liquidated.range(from_block, end)
    )
    repaid = sorted(int(e.assets) for e in pool.Repaid.range(from_block, end))
    state = pool.state()
    return (
        called == sorted((a.identity, c["ratio_bps"]) for a in outcome.accounts for c in a.calls)
        and liquidated
        == sorted(
            (a.identity, x["repaid_usdc"], x["seized"])
            for a in outcome.accounts
            for x in a.liquidations
        )
        and all(
            int(broker.liquidationCount(a.identity)) == len(a.liquidations)
            for a in outcome.accounts
        )
        and sorted(x["repaid_usdc"] for a in outcome.accounts for x in a.liquidations) == repaid
        # Written off: realised, absorbed or carried beside a claim (SEC-234; the replay's book
        # holds no matured note, so nothing is recovered and the records are not netted).
        and int(state.badDebtRealised) + int(state.badDebtAbsorbed) + int(state.assignedDebt)
        == outcome.bad_debt
    )


STRESS_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "prime_stress.json"


def stress_table(path: Path = STRESS_FILE) -> tuple[str, tuple[str, ...], list[tuple]] | None:
    """The 2008 stress replay's headline figures (committed by scripts/prime_stress.py), side by
    side with Morpho Blue's rules, as a summary table; None without the file."""
    if not path.is_file():
        return None
    r = json.loads(path.read_text())
    from keepers.prime import stress_headline

    return (
        f"2008 stress replay ({r['accounts']} institutional accounts, {r['replayed'][0]} to "
        f"{r['replayed'][1]}; benchmarks/prime_stress.json, scripts/prime_stress.py): the prime "
        "broker on chain against Morpho Blue's rules on the same closes (in Python)",
        ("", "Quantera", "Morpho Blue rules"),
        stress_headline(r),
    )


def prime_tables(outcome: PrimeOutcome) -> list[tuple[str, tuple[str, ...], list[tuple]]]:
    """The act's summary tables as (title, columns, rows), and the stress replay's headline."""
    days = list(REPLAY_DAYS)
    books = [
        (
            a.name,
            ", ".join(f"{v:,} {s}" for s, v in a.book.items()),
            f"{a.borrowed_usdc / USDC_UNIT:,.0f}",
            f"{a.opening_ratio_bps / 100:.2f}%",
            *(f"{a.ratios_bps[d] / 100:.2f}%" for d in days),
            ", ".join(c["day"][5:] for c in a.calls) or "-",
            ", ".join(x["day"][5:] for x in a.liquidations) or "-",
            f"{a.ratio_end_bps / 100:.2f}%" if a.ratio_end_bps < 2**63 else "no debt",
        )
        for a in outcome.accounts
    ]
    spx = [f"{outcome.prices[d]['QSPX']:,.2f}" for d in [OPEN_DAY, *days]]
    pool = [
        (
            d,
            f"{p['utilisation_bps'] / 100:.2f}%",
            f"{p['borrow_rate_bps'] / 100:.2f}%",
            f"{p['total_debt_usdc'] / USDC_UNIT:,.0f}",
        )
        for d, p in outcome.pool_days.items()
    ]
    return [
        (
            "Prime brokerage: four institutions, cross-margined, 6-10 October 2008 "
            f"(S&P 500 fund QSPX {' -> '.join(spx)}); ratio at each day's keeper run "
            "(initial 150%, maintenance 125%, liquidation 110%, grace 1 day)",
            (
                "institution",
                "book",
                "borrowed USDC",
                "open",
                *(d[5:] for d in days),
                "called",
                "liquidated",
                "end",
            ),
            books,
        ),
        (
            "The USDC lending pool after each day (kinked rate: 1% + 4% to the 80% kink)",
            ("day", "utilisation", "borrow rate", "debt USDC"),
            pool,
        ),
        *([stress] if (stress := stress_table()) else []),
    ]


def _run(stage: Stage) -> PrimeOutcome:
    from keepers.demo.processes import rpc

    prime = exercise_prime(stage.log, stage.record_file, stage.url, rpc)
    prime.write_report(stage.workdir / "prime-report.json")
    return prime


def show_prime(stage: Stage, prime: PrimeOutcome) -> None:
    console.print(actions(stage.log, SECTION, 110, "Prime brokerage: deployed, funded, margined"))
    for title, columns, rows in prime_tables(prime):
        console.print(table(title, columns, rows))


def prime_checks(stage: Stage, prime: PrimeOutcome) -> dict[str, bool]:
    return {
        "prime: broker, margin module and USDC pool deployed by `deploy all`, in the record": (
            {"PrimeBroker", "LendingPool.USDC"} <= set(prime.recorded)
            and any(name.startswith("PrimeMargin.") for name in prime.recorded)
        ),
        "prime: October 2008 margin-called the levered funds; one topped up, one liquidated "
        "after its grace period; the events agree": (
            prime.calls >= 2 and prime.liquidations >= 1 and prime.on_chain
        ),
    }


ACT = Act(
    name="prime",
    step="prime brokerage (four institutions through 6-10 October 2008)",
    run=_run,
    show=show_prime,
    checks=prime_checks,
)
