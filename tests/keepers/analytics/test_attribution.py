"""Brinson-Fachler attribution against published worked examples, and Carino's linking over
periods (ANL-4 to ANL-6). Pure numpy, no chain."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.analytics import AnalyticsError, brinson_fachler

RELATIVE = 1e-4  # 0.01 %: the tolerance against the published figures
ABSOLUTE = 1e-12  # for the figures the examples give as exactly zero


def close(value, expected):
    return pytest.approx(expected, rel=RELATIVE, abs=ABSOLUTE) == value


def test_anl_4__bacon_three_markets__allocation_selection_interaction_per_segment():
    """Bacon, "Practical Portfolio Performance Measurement and Attribution", 2nd ed. (Wiley 2008),
    chapter 5's example: UK, Japanese and US equities, portfolio weights 40/30/30 % returning
    20/-5/6 %, benchmark weights 40/20/40 % returning 10/-4/8 %. Published: portfolio 8.3 %,
    benchmark 6.4 %; Brinson-Fachler allocation 0, -1.04, -0.16 % (total -1.2 %), selection 4.0,
    -0.2, -0.8 % (total 3.0 %), interaction 0, -0.1, 0.2 % (total 0.1 %), summing to 1.9 %."""
    result = brinson_fachler(
        portfolio_weights=[0.40, 0.30, 0.30],
        portfolio_returns=[0.20, -0.05, 0.06],
        benchmark_weights=[0.40, 0.20, 0.40],
        benchmark_returns=[0.10, -0.04, 0.08],
        segments=["UK equities", "Japanese equities", "US equities"],
    )
    assert close(result.portfolio_returns[0], 0.083)
    assert close(result.benchmark_returns[0], 0.064)
    assert all(map(close, result.allocation[0], [0.0, -0.0104, -0.0016]))
    assert all(map(close, result.selection[0], [0.040, -0.002, -0.008]))
    assert all(map(close, result.interaction[0], [0.0, -0.001, 0.002]))
    totals = result.linked().totals()
    assert close(totals["allocation"], -0.012)
    assert close(totals["selection"], 0.030)
    assert close(totals["interaction"], 0.001)
    assert close(totals["excess_return"], 0.019)
    assert result.linked().by_segment()["Japanese equities"] == pytest.approx(
        {"allocation": -0.0104, "selection": -0.002, "interaction": -0.001}, rel=RELATIVE
    )


def test_anl_4__finfacts_fixed_income_five_segments__effects_in_bps():
    """finfacts.io, "Brinson-Fachler Attribution (A/S/I)"
    (https://finfacts.io/calculations/brinson-fachler-asi): government, credit, mortgages, high
    yield and cash; benchmark 2.56 %; allocation 3.8, 6.2, -2.2, 12.2, 0 bps (20.0), selection
    12.0, 17.5, 4.0, 7.5, 1.0 bps (42.0), interaction -1.5, 3.5, -1.0, 7.5, 0 bps."""
    bps = 1e-4
    result = brinson_fachler(
        portfolio_weights=[0.35, 0.30, 0.15, 0.10, 0.10],
        portfolio_returns=[0.0210, 0.0450, 0.0320, 0.0650, 0.0050],
        benchmark_weights=[0.40, 0.25, 0.20, 0.05, 0.10],
        benchmark_returns=[0.0180, 0.0380, 0.0300, 0.0500, 0.0040],
    )
    assert close(result.benchmark_returns[0], 0.0256)
    assert all(map(close, result.allocation[0] / bps, [3.8, 6.2, -2.2, 12.2, 0.0]))
    assert all(map(close, result.selection[0] / bps, [12.0, 17.5, 4.0, 7.5, 1.0]))
    assert all(map(close, result.interaction[0] / bps, [-1.5, 3.5, -1.0, 7.5, 0.0]))
    assert close(result.allocation.sum() / bps, 20.0)
    assert close(result.selection.sum() / bps, 42.0)
    assert close(result.excess_return / bps, 20.0 + 42.0 + 8.5)


def random_periods(seed: int, periods: int, segments: int):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(segments), size=periods)
    big_w = rng.dirichlet(np.ones(segments), size=periods)
    r = rng.normal(0.01, 0.05, size=(periods, segments))
    b = r - rng.normal(0.0, 0.01, size=(periods, segments))
    return w, r, big_w, b


@pytest.mark.parametrize("seed", range(5))
def test_anl_5__carino_linking__effects_sum_to_compounded_excess_return(seed):
    w, r, big_w, b = random_periods(seed, periods=60, segments=10)
    result = brinson_fachler(w, r, big_w, b)
    # Each period's effects sum to its own excess return (no residual) ...
    per_period = (result.allocation + result.selection + result.interaction).sum(axis=1)
    np.testing.assert_allclose(per_period, result.excess_returns, rtol=0, atol=1e-15)
    # ... but not over periods, until linked.
    assert abs(per_period.sum() - result.excess_return) > 1e-4
    linked = result.linked()
    total = linked.allocation.sum() + linked.selection.sum() + linked.interaction.sum()
    assert total == pytest.approx(result.excess_return, rel=1e-12, abs=1e-15)
    by_segment = linked.by_segment()
    assert sum(sum(effects.values()) for effects in by_segment.values()) == pytest.approx(
        result.excess_return, rel=1e-12
    )
    by_period = linked.by_period()
    assert len(by_period) == 60
    for effect in ("allocation", "selection", "interaction"):
        assert sum(p[effect] for p in by_period) == pytest.approx(
            linked.totals()[effect], rel=1e-12, abs=1e-15
        )
    expected = np.prod(1 + (w * r).sum(axis=1)) - np.prod(1 + (big_w * b).sum(axis=1))
    assert result.excess_return == pytest.approx(expected, rel=1e-12)


@st.composite
def holdings(draw):
    """1 to 12 periods of 1 to 6 segments: positive weights normalised to 1 on each side,
    returns from -50 % to +50 % (equal portfolio and benchmark returns drawn on purpose)."""
    periods = draw(st.integers(1, 12))
    segments = draw(st.integers(1, 6))
    size = periods * segments
    weight = st.floats(0.01, 1.0)
    ret = st.sampled_from([0.0, 0.01, -0.02]) | st.floats(-0.5, 0.5)
    arrays = [np.array(draw(st.lists(s, min_size=size, max_size=size))) for s in (weight, weight)]
    w, big_w = (
        a.reshape(periods, segments) / a.reshape(periods, segments).sum(1, keepdims=True)
        for a in arrays
    )
    r = np.array(draw(st.lists(ret, min_size=size, max_size=size))).reshape(periods, segments)
    same = draw(st.booleans())
    b = r.copy() if same else np.array(draw(st.lists(ret, min_size=size, max_size=size)))
    return w, r, big_w, b.reshape(periods, segments)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(holdings())
def test_anl_5__any_holdings__linked_effects_sum_to_compounded_excess(inputs):
    result = brinson_fachler(*inputs)
    linked = result.linked()
    total = linked.allocation.sum() + linked.selection.sum() + linked.interaction.sum()
    assert total == pytest.approx(result.excess_return, rel=1e-9, abs=1e-12)
    assert np.all(np.isfinite(result.carino_coefficients()))


def test_anl_5__carino_coefficients__worked_two_periods():
    """Two periods worked by hand from Carino's formula: R_t = 10 %, 5 %; B_t = 8 %, 5 % (equal:
    k = 1 / 1.05). R = 15.5 %, B = 13.4 %, K = ln(1.155 / 1.134) / 0.021."""
    result = brinson_fachler(
        [[0.5, 0.5], [0.5, 0.5]],
        [[0.12, 0.08], [0.06, 0.04]],
        [[0.5, 0.5], [0.5, 0.5]],
        [[0.10, 0.06], [0.06, 0.04]],
    )
    big_k = np.log(1.155 / 1.134) / 0.021
    expected = [np.log(1.10 / 1.08) / 0.02 / big_k, (1 / 1.05) / big_k]
    np.testing.assert_allclose(result.carino_coefficients(), expected, rtol=1e-12)
    assert result.excess_return == pytest.approx(0.021, rel=1e-12)
    assert result.linked().totals()["selection"] == pytest.approx(0.021, rel=1e-12)


def test_anl_5__one_period__linking_changes_nothing():
    w, r, big_w, b = random_periods(7, periods=1, segments=4)
    result = brinson_fachler(w, r, big_w, b)
    np.testing.assert_allclose(result.linked().allocation, result.allocation, rtol=1e-12)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda a: a[0].__setitem__(0, 0.5), "portfolio_weights of period 0 sum to 1.1"),
        (lambda a: a[3].__setitem__(1, np.nan), "benchmark_returns: every value must be finite"),
        (lambda a: a[1].__setitem__(2, -1.0), "-100 %"),
        (lambda a: a.__setitem__(2, a[2][:2]), "one shape"),
    ],
)
def test_anl_6__bad_inputs__one_clear_error(change, message):
    inputs = [
        [0.4, 0.3, 0.3],
        [0.2, -0.05, 0.06],
        [0.4, 0.2, 0.4],
        [0.1, -0.04, 0.08],
    ]
    change(inputs)
    with pytest.raises(AnalyticsError, match=message.replace("(", r"\(")):
        brinson_fachler(*inputs)
