"""`make bench` (`.venv/bin/python scripts/bench_analytics.py`; no chain needed): a portfolio of
100 assets over five years of daily returns analysed in one call, `keepers.analytics.full_analysis`
(issue 18 item 5: under 1 second).

The data. The market is arch.data's S&P 500, the daily returns of its adjusted close over its
last 1,260 trading days (2013-12-30 to 2018-12-31: 61 calendar months, the first of two days);
each asset is beta x market + its own noise (seeded: betas 0.5 to 1.5, 1.5 % a day of noise),
the 100 assets in 10 asset classes of 10. The
portfolio holds Dirichlet-drawn weights, the benchmark equal weights, both rebalanced monthly;
alpha and beta are against the S&P 500; the Fama-French factors are arch.data's. Loading the data
is not timed (the console loads it once); the analysis is: metrics of 101 series (the assets and
the portfolio), rolling 63-day windows, drawdown durations, monthly Brinson-Fachler by asset
class with Carino linking, and the three-factor fit of every series.

Timed over RUNS calls after one warm-up; the median and max go to benchmarks/analytics.json with
the sizes, and the command fails when the median misses the 1-second goal."""

from __future__ import annotations

import platform
from pathlib import Path

import click
import numpy as np
import pandas as pd

from keepers.analytics import fama_french_monthly, full_analysis
from keepers.core.benchmarking import merge_json, timed

RESULT_FILE = Path("benchmarks") / "analytics.json"
KEY = "analytics.full_analysis_100_assets_5y_daily"
ASSETS, DAYS, CLASSES, RUNS, SEED = 100, 1_260, 10, 7, 18
GOAL_S = 1.0


def bench_inputs(seed: int = SEED):
    """The 100 assets' daily returns, the S&P 500's, both sides' weights and the classes."""
    from arch.data import sp500

    market = sp500.load()["Adj Close"].pct_change().dropna().iloc[-DAYS:]
    rng = np.random.default_rng(seed)
    betas = rng.uniform(0.5, 1.5, ASSETS)
    noise = rng.normal(0.0, 0.015, size=(DAYS, ASSETS))
    returns = pd.DataFrame(
        market.to_numpy()[:, None] * betas + noise,
        index=market.index,
        columns=[f"asset_{i:03d}" for i in range(ASSETS)],
    )
    classes = [f"class_{i // (ASSETS // CLASSES)}" for i in range(ASSETS)]
    return returns, market, rng.dirichlet(np.ones(ASSETS)), np.full(ASSETS, 1 / ASSETS), classes


@click.command()
@click.option("--runs", default=RUNS, show_default=True, help="Timed calls (after a warm-up).")
def cli(runs: int) -> None:
    """Time a 100-asset, five-year daily analysis into benchmarks/analytics.json."""
    returns, market, weights, benchmark_weights, classes = bench_inputs()
    factors = fama_french_monthly()

    def analyse():
        return full_analysis(returns, market, weights, benchmark_weights, classes, factors)

    timing = timed(analyse, runs, warm_up=True)
    result = analyse()
    linked = result.attribution.linked()
    portfolio = result.metrics.row(ASSETS)
    entry = {
        **timing,
        "assets": ASSETS,
        "trading_days": DAYS,
        "first_day": str(returns.index[0].date()),
        "last_day": str(returns.index[-1].date()),
        "asset_classes": CLASSES,
        "months_attributed": int(result.attribution.allocation.shape[0]),
        "months_factor_fit": result.factors.months,
        "goal_s": GOAL_S,
        "within_goal": timing["median_s"] < GOAL_S,
        "portfolio_sharpe": round(portfolio["sharpe"], 6),
        "portfolio_beta": round(portfolio["beta"], 6),
        "linked_excess_return": round(linked.excess_return, 8),
        "linked_effects_sum": round(
            sum(linked.totals()[k] for k in ("allocation", "selection", "interaction")), 8
        ),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    merge_json(RESULT_FILE, {KEY: entry})
    click.echo(
        f"{KEY}: median {timing['median_s']:.3f} s, max {timing['max_s']:.3f} s over {runs} runs "
        f"(goal {GOAL_S:.1f} s); written to {RESULT_FILE}"
    )
    if not entry["within_goal"]:
        raise click.ClickException(f"median {timing['median_s']:.3f} s misses the {GOAL_S} s goal")


if __name__ == "__main__":
    cli()
