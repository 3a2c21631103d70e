"""One risk-keeper cycle, without chain access: from price history and current weights to the
model inputs and metrics the RiskEngine accepts (`ModelUpdate`), moved towards the new estimate
only as far as the engine's per-update bounds allow."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from keepers.risk import models
from keepers.risk.models import RiskInputError
from keepers.risk.stress import ScenarioSet

PPM = 1_000_000
CORRELATION_ONE = 10_000
MAX_VOL_PPM = 1_000_000
MIN_VOL_PPM = 1
# Share of each on-chain bound the keeper uses, so rounding never crosses it.
BOUND_MARGIN = 0.99
ES_ALPHA = 0.975
# The engine refuses correlations with an eigenvalue at or below -n x 1e-4 (RSK-15: rounding a
# positive semi-definite matrix to 1e-4 moves its eigenvalues by at most n x 0.5e-4); the keeper
# keeps its own at or above this share of that bound, so fixed-point differences never matter.
CORRELATION_TOLERANCE_MARGIN = 0.5
# Halvings of the step towards the new estimate tried before keeping the published correlations.
CORRELATION_STEP_HALVINGS = 12
# Grade by 1-day 99% VaR (fraction of NAV): A <= 1%, B <= 2%, C <= 3%, D <= 5%, E <= 8%, else F.
GRADE_VAR99 = (0.01, 0.02, 0.03, 0.05, 0.08)


@dataclass(frozen=True)
class AssetSpec:
    symbol: str
    asset_class: str
    liquid: bool


@dataclass(frozen=True)
class UpdateBounds:
    """The engine's change bounds (RiskLimits) and the seconds since its last model (its
    `publishedAt`; the engine measures to its block, later, so this is a lower bound).

    RSK-17: with `bound_window_hours` 0 every change may use its whole bound per update; with a
    window a decrease (and a hedge's vol increase) may use `share` of it, any other increase is
    free (within the absolute ranges)."""

    max_vol_change_bps: int
    max_correlation_change: int
    max_stress_change_bps: int
    bound_window_hours: int = 0
    seconds_since_last: int = 0

    @property
    def window_seconds(self) -> int:
        return self.bound_window_hours * 3_600

    @property
    def increases_free(self) -> bool:
        return self.bound_window_hours != 0

    @property
    def share(self) -> float:
        """The share of its bound a decrease may use: min(elapsed, window) / window (1 without a
        window)."""
        if not self.bound_window_hours:
            return 1.0
        return min(max(self.seconds_since_last, 0), self.window_seconds) / self.window_seconds

    def absolute_step(self, limit: int) -> int:
        """Largest move of a correlation or a shock the engine accepts in the bounded direction,
        floor(limit x share) exactly (integers, as the engine compares), times BOUND_MARGIN but at
        least 1 when that exact step is."""
        if self.bound_window_hours:
            exact = (
                limit
                * min(max(self.seconds_since_last, 0), self.window_seconds)
                // self.window_seconds
            )
        else:
            exact = limit
        return min(exact, max(1, int(exact * BOUND_MARGIN)))


@dataclass(frozen=True)
class ModelInputs:
    vols_ppm: list[int]
    correlations: list[int]
    es_multiplier_ppm: int
    stress_bps: list[int]


@dataclass
class CycleResult:
    inputs: ModelInputs
    metrics: dict[str, float | int]
    as_of: int
    # Inputs the bounds held back this cycle (name -> (wanted, published)); they converge next
    # cycles.
    clamped: dict[str, tuple[int, int]] = field(default_factory=dict)

    def metrics_tuple(self) -> tuple:
        m = self.metrics
        return (
            m["var95_bps"],
            m["var99_bps"],
            m["es_bps"],
            m["volatility_bps"],
            m["sharpe_e4"],
            m["sortino_e4"],
            m["max_drawdown_bps"],
            m["beta_e4"],
            m["liquidity_score_bps"],
            m["concentration_bps"],
            m["grade"],
        )


def correlation_matrix(correlations: list[int], n: int) -> np.ndarray:
    """The n x n matrix with unit diagonal whose upper triangle, row by row, is `correlations`
    (1e-4 units): the engine's layout."""
    matrix = np.eye(n)
    matrix[np.triu_indices(n, 1)] = np.asarray(correlations, dtype=float) / CORRELATION_ONE
    return np.triu(matrix) + np.triu(matrix, 1).T


def correlations_acceptable(
    correlations: list[int], n: int, margin: float = CORRELATION_TOLERANCE_MARGIN
) -> bool:
    """True when the smallest eigenvalue is above -margin x n x 1e-4 (margin 1: the engine's own
    bound, `RiskUpdateRules.requireCorrelationMatrix`)."""
    if n < 2:
        return True
    return (
        float(np.linalg.eigvalsh(correlation_matrix(correlations, n)).min())
        > -margin * n / CORRELATION_ONE
    )


def step_correlations(
    previous: list[int], wanted: list[int], max_change: int, n: int, increases_free: bool = False
) -> list[int]:
    """Correlations moved from `previous` towards `wanted`, every entry by the same fraction of
    its way: a convex combination of two correlation matrices is one, so the result stays positive
    semi-definite where a per-entry clamp would not (RSK-15). The fraction is the largest for which
    every entry moves at most `max_change` — every decreasing entry only, when `increases_free`
    (the engine's window, RSK-17), so the most constrained decrease sets the pace of all. Halves
    the step while the rounded result is not acceptable, and keeps `previous` (which the engine
    accepted) if none is."""
    deltas = np.asarray(wanted, dtype=float) - np.asarray(previous, dtype=float)
    bounded = deltas[deltas < 0] if increases_free else deltas
    largest = float(np.abs(bounded).max()) if bounded.size else 0.0
    scale = 1.0 if largest <= max_change else max_change / largest
    for _ in range(CORRELATION_STEP_HALVINGS):
        candidate = [int(p + round(d * scale)) for p, d in zip(previous, deltas)]
        if correlations_acceptable(candidate, n):
            return candidate
        scale /= 2
    return list(previous)


def negatively_correlated(correlations: list[int], n: int) -> set[int]:
    """The assets with a negative correlation (the engine's hedges: raising such an asset's vol can
    lower a long-only book's variance, so under a window that increase is bounded, RSK-17)."""
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return {a for (i, j), rho in zip(pairs, correlations) if rho < 0 for a in (i, j)}


def daily_volatility(returns: np.ndarray) -> float:
    """GARCH(1,1) one-day forecast where the series moves enough to fit; EWMA otherwise."""
    if returns.size >= 250 and returns.std() > 1e-5:
        try:
            fit = models.garch_volatility(returns[:, None])
            if np.isfinite(fit.next_day_volatility) and fit.persistence < 1:
                return fit.next_day_volatility
        except (ValueError, np.linalg.LinAlgError, RiskInputError):
            pass
    return float(models.ewma_volatility(returns[:, None])[0])


def compute(
    prices: pd.DataFrame,
    weights: np.ndarray,
    assets: list[AssetSpec],
    scenario_set: ScenarioSet,
    benchmark: str | None = None,
    scenarios: int = 100_000,
    seed: int = 0,
) -> CycleResult:
    """Model inputs and metrics from daily prices (one column per asset, in `assets` order)."""
    if list(prices.columns) != [a.symbol for a in assets]:
        raise RiskInputError(
            f"price columns {list(prices.columns)} do not match assets {[a.symbol for a in assets]}"
        )
    returns = prices.pct_change().dropna()
    r = models.check_returns(returns.to_numpy(), min_rows=60)
    w = models.check_weights(weights, len(assets))
    vols = np.array([daily_volatility(r[:, i]) for i in range(r.shape[1])])
    cov = models.ewma_covariance(r)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(np.outer(sd, sd) > 0, cov / np.outer(sd, sd), 0.0)
    corr = np.clip(corr, -1.0, 1.0)
    model_cov = corr * np.outer(vols, vols) + np.diag(np.full(len(vols), 1e-12))
    mc = models.monte_carlo_var(
        np.zeros(len(vols)), model_cov, w, ES_ALPHA, scenarios=scenarios, dof=5.0, seed=seed
    )
    sigma_p = float(np.sqrt(w @ model_cov @ w))
    es_multiplier = mc.es / sigma_p if sigma_p > 0 else 2.337803
    var95 = models.monte_carlo_var(
        np.zeros(len(vols)), model_cov, w, 0.95, scenarios=scenarios, dof=5.0, seed=seed
    )
    var99 = models.monte_carlo_var(
        np.zeros(len(vols)), model_cov, w, 0.99, scenarios=scenarios, dof=5.0, seed=seed
    )
    portfolio = r @ w
    stress = scenario_set.loss_matrix_bps([a.asset_class for a in assets])
    beta = 0.0
    if benchmark is not None and benchmark in prices.columns:
        beta = models.beta(portfolio, returns[benchmark].to_numpy())
    grade = int(np.searchsorted(GRADE_VAR99, var99.var, side="left"))
    iu = np.triu_indices(len(assets), 1)
    inputs = ModelInputs(
        vols_ppm=[int(np.clip(round(v * PPM), MIN_VOL_PPM, MAX_VOL_PPM)) for v in vols],
        correlations=[int(round(c * CORRELATION_ONE)) for c in corr[iu]],
        es_multiplier_ppm=int(np.clip(round(es_multiplier * PPM), PPM, 10 * PPM)),
        stress_bps=[int(np.clip(round(x), -10_000, 10_000)) for x in stress.ravel()],
    )
    metrics = {
        "var95_bps": _bps(var95.var),
        "var99_bps": _bps(var99.var),
        "es_bps": _bps(mc.es),
        "volatility_bps": _bps(portfolio.std(ddof=1) * np.sqrt(models.TRADING_DAYS)),
        "sharpe_e4": int(round(models.sharpe_ratio(portfolio) * 1e4)),
        "sortino_e4": int(round(models.sortino_ratio(portfolio) * 1e4)),
        "max_drawdown_bps": _bps(models.max_drawdown(portfolio)),
        "beta_e4": int(round(beta * 1e4)),
        "liquidity_score_bps": _bps(sum(wi for wi, a in zip(w, assets) if a.liquid)),
        "concentration_bps": _bps(float(np.sum(w**2))),
        "grade": grade,
    }
    as_of = (
        int(pd.Timestamp(prices.index[-1]).timestamp())
        if isinstance(prices.index, pd.DatetimeIndex)
        else 0
    )
    return CycleResult(inputs, metrics, as_of)


def bound(result: CycleResult, previous: ModelInputs | None, bounds: UpdateBounds) -> CycleResult:
    """Moves each input from `previous` towards the new estimate as far as the engine accepts now
    (each bound times BOUND_MARGIN, so rounding never crosses it): volatilities, the ES multiplier
    and shocks each on their own, the correlations together (`step_correlations`); a first
    publication is taken as is. Without a window, every change up to its bound (RSK-3); with one,
    a decrease up to `bounds.share` of it and an increase freely but a hedge's vol, bounded like a
    decrease (RSK-17). Records what was held back."""
    if previous is None:
        return result
    clamped: dict[str, tuple[int, int]] = {}
    rel = bounds.max_vol_change_bps * BOUND_MARGIN / 10_000 * bounds.share

    def relative(name: str, old: int, new: int, free_up: bool) -> int:
        low = int(np.ceil(old * (1 - rel)))
        value = max(new, max(low, 1))
        if not free_up:
            value = min(value, int(np.floor(old * (1 + rel))))
        if value != new:
            clamped[name] = (new, value)
        return value

    def absolute(name: str, old: int, new: int, limit: int) -> int:
        step = bounds.absolute_step(limit)
        value = max(new, old - step)
        if not bounds.increases_free:
            value = min(value, old + step)
        if value != new:
            clamped[name] = (new, value)
        return value

    n = len(result.inputs.vols_ppm)
    new = result.inputs
    # The engine bounds the shocks it already holds (the first scenarios); new scenarios are free.
    prev_stress = list(previous.stress_bps[: len(new.stress_bps)]) + list(
        new.stress_bps[len(previous.stress_bps) :]
    )
    correlations = step_correlations(
        previous.correlations,
        new.correlations,
        bounds.absolute_step(bounds.max_correlation_change),
        n,
        bounds.increases_free,
    )
    clamped.update(
        {
            f"rho[{k}]": (wanted, got)
            for k, (wanted, got) in enumerate(zip(new.correlations, correlations))
            if wanted != got
        }
    )
    # Hedges: assets with a negative correlation in what is published (the engine reads the
    # update's).
    hedges = negatively_correlated(correlations, n)
    inputs = ModelInputs(
        vols_ppm=[
            relative(
                f"vol[{i}]",
                previous.vols_ppm[i],
                new.vols_ppm[i],
                bounds.increases_free and i not in hedges,
            )
            for i in range(n)
        ],
        correlations=correlations,
        es_multiplier_ppm=relative(
            "es_multiplier",
            previous.es_multiplier_ppm,
            new.es_multiplier_ppm,
            bounds.increases_free,
        ),
        stress_bps=[
            absolute(f"stress[{k}]", prev_stress[k], s, bounds.max_stress_change_bps)
            for k, s in enumerate(new.stress_bps)
        ],
    )
    return CycleResult(inputs, result.metrics, result.as_of, clamped)


def _bps(fraction: float) -> int:
    return int(max(0, round(fraction * 10_000)))
