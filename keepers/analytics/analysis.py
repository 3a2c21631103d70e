"""One call for a portfolio's whole analysis, as the console, the CLI and the demo report ask for
it: daily returns of its assets and of a benchmark in, every figure of this package out. Pure:
no chain access. `scripts/bench_analytics.py` times exactly this function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from keepers.analytics.attribution import Attribution, from_holdings
from keepers.analytics.errors import AnalyticsError
from keepers.analytics.factors import FactorFit, fama_french_decomposition, monthly_returns
from keepers.analytics.metrics import TRADING_DAYS, Metrics, Rolling, performance, rolling

ROLLING_WINDOW_DAYS = 63  # a quarter of trading days


@dataclass(frozen=True)
class Analysis:
    """Per asset and for the portfolio (the last column of `metrics`, `rolling` and `factors`):
    the standard metrics against the benchmark, rolling windows, the Fama-French fit (when
    factors are given), and the portfolio's monthly Brinson-Fachler attribution by asset class."""

    assets: tuple[str, ...]
    metrics: Metrics
    rolling: Rolling
    attribution: Attribution  # monthly, by asset class; `.linked()` for the Carino-linked effects
    factors: FactorFit | None


def full_analysis(
    daily_returns: pd.DataFrame,
    benchmark_returns: pd.Series,
    portfolio_weights: Sequence[float],
    benchmark_weights: Sequence[float],
    asset_classes: Sequence[str],
    factors: pd.DataFrame | None = None,
    risk_free_daily: float = 0.0,
    window: int = ROLLING_WINDOW_DAYS,
) -> Analysis:
    """`daily_returns`: one column per asset (DatetimeIndex); the portfolio holds
    `portfolio_weights` and the benchmark `benchmark_weights` of them, both rebalanced to those
    weights at every month start; `factors`: monthly Fama-French factors (`fama_french_monthly`)
    or None to skip the fit."""
    if not daily_returns.index.equals(benchmark_returns.index):
        raise AnalyticsError("the assets' and the benchmark's returns need the same dates")
    w = np.asarray(portfolio_weights, dtype=np.float64)
    big_w = np.asarray(benchmark_weights, dtype=np.float64)
    if w.shape != (daily_returns.shape[1],) or big_w.shape != w.shape:
        raise AnalyticsError(
            f"{w.size} and {big_w.size} weights for {daily_returns.shape[1]} assets"
        )

    monthly = monthly_returns(daily_returns)
    attribution = from_holdings(
        np.broadcast_to(w, monthly.shape),
        np.broadcast_to(big_w, monthly.shape),
        monthly.to_numpy(),
        asset_classes,
    )
    portfolio = portfolio_returns(daily_returns, w)

    columns = np.column_stack([daily_returns.to_numpy(), portfolio])
    bench = benchmark_returns.to_numpy()
    fit = None
    if factors is not None:
        table = pd.DataFrame(columns, index=daily_returns.index)
        fit = fama_french_decomposition(monthly_returns(table), factors)
    return Analysis(
        assets=(*map(str, daily_returns.columns), "portfolio"),
        metrics=performance(columns, bench, risk_free_daily, TRADING_DAYS),
        rolling=rolling(columns, window, bench, risk_free_daily, TRADING_DAYS),
        attribution=attribution,
        factors=fit,
    )


def portfolio_returns(daily_returns: pd.DataFrame, weights: Sequence[float]) -> np.ndarray:
    """The daily returns of a portfolio holding `weights` of the columns of `daily_returns`,
    rebalanced to them at every month start: within a month its holdings drift with their
    returns from the weights set at the month's start (so they compound to the monthly returns
    `from_holdings` attributes)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (daily_returns.shape[1],):
        raise AnalyticsError(f"{w.size} weights for {daily_returns.shape[1]} assets")
    growth = (1.0 + daily_returns).groupby(daily_returns.index.to_period("M")).cumprod()
    value = growth.to_numpy() @ w
    previous = np.where(monthly_starts(daily_returns.index), 1.0, np.r_[1.0, value[:-1]])
    return value / previous - 1.0


def monthly_starts(index: pd.DatetimeIndex) -> np.ndarray:
    """True on each date that opens a new calendar month of the index."""
    months = index.to_period("M").asi8
    return np.r_[True, months[1:] != months[:-1]]
