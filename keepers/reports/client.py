"""The client report: holdings, performance against a benchmark, Brinson-Fachler attribution by
asset class, risk (VaR and ES) and fees and income, computed from plain data (`client_report`) and
rendered to PDF (`render_client`). Pure: no chain access (`client_chain` reads the chain).

The figures come from the project's own libraries, not recomputed here: the metrics and the
attribution from `keepers.analytics` (empyrical-reloaded; Brinson-Fachler linked by Carino), VaR
and ES from `keepers.risk`'s models."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from reportlab.lib.units import mm

from keepers.core.errors import QuanteraError
from keepers.reports.pdf import (
    DataStamp,
    chart,
    heading,
    paragraph,
    pct,
    ratio,
    render,
    spacer,
    table,
    usd,
)

TITLE = "Client report"
METRICS = (
    ("total_return", "Total return", pct),
    ("cagr", "CAGR", pct),
    ("annual_volatility", "Annual volatility", pct),
    ("sharpe", "Sharpe ratio", ratio),
    ("sortino", "Sortino ratio", ratio),
    ("max_drawdown", "Maximum drawdown", pct),
)
EFFECTS = ("allocation", "selection", "interaction")
RISK_LEVELS = (0.95, 0.99)
CHART_WIDTH_MM = 170
FEE_WIDTHS_MM = (62, 24, 26, 68)  # the detail wraps within its column


class ReportError(QuanteraError, ValueError):
    """Inputs a report cannot be built from; the message names the input."""


@dataclass(frozen=True)
class Holding:
    """One position of the client: `quantity` units at `price_usd` (the oracle's price)."""

    symbol: str
    asset_class: str
    quantity: float
    price_usd: float

    @property
    def value_usd(self) -> float:
        return self.quantity * self.price_usd


@dataclass(frozen=True)
class FeeIncome:
    """A fee paid or an income received (or a fee rate in force, `unit` 'bps')."""

    item: str
    amount: float
    unit: str
    detail: str = ""


@dataclass(frozen=True)
class RiskFigure:
    """VaR and ES as positive loss fractions of the holdings' value over `horizon_days`."""

    method: str
    confidence: float
    horizon_days: int
    var: float
    es: float


@dataclass(frozen=True)
class ClientReport:
    """Everything the client report shows, as plain data (`to_json` for `--json`)."""

    client: str
    portfolio: str
    stamp: DataStamp
    holdings: tuple[Holding, ...]
    returns_source: str  # what the return series is, said in the report
    benchmark: str  # the benchmark's name and weights
    dates: tuple[str, ...]  # ISO dates of the daily returns
    portfolio_returns: tuple[float, ...]
    benchmark_returns: tuple[float, ...]
    metrics: dict[str, dict[str, float | int | bool | None]]  # 'portfolio', 'benchmark'
    attribution: dict[str, dict[str, float]]  # asset class -> effect -> linked value
    attribution_totals: dict[str, float]  # the effects' totals and the excess they sum to
    risk: tuple[RiskFigure, ...]
    fees_income: tuple[FeeIncome, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = ()  # said under the holdings (a fund without a NAV yet, ...)

    @property
    def total_value_usd(self) -> float:
        return float(sum(h.value_usd for h in self.holdings))

    def weights(self) -> list[float]:
        total = self.total_value_usd
        return [h.value_usd / total for h in self.holdings]

    def to_json(self) -> dict:
        data = asdict(self)
        data["stamp"] = self.stamp.to_json()
        data["total_value_usd"] = self.total_value_usd
        for row, holding in zip(data["holdings"], self.holdings):
            row["value_usd"] = holding.value_usd
        return data


def client_report(
    client: str,
    portfolio: str,
    stamp: DataStamp,
    holdings: Sequence[Holding],
    daily_returns: pd.DataFrame,
    benchmark_weights: Mapping[str, float],
    returns_source: str,
    fees_income: Sequence[FeeIncome] = (),
    notes: Sequence[str] = (),
) -> ClientReport:
    """The report's figures from the client's holdings and the daily returns of their assets
    (`daily_returns`: one column per holding's symbol, DatetimeIndex); the benchmark holds
    `benchmark_weights` (symbol -> fraction, summing to 1) of the same assets. Both sides are
    rebalanced monthly to their weights (the portfolio to its current ones)."""
    from keepers.analytics import AnalyticsError, full_analysis, performance, portfolio_returns
    from keepers.risk import historical_var, parametric_var

    if not holdings:
        raise ReportError("the client holds nothing: no report to make")
    symbols = [h.symbol for h in holdings]
    missing = [s for s in symbols if s not in daily_returns.columns]
    if missing:
        raise ReportError(f"no return history for {', '.join(missing)}")
    unknown = sorted(set(benchmark_weights) - set(symbols))
    if unknown:
        raise ReportError(f"benchmark assets not among the holdings: {', '.join(unknown)}")
    values = np.array([h.value_usd for h in holdings])
    if np.any(values < 0):
        raise ReportError(f"a negative holding: {symbols[int(np.argmin(values))]}")
    if values.sum() <= 0:
        raise ReportError("the holdings are worth nothing (no position with a balance)")
    weights = values / values.sum()
    bench = np.array([float(benchmark_weights.get(s, 0.0)) for s in symbols])
    if abs(bench.sum() - 1.0) > 1e-9 or np.any(bench < 0):
        raise ReportError(f"benchmark weights sum to {bench.sum():.6g}, not 1")
    returns = daily_returns[symbols]
    try:
        bench_daily = pd.Series(portfolio_returns(returns, bench), index=returns.index)
        analysis = full_analysis(
            returns, bench_daily, weights, bench, [h.asset_class for h in holdings]
        )
        bench_metrics = performance(bench_daily.to_numpy())
    except AnalyticsError as err:
        raise ReportError(f"analytics: {err}") from None
    linked = analysis.attribution.linked()
    portfolio_daily = portfolio_returns(returns, weights)
    asset_returns = returns.to_numpy()
    risk = tuple(
        RiskFigure("historical" if model is historical_var else "parametric", c, 1, r.var, r.es)
        for model in (historical_var, parametric_var)
        for c in RISK_LEVELS
        for r in [model(asset_returns, weights, c, 1)]
    )
    return ClientReport(
        client=client,
        portfolio=portfolio,
        stamp=stamp,
        holdings=tuple(holdings),
        returns_source=returns_source,
        benchmark=", ".join(f"{s} {w:.0%}" for s, w in zip(symbols, bench) if w > 0),
        dates=tuple(d.strftime("%Y-%m-%d") for d in returns.index),
        portfolio_returns=tuple(map(float, portfolio_daily)),
        benchmark_returns=tuple(map(float, bench_daily)),
        metrics={
            "portfolio": analysis.metrics.row(len(analysis.assets) - 1),
            "benchmark": bench_metrics.row(0),
        },
        attribution=linked.by_segment(),
        attribution_totals=linked.totals(),
        risk=risk,
        fees_income=tuple(fees_income),
        notes=tuple(notes),
    )


def _performance_chart(report: ClientReport):  # -> matplotlib Figure
    from matplotlib.figure import Figure

    dates = pd.to_datetime(list(report.dates))
    figure = Figure(figsize=(7.5, 2.8))
    axes = figure.add_subplot()
    for label, series in (
        ("Portfolio", report.portfolio_returns),
        (f"Benchmark ({report.benchmark})", report.benchmark_returns),
    ):
        axes.plot(dates, np.cumprod(1.0 + np.asarray(series)) * 100.0, label=label, linewidth=1)
    axes.set_ylabel("Growth of 100")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return figure


def _holdings_table(report: ClientReport):
    """Every holding with a balance (the JSON has the others: a vault's listed assets it holds
    none of, a benchmark's assets the client does not hold)."""
    total = report.total_value_usd
    rows = [
        [h.symbol, h.asset_class, f"{h.quantity:,.4f}", usd(h.price_usd), usd(h.value_usd), pct(w)]
        for h, w in zip(report.holdings, report.weights())
        if h.quantity > 0
    ]
    rows.append(["Total", "", "", "", usd(total), pct(1.0)])
    header = ("asset", "class", "quantity", "price (USD)", "value (USD)", "weight")
    return table(header, rows, numeric=(2, 3, 4, 5), total_row=True)


def _metrics_table(report: ClientReport):
    p, b = report.metrics["portfolio"], report.metrics["benchmark"]
    rows = [[label, fmt(p[key]), fmt(b[key])] for key, label, fmt in METRICS]
    rows.append(["Active return (portfolio - benchmark)", pct(_active(report)), ""])
    rows.append(["Alpha (annual) / beta vs benchmark", f"{pct(p['alpha'])} / {ratio(p['beta'])}"])
    rows[-1].append("")
    return table(("metric", "portfolio", "benchmark"), rows, numeric=(1, 2))


def _active(report: ClientReport) -> float:
    p, b = report.metrics["portfolio"]["total_return"], report.metrics["benchmark"]["total_return"]
    return float(p) - float(b)  # type: ignore[arg-type]


def _attribution_table(report: ClientReport):
    rows = [
        [segment, *(pct(effects[e], 3) for e in EFFECTS), pct(sum(effects.values()), 3)]
        for segment, effects in report.attribution.items()
    ]
    totals = report.attribution_totals
    rows.append(["Total", *(pct(totals[e], 3) for e in EFFECTS), pct(totals["excess_return"], 3)])
    header = ("asset class", "allocation", "selection", "interaction", "total")
    return table(header, rows, numeric=(1, 2, 3, 4), total_row=True)


def _risk_table(report: ClientReport):
    total = report.total_value_usd
    rows = [
        [
            r.method,
            f"{r.confidence:.0%}",
            str(r.horizon_days),
            pct(r.var),
            usd(r.var * total),
            pct(r.es),
            usd(r.es * total),
        ]
        for r in report.risk
    ]
    header = ("model", "confidence", "days", "VaR", "VaR (USD)", "ES", "ES (USD)")
    return table(header, rows, numeric=(1, 2, 3, 4, 5, 6))


def _fees_table(report: ClientReport):
    rows = [
        [
            f.item,
            f"{f.amount:,.6g}" if f.unit == "bps" else usd(f.amount),
            f.unit,
            paragraph(escape(f.detail), small=True),
        ]
        for f in report.fees_income
    ]
    widths = [w * mm for w in FEE_WIDTHS_MM]
    return table(("item", "amount", "unit", "detail"), rows, numeric=(1,), widths=widths)


def render_client(report: ClientReport, target: Path | io.BytesIO) -> None:
    """The client report as a PDF (A4): holdings, performance against the benchmark with a chart,
    attribution, risk, fees and income; the footer names the data's block and time. Text from
    the data is escaped (paragraphs are reportlab markup: 'S&P' stays 'S&P')."""
    first, last = report.dates[0], report.dates[-1]
    story = [
        paragraph(
            f"<b>Client:</b> {escape(report.client)}<br/>"
            f"<b>Portfolio:</b> {escape(report.portfolio)}"
        ),
        paragraph(f"<b>{escape(report.stamp.text())}</b>"),
        heading("Holdings", 2),
        paragraph(
            "Quantities and oracle prices as the chain held them at the block above.", intro=True
        ),
        _holdings_table(report),
        *(paragraph(f"Note: {escape(note)}", small=True) for note in report.notes),
        heading("Performance against the benchmark", 2),
        paragraph(
            f"<b>Return series:</b> {escape(report.returns_source)} From {first} to {last}, "
            f"{len(report.dates)} trading days. <b>Benchmark:</b> {escape(report.benchmark)}, "
            "rebalanced monthly.",
            intro=True,
        ),
        chart(_performance_chart(report), CHART_WIDTH_MM),
        spacer(),
        _metrics_table(report),
        heading("Attribution (Brinson-Fachler, by asset class)", 2),
        paragraph(
            "Monthly allocation, selection and interaction effects, linked over the months by "
            "Carino's method: they sum to the active return.",
            intro=True,
        ),
        _attribution_table(report),
        heading("Risk", 2),
        paragraph(
            "One-day value at risk and expected shortfall of the current holdings over the "
            "return series above (losses as a share of the holdings' value and in USD).",
            intro=True,
        ),
        _risk_table(report),
        heading("Fees and income", 2),
        _fees_table(report),
    ]
    render(target, TITLE, report.stamp, story)
