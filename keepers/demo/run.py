"""`make demo` / `ape run demo --blocks N`.

1. start a private anvil on a free port;
2. deploy with the real deploy script (`ape run deploy all`), handing ADMIN to a timelocked
   governance account;
3. start the real keepers (`silverback run ...`) against it;
4. exercise what is deployed: a timelocked role grant that is refused early, cancelled, then
   executed after the delay; compliance, liquidity, risk (2008 replay) and rebalancing (the signal
   keeper's intents on the resumed fund, with its report), the lifecycle (a T-bill money-market
   fund through the autumn of 2008: NAV at the real T-bill rate, a gated Lehman-week run) and
   prime brokerage (four institutions' margin accounts through 6-10 October 2008: margin calls,
   a top-up, a liquidation after the grace period);
5. let the keepers run until they have processed N blocks, then print what they recorded next to
   what the chain says;
6. stop every process started, also on Ctrl-C or failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from keepers.access import (
    ROLE_IDS,
    ROLE_NAMES,
    StoredEvent,
    governance_events,
    pending_operations,
    role_holders,
)
from keepers.compliance import decisions
from keepers.core import store
from keepers.core.deployments import load, record_path
from keepers.core.errors import QuanteraError
from keepers.core.running_demo import (
    DEMO_CHAIN_ID,
    RunningDemo,
    remove_running_demo,
    write_running_demo,
)
from keepers.core.waiting import wait_until
from keepers.demo.actions import ActionLog
from keepers.demo.compliance import exercise_compliance
from keepers.demo.lifecycle import PERIODS as LIFECYCLE_PERIODS
from keepers.demo.lifecycle import exercise_lifecycle
from keepers.demo.liquidity import exercise_liquidity
from keepers.demo.prime import exercise_prime, prime_tables
from keepers.demo.processes import KeeperSupervisor, ProcessGroup, rpc, start_anvil
from keepers.demo.rebalancing import REPLAY_WINDOW, exercise_rebalancing
from keepers.demo.risk import HISTORY_END, exercise_risk
from keepers.risk import publications

CHAIN_ID = DEMO_CHAIN_ID  # ape's URI provider for `ethereum:local` expects the dev chain id
ADMIN_DELAY_SECONDS = 3600
# A guard against a hung keeper, not a guess at its speed: on a busy machine keepers start and
# catch up later, and the demo waits for what it needs (keepers.core.waiting).
KEEPER_TIMEOUT_SECONDS = 600.0
COMPLIANCE_KEEPER_ACCOUNT = 6  # freeze-only token agent set by the deploy script on local networks
RISK_KEEPER_ACCOUNT = 7  # RISK_KEEPER set by the deploy script on local networks
OPERATOR_ROLE, RISK_KEEPER_ROLE, ADMIN_ROLE = (
    ROLE_IDS["OPERATOR"],
    ROLE_IDS["RISK_KEEPER"],
    ROLE_IDS["ADMIN"],
)

console = Console()


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_for_cursor(
    db_url: str, target_block: int, keepers: KeeperSupervisor, keeper: str = "governance"
) -> int:
    """The keeper's store cursor once it reached `target_block`; the keeper is restarted meanwhile
    if it exits (and the wait fails once it keeps failing)."""
    engine = store.open_store(db_url)

    def reached() -> int | None:
        cursor = store.get_cursor(engine, keeper, CHAIN_ID)
        return cursor if cursor is not None and cursor >= target_block else None

    return wait_until(
        reached,
        f"the {keeper} keeper to process block {target_block}",
        KEEPER_TIMEOUT_SECONDS,
        on_poll=lambda: keepers.check(f"{keeper}-keeper"),
    )


@dataclass
class Progress:
    """The step the demo is in, named in the one line a failure prints."""

    step: str = "start"


def _exercise_governance(
    log: ActionLog, url: str, deployments_dir: Path, progress: Progress
) -> dict:
    """Timelocked administration on the deployed AccessManager, as governance would do it."""
    from ape import accounts, chain, networks, project
    from ape.logging import logger

    logger.set_level("WARNING")  # the summary tables say what happened

    with networks.parse_network_choice(f"ethereum:local:{url}"):
        record = load(record_path("ethereum:local", deployments_dir))
        manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
        governance, new_operator, wrong_keeper = (accounts.test_accounts[i] for i in (4, 10, 11))

        def act(who: str, what: str, send):
            return log.act("governance", who, what, send)

        grant_operator = manager.grantRole.encode_input(OPERATOR_ROLE, new_operator.address, 0)
        grant_wrong = manager.grantRole.encode_input(RISK_KEEPER_ROLE, wrong_keeper.address, 0)
        progress.step = "governance (timelocked role grants)"
        act(
            "governance",
            f"schedule grantRole(OPERATOR, {new_operator.address[:10]}…)",
            lambda: manager.schedule(manager.address, grant_operator, 0, sender=governance),
        )
        act(
            "governance",
            f"schedule grantRole(RISK_KEEPER, {wrong_keeper.address[:10]}…)",
            lambda: manager.schedule(manager.address, grant_wrong, 0, sender=governance),
        )
        act(
            "governance",
            "execute the OPERATOR grant before its delay",
            lambda: manager.execute(manager.address, grant_operator, sender=governance),
        )
        act(
            "governance",
            "cancel the mistaken RISK_KEEPER grant",
            lambda: manager.cancel(
                governance.address, manager.address, grant_wrong, sender=governance
            ),
        )
        act(
            "deployer",
            "grantRole directly after renouncing ADMIN",
            lambda: manager.grantRole(
                OPERATOR_ROLE, wrong_keeper.address, 0, sender=accounts.test_accounts[0]
            ),
        )
        rpc(url, "evm_increaseTime", [ADMIN_DELAY_SECONDS])
        rpc(url, "evm_mine")
        act(
            "governance",
            f"execute the OPERATOR grant after {ADMIN_DELAY_SECONDS}s",
            lambda: manager.execute(manager.address, grant_operator, sender=governance),
        )
        on_chain = {
            "chain_time": chain.blocks.head.timestamp,
            "operator_holders": {
                a.address
                for a in list(accounts.test_accounts)[:12]
                if manager.hasRole(OPERATOR_ROLE, a.address)[0]
            },
            "operator_granted": manager.hasRole(OPERATOR_ROLE, new_operator.address)[0],
            "wrong_keeper_granted": manager.hasRole(RISK_KEEPER_ROLE, wrong_keeper.address)[0],
            "deployer_is_admin": manager.hasRole(ADMIN_ROLE, accounts.test_accounts[0].address)[0],
            "governance_is_admin": manager.hasRole(ADMIN_ROLE, governance.address)[0],
        }
        progress.step = "compliance (onboarding, transfers, the screening keeper's freeze)"
        on_chain["investors"] = exercise_compliance(log, record)
        progress.step = "liquidity (the $5M order routed by commit-reveal)"
        on_chain["liquidity"] = exercise_liquidity(log, record)
        progress.step = "risk (2008 replay, the risk keeper, the halt)"
        on_chain["risk"] = exercise_risk(log, record, url, rpc)
        progress.step = "rebalancing (resume, December 2008 replay, signed intents, report)"
        on_chain["rebalancing"] = exercise_rebalancing(
            log,
            record,
            url,
            rpc,
            os.environ[store.DB_URL_ENV],
            deployments_dir.parent / "rebalancing-report",
        )
        progress.step = "lifecycle (a money-market fund through 2008, the Lehman-week run)"
        lifecycle = exercise_lifecycle(log, url, rpc, os.environ[store.DB_URL_ENV])
        lifecycle.write_report(deployments_dir.parent / "lifecycle-report.json")
        on_chain["lifecycle"] = lifecycle
        on_chain["lifecycle_income_on_chain"] = _income_on_chain(lifecycle)
        on_chain["lifecycle_desk_on_chain"] = _desk_on_chain(lifecycle)
        on_chain["note_on_chain"] = _note_on_chain(lifecycle.note)
        progress.step = "prime brokerage (four institutions through 6-10 October 2008)"
        prime = exercise_prime(log, record_path("ethereum:local", deployments_dir), url, rpc)
        prime.write_report(deployments_dir.parent / "prime-report.json")
        on_chain["prime"] = prime
    return on_chain


def _table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> Table:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def _actions(log: ActionLog, section: str, width: int | None, title: str) -> Table:
    """A section's actions: who, what, outcome (cut to `width`), gas."""
    return _table(
        title,
        ("who", "action", "outcome", "gas used"),
        [
            (a.who, a.what, a.outcome[:width], "" if a.gas_used is None else f"{a.gas_used:,}")
            for a in log.section(section)
        ],
    )


def _summary(record, log: ActionLog, on_chain: dict, db_url: str, head: int, blocks: int) -> bool:
    """Prints what was deployed, done and recorded; returns whether every check passed."""
    engine = store.open_store(db_url)
    rows = governance_events(engine, CHAIN_ID)
    events = [StoredEvent(e.event, e.block_number, e.log_index, e.args) for e in rows]
    pending = pending_operations(events, now=on_chain["chain_time"])
    holders = role_holders(events)

    console.print(
        _table(
            f"Deployed on {record.network} (chain {record.chain_id})",
            ("contract", "address"),
            sorted(record.contracts.items()),
        )
    )
    console.print(
        _actions(
            log, "governance", 100, "Governance actions (ADMIN held by governance with a 1 h delay)"
        )
    )
    console.print(
        _actions(
            log,
            "compliance",
            None,
            "Compliance: onboarding, issuance, transfers explained before they fail",
        )
    )
    investors = on_chain["investors"]
    screened = decisions(engine, CHAIN_ID)
    console.print(
        _table(
            "Sanctions screening decisions (keeper store)",
            ("wallet", "list entry", "program", "action", "status", "block"),
            [
                (
                    d.wallet,
                    f"{d.ent_num} {d.entry_name}",
                    d.program,
                    d.action,
                    d.status,
                    d.block_number,
                )
                for d in screened
            ],
        )
    )
    console.print(
        _table(
            "Investors after the demo",
            ("investor", "wallet", "country", "class", "verified", "QTF", "frozen"),
            [
                (
                    i.name,
                    i.wallet[:12] + "…",
                    i.country,
                    i.investor_class,
                    i.verified,
                    f"{i.balance:,.0f}",
                    i.frozen,
                )
                for i in investors
            ],
        )
    )
    liquidity = on_chain["liquidity"]
    unit = 10**liquidity.token_decimals
    console.print(
        _actions(
            log,
            "liquidity",
            110,
            "Liquidity: a $5,000,000 order for QSPX routed across the real venues",
        )
    )
    console.print(
        _table(
            "The split (router prediction = execution)",
            ("source", "USDC in", "QSPX out"),
            [
                (name, f"{amount / 10**6:,.2f}", f"{out / unit:,.4f}")
                for name, amount, out in liquidity.legs
            ]
            + [
                (
                    "total (split)",
                    f"{sum(a for _, a, _ in liquidity.legs) / 10**6:,.2f}",
                    f"{liquidity.received / unit:,.4f}",
                ),
                (
                    f"best single source: {liquidity.best_single[0]}",
                    "",
                    f"{liquidity.best_single[1] / unit:,.4f}",
                ),
                ("improvement", "", f"{liquidity.improvement_bps:,.1f} bps"),
                ("gas (approve excluded: commit + reveal)", "", f"{liquidity.gas_used:,}"),
            ],
        )
    )
    risk = on_chain["risk"]
    console.print(
        _actions(
            log, "risk", 110, "Risk: 2008 replayed onto the feeds, a fund built, limits enforced"
        )
    )
    published = publications(engine, CHAIN_ID, record.address_of("PortfolioVault"))
    console.print(
        _table(
            "Risk keeper publications (keeper store): metrics over time",
            (
                "update",
                "as of (block time)",
                "VaR95",
                "VaR99",
                "ES",
                "vol (ann.)",
                "grade",
                "held back",
                "status",
            ),
            [
                (
                    p.update_id,
                    p.as_of,
                    f"{p.metrics['var95_bps']} bp",
                    f"{p.metrics['var99_bps']} bp",
                    f"{p.metrics['es_bps']} bp",
                    f"{p.metrics['volatility_bps'] / 100:.1f}%",
                    "ABCDEF"[p.metrics["grade"]],
                    len(p.clamped),
                    p.status,
                )
                for p in published
            ],
        )
    )
    console.print(
        _table(
            "Fund NAV through the crash (USDC) and the engine's state",
            ("day", "NAV", "keeper VaR99 (bp)", "halted"),
            [(d, f"{nav:,.0f}", v, h) for d, nav, v, h in risk.nav_path],
        )
    )
    rebalancing = on_chain["rebalancing"]
    console.print(
        _table(
            f"Rebalancing: {REPLAY_WINDOW[0]}..{REPLAY_WINDOW[1]} replayed; "
            "the signal keeper's intents",
            ("day", "nonce", "trades", "loss (USD)", "gas used"),
            [
                (e["day"], e["nonce"], e["trades"], f"{e['loss_usd']:,.2f}", f"{e['gas_used']:,}")
                for e in rebalancing.executed
            ],
        )
    )
    console.print(
        f"VaR exceptions over the replay: {rebalancing.exceptions}. "
        f"Rebalancing report: [bold]{rebalancing.report}[/bold]"
    )
    lifecycle = on_chain["lifecycle"]
    print_lifecycle(log, lifecycle)
    note = lifecycle.note
    prime = on_chain["prime"]
    console.print(_actions(log, "prime", 110, "Prime brokerage: deployed, funded, margined"))
    for title, columns, table_rows in prime_tables(prime):
        console.print(_table(title, columns, table_rows))
    counts: dict[str, int] = {}
    for e in rows:
        counts[e.event] = counts.get(e.event, 0) + 1
    console.print(
        _table(
            f"Recorded by the governance keeper over {blocks} blocks (to block {head})",
            ("event", "count"),
            sorted(counts.items()),
        )
    )
    console.print(
        _table(
            "Role holders, from the keeper's store",
            ("role", "accounts"),
            [(ROLE_NAMES.get(r, str(r)), "\n".join(sorted(a))) for r, a in sorted(holders.items())],
        )
    )
    checks = {
        "early execution refused (AccessManagerNotReady)": any(
            "NotReady" in a.outcome for a in log.section("governance")
        ),
        "OPERATOR granted after the delay": on_chain["operator_granted"],
        "cancelled grant never took effect": not on_chain["wrong_keeper_granted"],
        "deployer renounced ADMIN, governance holds it": (
            not on_chain["deployer_is_admin"] and on_chain["governance_is_admin"]
        ),
        "keeper store agrees with the chain on OPERATOR holders": (
            holders.get(OPERATOR_ROLE, set()) == on_chain["operator_holders"]
        ),
        "no operation left pending": not pending,
        "compliance: allowed transfer settled, refusals carry codes 8, 10, 21, 2": _compliance_ok(
            log
        ),
        "screening keeper froze the listed wallet's whole identity and recorded the list entry": (
            any(d.status == "done" and d.ent_num == 90001 for d in screened)
            and all(i.frozen for i in investors if i.name.startswith("frank"))
            and any("frank" == a.who and "code 2:" in a.outcome for a in log.section("compliance"))
        ),
        "compliance: recovery moved alice's balance to her new wallet": (
            investors[-1].balance > 0
            and next(i for i in investors if i.name == "alice").balance == 0
        ),
        "liquidity: the order split over 3+ sources, received exactly the router's prediction": (
            len(liquidity.legs) >= 3 and liquidity.received == liquidity.predicted_out > 0
        ),
        "liquidity: the split beat the best single source": liquidity.improvement_bps > 0,
        "liquidity: commit-reveal used; aggregator holds nothing, no allowance left": (
            liquidity.commit_reveal and liquidity.aggregator_empty and liquidity.allowance_left == 0
        ),
        "risk: the keeper published model updates the engine accepted": (
            bool(published) and all(p.status == "confirmed" for p in published)
        ),
        "risk: a risk-increasing trade was refused with its limit": (
            risk.refused_before_crash.startswith("RiskLimitBreached")
        ),
        "risk: the 2008 crash took drawdown past the hard cap and the engine halted the fund": (
            risk.halted_on is not None
        ),
        "risk: halted, new risk refused while withdrawal and in-kind redemption worked": (
            risk.refused_when_halted.startswith("RiskLimitBreached: Halted")
            and risk.withdrew_when_halted
            and risk.redeemed_in_kind_when_halted
        ),
        f"rebalancing: resumed fund rebalanced by signed intents ({REPLAY_WINDOW[0][:7]} replay), "
        "within every cap": (
            rebalancing.resumed and len(rebalancing.executed) >= 1 and rebalancing.within_caps
        ),
        "rebalancing: report written (markdown; NAV, weights, VaR vs P&L, gas plots)": (
            rebalancing.report is not None
            and rebalancing.report.is_file()
            and all(
                (rebalancing.report.parent / f"{p}.png").is_file()
                for p in ("nav", "weights", "var", "gas")
            )
        ),
        f"lifecycle: the NAV agent keeper struck {LIFECYCLE_PERIODS} weekly periods, each once": (
            len(lifecycle.strikes) == LIFECYCLE_PERIODS
            and lifecycle.keeper_statuses == ["confirmed"] * LIFECYCLE_PERIODS
        ),
        "lifecycle: the fund returned the 2008 T-bill rate, its yield fell with it (Sep > Oct), "
        "its NAV held at $1.00": lifecycle.nav_follows_rate,
        "lifecycle: the Lehman-week run was gated (10% a period), served pro rata at the NAV": (
            len(lifecycle.gated_periods) >= 2
            and lifecycle.within_gate
            and lifecycle.pro_rata
            and lifecycle.paid_at_nav
            and set(lifecycle.run_paid_usdc) == set(lifecycle.run_requested)
        ),
        "lifecycle: dealt in two settlement assets through the FundDesk: each vault received its "
        "asset's subscriptions, all struck at one NAV, each redemption paid in the asset the "
        "routing rule names": (
            lifecycle.flows_match
            and lifecycle.routed_by_rule
            and on_chain["lifecycle_desk_on_chain"]
        ),
        "lifecycle: a dividend declared every business day by the keeper, each once": (
            lifecycle.declared_daily
        ),
        "lifecycle: dividends paid = declared less the token's dust, at French's RF": (
            lifecycle.income_exact and on_chain["lifecycle_income_on_chain"]
        ),
        "lifecycle: the note's 4 coupons recorded by the keeper on their record dates (QuantLib's "
        "amounts), paid to the holders of record": (
            note is not None
            and note.coupons_on_schedule
            and note.holders_changed
            and on_chain["note_on_chain"]
        ),
        "lifecycle: the note matured and was redeemed at face from the issuer's pool": (
            note is not None and note.redeemed_at_face and on_chain["note_on_chain"]
        ),
        "prime: broker, margin module and USDC pool deployed by `deploy all`, in the record": (
            {"PrimeBroker", "LendingPool.USDC"} <= set(prime.recorded)
            and any(name.startswith("PrimeMargin.") for name in prime.recorded)
        ),
        "prime: October 2008 margin-called the levered funds; one topped up, one liquidated "
        "after its grace period; the events agree": (
            prime.calls >= 2 and prime.liquidations >= 1 and prime.on_chain
        ),
    }
    console.print(
        _table(
            "Checks",
            ("check", "result"),
            [
                (name, "[green]pass[/green]" if ok else "[red]FAIL[/red]")
                for name, ok in checks.items()
            ],
        )
    )
    return all(checks.values())


def print_lifecycle(log: ActionLog, lifecycle) -> None:
    """The lifecycle act's tables: the fund's actions, its cut-offs, dividends and holders, the
    note's actions, coupons and redemption."""
    console.print(
        _actions(
            log,
            "lifecycle",
            110,
            "Lifecycle: a T-bill money-market fund, autumn 2008 (weekly dealing, "
            "NAV from holdings at French's one-month T-bill rate)",
        )
    )
    console.print(
        _table(
            "The fund at each cut-off: NAV, return (NAV x income index) and dividend yields "
            "(annualised) against the T-bill rate's, flows and queue (thousands)",
            ("cut-off", "NAV", "return", "div.", "T-bill", "in $k", "queue k", "out k", "cash $k"),
            [
                (
                    s.history_date,
                    f"{s.nav18 / 10**18:.6f}",
                    f"{s.yield_bps / 100:.2f}%",
                    f"{s.dividend_yield_bps / 100:.2f}%",
                    f"{s.rf_yield_bps / 100:.2f}%",
                    f"{s.subscribed_usdc / 10**9:,.0f}",
                    f"{s.redeem_pending_shares / 10**21:,.0f}",
                    f"{s.redeem_fulfilled_shares / 10**21:,.0f}",
                    f"{s.free_cash_usdc / 10**9:,.0f}",
                )
                for s in lifecycle.strikes
            ],
        )
    )
    console.print(
        _table(
            "Flows per settlement asset, one vault each under the FundDesk (thousands; rank: "
            "preference for payouts, the lower the preferred)",
            (
                "asset",
                "type",
                "risk wt",
                "rank",
                "subscribed",
                "vault got",
                "T-bills",
                "recalled",
                "redeemed sh",
                "paid",
            ),
            [
                (
                    asset,
                    f.asset_type.lower().replace("_", " "),
                    f"{f.risk_weight_bps / 100:.0f}%",
                    f.rank,
                    f"{f.subscribed / 10**9:,.0f}",
                    f"{f.received / 10**9:,.0f}",
                    f"{f.invested / 10**9:,.0f}",
                    f"{f.returned / 10**9:,.0f}",
                    f"{f.redeemed_shares / 10**21:,.0f}",
                    f"{f.paid / 10**9:,.0f}",
                )
                for asset, f in lifecycle.flows.items()
            ],
        )
    )
    console.print(
        _table(
            "The Lehman-week run through the desk: each request routed to the most preferred "
            "accepted asset whose vault holds the cash for it (free cash / needed, $k)",
            ("investor", "shares k", "accepts", "candidates", "routed", "paid $k"),
            [
                (
                    r.name,
                    f"{r.shares / 10**21:,.0f}",
                    " or ".join(r.accepted),
                    ", ".join(
                        f"{a} rank {c['rank']}: {int(c['free_cash']) / 10**9:,.0f}"
                        f" / {int(c['needed']) / 10**9:,.0f}"
                        for a, c in r.candidates.items()
                    ),
                    r.routed + (" (fallback)" if r.fallback else ""),
                    ", ".join(f"{p / 10**9:,.0f} {a}" for a, p in r.paid.items()),
                )
                for r in lifecycle.routings
            ],
        )
    )
    income = lifecycle.income
    console.print(
        _table(
            f"Daily dividends in new shares: {len(lifecycle.declarations)} declarations by the "
            "NAV agent keeper (each week's, in the index at its cut-off)",
            ("week to", "declarations", "shares", "yield", "T-bill"),
            [
                (
                    s.history_date,
                    sum(1 for d in lifecycle.declarations if prev.at < d.at < s.at),
                    f"{s.dividend_shares / 10**18:,.2f}",
                    f"{s.dividend_yield_bps / 100:.2f}%",
                    f"{s.rf_yield_bps / 100:.2f}%",
                )
                for prev, s in zip(lifecycle.strikes, lifecycle.strikes[1:])
            ],
        )
    )
    console.print(
        _table(
            "Dividends claimed by each holder (settleIncome) against those declared",
            ("holder", "shares paid"),
            [(name, f"{paid / 10**18:,.6f}") for name, paid in income.paid_shares.items()]
            + [
                ("total paid", f"{income.paid_total / 10**18:,.6f}"),
                ("declared", f"{income.declared_shares / 10**18:,.6f}"),
                (
                    "unpaid: dust",
                    f"{income.unpaid_shares} units (bound {income.dust_bound})",
                ),
            ],
        )
    )
    note = lifecycle.note
    console.print(_actions(log, "note", 110, "Lifecycle: a two-year note, serviced on chain"))
    console.print(
        _table(
            f"The note {note.isin}: {note.issue_date} to {note.maturity_date} (chain dates), "
            "coupons recorded by the keeper on their record dates, claimed by the holders of "
            "record (USDC)",
            (
                "coupon",
                "record date",
                "payment",
                "per note",
                *(n.split()[0] for n in note.redeemed),
            ),
            [
                (
                    c.number,
                    c.record_date,
                    c.payment_date,
                    f"{c.coupon_per_share / 10**24:.4f}",
                    *(f"{v / 10**6:,.2f}" for v in c.paid.values()),
                )
                for c in note.coupons
            ]
            + [
                (
                    "face",
                    "",
                    note.maturity_date,
                    f"{note.redemption_price / 10**24:.2f}",
                    *(f"{v / 10**6:,.2f}" for v in note.redeemed.values()),
                )
            ],
        )
    )


def _income_on_chain(lifecycle) -> bool:
    """The act's income figures against the chain now: the share's supply, index and declaration
    count, and each holder's paid balance with nothing left pending."""
    from ape import project

    share = project.IncomeShareToken.at(lifecycle.share)
    income = lifecycle.income
    index, declarations, _ = (int(v) for v in share.incomeIndex())
    return (
        int(share.totalSupply()) == income.total_supply
        and (index, declarations) == (income.index, len(lifecycle.declarations))
        and all(int(share.incomeAccountOf(w)[1]) == 0 for w in lifecycle.holders.values())
        and sum(int(share.balanceOf(w)) for w in lifecycle.holders.values())
        == income.total_supply - income.unpaid_shares
    )


def _desk_on_chain(lifecycle) -> bool:
    """The act's desk figures against the chain now: the desk's vaults (in order) and their
    assets, each asset's listing (type, risk weight, rank), one `DeskStruck` per strike naming
    every vault, each vault's strikes at that NAV, and one `RedeemRouted` per run request to the
    vault the act recorded."""
    from ape import chain, project

    from keepers.lifecycle import SettlementAssetType

    desk = project.FundDesk.at(lifecycle.desk)
    listings = project.SettlementAssets.at(desk.settlementAssets())
    end = chain.blocks.head.number + 1
    vaults = {a: project.FundVault.at(v) for a, v in lifecycle.vaults.items()}
    struck = list(desk.DeskStruck.range(0, end))
    routed = [(str(e.controller), str(e.vault)) for e in desk.RedeemRouted.range(0, end)]
    holders = lifecycle.holders
    listed = all(
        str(vaults[a].asset()) == f.token
        and [int(v) for v in listings.configOf(f.token)[0]][:3]
        == [SettlementAssetType[f.asset_type], f.risk_weight_bps, f.rank]
        for a, f in lifecycle.flows.items()
    )
    return (
        [str(v) for v in desk.vaults()] == list(lifecycle.vaults.values())
        and listed
        and [int(e.nav18) for e in struck] == [s.nav18 for s in lifecycle.strikes]
        and all(int(e.struckMask) == int(desk.allVaultsMask()) for e in struck)
        and all(
            int(v.strikeOf(s.period)[0]) == s.nav18
            for v in vaults.values()
            for s in lifecycle.strikes
        )
        and routed == [(holders[r.name], r.vault) for r in lifecycle.routings]
    )


def _note_on_chain(note) -> bool:
    """The note's figures against the chain now: every coupon recorded, none short, the
    redemption started at face with nothing short, the registry's status Matured, every holder
    paid all it was owed, and the servicer's events the report's."""
    from ape import chain, project

    from keepers.lifecycle import InstrumentStatus, is_valid_isin

    if note is None:
        return False
    servicer = project.BondServicer.at(note.servicer)
    registry = project.InstrumentRegistry.at(servicer.instrumentRegistry())
    token = project.BondShareToken.at(note.token)
    _, last, _, redeeming = servicer.servicing()
    head = chain.blocks.head.number + 1
    recorded = list(servicer.CouponRecorded.range(0, head))
    payments = list(servicer.Paid.range(0, head))
    wallets = {str(e.holder) for e in payments}
    return (
        is_valid_isin(note.isin)
        and int(registry.idOfIsin(note.isin.encode())) == note.instrument_id
        and InstrumentStatus(int(registry.statusOf(note.instrument_id))) is InstrumentStatus.MATURED
        and (int(last), bool(redeeming)) == (len(note.coupons), True)
        and int(servicer.couponPool()[1]) == 0
        and tuple(int(v) for v in servicer.redemptionPool())[0::4]
        == (note.redemption_price, note.redemption_shortfall)
        and [(int(e.number), int(e.couponPerShare), str(e.by)) for e in recorded]
        == [(c.number, c.coupon_per_share, c.recorded_by) for c in note.coupons]
        and int(token.totalSupply()) == sum(note.redeemed_notes.values())
        and sum(int(e.coupons) for e in payments) == sum(sum(c.paid.values()) for c in note.coupons)
        and sum(int(e.redemption) for e in payments) == sum(note.redeemed.values())
        and all(int(servicer.couponsOwed(w)) == int(servicer.redeemable(w)) == 0 for w in wallets)
    )


def _compliance_ok(log: ActionLog) -> bool:
    outcomes = [a.outcome for a in log.section("compliance")]
    codes = [f"code {c}:" for c in (8, 10, 21, 2)]
    return outcomes[:8].count("ok") == 8 and all(any(c in o for o in outcomes) for c in codes)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _start_keepers(keepers: KeeperSupervisor, env: dict[str, str], network: str) -> None:
    """The governance, screening and risk keepers (silverback processes) on `network`."""
    keepers.start(
        "governance-keeper",
        [_bin("silverback"), "run", "keepers.access.bot:bot", "--network", network],
        env=env,
    )
    keepers.start(
        "screening-keeper",
        [_bin("silverback"), "run", "keepers.compliance.bot:bot", "--network", network],
        env=dict(env, SILVERBACK_SIGNER_ALIAS=f"TEST::{COMPLIANCE_KEEPER_ACCOUNT}"),
    )
    keepers.start(
        "risk-keeper",
        [_bin("silverback"), "run", "keepers.risk.bot:bot", "--network", network],
        env=dict(
            env,
            SILVERBACK_SIGNER_ALIAS=f"TEST::{RISK_KEEPER_ACCOUNT}",
            QUANTERA_RISK_HISTORY_END=HISTORY_END,
        ),
    )


def _serve(
    group: ProcessGroup,
    env: dict[str, str],
    url: str,
    workdir: Path,
    db_url: str,
    with_keepers: bool = True,
) -> None:
    """Leaves the chain up with its keepers running again (under a new supervisor: they resume
    from their store cursors; `with_keepers` False leaves them stopped), announced in the
    running-demo file (`quantera console` connects to it by default), until SIGINT or SIGTERM."""
    keepers = KeeperSupervisor(group)
    if with_keepers:
        _start_keepers(keepers, env, f"ethereum:local:{url}")
    running = write_running_demo(
        RunningDemo(
            rpc_url=url,
            deployments_dir=str(workdir / "deployments"),
            db_url=db_url,
            pid=os.getpid(),
            workdir=str(workdir),
        )
    )
    console.print(
        f"[bold]serving[/bold] the demo chain on {url} (announced in {running}); "
        "`quantera console` connects to it; Ctrl-C stops everything"
    )
    try:
        while True:
            signal.pause()  # the supervisor's thread restarts a keeper that exits
    finally:
        remove_running_demo(os.getpid())
        keepers.stop_all()


def run_demo(
    blocks: int, keep_dir: Path | None = None, serve: bool = False, serve_keepers: bool = True
) -> int:
    """Runs the whole demo; returns the process exit code. Every child is stopped on exit.
    `serve_keepers` False: serve the chain without restarting the keepers.
    `serve`: once the summary is printed, keep the chain and its keepers up for the operator
    console until interrupted (SIGINT/SIGTERM then ends the demo with the summary's code)."""
    workdir = keep_dir or Path(tempfile.mkdtemp(prefix="quantera-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    deployments_dir = workdir / "deployments"
    db_url = f"sqlite:///{workdir / 'keeper.sqlite'}"
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(deployments_dir), QUANTERA_DB_URL=db_url)
    group = ProcessGroup(workdir)
    keepers = KeeperSupervisor(group)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    progress = Progress()
    try:
        progress.step = "start anvil"
        url = start_anvil(group, CHAIN_ID)
        network = f"ethereum:local:{url}"
        console.print(f"[bold]anvil[/bold] on {url}; logs in {workdir}")
        governance = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # test account 4
        progress.step = "deploy (ape run deploy all)"
        deploy = subprocess.run(
            [
                _bin("ape"),
                "run",
                "deploy",
                "all",
                "--network",
                network,
                "--admin",
                governance,
                "--admin-delay",
                str(ADMIN_DELAY_SECONDS),
                "--price-date",
                HISTORY_END,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        (workdir / "deploy.log").write_text(deploy.stdout + deploy.stderr)
        if deploy.returncode != 0:
            raise QuanteraError(
                f"deploy exited with {deploy.returncode} (see {workdir}/deploy.log)"
            )
        console.print("[bold]deployed[/bold] with `ape run deploy all`")
        os.environ.update(QUANTERA_DEPLOYMENTS_DIR=str(deployments_dir), QUANTERA_DB_URL=db_url)
        progress.step = "start the keepers"
        _start_keepers(keepers, env, network)
        start_block = int(rpc(url, "eth_blockNumber"), 16)
        for keeper in ("governance", "screening", "risk"):
            _wait_for_cursor(db_url, start_block, keepers, keeper)
        console.print("[bold]governance, screening and risk keepers[/bold] running")
        log = ActionLog()
        on_chain = _exercise_governance(log, url, deployments_dir, progress)
        progress.step = f"run the keepers to block {start_block + blocks}"
        target = start_block + blocks
        while int(rpc(url, "eth_blockNumber"), 16) < target:
            rpc(url, "evm_mine")
        head = _wait_for_cursor(db_url, target, keepers)
        _wait_for_cursor(db_url, target, keepers, "screening")
        restarts = {k.name: k.exit_codes for k in keepers.keepers.values() if k.restarts}
        keepers.stop_all(signal.SIGINT)
        for name, codes in restarts.items():
            console.print(
                f"[yellow]{name} restarted {len(codes)}x by the supervisor[/yellow] (exit codes "
                f"{codes}; resumed from its store cursor; see {workdir}/{name}.log)"
            )
        progress.step = "summary"
        record = load(record_path("ethereum:local", deployments_dir))
        ok = _summary(record, log, on_chain, db_url, head, blocks)
        console.print(f"Logs, deployment record and keeper store: [bold]{workdir}[/bold]")
        code = 0 if ok else 1
        if serve:
            progress.step = "serve"
            try:
                _serve(group, env, url, workdir, db_url, serve_keepers)
            except KeyboardInterrupt:
                console.print("[yellow]stopping the served demo[/yellow]")
        return code
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: stopping everything the demo started[/yellow]")
        return 130
    except Exception as err:  # noqa: BLE001 - any failure is reported as one line, its trace kept in a file
        (workdir / "demo-error.log").write_text(traceback.format_exc())
        sys.stderr.write(
            f"demo failed at step '{progress.step}': {one_line(err)} "
            f"(logs in {workdir}; traceback in {workdir / 'demo-error.log'})\n"
        )
        return 1
    finally:
        keepers.stop_all()
        group.stop_all()
        signal.signal(signal.SIGTERM, previous)


def one_line(err: BaseException, limit: int = 300) -> str:
    """The error's type and the first line of its message, at most `limit` characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
