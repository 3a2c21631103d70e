"""Return and risk metrics of return series: the standard ones from empyrical-reloaded, the
drawdown durations and the rolling windows vectorised here. Pure: no chain access.

Why empyrical-reloaded (Stefan Jansen's maintained fork of Quantopian's empyrical, 0.7.1): pure
functions of numpy arrays or pandas objects, vectorised over columns (one call computes the Sharpe
ratio of 100 assets), a small dependency tree (numpy, pandas, scipy, bottleneck) and a test suite
whose regression values `tests/keepers/analytics/test_metrics.py` reproduces. quantstats was the
alternative: it computes per series, and pulls in plotting, HTML reports and yfinance (network
access) that the console, the CLI and the demo report do not need.

Units. Returns are simple periodic returns as fractions (0.01 = 1 %), one row per period, one
column per asset; `periods_per_year` annualises (252 daily, 52 weekly, 12 monthly). The risk-free
rate is per period, like the returns. Ratios are annualised as empyrical does: Sharpe is
mean(excess) / std(excess, ddof=1) x sqrt(periods_per_year); Sortino divides the annualised mean
excess over the required return by the annualised downside deviation; alpha is the regression
intercept compounded over a year, (1 + intercept)^periods_per_year - 1.

Drawdowns. Wealth starts at 1 before the first return. A drawdown is wealth / running peak - 1;
the maximum drawdown's duration counts the periods from its peak to its recovery (the first
period back at the peak), or to the end of the series when it has not recovered; the longest
drawdown is the most periods spent under a peak in one episode."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import empyrical
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from keepers.analytics.errors import AnalyticsError

TRADING_DAYS = 252
MIN_PERIODS = 2  # a standard deviation needs two returns

Array = NDArray[np.float64]


def _matrix(name: str, values: ArrayLike) -> Array:
    """Returns as a (periods, assets) float array; a 1-D series becomes one column."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise AnalyticsError(f"{name}: expected (periods,) or (periods, assets), got {array.shape}")
    if array.shape[0] < MIN_PERIODS:
        raise AnalyticsError(f"{name}: {array.shape[0]} periods, at least {MIN_PERIODS} needed")
    if not np.all(np.isfinite(array)):
        raise AnalyticsError(f"{name}: every return must be finite (no NaN or inf)")
    if np.any(array <= -1.0):
        raise AnalyticsError(f"{name}: a return of -100 % or less cannot be compounded")
    return array


@dataclass(frozen=True)
class Drawdowns:
    """Per asset: the maximum drawdown (a fraction <= 0), the periods from its peak to its
    recovery (or to the end), whether it recovered, and the longest time under a peak."""

    max_drawdown: Array
    max_drawdown_periods: NDArray[np.int64]
    recovered: NDArray[np.bool_]
    longest_drawdown_periods: NDArray[np.int64]


def drawdowns(returns: ArrayLike) -> Drawdowns:
    """Drawdown depth and durations of each column (see the module docstring)."""
    r = _matrix("returns", returns)
    periods, assets = r.shape
    # Row 0 is the starting wealth 1, before the first return: row t + 1 is after return t.
    wealth = np.vstack([np.ones((1, assets)), np.cumprod(1.0 + r, axis=0)])
    peak = np.maximum.accumulate(wealth, axis=0)
    at_peak = wealth >= peak
    index = np.arange(periods + 1)[:, None]
    last_peak = np.maximum.accumulate(np.where(at_peak, index, 0), axis=0)
    depth = wealth / peak - 1.0
    trough = np.argmin(depth, axis=0)
    columns = np.arange(assets)
    peak_of_trough = last_peak[trough, columns]
    after = at_peak & (index > trough[None, :])
    recovered = after.any(axis=0)
    recovery = np.where(recovered, after.argmax(axis=0), periods)
    deepest = depth[trough, columns]
    return Drawdowns(
        max_drawdown=deepest,
        max_drawdown_periods=np.where(deepest < 0, recovery - peak_of_trough, 0).astype(np.int64),
        recovered=recovered | (deepest == 0),
        longest_drawdown_periods=(index - last_peak).max(axis=0).astype(np.int64),
    )


@dataclass(frozen=True)
class Metrics:
    """Per asset (arrays of one value per column): total return, CAGR, annualised volatility,
    Sharpe and Sortino ratios, drawdowns, and alpha and beta when a benchmark is given."""

    total_return: Array
    cagr: Array
    annual_volatility: Array
    sharpe: Array
    sortino: Array
    max_drawdown: Array
    max_drawdown_periods: NDArray[np.int64]
    drawdown_recovered: NDArray[np.bool_]
    longest_drawdown_periods: NDArray[np.int64]
    alpha: Array | None = None
    beta: Array | None = None

    def row(self, asset: int = 0) -> dict[str, float | int | bool | None]:
        """One asset's metrics as plain Python values, JSON-ready: a figure that is not finite
        (a Sortino ratio with no period below the target, a Sharpe ratio of constant returns)
        is None, as JSON has no infinity."""
        out: dict[str, float | int | bool | None] = {}
        for name, values in asdict(self).items():
            value = None if values is None else values[asset].item()
            finite = not isinstance(value, float) or np.isfinite(value)
            out[name] = value if finite else None
        return out


def performance(
    returns: ArrayLike,
    benchmark: ArrayLike | None = None,
    risk_free: float = 0.0,
    periods_per_year: int = TRADING_DAYS,
) -> Metrics:
    """Every standard metric of each column of `returns` (periods, assets), vectorised: one
    empyrical call per metric for all assets."""
    r = _matrix("returns", returns)
    if periods_per_year <= 0:
        raise AnalyticsError(f"periods_per_year must be positive, got {periods_per_year}")
    annual = {"annualization": periods_per_year}
    total = np.prod(1.0 + r, axis=0) - 1.0
    years = r.shape[0] / periods_per_year
    excess = r - risk_free
    draw = drawdowns(r)
    alpha = beta = None
    if benchmark is not None:
        b = _matrix("benchmark", benchmark)
        if b.shape != (r.shape[0], 1):
            raise AnalyticsError(f"benchmark: expected ({r.shape[0]},) returns, got {b.shape}")
        # empyrical vectorises alpha and beta over columns when the benchmark has every column.
        factor = np.broadcast_to(b, r.shape)
        ab = np.atleast_2d(empyrical.alpha_beta_aligned(r, factor, risk_free=risk_free, **annual))
        alpha, beta = ab[:, 0], ab[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return Metrics(
            total_return=total,
            # CAGR as empyrical.annual_return computes it (checked in the tests), without its
            # per-column Python loop.
            cagr=(1.0 + total) ** (1.0 / years) - 1.0,
            annual_volatility=np.atleast_1d(empyrical.annual_volatility(r, **annual)),
            sharpe=np.atleast_1d(empyrical.sharpe_ratio(excess, **annual)),
            sortino=np.atleast_1d(empyrical.sortino_ratio(excess, **annual)),
            max_drawdown=draw.max_drawdown,
            max_drawdown_periods=draw.max_drawdown_periods,
            drawdown_recovered=draw.recovered,
            longest_drawdown_periods=draw.longest_drawdown_periods,
            alpha=alpha,
            beta=beta,
        )


@dataclass(frozen=True)
class Rolling:
    """Per window ending at each period (rows before the first full window are NaN), per asset:
    annualised volatility, Sharpe ratio and beta against the benchmark (when given)."""

    window: int
    annual_volatility: Array
    sharpe: Array
    beta: Array | None = None


def rolling(
    returns: ArrayLike,
    window: int,
    benchmark: ArrayLike | None = None,
    risk_free: float = 0.0,
    periods_per_year: int = TRADING_DAYS,
) -> Rolling:
    """Rolling metrics of each column, computed with pandas' O(periods) rolling moments; they
    equal empyrical's `roll_annual_volatility`, `roll_sharpe_ratio` and `roll_beta` (tested),
    which evaluate every window separately."""
    r = _matrix("returns", returns)
    if not MIN_PERIODS <= window <= r.shape[0]:
        raise AnalyticsError(f"window: {window} periods, not in [{MIN_PERIODS}, {r.shape[0]}]")
    frame = pd.DataFrame(r - risk_free)
    roll = frame.rolling(window)
    mean, std = roll.mean().to_numpy(), roll.std(ddof=1).to_numpy()
    scale = np.sqrt(periods_per_year)
    beta = None
    if benchmark is not None:
        b = _matrix("benchmark", benchmark)[:, 0]
        if b.shape[0] != r.shape[0]:
            raise AnalyticsError(f"benchmark: {b.shape[0]} periods for {r.shape[0]} returns")
        # empyrical's beta regresses excess returns on the benchmark's excess (population moments).
        factor = pd.Series(b - risk_free)
        covariance = frame.rolling(window).cov(factor, ddof=0).to_numpy()
        variance = factor.rolling(window).var(ddof=0).to_numpy()[:, None]
        beta = covariance / variance
    raw_std = pd.DataFrame(r).rolling(window).std(ddof=1).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return Rolling(
            window=window,
            annual_volatility=raw_std * scale,
            sharpe=mean / std * scale,
            beta=beta,
        )
