"""RSK-15 (keeper side): the risk keeper moves correlations towards a new estimate by one common
fraction, so what it publishes stays a correlation matrix the engine accepts, where a per-entry
clamp would not."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

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
