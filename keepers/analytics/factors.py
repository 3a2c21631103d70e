"""Fama-French three-factor decomposition of monthly returns, with the factors that ship in
`arch.data.frenchdata` (Kenneth R. French's data library: Mkt-RF, SMB, HML and RF, in percent per
month, July 1926 to November 2018), read offline. Pure numpy: no chain access, no network.

The model (Fama and French 1993, "Common risk factors in the returns on stocks and bonds",
Journal of Financial Economics 33(1)), for each asset, by ordinary least squares:

    r_t - RF_t = alpha + b_mkt (Mkt-RF)_t + b_smb SMB_t + b_hml HML_t + e_t

One `lstsq` call fits every asset (a column of `excess_returns` each). Each coefficient comes with
its classical standard error (residual variance / (T - k), k = 4 coefficients), its t statistic,
and the fit's R^2."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from keepers.analytics.errors import AnalyticsError

FACTORS = ("Mkt-RF", "SMB", "HML")
MONTHS_PER_YEAR = 12

Array = NDArray[np.float64]


def fama_french_monthly() -> pd.DataFrame:
    """`arch.data.frenchdata` as fractions per month (Mkt-RF, SMB, HML, RF), indexed by month
    (a monthly `PeriodIndex`)."""
    from arch.data import frenchdata

    data = frenchdata.load()
    # frenchdata's index encodes YYYYMM as nanoseconds since the epoch.
    codes = data.index.asi8
    months = pd.PeriodIndex.from_fields(year=codes // 100, month=codes % 100, freq="M")
    frame = data[[*FACTORS, "RF"]].set_axis(months) / 100.0
    return frame.astype(np.float64)


def monthly_returns(daily: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Daily simple returns (a DatetimeIndex) compounded into calendar months (a PeriodIndex)."""
    if not isinstance(daily.index, pd.DatetimeIndex):
        raise AnalyticsError("daily returns need a DatetimeIndex to be grouped into months")
    growth = (1.0 + daily).groupby(daily.index.to_period("M")).prod()
    return growth - 1.0


@dataclass(frozen=True)
class FactorFit:
    """Per asset (columns): alpha per month and the factor loadings (rows of `betas`, in the order
    of `factors`), their standard errors and t statistics, R^2 and the number of months."""

    factors: tuple[str, ...]
    alpha: Array
    betas: Array  # (factors, assets)
    alpha_t: Array
    betas_t: Array
    r_squared: Array
    months: int

    @property
    def alpha_annual(self) -> Array:
        """The monthly alpha compounded over a year."""
        return (1.0 + self.alpha) ** MONTHS_PER_YEAR - 1.0

    def row(self, asset: int = 0) -> dict[str, float | int]:
        out: dict[str, float | int] = {
            "alpha_monthly": float(self.alpha[asset]),
            "alpha_annual": float(self.alpha_annual[asset]),
            "alpha_t": float(self.alpha_t[asset]),
            "r_squared": float(self.r_squared[asset]),
            "months": self.months,
        }
        for i, name in enumerate(self.factors):
            out[f"beta_{name}"] = float(self.betas[i, asset])
            out[f"t_{name}"] = float(self.betas_t[i, asset])
        return out


def factor_regression(
    excess_returns: ArrayLike, factors: ArrayLike, names: tuple[str, ...] = FACTORS
) -> FactorFit:
    """OLS of each column of `excess_returns` (months, assets) on an intercept and `factors`
    (months, k), every asset in one least-squares solve."""
    y = np.asarray(excess_returns, dtype=np.float64)
    x = np.asarray(factors, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim != 2 or x.ndim != 2 or y.shape[0] != x.shape[0]:
        raise AnalyticsError(f"returns {y.shape} and factors {x.shape} need the same months")
    if x.shape[1] != len(names):
        raise AnalyticsError(f"{x.shape[1]} factor columns for {len(names)} names")
    months, k = y.shape[0], x.shape[1] + 1
    if months <= k:
        raise AnalyticsError(f"{months} months for {k} coefficients: more months needed")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))):
        raise AnalyticsError("returns and factors must be finite (no NaN or inf)")
    design = np.column_stack([np.ones(months), x])
    coefficients, _, rank, _ = np.linalg.lstsq(design, y, rcond=None)
    if rank < k:
        raise AnalyticsError(f"the factors are collinear (rank {rank} of {k})")
    residuals = y - design @ coefficients
    variance = (residuals**2).sum(axis=0) / (months - k)
    inverse = np.linalg.inv(design.T @ design)
    errors = np.sqrt(np.outer(np.diag(inverse), variance))
    centred = y - y.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_squared = 1.0 - (residuals**2).sum(axis=0) / (centred**2).sum(axis=0)
        t = coefficients / errors
    return FactorFit(
        factors=names,
        alpha=coefficients[0],
        betas=coefficients[1:],
        alpha_t=t[0],
        betas_t=t[1:],
        r_squared=r_squared,
        months=months,
    )


def fama_french_decomposition(
    monthly: pd.Series | pd.DataFrame, factors: pd.DataFrame | None = None
) -> FactorFit:
    """The three-factor fit of monthly simple returns (a monthly PeriodIndex, e.g. from
    `monthly_returns`) over the months they share with the factors (default: arch.data's)."""
    table = fama_french_monthly() if factors is None else factors
    frame = monthly.to_frame() if isinstance(monthly, pd.Series) else monthly
    if not isinstance(frame.index, pd.PeriodIndex):
        raise AnalyticsError("monthly returns need a monthly PeriodIndex (see monthly_returns)")
    common = frame.index.intersection(table.index)
    if common.empty:
        raise AnalyticsError("the returns share no month with the Fama-French factors")
    aligned = table.loc[common]
    excess = frame.loc[common].to_numpy() - aligned["RF"].to_numpy()[:, None]
    return factor_regression(excess, aligned[list(FACTORS)].to_numpy())
