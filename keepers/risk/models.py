"""Portfolio risk models: pure functions of return histories and weights, no chain access.

Conventions: returns are simple daily returns (fractions), one column per asset; weights sum to 1;
VaR and ES are reported as positive loss fractions of portfolio value over `horizon_days`
(square-root-of-time scaling for horizons above one day, stated wherever it applies).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from keepers.core.errors import QuanteraError

Array = NDArray[np.float64]

TRADING_DAYS = 252
EWMA_LAMBDA = 0.94  # RiskMetrics (1996) daily decay.


class RiskInputError(QuanteraError, ValueError):
    """Inputs a risk model cannot use (shape, NaNs, weights, parameters)."""


# ---------------------------------------------------------------------------------------- checks


def check_alpha(alpha: float) -> float:
    if not 0.5 < alpha < 1.0:
        raise RiskInputError(f"alpha must be in (0.5, 1), got {alpha}")
    return alpha


def check_weights(weights: Array, n_assets: int, *, tolerance: float = 1e-6) -> Array:
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_assets,):
        raise RiskInputError(
            f"expected {n_assets} weights, got {w.shape[0] if w.ndim == 1 else w.shape}"
        )
    if not np.all(np.isfinite(w)):
        raise RiskInputError("weights contain NaN or infinite values")
    if abs(w.sum() - 1.0) > tolerance:
        raise RiskInputError(f"weights sum to {w.sum():.6f}, not 1")
    return w


def check_horizon(horizon_days: int) -> int:
    whole = isinstance(horizon_days, (int, np.integer)) and not isinstance(horizon_days, bool)
    if not whole or horizon_days < 1:
        raise RiskInputError(
            f"horizon_days must be a whole number of at least 1, got {horizon_days!r}"
        )
    return horizon_days


def check_returns(returns: Array, *, min_rows: int = 2) -> Array:
    r = np.asarray(returns, dtype=float)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] < min_rows:
        raise RiskInputError(f"need at least {min_rows} rows of returns, got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        bad = np.argwhere(~np.isfinite(r))[0]
        raise RiskInputError(
            f"returns contain NaN or infinite values (first at row {bad[0]}, column {bad[1]})"
        )
    return r


# ----------------------------------------------------------------------------------------- VaR/ES


@dataclass(frozen=True)
class VarResult:
    method: str
    alpha: float
    horizon_days: int
    var: float
    es: float


def historical_var(
    returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1
) -> VarResult:
    """Empirical quantile of the portfolio's historical daily P&L (ES: mean loss beyond it)."""
    r = check_returns(returns, min_rows=20)
    w = check_weights(weights, r.shape[1])
    check_alpha(alpha)
    losses = -(r @ w)
    var = float(np.quantile(losses, alpha, method="higher"))
    es = float(losses[losses >= var].mean())
    scale = np.sqrt(horizon_days)
    return VarResult("historical", alpha, horizon_days, var * scale, es * scale)


def parametric_var(
    returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1
) -> VarResult:
    """Delta-normal VaR and ES from the sample mean and covariance (closed forms)."""
    r = check_returns(returns)
    w = check_weights(weights, r.shape[1])
    mu, cov = r.mean(axis=0), np.atleast_2d(np.cov(r, rowvar=False))
    return normal_var_es(float(mu @ w), float(np.sqrt(w @ cov @ w)), alpha, horizon_days)


def normal_var_es(mean: float, sigma: float, alpha: float, horizon_days: int = 1) -> VarResult:
    """VaR = z sigma - mu and ES = sigma phi(z) / (1 - alpha) - mu, with sqrt-time scaling."""
    check_alpha(alpha)
    z = stats.norm.ppf(alpha)
    mean_h, sigma_h = mean * horizon_days, sigma * np.sqrt(horizon_days)
    var = z * sigma_h - mean_h
    es = sigma_h * stats.norm.pdf(z) / (1 - alpha) - mean_h
    return VarResult("parametric", alpha, horizon_days, float(var), float(es))


def cornish_fisher_var(
    returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1
) -> VarResult:
    """Normal VaR with the quantile corrected for sample skewness and excess kurtosis
    (Cornish-Fisher expansion); ES by integrating the corrected quantile over the tail."""
    r = check_returns(returns, min_rows=20)
    w = check_weights(weights, r.shape[1])
    check_alpha(alpha)
    p = r @ w
    mean, sigma = p.mean(), p.std(ddof=1)
    s, k = stats.skew(p), stats.kurtosis(p)  # k: excess kurtosis

    def cf_quantile(z: Array) -> Array:
        return z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36

    # Loss quantile: the return quantile at 1 - alpha, negated.
    z_tail = stats.norm.ppf(1 - alpha)
    var = -(mean + sigma * cf_quantile(np.array(z_tail)))
    tail_levels = np.linspace(1 - alpha, 0, 2_000, endpoint=False)[::-1] + (1 - alpha) / 4_000
    es = -(mean + sigma * cf_quantile(stats.norm.ppf(tail_levels))).mean()
    scale = np.sqrt(horizon_days)
    return VarResult("cornish-fisher", alpha, horizon_days, float(var * scale), float(es * scale))


# Asset scenarios are built in blocks of about this many values (64 KB: 409 rows at 20 assets). A
# block is drawn, correlated, mixed and projected while it is still in the core's cache, and each
# BLAS call stays small enough for OpenBLAS to run it on the calling thread: split across threads,
# a call this size costs more in hand-offs than it saves, far more when the machine is busy
# (measured, 1,000,000 x 20 scenarios in 4,096-row blocks: the matrix products took 0.03-0.04 s on
# one thread, 0.3-0.55 s on two while the keepers' bots were running).
SCENARIO_BLOCK_VALUES = 8_192


def _var_es_in_place(losses: Array, alpha: float) -> tuple[float, float]:
    """The alpha-quantile of `losses` (linear interpolation, numpy's default method) and the mean
    of the losses at or above it, from one partial sort: no full sort, no copy. Reorders
    `losses`."""
    position = alpha * (losses.size - 1)
    lo = int(position)  # alpha < 1, so lo + 1 is a valid index
    losses.partition((lo, lo + 1))
    below, above = losses[lo], losses[lo + 1]
    var = below + (position - lo) * (above - below)
    # Entries before lo are <= losses[lo] <= var: equal to it only on an exact tie, which
    # continuous draws do not produce, so the tail is found among losses[lo:].
    tail = losses[lo:]
    return float(var), float(tail[tail >= var].mean())


def _student_t_inputs(mean: Array, cov: Array, dof: float, scenarios: int) -> tuple[Array, Array]:
    """Validated mean vector and the covariance's Cholesky factor L (cov = L L')."""
    mu = np.asarray(mean, dtype=float)
    if mu.ndim != 1 or mu.size == 0:
        raise RiskInputError(f"mean must be a vector of asset means, got shape {mu.shape}")
    if not np.all(np.isfinite(mu)):
        raise RiskInputError("mean contains NaN or infinite values")
    n = mu.shape[0]
    sigma = np.atleast_2d(np.asarray(cov, dtype=float))
    if sigma.shape != (n, n):
        raise RiskInputError(f"covariance must be {n}x{n}, got {sigma.shape}")
    if not np.all(np.isfinite(sigma)):
        raise RiskInputError("covariance contains NaN or infinite values")
    if np.abs(sigma - sigma.T).max() > 1e-8 * np.abs(sigma).max():
        raise RiskInputError("covariance is not symmetric")
    if not (np.isfinite(dof) and dof > 2):
        raise RiskInputError(f"dof must be finite and above 2 (finite variance), got {dof}")
    whole = isinstance(scenarios, (int, np.integer)) and not isinstance(scenarios, bool)
    if not whole or scenarios < 1_000:
        raise RiskInputError(f"need a whole number of at least 1,000 scenarios, got {scenarios!r}")
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError as err:
        raise RiskInputError("covariance is not positive definite") from err
    return mu, chol


def _student_t_blocks(
    mu: Array, chol: Array, dof: float, scenarios: int, seed: int, out: Array | None = None
) -> Iterator[tuple[slice, Array]]:
    """Asset scenarios X = mu + sqrt((dof - 2) / (2 G)) L Z, block by block: Z standard normal
    (one row per scenario), G ~ Gamma(dof / 2) so that W = 2 G ~ chi-square(dof) and the factor is
    sqrt((dof - 2) / dof) / sqrt(W / dof). Yields (rows, block) with block = out[rows] when `out` is
    given, else a buffer reused by the next block. Normals and gammas come from two streams spawned
    from `seed`, each consumed in order, so the scenarios do not depend on the block size."""
    normals, gammas = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    block_rows = min(max(1, SCENARIO_BLOCK_VALUES // mu.shape[0]), scenarios)
    z = np.empty((block_rows, mu.shape[0]))
    buffer = np.empty_like(z) if out is None else None
    chol_t = chol.T  # a transposed view: BLAS multiplies by it without a copy
    for start in range(0, scenarios, block_rows):
        rows = slice(start, min(start + block_rows, scenarios))
        size = rows.stop - start
        zb = z[:size]
        block = out[rows] if out is not None else buffer[:size]
        normals.standard_normal(out=zb)
        np.matmul(zb, chol_t, out=block)  # row k: (L z_k)'
        block *= np.sqrt((dof - 2) / (2 * gammas.standard_gamma(dof / 2, size)))[:, None]
        block += mu
        yield rows, block


def student_t_scenarios(
    mean: Array, cov: Array, scenarios: int = 100_000, dof: float = 5.0, seed: int = 0
) -> Array:
    """One-day asset returns, `scenarios` x assets, drawn from the multivariate Student-t that
    `monte_carlo_var` uses (covariance `cov`, not cov dof / (dof - 2)): for what a linear
    portfolio's VaR cannot give, such as non-linear holdings or per-asset attribution. Seeded:
    the same scenarios `monte_carlo_var(..., asset_level=True)` evaluates."""
    mu, chol = _student_t_inputs(mean, cov, dof, scenarios)
    return _student_t_array(mu, chol, dof, scenarios, seed)


def _student_t_array(mu: Array, chol: Array, dof: float, scenarios: int, seed: int) -> Array:
    out = np.empty((scenarios, mu.shape[0]))
    for _ in _student_t_blocks(mu, chol, dof, scenarios, seed, out):
        pass
    return out


def _monte_carlo_inputs(
    mean: Array,
    cov: Array,
    weights: Array,
    alpha: float,
    horizon_days: int,
    scenarios: int,
    dof: float,
) -> tuple[Array, Array, Array]:
    """Every input of a Monte Carlo VaR/ES checked: mean, Cholesky factor of cov, weights."""
    mu, chol = _student_t_inputs(mean, cov, dof, scenarios)
    w = check_weights(weights, mu.shape[0])
    check_alpha(alpha)
    check_horizon(horizon_days)
    return mu, chol, w


def monte_carlo_var(
    mean: Array,
    cov: Array,
    weights: Array,
    alpha: float = 0.99,
    horizon_days: int = 1,
    scenarios: int = 100_000,
    dof: float = 5.0,
    seed: int = 0,
    *,
    asset_level: bool = False,
) -> VarResult:
    """VaR and ES of a linear portfolio whose one-day asset returns are multivariate Student-t with
    `dof` degrees of freedom, mean `mean` and covariance `cov`: X = mu + sqrt((dof-2)/dof) L Z /
    sqrt(W/dof), Z standard normal, W chi-square(dof), L the Cholesky factor. Square-root-of-time
    scaling of the whole one-day loss (mean included) for `horizon_days` above one.

    The portfolio return w'X = w'mu + sqrt((dof-2)/dof) sqrt(w' cov w) Z1 / sqrt(W/dof), Z1 one
    standard normal: exactly a univariate Student-t. So by default each scenario is one Student-t
    draw (one normal and one gamma, numpy's `standard_t`) instead of one normal per asset: the same
    distribution, as accurate for the same number of scenarios, about twenty times fewer draws at
    20 assets. `asset_level=True` builds every asset's scenario (`student_t_scenarios`, block by
    block) and projects it: the same distribution again, at the cost of the full draws. Seeded;
    each path reproduces its own numbers, the two paths draw different samples."""
    mu, chol, w = _monte_carlo_inputs(mean, cov, weights, alpha, horizon_days, scenarios, dof)
    if asset_level:
        losses = np.empty(scenarios)
        for rows, block in _student_t_blocks(mu, chol, dof, scenarios, seed):
            np.dot(block, w, out=losses[rows])
        np.negative(losses, out=losses)
        var, es = _var_es_in_place(losses, alpha)
    else:
        mean_p = float(mu @ w)
        sigma_p = float(np.linalg.norm(chol.T @ w))  # sqrt(w' cov w) = |L'w|
        scale_p = sigma_p * np.sqrt((dof - 2) / dof)
        # Loss = -mean_p - scale_p T, T standard Student-t: its quantile and tail mean are those of
        # -T, moved and scaled (linear interpolation and means commute with that map, scale_p > 0).
        neg_t = np.random.default_rng(seed).standard_t(dof, scenarios)
        np.negative(neg_t, out=neg_t)
        q, tail = _var_es_in_place(neg_t, alpha)
        var, es = scale_p * q - mean_p, scale_p * tail - mean_p
    h = np.sqrt(horizon_days)
    return VarResult("monte-carlo", alpha, horizon_days, var * h, es * h)


def monte_carlo_component_es(
    mean: Array,
    cov: Array,
    weights: Array,
    alpha: float = 0.975,
    horizon_days: int = 1,
    scenarios: int = 100_000,
    dof: float = 5.0,
    seed: int = 0,
) -> Array:
    """Each asset's contribution to the portfolio's Monte Carlo ES (Euler allocation): -w_i times
    the asset's mean return over the scenarios whose portfolio loss is at or beyond the VaR, with
    the same scaling as `monte_carlo_var`. The contributions sum to the ES of the same scenarios
    (`monte_carlo_var(..., asset_level=True)`); needs every asset's scenario."""
    mu, chol, w = _monte_carlo_inputs(mean, cov, weights, alpha, horizon_days, scenarios, dof)
    x = _student_t_array(mu, chol, dof, scenarios, seed)
    losses = -(x @ w)
    var, _ = _var_es_in_place(losses.copy(), alpha)
    tail = x[losses >= var]
    return -w * tail.mean(axis=0) * np.sqrt(horizon_days)


# ----------------------------------------------------------------------------------- volatility


def ewma_volatility(returns: Array, lam: float = EWMA_LAMBDA) -> Array:
    """Latest RiskMetrics EWMA daily volatility per column: s2_t = lam s2_{t-1} + (1-lam) r2_{t-1},
    seeded with the first 20 days' variance."""
    r = check_returns(returns, min_rows=21)
    if not 0 < lam < 1:
        raise RiskInputError(f"lambda must be in (0, 1), got {lam}")
    weights = (1 - lam) * lam ** np.arange(r.shape[0] - 1, -1, -1)
    seed_var = r[:20].var(axis=0)
    var = lam ** r.shape[0] * seed_var + weights @ (r**2)
    return np.sqrt(var)


def ewma_covariance(returns: Array, lam: float = EWMA_LAMBDA) -> Array:
    """EWMA covariance (same weights as `ewma_volatility`, normalised), for correlations."""
    r = check_returns(returns, min_rows=21)
    weights = (1 - lam) * lam ** np.arange(r.shape[0] - 1, -1, -1)
    weights /= weights.sum()
    centred = r - weights @ r
    return (centred * weights[:, None]).T @ centred


@dataclass(frozen=True)
class GarchFit:
    omega: float
    alpha: float
    beta: float
    nu: float | None
    next_day_volatility: float
    persistence: float


def garch_volatility(returns: Array, dist: str = "t") -> GarchFit:
    """GARCH(1,1) fitted by the `arch` package; the one-day-ahead volatility forecast, back in
    fractions. The optimiser needs the returns' variance between 1 and 1,000, so `arch` rescales
    them by a power of ten (`fit.scale`): percent returns are enough for equities, but a T-bill or
    money-market fund moves about 0.01% a day, and unscaled its fit can be off by orders of
    magnitude."""
    from arch import arch_model

    r = check_returns(returns, min_rows=100)
    if r.shape[1] != 1:
        raise RiskInputError("GARCH fits one return series at a time")
    model = arch_model(r[:, 0], mean="Constant", vol="GARCH", p=1, q=1, dist=dist, rescale=True)
    fit = model.fit(disp="off", show_warning=False)
    params, scale = fit.params, float(fit.scale)
    forecast = fit.forecast(horizon=1, reindex=False).variance.values[-1, 0]
    return GarchFit(
        omega=float(params["omega"]) / scale**2,
        alpha=float(params["alpha[1]"]),
        beta=float(params["beta[1]"]),
        nu=float(params["nu"]) if "nu" in params else None,
        next_day_volatility=float(np.sqrt(forecast)) / scale,
        persistence=float(params["alpha[1]"] + params["beta[1]"]),
    )


# ------------------------------------------------------------------------------ performance


def sharpe_ratio(returns: Array, risk_free_daily: float = 0.0) -> float:
    excess = np.asarray(returns, dtype=float) - risk_free_daily
    sd = excess.std(ddof=1)
    return float(np.sqrt(TRADING_DAYS) * excess.mean() / sd) if sd > 0 else 0.0


def sortino_ratio(returns: Array, risk_free_daily: float = 0.0) -> float:
    excess = np.asarray(returns, dtype=float) - risk_free_daily
    downside = np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2))
    return float(np.sqrt(TRADING_DAYS) * excess.mean() / downside) if downside > 0 else 0.0


def max_drawdown(returns: Array) -> float:
    """Largest peak-to-trough fall of the compounded value path, as a positive fraction."""
    wealth = np.cumprod(1 + np.asarray(returns, dtype=float))
    peaks = np.maximum.accumulate(np.concatenate([[1.0], wealth]))[1:]
    return float(np.max(1 - wealth / peaks)) if wealth.size else 0.0


def beta(returns: Array, benchmark: Array) -> float:
    r, b = np.asarray(returns, dtype=float), np.asarray(benchmark, dtype=float)
    if r.shape != b.shape:
        raise RiskInputError(f"returns and benchmark differ in length: {r.shape} vs {b.shape}")
    var_b = b.var(ddof=1)
    return float(np.cov(r, b, ddof=1)[0, 1] / var_b) if var_b > 0 else 0.0


# --------------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class KupiecResult:
    observations: int
    exceptions: int
    expected_rate: float
    observed_rate: float
    lr_statistic: float
    p_value: float
    reject_at_5pct: bool


def kupiec_pof(exceptions: int, observations: int, alpha: float) -> KupiecResult:
    """Kupiec (1995) proportion-of-failures likelihood-ratio test: is the VaR exception rate
    consistent with 1 - alpha? LR ~ chi-square(1) under the null."""
    check_alpha(alpha)
    if observations <= 0 or not 0 <= exceptions <= observations:
        raise RiskInputError(
            f"need 0 <= exceptions <= observations > 0, got {exceptions}/{observations}"
        )
    p = 1 - alpha
    x, t = exceptions, observations
    rate = x / t

    def loglik(prob: float) -> float:
        # 0 * log(0) = 0 by continuity.
        terms = 0.0
        if t - x:
            terms += (t - x) * np.log(1 - prob)
        if x:
            terms += x * np.log(prob)
        return terms

    lr = -2 * (loglik(p) - (loglik(rate) if 0 < rate < 1 else 0.0))
    p_value = float(stats.chi2.sf(lr, df=1))
    return KupiecResult(t, x, p, rate, float(lr), p_value, p_value < 0.05)


def rolling_var_backtest(
    portfolio_returns: Array, alpha: float = 0.99, window: int = 250, method: str = "historical"
) -> tuple[Array, KupiecResult]:
    """One-day VaR forecast from each trailing `window` of returns, compared with the next day's
    loss; returns the forecasts and the Kupiec test of the exceptions."""
    p = np.asarray(portfolio_returns, dtype=float)
    if p.ndim != 1 or p.size <= window + 20:
        raise RiskInputError(f"need more than {window + 20} returns for a {window}-day backtest")
    check_alpha(alpha)
    windows = np.lib.stride_tricks.sliding_window_view(p[:-1], window)
    if method == "historical":
        forecasts = -np.quantile(windows, 1 - alpha, axis=1, method="lower")
    elif method == "parametric":
        forecasts = stats.norm.ppf(alpha) * windows.std(axis=1, ddof=1) - windows.mean(axis=1)
    else:
        raise RiskInputError(f"unknown backtest method {method!r} (historical, parametric)")
    realised_losses = -p[window:]
    exceptions = int(np.sum(realised_losses > forecasts))
    return forecasts, kupiec_pof(exceptions, realised_losses.size, alpha)
