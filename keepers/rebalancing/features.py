"""Daily market features from real history (arch.data), normalised on the training window only.

From each risky asset's price: returns over 1, 5, 21 and 63 days, EWMA volatility (lambda 0.94),
12-1 month momentum, drawdown from the one-year high; GARCH(1,1) conditional volatility of the
equity index; rolling correlations; the BAA-AAA credit spread and its monthly change; the T-bill
rate. Pool depth and recent slippage enter when the keeper runs against a chain (columns
`pool_depth_usd`, `recent_slippage_bps`); history has none, and missing values are handled like any
gap: carried forward, then the training median (0 after standardisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EWMA_LAMBDA = 0.94
Z_CLIP = 5.0
CHAIN_COLUMNS = ("pool_depth_usd", "recent_slippage_bps")


def credit_and_rates(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly BAA-AAA spread (arch.data.default) carried to each trading day; its 21-day change."""
    from arch.data import default

    spreads = default.load()
    spread = (spreads["BAA"] - spreads["AAA"]).rename("credit_spread")
    daily = spread.reindex(spread.index.union(index)).ffill().reindex(index)
    return pd.DataFrame({"credit_spread": daily, "credit_spread_change_21d": daily.diff(21)})


def build_features(
    prices: pd.DataFrame,
    risky: list[str],
    tbill: str | None = None,
    extra: pd.DataFrame | None = None,
    fit_until: str | None = None,
) -> pd.DataFrame:
    """One row per day, one column per feature (NaN where history is too short or missing)."""
    log_prices = np.log(prices[risky])
    returns = log_prices.diff()
    columns: dict[str, pd.Series] = {}
    for asset in risky:
        for horizon in (1, 5, 21, 63):
            columns[f"{asset}_ret_{horizon}d"] = log_prices[asset].diff(horizon)
        variance = (returns[asset] ** 2).ewm(alpha=1 - EWMA_LAMBDA, adjust=False).mean()
        columns[f"{asset}_ewma_vol"] = np.sqrt(variance * 252)
        columns[f"{asset}_momentum_12_1"] = log_prices[asset].shift(21) - log_prices[asset].shift(
            252
        )
        columns[f"{asset}_drawdown_1y"] = (
            prices[asset] / prices[asset].rolling(252, min_periods=21).max() - 1
        )
    columns[f"{risky[0]}_garch_vol"] = garch_volatility(returns[risky[0]], fit_until)
    for i, first in enumerate(risky):
        for second in risky[i + 1 :]:
            columns[f"corr_63d_{first}_{second}"] = returns[first].rolling(63).corr(returns[second])
    if tbill is not None:
        columns["tbill_rate_1y"] = np.log(prices[tbill]).diff(252)
    frame = pd.DataFrame(columns, index=prices.index)
    frame = frame.join(credit_and_rates(prices.index))
    for column in CHAIN_COLUMNS:
        frame[column] = extra[column] if extra is not None and column in extra else np.nan
    return frame


def garch_volatility(returns: pd.Series, fit_until: str | None = None) -> pd.Series:
    """Annualised GARCH(1,1) conditional volatility (arch). Parameters are fitted on the data up to
    `fit_until` only (no look-ahead into validation or test), then the filter runs over every
    day."""
    from arch import arch_model

    clean = returns.dropna() * 100
    model = arch_model(clean, vol="GARCH", p=1, q=1, mean="Constant", rescale=False)
    fitted = model.fit(disp="off", last_obs=fit_until) if fit_until else model.fit(disp="off")
    filtered = model.fix(fitted.params)
    return (filtered.conditional_volatility / 100 * np.sqrt(252)).reindex(returns.index)


@dataclass(frozen=True)
class Standardiser:
    """Per-feature median, mean and scale from the training rows; applied to any later rows."""

    columns: tuple[str, ...]
    median: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> Standardiser:
        values = frame.ffill().to_numpy(dtype=float)
        finite = np.isfinite(values)
        # A feature with no training data at all (pool depth on history) gets 0, i.e. "no signal".
        median = np.array(
            [
                np.median(values[finite[:, j], j]) if finite[:, j].any() else 0.0
                for j in range(values.shape[1])
            ]
        )
        filled = np.where(np.isfinite(values), values, median)
        mean, scale = filled.mean(axis=0), filled.std(axis=0)
        return cls(tuple(frame.columns), median, mean, np.where(scale > 0, scale, 1.0))

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Carried forward, gaps to the training median, z-scored, clipped to +-5: never NaN."""
        values = frame.reindex(columns=list(self.columns)).ffill().to_numpy(dtype=float)
        filled = np.where(np.isfinite(values), values, self.median)
        return np.clip((filled - self.mean) / self.scale, -Z_CLIP, Z_CLIP)
