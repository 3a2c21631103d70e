"""RSK-15 and RSK-17 (keeper side): the risk keeper moves correlations towards a new estimate by one
common fraction, so what it publishes stays a correlation matrix the engine accepts, where a
per-entry clamp would not; and it moves every input only as far as the engine's change bounds allow
at that time (per update, or scaled by the time since the last model under a window)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.core.units import BPS
from keepers.risk import cycle
from keepers.risk.cycle import correlation_matrix, correlations_acceptable, step_correlations

# Found by search (n = 3, bound 2,000): both matrices valid, the per-entry clamp between them is
# not.
PREVIOUS = [8_275, 8_257, 6_836]
WANTED = [9_893, -9_776, -9_749]


def smallest_eigenvalue(correlations, n):
    return float(np.linalg.eigvalsh(correlation_matrix(correlations, n)).min())


def test_step_correlations__per_entry_clamp_not_a_matrix__common_step_is():
    assert smallest_eigenvalue(PREVIOUS, 3) > 0 and smallest_eigenvalue(WANTED, 3) > -1e-4
    clamped = [min(max(w, p - 2_000), p + 2_000) for p, w in zip(PREVIOUS, WANTED)]
    assert not correlations_acceptable(clamped, 3, margin=1.0)  # the engine would refuse it
    stepped = step_correlations(PREVIOUS, WANTED, 2_000, 3)
    assert correlations_acceptable(stepped, 3)
    assert max(abs(s - p) for s, p in zip(stepped, PREVIOUS)) <= 2_000
    # Every entry went the same fraction of its way.
    fractions = [(s - p) / (w - p) for s, p, w in zip(stepped, PREVIOUS, WANTED)]
    assert max(fractions) - min(fractions) < 1e-3


@st.composite
def correlation_pairs(draw):
    n = draw(st.integers(2, 8))
    matrices = []
    for _ in range(2):
        factors = np.array(
            draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=2 * n, max_size=2 * n))
        )
        cov = factors.reshape(n, 2) @ factors.reshape(n, 2).T + np.diag(
            [draw(st.floats(1e-4, 0.5)) for _ in range(n)]
        )
        d = np.sqrt(np.diag(cov))
        matrices.append(
            [int(round(c * 1e4)) for c in (cov / np.outer(d, d))[np.triu_indices(n, 1)]]
        )
    return n, matrices[0], matrices[1], draw(st.integers(1, 20_000))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(case=correlation_pairs())
def test_step_correlations__any_valid_pair_and_bound__acceptable_and_within_bound(case):
    n, previous, wanted, bound = case
    stepped = step_correlations(previous, wanted, bound, n)
    assert correlations_acceptable(stepped, n, margin=1.0)
    assert all(abs(s - p) <= bound for s, p in zip(stepped, previous))
    if max(abs(w - p) for w, p in zip(wanted, previous)) <= bound and correlations_acceptable(
        wanted, n
    ):
        assert stepped == wanted


def test_bound__correlations_held_back__recorded_as_clamped():
    previous = cycle.ModelInputs([1_000, 2_000, 3_000], PREVIOUS, 2_500_000, [])
    estimate = cycle.CycleResult(
        cycle.ModelInputs([1_000, 2_000, 3_000], WANTED, 2_500_000, []), {}, 0
    )
    bounded = cycle.bound(estimate, previous, cycle.UpdateBounds(5_000, 2_000, 2_000))
    assert bounded.inputs.correlations == step_correlations(
        PREVIOUS, WANTED, int(2_000 * cycle.BOUND_MARGIN), 3
    )
    assert set(bounded.clamped) == {f"rho[{k}]" for k in range(3)}
    assert all(
        bounded.clamped[f"rho[{k}]"] == (WANTED[k], bounded.inputs.correlations[k])
        for k in range(3)
    )


# ---------------------------------------------------------------- RSK-17: the window's rule,
# mirrored


def engine_refusal(
    previous: cycle.ModelInputs,
    update: cycle.ModelInputs,
    max_vol_bps: int,
    max_corr: int,
    max_stress: int,
    window_hours: int,
    elapsed: int,
) -> str | None:
    """What the RiskEngine's `publishModel` refuses in an update's inputs, stated from its spec
    (IRiskEngine, RSK-3, RSK-15, RSK-17) in integers, independently of `cycle`: the absolute ranges,
    a correlation matrix, and each change within its bound times min(elapsed, window) / window (1
    without a window); under a window an increase is free but a hedge's (an asset with a negative
    correlation in the update) vol. The reason, or None when accepted."""
    n = len(update.vols_ppm)
    window = window_hours * 3_600
    num, den = (min(elapsed, window), window) if window else (1, 1)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    hedges = {a for (i, j), rho in zip(pairs, update.correlations) if rho < 0 for a in (i, j)}

    def within(old, new, relative, limit, free_up):
        if new > old and window and free_up:
            return True
        bound = old * limit if relative else limit
        return abs(new - old) * (BPS if relative else 1) * den <= bound * num

    for i, (old, new) in enumerate(zip(previous.vols_ppm, update.vols_ppm)):
        if not 0 < new <= cycle.MAX_VOL_PPM or not within(
            old, new, True, max_vol_bps, i not in hedges
        ):
            return f"vol[{i}] {old} -> {new}"
    for k, (old, new) in enumerate(zip(previous.correlations, update.correlations)):
        if abs(new) > 10_000 or not within(old, new, False, max_corr, True):
            return f"rho[{k}] {old} -> {new}"
    if not correlations_acceptable(update.correlations, n, margin=1.0):
        return "correlation matrix"
    if len(update.stress_bps) < len(previous.stress_bps):
        return "stress scenarios dropped"
    for k, new in enumerate(update.stress_bps):
        bounded = k < len(previous.stress_bps)
        if abs(new) > 10_000 or (
            bounded and not within(previous.stress_bps[k], new, False, max_stress, True)
        ):
            return f"stress[{k}] -> {new}"
    es_old, es_new = previous.es_multiplier_ppm, update.es_multiplier_ppm
    if not cycle.PPM <= es_new <= 10 * cycle.PPM or not within(
        es_old, es_new, True, max_vol_bps, True
    ):
        return f"es {es_old} -> {es_new}"
    return None


def between(value, old, wanted) -> bool:
    return min(old, wanted) <= value <= max(old, wanted)


@st.composite
def keeper_cases(draw):
    n, previous_rho, wanted_rho, _ = draw(correlation_pairs())
    vols = st.integers(1, cycle.MAX_VOL_PPM)
    es = st.integers(cycle.PPM, 10 * cycle.PPM)
    scenarios = draw(st.integers(0, 3))
    shocks = st.integers(-10_000, 10_000)
    previous = cycle.ModelInputs(
        draw(st.lists(vols, min_size=n, max_size=n)),
        previous_rho,
        draw(es),
        draw(st.lists(shocks, min_size=scenarios * n, max_size=scenarios * n)),
    )
    added = draw(st.integers(0, 4 - scenarios)) * n  # new scenarios are free
    wanted = cycle.ModelInputs(
        draw(st.lists(vols, min_size=n, max_size=n)),
        wanted_rho,
        draw(es),
        draw(st.lists(shocks, min_size=scenarios * n + added, max_size=scenarios * n + added)),
    )
    window_hours = draw(st.sampled_from([0, 1, 24, 8_760]) | st.integers(0, 8_760))
    elapsed = draw(st.integers(0, 2 * max(window_hours, 1) * 3_600))
    limits = (
        draw(st.integers(1, 65_535)),
        draw(st.integers(1, 20_000)),
        draw(st.integers(1, 20_000)),
    )
    return previous, wanted, cycle.UpdateBounds(*limits, window_hours, elapsed)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(case=keeper_cases())
def test_bound__any_model_and_window__engine_accepts_what_the_keeper_publishes(case):
    """RSK-17 (keeper side): whatever the previous model, the estimate, the bounds, the window and
    the time since the last model, what `bound` publishes is accepted by the engine's rule (at that
    time, hence later too: the share only grows), and every input moved from its previous value
    towards the estimate, never past it."""
    previous, wanted, bounds = case
    published = cycle.bound(cycle.CycleResult(wanted, {}, 0), previous, bounds).inputs
    refusal = engine_refusal(
        previous,
        published,
        bounds.max_vol_change_bps,
        bounds.max_correlation_change,
        bounds.max_stress_change_bps,
        bounds.bound_window_hours,
        bounds.seconds_since_last,
    )
    assert refusal is None, refusal
    prev_stress = previous.stress_bps + wanted.stress_bps[len(previous.stress_bps) :]
    for old, new, got in [
        *zip(previous.vols_ppm, wanted.vols_ppm, published.vols_ppm),
        *zip(previous.correlations, wanted.correlations, published.correlations),
        *zip(prev_stress, wanted.stress_bps, published.stress_bps),
        (previous.es_multiplier_ppm, wanted.es_multiplier_ppm, published.es_multiplier_ppm),
    ]:
        assert between(got, old, wanted_value := new), (old, wanted_value, got)


def test_bound__window__decrease_scaled_by_time_increase_free():
    """With a 24 h window, six hours after the last model a decrease may use a quarter of its bound
    (times the keeper's 0.99 margin): vol 12,000 -> 10,515 where the engine's floor is 10,500, the
    ES
    multiplier likewise, a shock by 495 of 500; increases go all the way. Without a window the
    same estimate moves every input by its whole bound, either way."""
    previous = cycle.ModelInputs([12_000, 12_000], [0], 2_600_000, [4_000, 1_000])
    estimate = cycle.CycleResult(
        cycle.ModelInputs([6_000, 50_000], [0], 1_000_000, [0, 9_000]), {}, 0
    )
    windowed = cycle.bound(
        estimate, previous, cycle.UpdateBounds(5_000, 2_000, 2_000, 24, 6 * 3_600)
    ).inputs
    assert windowed.vols_ppm == [10_515, 50_000]
    assert windowed.es_multiplier_ppm == 2_278_250  # ceil(2.6e6 x (1 - 0.5 x 0.99 / 4))
    assert windowed.stress_bps == [3_505, 9_000]
    per_update = cycle.bound(estimate, previous, cycle.UpdateBounds(5_000, 2_000, 2_000)).inputs
    assert per_update.vols_ppm == [6_060, 17_940] and per_update.stress_bps == [2_020, 2_980]
    # A whole window or more since the last model: the whole bound, not more.
    later = cycle.bound(
        estimate, previous, cycle.UpdateBounds(5_000, 2_000, 2_000, 24, 3 * 86_400)
    ).inputs
    assert later.vols_ppm == [6_060, 50_000] and later.stress_bps == [2_020, 9_000]


def test_bound__window__hedge_vol_increase_bounded_like_a_decrease():
    """An asset with a negative correlation in what is published is a hedge: its vol rises only by
    the time-scaled bound (12,000 -> 13,485 after 6 h of a 24 h window), the others' freely."""
    previous = cycle.ModelInputs([12_000, 12_000, 12_000], [0, -3_000, 0], 2_600_000, [])
    estimate = cycle.CycleResult(
        cycle.ModelInputs([50_000, 50_000, 50_000], [0, -3_000, 0], 2_600_000, []), {}, 0
    )
    published = cycle.bound(
        estimate, previous, cycle.UpdateBounds(5_000, 2_000, 2_000, 24, 6 * 3_600)
    ).inputs
    assert published.vols_ppm == [13_485, 50_000, 13_485]  # pair (0, 2) is negative


def test_step_correlations__window__the_most_constrained_decrease_sets_the_common_step():
    """Increases are free under a window, but the step stays one common fraction (a convex
    combination, RSK-15): the entry that must fall 0.50 with 495 allowed (6 h of 24, times the
    margin) moves everything 9.9% of its way; without a window the 1,980 step moves 39.6%."""
    previous, wanted = [0, 0, 5_000], [5_000, 5_000, 0]
    step = cycle.UpdateBounds(5_000, 2_000, 2_000, 24, 6 * 3_600).absolute_step(2_000)
    assert step == 495
    assert step_correlations(previous, wanted, step, 3, increases_free=True) == [495, 495, 4_505]
    assert step_correlations(previous, wanted, 1_980, 3) == [1_980, 1_980, 3_020]
    # Nothing decreasing: the whole way at once.
    assert (
        step_correlations([0, 0, 0], [5_000, 5_000, 5_000], step, 3, increases_free=True)
        == [5_000] * 3
    )
