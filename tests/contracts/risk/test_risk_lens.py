"""RSK-16: the RiskEngine's read-only periphery (RiskLens) reads back exactly what the engine holds,
from its storage words (`extSloads`) at the slots RiskLayout gives: the limits and asset parameters
`configure` set, the model inputs, a book's VaR."""

import ape

from risk_fixtures import LIMIT_FIELDS, asset_risk, limits_tuple, model_update

VOLS = [701, 302, 6_003, 11_999]
CORRELATIONS = [-17, 5, 123, 2_222, -1_001, 2_999]
ES = 2_712_345
STRESS = [1, -30, 1_201, 3_999, 1_303, 57, 1_405, -999, -2, 3, -4, 5]


def test_risk_lens__published_model__read_back_exactly(risk_stack, governor, chain, risk_keeper):
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    engine.configure(
        vault,
        asset_risk(),
        limits_tuple(
            minUpdateDelay=0,
            maxVolChangeBps=60_000,
            maxCorrelationChange=20_000,
            maxStressChangeBps=20_000,
        ),
        sender=governor,
    )
    next_id = engine.metricsOf(vault)[1] + 1
    chain.pending_timestamp += 1
    chain.mine()
    engine.publishModel(
        vault,
        model_update(
            next_id,
            chain.pending_timestamp - 1,
            vols=VOLS,
            correlations=CORRELATIONS,
            es=ES,
            stress=STRESS,
        ),
        sender=risk_keeper,
    )
    vols, correlations, es, stress = lens.modelInputsOf(engine, vault)
    assert (list(vols), list(correlations), es, list(stress)) == (VOLS, CORRELATIONS, ES, STRESS)


def test_risk_lens__unconfigured_portfolio__empty_inputs_and_risk_refused(risk_stack, accounts):
    engine, lens = risk_stack.engine, risk_stack.lens
    stranger = accounts[20]
    assert [
        list(x) if not isinstance(x, int) else x for x in lens.modelInputsOf(engine, stranger)
    ] == [[], [], 0, []]
    with ape.reverts(engine.PortfolioNotConfigured, portfolio=stranger):
        lens.portfolioRisk(engine, stranger, [])
    with ape.reverts(engine.HoldingsLengthMismatch, expected=4, actual=3):
        lens.portfolioRisk(engine, risk_stack.vault, [1, 2, 3])


def test_risk_lens__holdings__var_is_the_figure_the_engines_check_compares(risk_stack, governor):
    """Same layout, same math library: with the 95% VaR limit set one basis point below the lens's
    figure (rounded up, as the engine rounds), the engine's own check fails on exactly that VaR."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    holdings = risk_stack.holdings()
    var95, var99, es = lens.portfolioRisk(engine, vault, holdings)
    assert 0 < var95 < var99 < es
    var95_bps = -(-var95 * 10_000 // 10**18)
    engine.configure(vault, asset_risk(), limits_tuple(maxVar95Bps=var95_bps - 1), sender=governor)
    check = engine.check(vault, holdings, holdings)
    # 8: Var95. Unchanged holdings grow nothing, so the trade would still pass as risk-reducing.
    assert (check.limit, check.value, check.bound, check.riskReducing) == (
        8,
        var95_bps,
        var95_bps - 1,
        True,
    )


def test_risk_lens__limits__read_back_exactly_as_configured(risk_stack, governor):
    """Every field of RiskLimits distinct (each bit offset of the header, bounds and class-cap words
    checked), every asset's parameters: read back as configured, and what the engine itself logs as
    `previous` at the next `configure` (it decodes the same words with the same library)."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    limits = dict(
        minLiquidBps=1_001,
        maxVar95Bps=102,
        maxVar99Bps=203,
        maxEsBps=304,
        maxStressLossBps=2_005,
        maxDrawdownBps=906,
        hardDrawdownBps=1_907,
        maxModelAge=2**32 - 8,
        maxPriceAge=3_609,
        minUpdateDelay=2**31 + 10,
        maxVolChangeBps=65_511,
        maxCorrelationChange=2_012,
        maxStressChangeBps=1_013,
        boundWindowHours=8_760,
        maxClassWeightBps=[1, 2, 65_535, 4, 5, 6, 7, 8],
    )
    assets = [(9_999, 7, False), (10_000, 0, True), (1, 3, True), (3_001, 5, False)]
    engine.configure(vault, assets, limits_tuple(**limits), sender=governor)
    read, read_assets = lens.limitsOf(engine, vault)
    assert (
        dict(zip(LIMIT_FIELDS, [list(v) if isinstance(v, (list, tuple)) else v for v in read]))
        == limits
    )
    assert [tuple(a) for a in read_assets] == assets
    receipt = engine.configure(vault, asset_risk(), limits_tuple(), sender=governor)
    [event] = receipt.decode_logs(engine.PortfolioConfigured)
    assert (
        dict(
            zip(
                LIMIT_FIELDS,
                [list(v) if isinstance(v, (list, tuple)) else v for v in event.previous],
            )
        )
        == limits
    )


def test_risk_lens__unconfigured_portfolio__zero_limits_and_no_assets(risk_stack, accounts):
    limits, assets = risk_stack.lens.limitsOf(risk_stack.engine, accounts[20])
    assert list(assets) == [] and all(
        not any(v) if isinstance(v, (list, tuple)) else v == 0 for v in limits
    )
