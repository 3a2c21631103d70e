"""`quantera analytics ...`: performance metrics of an operator's returns file (no chain access).
The numerical libraries load when a command runs, not when the CLI starts."""

from __future__ import annotations

from pathlib import Path

import click

from keepers.core.jsonable import echo_json
from keepers.core.terminal import print_table

existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def analytics() -> None:
    """Performance analytics of return histories: returns, risk-adjusted ratios, drawdowns."""


@analytics.command("metrics")
@click.option(
    "--returns",
    "returns_file",
    type=existing_file,
    required=True,
    help="CSV of periodic returns (fractions), one column per asset (the first may be the date).",
)
@click.option(
    "--benchmark",
    default=None,
    help="A column of the file to measure alpha and beta against (left out of the assets).",
)
@click.option(
    "--periods-per-year",
    type=click.IntRange(1, 366),
    default=252,
    show_default=True,
    help="Periods of the returns in a year (252 daily, 52 weekly, 12 monthly).",
)
@click.option(
    "--risk-free",
    type=click.FloatRange(-0.5, 0.5),
    default=0.0,
    show_default=True,
    help="Risk-free return per period (a fraction), for Sharpe, Sortino and alpha.",
)
@click.option("--json", "as_json", is_flag=True)
def analytics_metrics(
    returns_file: Path,
    benchmark: str | None,
    periods_per_year: int,
    risk_free: float,
    as_json: bool,
) -> None:
    """Total return, CAGR, volatility, Sharpe, Sortino, maximum drawdown and its duration, and
    alpha and beta against --benchmark, for every asset of the file."""
    from keepers.analytics.errors import AnalyticsError
    from keepers.analytics.metrics import performance
    from keepers.risk import load_returns

    frame = load_returns(returns_file)
    bench = None
    if benchmark is not None:
        if benchmark not in frame.columns:
            columns = ", ".join(map(str, frame.columns))
            raise AnalyticsError(f"{returns_file}: no column {benchmark!r} (columns: {columns})")
        bench = frame.pop(benchmark).to_numpy()
        if frame.shape[1] == 0:
            raise AnalyticsError(f"{returns_file}: no asset column besides the benchmark")
    result = performance(frame.to_numpy(), bench, risk_free, periods_per_year)
    rows = {str(name): result.row(i) for i, name in enumerate(frame.columns)}
    data = {
        "file": str(returns_file),
        "periods": int(frame.shape[0]),
        "periods_per_year": periods_per_year,
        "risk_free_per_period": risk_free,
        "benchmark": benchmark,
        "assets": rows,
    }
    if as_json:
        echo_json(data)
        return
    from rich.table import Table

    table = Table(title=f"{returns_file.name}: {frame.shape[0]} periods, {periods_per_year}/year")
    columns = ["asset", "total", "CAGR", "vol", "Sharpe", "Sortino", "max DD", "DD periods"]
    if bench is not None:
        columns += ["alpha", "beta"]
    for column in columns:
        table.add_column(column, justify="left" if column == "asset" else "right")
    for name, row in rows.items():
        cells = [name, *(_cell(row[k], "%") for k in ("total_return", "cagr", "annual_volatility"))]
        cells += [_cell(row["sharpe"]), _cell(row["sortino"]), _cell(row["max_drawdown"], "%")]
        recovered = "" if row["drawdown_recovered"] else " (open)"
        cells.append(f"{row['max_drawdown_periods']}{recovered}")
        if bench is not None:
            cells += [_cell(row["alpha"], "%"), _cell(row["beta"])]
        table.add_row(*cells)
    print_table(table)


def _cell(value: float | None, kind: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:.2%}" if kind == "%" else f"{value:.2f}"
