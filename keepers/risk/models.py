"""Portfolio risk models: pure functions of return histories and weights, no chain access.

Conventions: returns are simple daily returns (fractions), one column per asset; weights sum to 1;
VaR and ES are reported as positive loss fractions of portfolio value over `horizon_days`
(square-root-of-time scaling for horizons above one day, stated wherever it applies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from keepers.errors import QuanteraError

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
        raise RiskInputError(f"expected {n_assets} weights, got {w.shape[0] if w.ndim == 1 else w.shape}")
    if not np.all(np.isfinite(w)):
        raise RiskInputError("weights contain NaN or infinite values")
    if abs(w.sum() - 1.0) > tolerance:
        raise RiskInputError(f"weights sum to {w.sum():.6f}, not 1")
    return w


def check_returns(returns: Array, *, min_rows: int = 2) -> Array:
    r = np.asarray(returns, dtype=float)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[0] < min_rows:
        raise RiskInputError(f"need at least {min_rows} rows of returns, got shape {r.shape}")
    if not np.all(np.isfinite(r)):
        bad = np.argwhere(~np.isfinite(r))[0]
        raise RiskInputError(f"returns contain NaN or infinite values (first at row {bad[0]}, column {bad[1]})")
    return r


# ----------------------------------------------------------------------------------------- VaR/ES

@dataclass(frozen=True)
class VarResult:
    method: str
    alpha: float
    horizon_days: int
    var: float
    es: float


def historical_var(returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1) -> VarResult:
    """Empirical quantile of the portfolio's historical daily P&L (ES: mean loss beyond it)."""
    r = check_returns(returns, min_rows=20)
    w = check_weights(weights, r.shape[1])
    check_alpha(alpha)
    losses = -(r @ w)
    var = float(np.quantile(losses, alpha, method="higher"))
    es = float(losses[losses >= var].mean())
    scale = np.sqrt(horizon_days)
    return VarResult("historical", alpha, horizon_days, var * scale, es * scale)


def parametric_var(returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1) -> VarResult:
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


def cornish_fisher_var(returns: Array, weights: Array, alpha: float = 0.99, horizon_days: int = 1) -> VarResult:
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


def monte_carlo_var(
    mean: Array,
    cov: Array,
    weights: Array,
    alpha: float = 0.99,
    horizon_days: int = 1,
    scenarios: int = 100_000,
    dof: float = 5.0,
    seed: int = 0,
) -> VarResult:
    """VaR and ES from correlated fat-tailed scenarios: multivariate Student-t with `dof` degrees
    of freedom, scaled to the given covariance (X = mu + sqrt((dof-2)/dof) L Z / sqrt(W/dof),
    Z standard normal, W chi-square(dof), L the Cholesky factor). Seeded; full asset scenarios
    are generated (not only the portfolio projection), in chunks to bound memory."""
    mu = np.asarray(mean, dtype=float)
    sigma = np.atleast_2d(np.asarray(cov, dtype=float))
    n = mu.shape[0]
    w = check_weights(weights, n)
    check_alpha(alpha)
    if sigma.shape != (n, n):
        raise RiskInputError(f"covariance must be {n}x{n}, got {sigma.shape}")
    if dof <= 2:
        raise RiskInputError(f"dof must be above 2 (finite variance), got {dof}")
    if scenarios < 1_000:
        raise RiskInputError(f"need at least 1,000 scenarios, got {scenarios}")
    try:
        chol = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError as err:
        raise RiskInputError("covariance is not positive definite") from err
    rng = np.random.default_rng(seed)
    scale = np.sqrt((dof - 2) / dof)
    losses = np.empty(scenarios)
    chunk = 250_000
    for start in range(0, scenarios, chunk):
        size = min(chunk, scenarios - start)
        z = rng.standard_normal((size, n))
        mix = scale / np.sqrt(rng.chisquare(dof, size) / dof)
        asset_returns = mu + (z @ chol.T) * mix[:, None]
        losses[start:start + size] = -(asset_returns @ w)
    var = float(np.quantile(losses, alpha))
    es = float(losses[losses >= var].mean())
    h = np.sqrt(horizon_days)
    return VarResult("monte-carlo", alpha, horizon_days, var * h, es * h)


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
    fractions. The optimiser needs the returns' variance between 1 and 1,000, so `arch` rescales them
    by a power of ten (`fit.scale`): percent returns are enough for equities, but a T-bill or
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
        raise RiskInputError(f"need 0 <= exceptions <= observations > 0, got {exceptions}/{observations}")
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
