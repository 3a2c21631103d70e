"""`make bench` (`.venv/bin/python scripts/bench_reports.py`; no chain needed): the two PDF reports
rendered from their data (issue 18 item 6: under 5 seconds each).

The client report: the demo fund's five assets (keepers/data/portfolio.yaml) over arch.data's last
five years (2014-01-02 to 2018-12-31, `keepers.vault.history`), a $1,000,000 holding at the demo
executor's target weights (T-bills 15 %, S&P 500 30 %, Nasdaq-100 20 %, WTI 14 %, cash the rest)
against the 60/40 benchmark, with fees and income lines: `client_report` (metrics, monthly
Brinson-Fachler linked by Carino, four VaR/ES figures) and `render_client` (the chart drawn by
matplotlib, the PDF by reportlab). Loading the history is not timed (the CLI reads it once).

The compliance report: 200 investors in the three jurisdictions of the demo, a mint to each, then
1,000 transfers, 20 freezes and a burn (seeded): `build_report` over the events and
`render_compliance` (A4 landscape, about 45 pages).

Each is timed over RUNS calls after a first call that is timed apart (`first_call_s`: it imports
matplotlib, as a CLI run does once); the medians and maxima go to benchmarks/reports.json, and the
command fails when a median misses the 5-second goal."""

from __future__ import annotations

import io
import platform
import re
import time
from pathlib import Path

import click
import numpy as np

from keepers.compliance.report import build_report
from keepers.core.benchmarking import merge_json, timed
from keepers.reports import (
    DataStamp,
    FeeIncome,
    Holding,
    client_report,
    render_client,
    render_compliance,
)

RESULT_FILE = Path("benchmarks") / "reports.json"
CLIENT_KEY = "reports.client_pdf_5_assets_5y_daily"
COMPLIANCE_KEY = "reports.compliance_pdf_200_investors_1000_transfers"
RUNS, SEED, GOAL_S = 7, 18, 5.0
FROM, TO = "2014-01-01", "2018-12-31"
FUND_USD = 1_000_000
TARGETS = {"QTF": 0.15, "QSPX": 0.30, "QNDX": 0.20, "QOIL": 0.14}
BENCHMARK = {"QSPX": 0.6, "QTF": 0.4}
INVESTORS, TRANSFERS, FREEZES = 200, 1_000, 20
COUNTRIES = (840, 826, 276)
STAMP = DataStamp("ethereum:local", 1_234, 1_764_050_000)
ZERO = "0x" + "00" * 20


def client_inputs():
    """The holdings at their last prices in the window and the assets' daily returns."""
    from keepers.vault import history, load_portfolio

    portfolio = load_portfolio()
    prices = history(portfolio).loc[FROM:TO]
    last = prices.iloc[-1]
    weights = {a.symbol: TARGETS.get(a.symbol, 0.0) for a in portfolio.assets}
    weights[portfolio.assets[0].symbol] = 1.0 - sum(TARGETS.values())
    holdings = [
        Holding(a.symbol, a.asset_class, FUND_USD * weights[a.symbol] / price, price)
        for a, price in ((a, float(last[a.symbol])) for a in portfolio.assets)
    ]
    return holdings, prices.pct_change().iloc[1:]


FEES = (
    FeeIncome("Quantera Income Fund: dealing fee", 10, "bps", "every deposit and redemption"),
    FeeIncome("QMMF: subscription fees paid", 500.0, "USDC", "1 charge"),
    FeeIncome("QMMF: income paid", 1_234.5, "QMMF shares", "worth 1,234.50 at the last NAV"),
)


def compliance_events(seed: int = SEED) -> list[dict]:
    """Registry and token events of INVESTORS investors, TRANSFERS transfers among them (seeded),
    FREEZES freezes and a burn, one block each."""
    rng = np.random.default_rng(seed)
    wallets = [f"0x{i:040x}" for i in range(1, INVESTORS + 1)]
    events, block = [], 1

    def add(event: str, **args) -> None:
        nonlocal block
        at = {"block": block, "timestamp": 1_700_000_000 + 12 * block, "log_index": 0}
        events.append({"event": event, "tx": f"0x{block:064x}", **at, **args})
        block += 1

    for i, wallet in enumerate(wallets):
        identity = f"0x{i + 10_000:040x}"
        add("IdentityRegistered", investorAddress=wallet, identity=identity)
        add("InvestorProfileSet", identity=identity, next={"country": COUNTRIES[i % 3]})
        add("Transfer", **{"from": ZERO, "to": wallet, "value": 10**24})
    pairs = rng.integers(0, INVESTORS, size=(TRANSFERS, 2))
    amounts = rng.integers(1, 10**6, size=TRANSFERS)
    for (a, b), units in zip(pairs, amounts):
        add("Transfer", **{"from": wallets[a], "to": wallets[b], "value": int(units) * 10**12})
    for i in rng.choice(INVESTORS, FREEZES, replace=False):
        add("AddressFrozen", userAddress=wallets[i], isFrozen=True, owner=wallets[0])
    add("Transfer", **{"from": wallets[1], "to": ZERO, "value": 10**18})
    return events


def measure(buffer: io.BytesIO) -> tuple[int, int]:
    """A PDF's size in bytes and its pages (reportlab writes one `/Type /Page` object each)."""
    document = buffer.getvalue()
    return len(document), len(re.findall(rb"/Type /Page\b", document))


def first_and_timed(render, runs: int) -> dict:
    start = time.perf_counter()
    render()
    first = time.perf_counter() - start
    return {**timed(render, runs), "first_call_s": round(first, 5)}


@click.command()
@click.option("--runs", default=RUNS, show_default=True, help="Timed calls (after the first).")
def cli(runs: int) -> None:
    """Time both PDF reports into benchmarks/reports.json."""
    holdings, returns = client_inputs()
    events = compliance_events()
    sizes: dict[str, tuple[int, int]] = {}

    def client() -> None:
        source = "The demo fund's assets' arch.data history."
        report = client_report(
            "0x" + "c1" * 20,
            "Quantera Income Fund",
            STAMP,
            holdings,
            returns,
            BENCHMARK,
            source,
            FEES,
        )
        buffer = io.BytesIO()
        render_client(report, buffer)
        sizes[CLIENT_KEY] = measure(buffer)

    def compliance() -> None:
        report = build_report(events, 0, 2_000_000_000)
        buffer = io.BytesIO()
        render_compliance(report.to_json(), STAMP, buffer, {840: "United States"})
        sizes[COMPLIANCE_KEY] = measure(buffer)

    machine = f"{platform.machine()}, Python {platform.python_version()}"
    entries = {}
    for key, render, details in (
        (CLIENT_KEY, client, {"assets": len(holdings), "trading_days": len(returns)}),
        (
            COMPLIANCE_KEY,
            compliance,
            {"investors": INVESTORS, "transactions": INVESTORS + TRANSFERS + 1, "freezes": FREEZES},
        ),
    ):
        timing = first_and_timed(render, runs)
        size, pages = sizes[key]
        entries[key] = {
            **timing,
            **details,
            "pages": pages,
            "pdf_bytes": size,
            "goal_s": GOAL_S,
            "within_goal": timing["median_s"] < GOAL_S,
            "machine": machine,
        }
        click.echo(
            f"{key}: median {timing['median_s']:.3f} s, max {timing['max_s']:.3f} s over {runs} "
            f"runs, first call {timing['first_call_s']:.3f} s; {pages} pages (goal {GOAL_S:.0f} s)"
        )
    merge_json(RESULT_FILE, entries)
    click.echo(f"written to {RESULT_FILE}")
    missed = [k for k, e in entries.items() if not e["within_goal"]]
    if missed:
        raise click.ClickException(f"{', '.join(missed)}: the median misses the {GOAL_S} s goal")


if __name__ == "__main__":
    cli()
