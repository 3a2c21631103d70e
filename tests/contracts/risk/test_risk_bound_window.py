"""Issue 15, attacker's read M3 (c): the engine bounds each keeper model update relative to the
previous one, so the bounds compound. A compromised RISK_KEEPER key walks a volatility down by the
full bound every `minUpdateDelay`, and within minutes the engine believes a risky book is riskless:
its VaR, ES and stress limits stop binding."""

from risk_fixtures import VOLS_PPM, model_update

BPS = 10_000
USDC, QTB, QCORP, QSPX = range(4)
DELAY = 600  # the fixture's minUpdateDelay
# A book the fund could hold: 30% QSPX (its cap), 40% QCORP, the rest cash (USD 1,000,000 at the
# fixture's prices: QSPX 50, QCORP 100).
BOOK = [300_000 * 10**6, 0, 4_000 * 10**18, 6_000 * 10**18]


def publish_vols(engine, vault, keeper, chain, vols, after_seconds):
    """Publishes `vols` (the rest of the model as held) `after_seconds` after the last model."""
    _, update_id, _, published_at = engine.metricsOf(vault)
    chain.pending_timestamp = published_at + after_seconds
    return engine.publishModel(vault, model_update(update_id + 1, published_at + after_seconds, vols=vols),
                               sender=keeper)


def test_publish_model__per_update_bound_only__keeper_walks_a_vol_down_to_nothing_in_minutes(
        risk_stack, risk_keeper, chain):
    """The attack as today's rule accepts it: eight updates, each the full 50% down, each
    `minUpdateDelay` apart, take QSPX's volatility to 0.4% of its value in 80 minutes, and the
    book's 99% VaR from 1.14% to 0.56% of NAV (QSPX's share of it gone)."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    var99_before = lens.portfolioRisk(engine, vault, BOOK)[1]
    vols = list(VOLS_PPM)
    for _ in range(8):
        vols[QSPX] -= vols[QSPX] * 5_000 // BPS  # exactly the bound (maxVolChangeBps 5,000)
        publish_vols(engine, vault, risk_keeper, chain, vols, DELAY)
    assert list(lens.modelInputsOf(engine, vault)[0]) == vols
    assert vols[QSPX] * BPS < VOLS_PPM[QSPX] * 50  # below 0.5% of 12,000 ppm: 47 ppm
    var99_after = lens.portfolioRisk(engine, vault, BOOK)[1]
    assert var99_after * 2 < var99_before
