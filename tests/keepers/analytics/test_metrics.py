"""Standard metrics against empyrical-reloaded's own documented regression values, drawdown
durations and rolling windows (ANL-1 to ANL-3). Pure numpy/pandas, no chain.

Reference values: empyrical-reloaded's test suite, `tests/test_stats.py` with the fixtures of
`tests/conftest.py` (github.com/stefan-jansen/empyrical-reloaded, the release pinned here, 0.7.1):
`mixed_returns` = [NaN, 1, 10, -4, 2, 3, 2, 1, -10] %, daily; `negative_returns` = [0, -6, -7,
-1, -9, -2, -6, -8, -5] %; `monthly_returns`, `weekly_returns`: [0, 1, 10, -4, 2, 3, 2, 1, -10] %
(monthly and weekly)."""

import empyrical
import numpy as np
import pandas as pd
import pytest

from keepers.analytics import AnalyticsError, drawdowns, performance, rolling

MIXED = np.array([np.nan, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]) / 100
NEGATIVE = np.array([0.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0]) / 100
ALL_NEGATIVE = np.array([-2.0, -6.0, -7.0, -1.0, -9.0, -2.0, -6.0, -8.0, -5.0]) / 100
POSITIVE = np.array([1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]) / 100
PERIODIC = np.array([0.0, 1.0, 10.0, -4.0, 2.0, 3.0, 2.0, 1.0, -10.0]) / 100
DECIMALS = 8  # empyrical's DECIMAL_PLACES


def equal(value, expected):
    np.testing.assert_almost_equal(value, expected, DECIMALS)


def test_anl_1__empyrical_documented_values__the_library_itself():
    """The library reproduces its own published values on its own fixtures (NaN included)."""
    mixed = pd.Series(MIXED, index=pd.date_range("2000-1-30", periods=9, freq="D"))
    equal(empyrical.sharpe_ratio(mixed), 1.7238613961706866)
    equal(empyrical.annual_volatility(mixed), 0.9136465399704637)
    equal(empyrical.sortino_ratio(mixed), 2.605531251673693)
    equal(empyrical.annual_return(mixed), 1.9135925373194231)
    equal(empyrical.max_drawdown(mixed), -0.1)
    equal(empyrical.cum_returns_final(mixed), 0.03893109170048037)


def test_anl_1__wrapper__empyrical_documented_values():
    """`performance` (which drops nothing: its inputs have no NaN) gives the documented values of
    the NaN-free part of `mixed_returns`, and of the other fixtures, all assets in one call."""
    mixed = performance(MIXED[1:])
    equal(mixed.sharpe[0], 1.7238613961706866)
    equal(mixed.annual_volatility[0], 0.9136465399704637)
    equal(mixed.sortino[0], 2.605531251673693)
    equal(mixed.max_drawdown[0], -0.1)
    equal(mixed.total_return[0], 0.03893109170048037)
    several = performance(np.column_stack([NEGATIVE, ALL_NEGATIVE, POSITIVE]))
    equal(several.sharpe[0], -24.406808633910085)
    equal(several.sortino[0], -13.532743075043401)
    equal(several.max_drawdown[0], -0.36590730)
    equal(several.max_drawdown[1], -0.378589157)
    equal(several.sharpe[2], 52.915026221291804)
    assert several.max_drawdown[2] == 0.0


@pytest.mark.parametrize(
    "periods_per_year, expected",
    [(12, 0.052242061386048144), (52, 0.24690830513998208)],  # test_annual_ret: monthly, weekly
)
def test_anl_1__cagr__empyrical_documented_annual_return(periods_per_year, expected):
    equal(performance(PERIODIC, periods_per_year=periods_per_year).cagr[0], expected)


def test_anl_1__alpha_beta__empyrical_documented_values():
    """test_alpha_beta: `mixed_returns` against `negative_returns[1:]` (aligned on dates: the
    NaN-free returns against the last eight) = (-0.9997853834885004, -0.71296296296296313)."""
    result = performance(MIXED[1:], benchmark=NEGATIVE[1:])
    equal(result.alpha[0], -0.9997853834885004)
    equal(result.beta[0], -0.71296296296296313)
    itself = performance(np.column_stack([MIXED[1:], -MIXED[1:]]), benchmark=MIXED[1:])
    np.testing.assert_allclose(itself.beta, [1.0, -1.0], rtol=1e-12)
    np.testing.assert_allclose(itself.alpha, [0.0, 0.0], atol=1e-12)


def test_anl_2__drawdown_durations__worked_examples():
    # 10 %, -10 %, 10 %: wealth 1.1, 0.99, 1.089, the -10 % from the peak after period 1 not
    # recovered: 2 periods from peak to the end.
    udu = drawdowns(np.array([0.10, -0.10, 0.10]))
    equal(udu.max_drawdown[0], -0.10)
    assert (udu.max_drawdown_periods[0], udu.recovered[0]) == (2, False)
    # 10 %, -50 %, +100 %, 10 %: wealth 1.1, 0.55, 1.1 (back at the peak), 1.21: -50 %, two
    # periods from peak to recovery, one period under water.
    back = drawdowns(np.array([0.10, -0.50, 1.00, 0.10]))
    equal(back.max_drawdown[0], -0.50)
    assert (back.max_drawdown_periods[0], back.recovered[0]) == (2, True)
    assert back.longest_drawdown_periods[0] == 1
    # mixed_returns: the last -10 % is the deepest (1 period, not recovered); the longest spell
    # under water is the two periods after the 10 % gain.
    mixed = drawdowns(MIXED[1:])
    assert (mixed.max_drawdown_periods[0], mixed.longest_drawdown_periods[0]) == (1, 2)


def loop_drawdowns(returns):
    """A plain loop over one series: the reference for the vectorised version."""
    wealth, peak, peak_at = 1.0, 1.0, 0
    deepest, deepest_peak, longest = 0.0, 0, 0
    recoveries = {}
    for t, r in enumerate(returns, start=1):
        wealth *= 1 + r
        if wealth >= peak:
            peak, peak_at = wealth, t
            recoveries.setdefault(deepest_peak, t)
        longest = max(longest, t - peak_at)
        if wealth / peak - 1 < deepest:
            deepest, deepest_peak = wealth / peak - 1, peak_at
            recoveries.pop(deepest_peak, None)
    end = recoveries.get(deepest_peak, len(returns))
    return deepest, (end - deepest_peak if deepest < 0 else 0), longest


def test_anl_2__vectorised_drawdowns__equal_a_loop_and_empyrical():
    rng = np.random.default_rng(11)
    returns = rng.normal(0.0003, 0.012, size=(1000, 20))
    result = drawdowns(returns)
    np.testing.assert_allclose(result.max_drawdown, empyrical.max_drawdown(returns), rtol=1e-12)
    for column in range(returns.shape[1]):
        deepest, periods, longest = loop_drawdowns(returns[:, column])
        assert result.max_drawdown[column] == pytest.approx(deepest, rel=1e-12)
        assert result.max_drawdown_periods[column] == periods
        assert result.longest_drawdown_periods[column] == longest


def test_anl_3__rolling_metrics__equal_empyricals_roll_functions():
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0004, 0.01, size=300)
    benchmark = 0.8 * returns + rng.normal(0, 0.004, size=300)
    window = 63
    result = rolling(np.column_stack([returns, 2 * returns]), window, benchmark=benchmark)
    assert np.all(np.isnan(result.sharpe[: window - 1]))
    full = slice(window - 1, None)
    np.testing.assert_allclose(
        result.sharpe[full, 0], empyrical.roll_sharpe_ratio(returns, window=window), rtol=1e-9
    )
    np.testing.assert_allclose(
        result.annual_volatility[full, 1],
        empyrical.roll_annual_volatility(2 * returns, window=window),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        result.beta[full, 0],
        empyrical.roll_beta(returns, benchmark, window=window),
        rtol=1e-9,
    )


@pytest.mark.parametrize(
    "returns, message",
    [
        (np.array([0.01]), "1 periods, at least 2"),
        (np.array([0.01, np.nan, 0.02]), "finite"),
        (np.array([0.01, -1.0]), "-100 %"),
        (np.zeros((2, 2, 2)), "expected"),
    ],
)
def test_anl_6__bad_returns__one_clear_error(returns, message):
    with pytest.raises(AnalyticsError, match=message):
        performance(returns)
