"""RSK-15: the engine refuses a correlation matrix that is not one (finding M3 of the attacker's
read): a compromised or faulty risk keeper could otherwise publish correlations under which some
portfolio's variance, hence its VaR, is understated or negative, and let a breach through."""

import ape
import numpy as np
import pytest

from keepers.core.solidity_enums import member
from keepers.risk.cycle import correlation_matrix
from risk_fixtures import ASSETS, CORRELATIONS, VOLS_PPM, asset_risk, limits_tuple, model_update

N = len(ASSETS)
# Correlations change freely here (the per-update bound is RSK-3's): only the matrix check is
# tested.
LOOSE = dict(minUpdateDelay=0, maxCorrelationChange=20_000)


@pytest.fixture
def loose(risk_stack, governor):
    risk_stack.engine.configure(
        risk_stack.vault, asset_risk(), limits_tuple(**LOOSE), sender=governor
    )
    return risk_stack


def publish(stack, chain, keeper, correlations):
    engine, vault = stack.engine, stack.vault
    next_id = engine.metricsOf(vault)[1] + 1
    chain.pending_timestamp += 1
    chain.mine()
    return engine.publishModel(
        vault,
        model_update(next_id, chain.pending_timestamp - 1, correlations=correlations),
        sender=keeper,
    )


def smallest_eigenvalue_e4(correlations):
    return float(np.linalg.eigvalsh(correlation_matrix(correlations, N)).min()) * 1e4


def test_publish_model__inconsistent_correlations__refused_before_any_check_sees_them(
    loose, chain, risk_keeper
):
    """The attack: QCORP and QSPX each perfectly correlated with QTB yet perfectly anti-correlated
    with each other. For a book long both with equal risk, these imply a variance of zero, so the
    VaR limits would pass however large the book."""
    engine, vault = loose.engine, loose.vault
    # Pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3).
    forged = [0, 0, 0, 10_000, 10_000, -10_000]
    assert smallest_eigenvalue_e4(forged) < -10_000 * 0.9
    # twice as much QCORP as QSPX: equal risk
    risk = np.array([0, 0, 2.0, 1.0]) * np.array(VOLS_PPM)
    assert risk @ correlation_matrix(forged, N) @ risk == 0  # what the engine's VaR would have used
    # the published model's
    assert risk @ correlation_matrix(CORRELATIONS, N) @ risk > 2 * risk[2] ** 2
    published = list(loose.lens.modelInputsOf(engine, vault)[1])
    # The factorisation fails at QSPX (index 3): QCORP alone with QTB is consistent.
    with ape.reverts(
        engine.InvalidModelUpdate,
        portfolio=vault,
        rule=member("ModelRule", "CorrelationMatrix"),
        index=3,
    ):
        publish(loose, chain, risk_keeper, forged)
    assert list(loose.lens.modelInputsOf(engine, vault)[1]) == published


def test_publish_model__rounding_of_a_valid_matrix__accepted_beyond_tolerance_refused(
    loose, chain, risk_keeper
):
    """The bound is an eigenvalue above -n x 1e-4: a perfectly correlated (singular) matrix and
    one rounded 3e-4 below it pass; 5e-4 below does not (n = 4 here)."""
    engine, vault = loose.engine, loose.vault
    singular = [10_000] * 6
    assert abs(smallest_eigenvalue_e4(singular)) < 1e-6
    publish(loose, chain, risk_keeper, singular)
    within = [10_000 - 6] + [10_000] * 5
    assert -4 < smallest_eigenvalue_e4(within) < -2.9
    publish(loose, chain, risk_keeper, within)
    assert list(loose.lens.modelInputsOf(engine, vault)[1]) == within
    beyond = [10_000 - 10] + [10_000] * 5
    assert smallest_eigenvalue_e4(beyond) < -4.9
    with ape.reverts(
        engine.InvalidModelUpdate, portfolio=vault, rule=member("ModelRule", "CorrelationMatrix")
    ):
        publish(loose, chain, risk_keeper, beyond)


def test_publish_model__smallest_eigenvalue_exactly_at_the_bound__refused(
    loose, chain, risk_keeper
):
    """On the 1e-4 grid, QTB-QCORP -0.5002 and QCORP, QTB each 0.5002 with QSPX give a smallest
    eigenvalue of exactly -4e-4 = -n x 1e-4 (det(C + 4e-4 I) = 0): "at or below" the bound, so
    refused — the factorisation's rounding must not tip a zero pivot positive (the pivot floor)."""
    engine, vault = loose.engine, loose.vault
    boundary = [0, 0, 0, -5_002, 5_002, 5_002]
    assert abs(smallest_eigenvalue_e4(boundary) + 4) < 1e-9
    with ape.reverts(
        engine.InvalidModelUpdate,
        portfolio=vault,
        rule=member("ModelRule", "CorrelationMatrix"),
        index=3,
    ):
        publish(loose, chain, risk_keeper, boundary)
    inside = [0, 0, 0, -5_001, 5_001, 5_001]
    assert -4 < smallest_eigenvalue_e4(inside) < -1.9
    publish(loose, chain, risk_keeper, inside)
