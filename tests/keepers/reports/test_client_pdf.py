"""RPT-1 to RPT-4: the client report computed from plain data and rendered to PDF; the PDF's text
(extracted with pypdf) shows the inputs' figures. Pure, no chain."""

import io

import numpy as np
import pandas as pd
import pytest

from keepers.analytics import performance, portfolio_returns
from keepers.reports import (
    DataStamp,
    FeeIncome,
    Holding,
    ReportError,
    client_report,
    render_client,
)
from keepers.reports.pdf import pct, ratio, usd
from keepers.risk import historical_var, parametric_var
from pdf_text import flat, pdf_pages

CLIENT = "0x" + "c1" * 20
STAMP = DataStamp("ethereum:local", 4_321, 1_764_050_000)
HOLDINGS = (
    Holding("USDC", "cash_stablecoin", 125_000.5, 1.0),
    Holding("QTF", "tbill", 2_000.0, 101.25),
    Holding("QSPX", "equity", 310.0, 2_507.5),
    Holding("QNDX", "equity", 41.5, 6_330.0),
    Holding("QOIL", "commodity", 1_200.0, 45.1),
)
BENCHMARK = {"QSPX": 0.6, "QTF": 0.4}
FEES = (
    FeeIncome("Dealing fee rate", 10, "bps", "every deposit and redemption"),
    FeeIncome("Subscription fees paid", 1_234.56, "USDC", "2 subscriptions"),
    FeeIncome("Income received", 789.01, "QMMF shares", "daily dividends"),
)
SOURCE = "Hypothetical: the holdings' weights applied to seeded synthetic S&P <500> returns."


def daily_returns(seed: int = 7, days: int = 504) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2016-01-04", periods=days)
    vols = np.array([0.0, 0.0002, 0.011, 0.014, 0.022])
    returns = rng.normal(0.0003, 1.0, (days, 5)) * vols
    returns[:, 0] = 0.0
    return pd.DataFrame(returns, index=index, columns=[h.symbol for h in HOLDINGS])


@pytest.fixture(scope="module")
def report():
    portfolio = "PortfolioVault 0x" + "aa" * 20
    returns = daily_returns()
    notes = ["QMMF: the fund has struck no NAV yet; its shares are valued at 0."]
    return client_report(
        CLIENT, portfolio, STAMP, HOLDINGS, returns, BENCHMARK, SOURCE, FEES, notes
    )


@pytest.fixture(scope="module")
def pages(report):
    buffer = io.BytesIO()
    render_client(report, buffer)
    return pdf_pages(buffer.getvalue())


def test_rpt_1__client_pdf__holdings_values_weights_and_total_as_given(report, pages):
    text = flat(pages)
    total = sum(h.quantity * h.price_usd for h in HOLDINGS)
    assert report.total_value_usd == pytest.approx(total, rel=1e-15)
    for holding in HOLDINGS:
        value = holding.quantity * holding.price_usd
        row = (
            f"{holding.symbol} {holding.asset_class} {holding.quantity:,.4f} "
            f"{usd(holding.price_usd)} {usd(value)} {pct(value / total)}"
        )
        assert row in text, row
    assert f"Total {usd(total)} 100.00%" in text
    # The footer on every page: the data's network, block and time, and the page number.
    for number, page in enumerate(pages, start=1):
        assert "Data: ethereum:local, block 4321 at 2025-11-25 05:53:20 UTC" in page
        assert f"Page {number}" in page
    assert f"Client: {CLIENT}" in text
    assert "Note: QMMF: the fund has struck no NAV yet; its shares are valued at 0." in text


def test_rpt_2__client_pdf__performance_against_benchmark_and_what_the_series_is(report, pages):
    text = flat(pages)
    returns = daily_returns()
    weights = np.array([h.quantity * h.price_usd for h in HOLDINGS])
    weights /= weights.sum()
    bench = np.array([BENCHMARK.get(h.symbol, 0.0) for h in HOLDINGS])
    mine = performance(
        np.column_stack([portfolio_returns(returns, weights), portfolio_returns(returns, bench)])
    )
    ours, theirs = mine.row(0), mine.row(1)
    # The report's metrics are keepers.analytics' of the monthly-rebalanced series.
    for key in ("total_return", "cagr", "annual_volatility", "sharpe", "max_drawdown"):
        assert report.metrics["portfolio"][key] == pytest.approx(ours[key], rel=1e-9), key
        assert report.metrics["benchmark"][key] == pytest.approx(theirs[key], rel=1e-9), key
    p, b = report.metrics["portfolio"], report.metrics["benchmark"]
    assert f"Total return {pct(p['total_return'])} {pct(b['total_return'])}" in text
    assert f"Annual volatility {pct(p['annual_volatility'])} {pct(b['annual_volatility'])}" in text
    assert f"Sharpe ratio {ratio(p['sharpe'])} {ratio(b['sharpe'])}" in text
    active = p["total_return"] - b["total_return"]
    assert f"Active return (portfolio - benchmark) {pct(active)}" in text
    assert f"Return series: {SOURCE} From 2016-01-04 to " in text
    assert "Benchmark: QTF 40%, QSPX 60%, rebalanced monthly" in text
    assert len(report.dates) == len(report.portfolio_returns) == 504


def test_rpt_3__client_pdf__attribution_effects_sum_to_the_active_return(report, pages):
    text = flat(pages)
    totals = report.attribution_totals
    p, b = report.metrics["portfolio"], report.metrics["benchmark"]
    active = p["total_return"] - b["total_return"]
    effects = sum(v for segment in report.attribution.values() for v in segment.values())
    assert effects == pytest.approx(totals["excess_return"], abs=1e-12)
    assert totals["excess_return"] == pytest.approx(active, abs=1e-12)
    assert sorted(report.attribution) == ["cash_stablecoin", "commodity", "equity", "tbill"]
    for segment, values in report.attribution.items():
        cells = " ".join(pct(values[e], 3) for e in ("allocation", "selection", "interaction"))
        assert f"{segment} {cells} {pct(sum(values.values()), 3)}" in text
    cells = " ".join(pct(totals[e], 3) for e in ("allocation", "selection", "interaction"))
    assert f"Total {cells} {pct(totals['excess_return'], 3)}" in text


def test_rpt_4__client_pdf__risk_and_fees_income_as_computed_and_given(report, pages):
    text = flat(pages)
    returns = daily_returns().to_numpy()
    weights = np.array(report.weights())
    total = report.total_value_usd
    expected = [historical_var(returns, weights, c, 1) for c in (0.95, 0.99)]
    expected += [parametric_var(returns, weights, c, 1) for c in (0.95, 0.99)]
    assert [(r.method, r.confidence, r.var, r.es) for r in report.risk] == [
        (e.method, e.alpha, e.var, e.es) for e in expected
    ]
    for r in report.risk:
        row = f"{r.method} {r.confidence:.0%} 1 {pct(r.var)} {usd(r.var * total)}"
        assert f"{row} {pct(r.es)} {usd(r.es * total)}" in text, row
    assert "Dealing fee rate 10 bps every deposit and redemption" in text
    assert "Subscription fees paid 1,234.56 USDC 2 subscriptions" in text
    assert "Income received 789.01 QMMF shares daily dividends" in text


def test_rpt_4__client_report_json__the_same_figures(report):
    data = report.to_json()
    assert data["total_value_usd"] == report.total_value_usd
    assert [h["value_usd"] for h in data["holdings"]] == [h.value_usd for h in HOLDINGS]
    assert data["stamp"] == {"network": "ethereum:local", "block": 4321, "timestamp": 1_764_050_000}
    assert data["attribution_totals"] == report.attribution_totals
    assert data["risk"][0]["method"] == "historical"
    assert data["fees_income"][1]["amount"] == 1_234.56


@pytest.mark.parametrize(
    ("holdings", "benchmark", "message"),
    [
        ((), BENCHMARK, "holds nothing"),
        (
            tuple(Holding(h.symbol, h.asset_class, 0.0, h.price_usd) for h in HOLDINGS),
            BENCHMARK,
            "the holdings are worth nothing",
        ),
        (
            (Holding("QTF", "tbill", -1.0, 100.0), *HOLDINGS[2:]),
            {"QSPX": 1.0},
            "negative holding: QTF",
        ),
        ((*HOLDINGS, Holding("QGLD", "commodity", 1, 1)), BENCHMARK, "no return history for QGLD"),
        (HOLDINGS, {"QSPX": 0.6, "QGLD": 0.4}, "benchmark assets not among the holdings: QGLD"),
        (HOLDINGS, {"QSPX": 0.6, "QTF": 0.3}, "benchmark weights sum to 0.9, not 1"),
    ],
)
def test_rpt_4__client_report__bad_inputs__one_clear_error(holdings, benchmark, message):
    with pytest.raises(ReportError, match=message):
        client_report("c", "p", STAMP, holdings, daily_returns(), benchmark, SOURCE)
