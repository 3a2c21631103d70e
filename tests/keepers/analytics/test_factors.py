"""The Fama-French three-factor decomposition with arch.data's factors (ANL-7): known loadings
recovered from synthetic returns, statsmodels' OLS statistics, and a real index. No network."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from keepers.analytics import (
    FACTORS,
    AnalyticsError,
    factor_regression,
    fama_french_decomposition,
    fama_french_monthly,
    monthly_returns,
)


@pytest.fixture(scope="module")
def french():
    return fama_french_monthly()


def test_anl_7__arch_factors__read_as_monthly_fractions(french):
    assert list(french.columns) == [*FACTORS, "RF"]
    assert french.index[0] == pd.Period("1926-07", "M")
    assert french.index[-1] == pd.Period("2018-11", "M")
    assert len(french) == 1109
    # July 1926 as French publishes it: Mkt-RF 2.96 %, SMB -2.30 %, HML -2.87 %, RF 0.22 %.
    np.testing.assert_allclose(french.iloc[0], [0.0296, -0.0230, -0.0287, 0.0022], rtol=1e-12)


def test_anl_7__synthetic_assets__known_loadings_recovered(french):
    rng = np.random.default_rng(5)
    window = french.loc["1999-01":"2018-11"]
    x = window[list(FACTORS)].to_numpy()
    true_betas = np.array([[1.0, 0.4, 1.3], [0.2, -0.3, 0.8], [-0.1, 0.5, 0.0]])  # (factors, 3)
    true_alpha = np.array([0.001, -0.002, 0.0])
    exact = true_alpha + x @ true_betas
    fit = factor_regression(exact, x)
    np.testing.assert_allclose(fit.betas, true_betas, atol=1e-12)
    np.testing.assert_allclose(fit.alpha, true_alpha, atol=1e-12)
    noisy = exact + rng.normal(0, 0.005, size=exact.shape)
    fit = factor_regression(noisy, x)
    assert np.all(np.abs(fit.betas - true_betas) < 4 * np.abs(fit.betas / fit.betas_t))
    assert np.all(fit.r_squared > 0.8)
    # The same fit by statsmodels' OLS, one asset: coefficients, t statistics and R^2.
    reference = sm.OLS(noisy[:, 1], sm.add_constant(x)).fit()
    np.testing.assert_allclose(fit.betas[:, 1], reference.params[1:], rtol=1e-10)
    np.testing.assert_allclose(fit.betas_t[:, 1], reference.tvalues[1:], rtol=1e-10)
    assert fit.alpha_t[1] == pytest.approx(reference.tvalues[0], rel=1e-10)
    assert fit.r_squared[1] == pytest.approx(reference.rsquared, rel=1e-12)


def test_anl_7__sp500_from_arch_data__market_beta_near_one_small_caps_negative():
    """arch.data's S&P 500 (daily closes 1999-2018, compounded into months) against the factors:
    a large-cap price index loads about 1 on the market, negatively on SMB, fits with R^2 > 0.98,
    and its alpha is negative by about the dividend yield a price index leaves out."""
    from arch.data import sp500

    daily = sp500.load()["Adj Close"].pct_change().dropna()
    fit = fama_french_decomposition(monthly_returns(daily))
    row = fit.row()
    assert row["months"] == 239  # February 1999 to November 2018: the factors end there
    assert 0.95 < row["beta_Mkt-RF"] < 1.02
    assert row["beta_SMB"] < -0.1 and row["t_SMB"] < -5
    assert row["r_squared"] > 0.98
    assert -0.03 < row["alpha_annual"] < -0.01


def test_anl_6__factor_inputs__one_clear_error():
    with pytest.raises(AnalyticsError, match="collinear"):
        factor_regression(np.arange(10.0), np.column_stack([np.arange(10.0)] * 3))
    with pytest.raises(AnalyticsError, match="more months needed"):
        factor_regression(np.zeros(4), np.ones((4, 3)))
    with pytest.raises(AnalyticsError, match="DatetimeIndex"):
        monthly_returns(pd.Series([0.01, 0.02]))
