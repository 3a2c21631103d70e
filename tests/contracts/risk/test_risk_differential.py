"""RSK-6: the on-chain parametric VaR and ES match the Python reference (keepers.risk.models)
within 0.1% relative, for random holdings, volatilities and (positive semi-definite)
correlations."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keepers.risk.models import normal_var_es
from risk_fixtures import ASSETS, asset_risk, limits_tuple, model_update

N = len(ASSETS)
PRICE_NANO = [int(round(price * 1e9)) for *_, price in ASSETS]


def reference(holdings, vols_ppm, correlations_e4, es_ppm):
    """The same quantised inputs the engine stores, in floating point."""
    values = (
        np.array(
            [h * p * 1e9 / 10**dec for h, p, (_, dec, *_) in zip(holdings, PRICE_NANO, ASSETS)]
        )
        / 1e18
    )
    nav = values.sum()
    rho = np.eye(N)
    rho[np.triu_indices(N, 1)] = np.array(correlations_e4) / 1e4
    rho = np.triu(rho) + np.triu(rho, 1).T
    s = values * np.array(vols_ppm) / 1e6
    sigma = float(np.sqrt(s @ rho @ s)) / nav
    return (
        normal_var_es(0.0, sigma, 0.95).var,
        normal_var_es(0.0, sigma, 0.99).var,
        es_ppm / 1e6 * sigma,
    )


@st.composite
def portfolios(draw):
    holdings = [draw(st.integers(1, 10**7)) * 10 ** ASSETS[i][1] // 1_000 for i in range(N)]
    vols = [draw(st.integers(1_000, 6_000)) for _ in range(N)]  # within the +-555% per-update bound
    factors = np.array(
        draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=2 * N, max_size=2 * N))
    ).reshape(N, 2)
    cov = factors @ factors.T + np.diag([draw(st.floats(0.05, 1.0)) for _ in range(N)])
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    correlations = [int(round(c * 1e4)) for c in corr[np.triu_indices(N, 1)]]
    es = draw(st.integers(2_000_000, 4_000_000))
    return holdings, vols, correlations, es


def test_portfolio_risk__random_portfolios__matches_python_reference_within_0_1_pct(
    risk_stack, governor, risk_keeper, chain
):
    engine, vault = risk_stack.engine, risk_stack.vault
    loose = limits_tuple(
        minUpdateDelay=0,
        maxVolChangeBps=65_535,
        maxCorrelationChange=20_000,
        maxStressChangeBps=20_000,
    )
    engine.configure(vault, asset_risk(), loose, sender=governor)
    next_id = [engine.metricsOf(vault)[1] + 1]

    @settings(
        max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(portfolio=portfolios())
    def check(portfolio):
        holdings, vols, correlations, es = portfolio
        chain.pending_timestamp += 1
        chain.mine()
        engine.publishModel(
            vault,
            model_update(
                next_id[0], chain.pending_timestamp - 1, vols=vols, correlations=correlations, es=es
            ),
            sender=risk_keeper,
        )
        next_id[0] += 1
        on_chain = [x / 1e18 for x in risk_stack.lens.portfolioRisk(engine, vault, holdings)]
        expected = reference(holdings, vols, correlations, es)
        for got, want in zip(on_chain, expected):
            assert abs(got - want) <= 1e-3 * want, (got, want)

    check()
