"""The end-to-end demo's rebalancing report: markdown plus PNG plots (matplotlib) of what the
keepers did on chain — NAV against the equal-weight benchmark, weights over time, the published VaR
against the realised P&L with the exceptions marked, and the gas of every action. Pure: it draws the
series it is given (collected from the chain and the keeper store by the demo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

#: The product plan's bound on a rebalance's gas (issue 31 §4), drawn on the gas chart.
REBALANCE_GAS_BOUND = 500_000


@dataclass
class RebalanceSeries:
    dates: list[str]  # one per replayed trading day
    nav: list[float]  # fund value per share, first day = 1
    benchmark: list[float]  # equal-weight buy-and-hold of the same assets, first day = 1
    weights: dict[str, list[float]]  # per asset, fraction of NAV, per day
    var: list[float | None]  # the 1-day 95% VaR published on chain that day (fraction of NAV)
    pnl: list[float]  # the fund's realised return over the day
    gas: list[tuple[str, int]] = field(default_factory=list)  # (action, gas used), in order
    notes: list[str] = field(default_factory=list)


def exceptions(series: RebalanceSeries) -> list[int]:
    """Days whose loss exceeded the VaR published before them."""
    return [i for i, (v, p) in enumerate(zip(series.var, series.pnl)) if v is not None and -p > v]


def _ticks(series: RebalanceSeries) -> tuple[np.ndarray, list[str]]:
    x = np.arange(len(series.dates))
    ticks = x[:: max(1, len(x) // 8)]
    return ticks, [series.dates[i] for i in ticks]


def weights_figure(series: RebalanceSeries) -> Figure:
    """Weights over time, stacked; the legend beside the plot, never over the data."""
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(series.dates))
    ax.stackplot(
        x, *[np.asarray(w) * 100 for w in series.weights.values()], labels=list(series.weights)
    )
    ax.set_xticks(*_ticks(series), rotation=30, ha="right")
    ax.set_ylabel("% of NAV")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0)
    fig.tight_layout()
    return fig


def gas_figure(series: RebalanceSeries) -> Figure:
    """The gas of every action, with thousands separators and the product plan's bound on a
    rebalance (REBALANCE_GAS_BOUND) drawn as a line."""
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{i + 1}. {a}" for i, (a, _) in enumerate(series.gas)]
    ax.barh(labels[::-1], [g for _, g in series.gas][::-1], label="gas used")
    ax.axvline(
        REBALANCE_GAS_BOUND,
        color="red",
        linestyle="--",
        label=f"bound per rebalance: {REBALANCE_GAS_BOUND:,}",
    )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    ax.set_xlabel("gas")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def write_report(
    series: RebalanceSeries, out_dir: Path, title: str = "Quantera rebalancing demo"
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    x = np.arange(len(series.dates))
    ticks = x[:: max(1, len(x) // 8)]

    def finish(fig, ax, name: str, ylabel: str) -> None:
        ax.set_xticks(ticks, [series.dates[i] for i in ticks], rotation=30, ha="right")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(x, series.nav, label="fund (NAV per share)")
    ax.plot(x, series.benchmark, label="equal-weight benchmark", linestyle="--")
    finish(fig, ax, "nav.png", "value (first day = 1)")

    fig = weights_figure(series)
    fig.savefig(out_dir / "weights.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    var = np.array([np.nan if v is None else -v * 100 for v in series.var])
    pnl = np.asarray(series.pnl) * 100
    ax.bar(x, pnl, label="realised daily P&L", color="grey")
    ax.plot(x, var, label="-VaR 95% (published on chain)", color="red")
    hits = exceptions(series)
    ax.scatter(
        hits, pnl[hits] if hits else [], color="black", marker="x", zorder=3, label="exception"
    )
    finish(fig, ax, "var.png", "% of NAV")

    fig = gas_figure(series)
    fig.savefig(out_dir / "gas.png", dpi=110)
    plt.close(fig)

    fund = series.nav[-1] / series.nav[0] - 1
    bench = series.benchmark[-1] / series.benchmark[0] - 1
    days_with_var = sum(v is not None for v in series.var)
    lines = [
        f"# {title}",
        "",
        f"{series.dates[0]} .. {series.dates[-1]}: "
        f"{len(series.dates)} trading days replayed onto the feeds.",
        "",
        "| | fund | equal-weight benchmark |",
        "| --- | --- | --- |",
        f"| return | {fund:+.2%} | {bench:+.2%} |",
        "",
        f"VaR exceptions: {len(hits)} of {days_with_var} days with a published VaR (95%: about "
        f"{0.05 * days_with_var:.1f} expected).",
        "",
        "| # | action | gas |",
        "| --- | --- | --- |",
        *[f"| {i + 1} | {a} | {g:,} |" for i, (a, g) in enumerate(series.gas)],
        "",
        *series.notes,
        "",
        "![NAV](nav.png)",
        "![weights](weights.png)",
        "![VaR](var.png)",
        "![gas](gas.png)",
        "",
    ]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines))
    return path
