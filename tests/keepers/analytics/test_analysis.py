"""A portfolio's whole analysis in one call (ANL-8), on the benchmark's own inputs, and the
committed benchmark record (ANL-9). Pure, no chain."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keepers.analytics import (
    AnalyticsError,
    brinson_fachler,
    fama_french_monthly,
    from_holdings,
    full_analysis,
    monthly_returns,
    performance,
)

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_analytics  # noqa: E402  (scripts/ is not a package)


@pytest.fixture(scope="module")
def bench():
    returns, market, weights, benchmark_weights, classes = bench_analytics.bench_inputs()
    result = full_analysis(
        returns, market, weights, benchmark_weights, classes, fama_french_monthly()
    )
    return returns, market, weights, benchmark_weights, classes, result


def test_anl_8__full_analysis__portfolio_consistent_with_its_attribution(bench):
    returns, market, weights, benchmark_weights, classes, result = bench
    assert result.assets[-1] == "portfolio" and len(result.assets) == 101
    # The portfolio's daily returns (drifting within each month) compound to the monthly
    # returns the attribution explains, and the linked effects sum to their compounded excess.
    portfolio = pd.Series(drifting(returns, weights), index=returns.index, name="portfolio")
    alone = performance(portfolio.to_numpy(), market.to_numpy())
    assert result.metrics.total_return[100] == pytest.approx(alone.total_return[0], rel=1e-10)
    assert result.metrics.sharpe[100] == pytest.approx(alone.sharpe[0], rel=1e-10)
    monthly = monthly_returns(portfolio).to_numpy()
    np.testing.assert_allclose(monthly, result.attribution.portfolio_returns, rtol=1e-10)
    expected_benchmark = monthly_returns(returns).to_numpy() @ benchmark_weights
    np.testing.assert_allclose(result.attribution.benchmark_returns, expected_benchmark, rtol=1e-10)
    linked = result.attribution.linked()
    effects = linked.allocation.sum() + linked.selection.sum() + linked.interaction.sum()
    assert effects == pytest.approx(linked.excess_return, rel=1e-12)
    assert set(linked.by_segment()) == set(classes)
    # Every series' metrics are the one-series call's, and the factor fit covers them all.
    alone = performance(returns.iloc[:, 7].to_numpy(), market.to_numpy())
    assert result.metrics.sharpe[7] == pytest.approx(alone.sharpe[0], rel=1e-12)
    assert result.metrics.beta[7] == pytest.approx(alone.beta[0], rel=1e-12)
    assert result.factors.betas.shape == (3, 101) and result.factors.months == 60
    assert result.rolling.sharpe.shape == (1260, 101)


def drifting(returns, weights):
    """The portfolio's daily returns written out: the weights set at each month start drift with
    the assets' returns until the next."""
    growth = (1 + returns).groupby(returns.index.to_period("M")).cumprod().to_numpy()
    value = growth @ weights
    months = returns.index.to_period("M").asi8
    start = np.r_[True, months[1:] != months[:-1]]
    return value / np.where(start, 1.0, np.r_[1.0, value[:-1]]) - 1


def test_anl_8__from_holdings__class_absent_on_one_side__conventions_keep_the_sum():
    # Assets a, b in class X; c in Y. The portfolio holds no Y, the benchmark no b.
    w = [[0.6, 0.4, 0.0]]
    big_w = [[0.5, 0.0, 0.5]]
    r = [[0.02, 0.05, -0.01]]
    result = from_holdings(w, big_w, r, ["X", "X", "Y"])
    assert result.segments == ("X", "Y")
    reference = brinson_fachler([1.0, 0.0], [0.032, -0.01], [0.5, 0.5], [0.02, -0.01])
    np.testing.assert_allclose(result.allocation, reference.allocation, rtol=1e-12)
    np.testing.assert_allclose(result.selection, reference.selection, rtol=1e-12)
    np.testing.assert_allclose(result.interaction, reference.interaction, rtol=1e-12)
    assert result.excess_returns[0] == pytest.approx(0.032 - 0.005, rel=1e-12)


def test_anl_6__full_analysis__mismatched_inputs__one_clear_error(bench):
    returns, market, weights, benchmark_weights, classes, _ = bench
    with pytest.raises(AnalyticsError, match="same dates"):
        full_analysis(returns, market.iloc[1:], weights, benchmark_weights, classes)
    with pytest.raises(AnalyticsError, match="99 and 100 weights for 100 assets"):
        full_analysis(returns, market, weights[1:], benchmark_weights, classes)


def test_anl_9__benchmark_record__100_assets_5_years_daily_under_a_second():
    """The committed result of `scripts/bench_analytics.py` (`make bench`): read, not timed."""
    record = json.loads((ROOT / "benchmarks" / "analytics.json").read_text())
    entry = record[bench_analytics.KEY]
    assert (entry["assets"], entry["trading_days"]) == (100, 1260)
    assert entry["runs"] >= 5
    assert entry["median_s"] < entry["goal_s"] == 1.0 and entry["within_goal"]
    assert entry["linked_effects_sum"] == pytest.approx(entry["linked_excess_return"], abs=1e-8)
