"""RSK-*: the RiskEngine enforces its limits on the state after each trade, refuses new risk on
stale data or when halted, and bounds every keeper update."""

import ape
import pytest

from keepers.core.solidity_enums import member
from risk_fixtures import (
    ASSETS,
    CORRELATIONS,
    ES_MULTIPLIER_PPM,
    STRESS_BPS,
    UNIT,
    USDC_UNIT,
    VOLS_PPM,
    asset_risk,
    limits_tuple,
    model_update,
    swap_params,
)

(
    NONE,
    HALTED,
    STALE_MODEL,
    STALE_PRICES,
    UNPRICED,
    ASSET_CONC,
    CLASS_CONC,
    MIN_LIQ,
    VAR95,
    VAR99,
    ES,
    STRESS,
    DRAWDOWN,
    INVALID_MODEL,
) = range(14)
USDC, QTB, QCORP, QSPX = range(4)


def usdc(amount):
    return amount * USDC_UNIT


def after_trade(holdings, sell, sell_amount, buy, buy_amount):
    after = list(holdings)
    after[sell] -= sell_amount
    after[buy] += buy_amount
    return after


def buy_with_cash(risk_stack, asset, usd):
    """Holdings before and after buying `usd` of `asset` at the fixture price."""
    before = risk_stack.holdings()
    price = ASSETS[asset][5]
    return before, after_trade(before, USDC, usdc(usd), asset, int(usd / price) * UNIT)


def test_check__trade_within_limits__passes_and_trade_executes(risk_stack, executor):
    engine, vault = risk_stack.engine, risk_stack.vault
    before, after = buy_with_cash(risk_stack, QCORP, 200_000)
    result = engine.check(vault, before, after)
    assert result.ok and result.limit == NONE
    vault.trade(swap_params(risk_stack, USDC, QCORP, usdc(200_000)), sender=executor)
    assert risk_stack.holdings() == after


def test_trade__asset_concentration__reverts_with_asset_weight_and_cap(risk_stack, executor):
    engine, vault = risk_stack.engine, risk_stack.vault
    before, after = buy_with_cash(risk_stack, QSPX, 400_000)
    result = engine.check(vault, before, after)
    assert (result.ok, result.limit, result.subject, result.value, result.bound) == (
        False,
        ASSET_CONC,
        QSPX,
        4_000,
        3_000,
    )
    with ape.reverts(
        engine.RiskLimitBreached,
        portfolio=vault,
        limit=ASSET_CONC,
        subject=QSPX,
        value=4_000,
        bound=3_000,
    ):
        vault.trade(swap_params(risk_stack, USDC, QSPX, usdc(400_000)), sender=executor)


def test_check__class_cap_and_min_liquidity__reported_in_order(risk_stack, governor):
    engine, vault = risk_stack.engine, risk_stack.vault
    engine.configure(vault, asset_risk(QCORP=10_000), limits_tuple(), sender=governor)
    before, after = buy_with_cash(risk_stack, QCORP, 600_000)
    r = engine.check(vault, before, after)
    assert (r.limit, r.subject, r.value, r.bound) == (CLASS_CONC, 3, 6_000, 5_000)
    engine.configure(vault, asset_risk(), limits_tuple(minLiquidBps=8_000), sender=governor)
    before, after = buy_with_cash(risk_stack, QCORP, 300_000)
    r = engine.check(vault, before, after)
    assert (r.limit, r.value, r.bound) == (MIN_LIQ, 7_000, 8_000)


def test_check__parametric_var_95__computed_on_chain_against_its_limit(risk_stack, governor):
    engine, vault = risk_stack.engine, risk_stack.vault
    engine.configure(vault, asset_risk(), limits_tuple(maxVar95Bps=50), sender=governor)
    before, after = buy_with_cash(risk_stack, QSPX, 300_000)
    r = engine.check(vault, before, after)
    # sigma = sqrt((70% x 0.05%)^2 + (30% x 1.2%)^2) = 0.3617% of NAV (cash and QSPX uncorrelated);
    # VaR95 = 1.644854 x 0.3617% = 59.5 -> 60 bps (rounded up).
    assert (r.limit, r.value, r.bound) == (VAR95, 60, 50)


def test_check__stress_and_es__post_trade_weights(risk_stack, governor):
    engine, vault = risk_stack.engine, risk_stack.vault
    engine.configure(vault, asset_risk(), limits_tuple(maxStressLossBps=900), sender=governor)
    before, after = buy_with_cash(risk_stack, QSPX, 250_000)
    r = engine.check(vault, before, after)
    # Scenario 0 (crisis): 25% x 40% = 1,000 bps; scenario 1 (depeg): 75% x 13% + 25% x 10% = 1,225
    # bps.
    assert (r.limit, r.subject, r.value, r.bound) == (STRESS, 1, 1_225, 900)
    engine.configure(vault, asset_risk(), limits_tuple(maxEsBps=70), sender=governor)
    r = engine.check(vault, before, after)
    # sigma = sqrt((75% x 0.05%)^2 + (25% x 1.2%)^2) = 0.3023%; ES = 2.6 x sigma = 78.6 -> 79 bps
    # (rounded up).
    assert (r.limit, r.value, r.bound) == (ES, 79, 70)


def test_check__stale_model__refuses_new_risk_allows_risk_reduction(
    risk_stack, governor, executor, chain
):
    engine, vault = risk_stack.engine, risk_stack.vault
    vault.trade(swap_params(risk_stack, USDC, QCORP, usdc(200_000)), sender=executor)
    engine.configure(vault, asset_risk(), limits_tuple(maxModelAge=30), sender=governor)
    chain.pending_timestamp += 120
    engine.sync(vault, sender=governor)
    before, after = buy_with_cash(risk_stack, QCORP, 10_000)
    r = engine.check(vault, before, after)
    assert (r.ok, r.limit, r.bound, r.riskReducing) == (False, STALE_MODEL, 30, False)
    sell = after_trade(before, QCORP, 50_000 * 10**18 // 100, USDC, usdc(500))
    r = engine.check(vault, before, sell)
    assert (r.ok, r.limit, r.riskReducing) == (True, STALE_MODEL, True)
    vault.trade(swap_params(risk_stack, QCORP, USDC, 500 * UNIT), sender=executor)


def test_check__stale_price_snapshot__refused(risk_stack, governor, chain):
    engine, vault = risk_stack.engine, risk_stack.vault
    engine.configure(vault, asset_risk(), limits_tuple(maxPriceAge=60), sender=governor)
    chain.pending_timestamp += 600
    chain.mine()
    before, after = buy_with_cash(risk_stack, QCORP, 10_000)
    r = engine.check(vault, before, after)
    assert (r.limit, r.bound) == (STALE_PRICES, 60) and r.value >= 600


def test_halt__guardian_halts_only_governor_resumes__new_risk_refused_meanwhile(
    risk_stack, guardian, governor, executor
):
    engine, vault = risk_stack.engine, risk_stack.vault
    vault.trade(swap_params(risk_stack, USDC, QCORP, usdc(100_000)), sender=executor)
    receipt = engine.halt(vault, sender=guardian)
    assert receipt.decode_logs(engine.Halted)[0].reason == HALTED and engine.isHalted(vault)
    with ape.reverts(engine.RiskLimitBreached, limit=HALTED):
        vault.trade(swap_params(risk_stack, USDC, QSPX, usdc(1_000)), sender=executor)
    vault.trade(swap_params(risk_stack, QCORP, USDC, 100 * UNIT), sender=executor)  # risk-reducing
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.resume(vault, False, sender=guardian)
    engine.resume(vault, False, sender=governor)
    assert not engine.isHalted(vault)
    with ape.reverts(engine.NotHalted, portfolio=vault):
        engine.resume(vault, False, sender=governor)


def test_sync__crash_beyond_hard_drawdown__engine_halts_itself(
    risk_stack, executor, reporter, guardian
):
    engine, vault, feeds = risk_stack.engine, risk_stack.vault, risk_stack.feeds
    vault.trade(swap_params(risk_stack, USDC, QSPX, usdc(280_000)), sender=executor)
    vault.trade(swap_params(risk_stack, USDC, QCORP, usdc(380_000)), sender=executor)
    feeds[QSPX].report(15 * 10**8, sender=reporter)  # -70%
    feeds[QCORP].report(75 * 10**8, sender=reporter)  # -25%
    receipt = engine.sync(vault, sender=guardian)
    # NAV 1,000,000 -> 340,000 + 84,000 + 285,000 = 709,000: drawdown 29.1% beyond the 20% hard cap.
    synced = receipt.decode_logs(engine.Synced)[0]
    assert synced.drawdownBps == 2_910
    halted = receipt.decode_logs(engine.Halted)[0]
    assert (halted.reason, engine.isHalted(vault)) == (DRAWDOWN, True)


def test_sync__crash_after_a_rally_past_1_21_usd_a_share__still_halts(
    risk_stack, executor, reporter, guardian
):
    """SEC-6 (attacker's read, H2): NAV per share was kept per share *unit* (1e18 x USD / 1e-12
    share) in 80 bits, which saturate at 1.21 USD a share: after a 21% rally the high-water mark and
    the NAV sat at the cap together, and the drawdown limit and the self-halt went silent. NAV per
    share is per whole share now (1e18 x USD a share: 80 bits hold 1.2 million USD a share)."""
    engine, vault, feeds = risk_stack.engine, risk_stack.vault, risk_stack.feeds
    vault.trade(swap_params(risk_stack, USDC, QSPX, usdc(280_000)), sender=executor)
    feeds[QSPX].report(250 * 10**8, sender=reporter)  # 5,600 QSPX: NAV 720,000 + 1,400,000
    rally = engine.sync(vault, sender=guardian).decode_logs(engine.Synced)[0]
    assert (
        rally.navPerShare
        == rally.highWaterMark
        == 2_120_000 * 10**18 * 10**12 // vault.totalSupply()
    )
    assert not engine.isHalted(vault)
    feeds[QSPX].report(150 * 10**8, sender=reporter)  # NAV 720,000 + 840,000 = 1,560,000: -26.4%
    receipt = engine.sync(vault, sender=guardian)
    assert receipt.decode_logs(engine.Synced)[0].drawdownBps == 2_641
    halted = receipt.decode_logs(engine.Halted)[0]
    assert (halted.reason, engine.isHalted(vault)) == (DRAWDOWN, True)


def test_sync__every_feed_stale__halts(risk_stack, guardian, chain):
    engine, vault = risk_stack.engine, risk_stack.vault
    chain.pending_timestamp += 86_400 + 60
    receipt = engine.sync(vault, sender=guardian)
    assert receipt.decode_logs(engine.Halted)[0].reason == STALE_PRICES
    assert receipt.decode_logs(engine.Synced)[0].pricedMask == 0


def test_publish_model__replayed_id_too_soon_too_large_or_malformed__rejected(
    risk_stack, risk_keeper, chain, outsider
):
    engine, vault = risk_stack.engine, risk_stack.vault
    now = chain.pending_timestamp
    with ape.reverts(engine.StaleUpdate, portfolio=vault, expectedId=2, updateId=1):
        engine.publishModel(vault, model_update(1, now), sender=risk_keeper)
    with ape.reverts(engine.UpdateTooSoon, portfolio=vault):
        engine.publishModel(vault, model_update(2, now), sender=risk_keeper)
    chain.pending_timestamp += 700
    now = chain.pending_timestamp
    doubled = [v * 2 if i == QSPX else v for i, v in enumerate(VOLS_PPM)]
    with ape.reverts(
        engine.ModelChangeTooLarge,
        portfolio=vault,
        index=QSPX,
        previous=VOLS_PPM[QSPX],
        next=doubled[QSPX],
    ):
        engine.publishModel(vault, model_update(2, now, vols=doubled), sender=risk_keeper)
    with ape.reverts(
        engine.InvalidModelUpdate, portfolio=vault, rule=member("ModelRule", "CorrelationsLength")
    ):
        engine.publishModel(
            vault, model_update(2, now, correlations=CORRELATIONS[:-1]), sender=risk_keeper
        )
    with ape.reverts(engine.InvalidModelUpdate, portfolio=vault, rule=member("ModelRule", "AsOf")):
        engine.publishModel(vault, model_update(2, now + 3_600), sender=risk_keeper)
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.publishModel(vault, model_update(2, now), sender=outsider)
    metrics = (120, 170, 200, 900, 15_000, 21_000, 800, 4_000, 7_500, 3_000, 1)
    engine.publishModel(
        vault,
        model_update(2, now, vols=[int(v * 1.4) for v in VOLS_PPM], metrics=metrics),
        sender=risk_keeper,
    )
    published, update_id, as_of, _ = engine.metricsOf(vault)
    assert (tuple(published), update_id, as_of) == (metrics, 2, now)


def test_publish_model__update_id_gap_or_as_of_not_advancing__rejected(
    risk_stack, risk_keeper, chain
):
    """RSK-3: the update id is the previous one + 1 (a gap is refused like a replay), and `asOf`
    advances and is not in the future."""
    engine, vault = risk_stack.engine, risk_stack.vault
    _, update_id, as_of, _ = engine.metricsOf(vault)
    assert update_id == 1
    chain.pending_timestamp += 700
    now = chain.pending_timestamp
    for gap in (3, 2**64 - 1):
        with ape.reverts(engine.StaleUpdate, portfolio=vault, expectedId=2, updateId=gap):
            engine.publishModel(vault, model_update(gap, now), sender=risk_keeper)
    for stale in (as_of, as_of - 1):  # the model's own asOf again, or older
        with ape.reverts(
            engine.InvalidModelUpdate,
            portfolio=vault,
            rule=member("ModelRule", "AsOf"),
            index=stale,
        ):
            engine.publishModel(vault, model_update(2, stale), sender=risk_keeper)
    with ape.reverts(
        engine.InvalidModelUpdate,
        portfolio=vault,
        rule=member("ModelRule", "AsOf"),
        index=now + 600,
    ):
        engine.publishModel(vault, model_update(2, now + 600), sender=risk_keeper)
    engine.publishModel(
        vault, model_update(2, as_of + 1), sender=risk_keeper
    )  # one second newer is enough
    assert engine.metricsOf(vault)[1:3] == (2, as_of + 1)


def test_publish_model__correlation_stress_and_es_bounds__rejected_beyond_accepted_at_the_bound(
    risk_stack, risk_keeper, chain
):
    """RSK-3: a correlation stays in [-10000, 10000] (1e-4) and moves by at most
    `maxCorrelationChange` per update, a stress shock stays in [-10000, 10000] bps and moves by at
    most `maxStressChangeBps`, the ES multiplier by at most `maxVolChangeBps` (relative); a change
    of exactly the bound passes. Absolute changes are reported offset by 10,000 (unsigned)."""
    engine, vault = risk_stack.engine, risk_stack.vault
    limits = dict(
        zip(
            ["maxVolChangeBps", "maxCorrelationChange", "maxStressChangeBps", "boundWindowHours"],
            risk_stack.lens.limitsOf(engine, vault)[0][10:14],
        )
    )
    # No window: every change, up or down, its whole bound per update (RSK-17's window is 0).
    assert limits == {
        "maxVolChangeBps": 5_000,
        "maxCorrelationChange": 2_000,
        "maxStressChangeBps": 2_000,
        "boundWindowHours": 0,
    }
    chain.pending_timestamp += 700
    now = chain.pending_timestamp

    def replaced(values, index, value):
        return [value if i == index else v for i, v in enumerate(values)]

    pair, shock = 3, 3  # correlation (QTB, QCORP): 0.20; scenario 0's QSPX shock: 40% loss
    for field, values, index in (
        ("correlations", CORRELATIONS, pair),
        ("stress", STRESS_BPS, shock),
    ):
        rule = member("ModelRule", "Correlation" if field == "correlations" else "Stress")
        for out_of_range in (10_001, -10_001):
            with ape.reverts(engine.InvalidModelUpdate, portfolio=vault, rule=rule, index=index):
                engine.publishModel(
                    vault,
                    model_update(2, now, **{field: replaced(values, index, out_of_range)}),
                    sender=risk_keeper,
                )
        for too_far in (values[index] + 2_001, values[index] - 2_001):  # both bounds are 2,000
            with ape.reverts(
                engine.ModelChangeTooLarge,
                portfolio=vault,
                index=index,
                previous=values[index] + 10_000,
                next=too_far + 10_000,
            ):
                engine.publishModel(
                    vault,
                    model_update(2, now, **{field: replaced(values, index, too_far)}),
                    sender=risk_keeper,
                )
    es, n = ES_MULTIPLIER_PPM, len(ASSETS)
    with ape.reverts(
        engine.ModelChangeTooLarge, portfolio=vault, index=n, previous=es, next=es * 3 // 2 + 1
    ):
        engine.publishModel(vault, model_update(2, now, es=es * 3 // 2 + 1), sender=risk_keeper)
    # Exactly at every bound: accepted and stored.
    correlations = replaced(CORRELATIONS, pair, CORRELATIONS[pair] + 2_000)
    stress = replaced(STRESS_BPS, shock, STRESS_BPS[shock] + 2_000)
    engine.publishModel(
        vault,
        model_update(2, now, correlations=correlations, stress=stress, es=es * 3 // 2),
        sender=risk_keeper,
    )
    _, stored_correlations, stored_es, stored_stress = risk_stack.lens.modelInputsOf(engine, vault)
    assert (list(stored_correlations), stored_es, list(stored_stress)) == (
        correlations,
        es * 3 // 2,
        stress,
    )


def test_publish_model__dropping_the_stress_scenarios__rejected(risk_stack, risk_keeper, chain):
    """RSK-14 (attacker's read M3): the keeper's per-update bounds compared only the scenarios both
    models had, so an update with no scenarios at all passed and switched the stress limit off in
    one step. Scenarios can be added, never dropped (governance's `configure` resets the model)."""
    engine, vault = risk_stack.engine, risk_stack.vault
    chain.pending_timestamp += 700
    now = chain.pending_timestamp
    with ape.reverts(
        engine.InvalidModelUpdate,
        portfolio=vault,
        rule=member("ModelRule", "StressScenariosDropped"),
        index=0,
    ):
        engine.publishModel(vault, model_update(2, now, stress=[]), sender=risk_keeper)
    with ape.reverts(
        engine.InvalidModelUpdate,
        portfolio=vault,
        rule=member("ModelRule", "StressScenariosDropped"),
        index=1,
    ):
        engine.publishModel(vault, model_update(2, now, stress=STRESS_BPS[:4]), sender=risk_keeper)
    # A third scenario may be added.
    engine.publishModel(
        vault, model_update(2, now, stress=STRESS_BPS + [0, 0, 100, 100]), sender=risk_keeper
    )


def test_configure__bad_limits__rejected_with_reason(risk_stack, governor):
    engine, vault = risk_stack.engine, risk_stack.vault
    with ape.reverts(
        engine.InvalidRiskConfig,
        portfolio=vault,
        rule=member("RiskConfigRule", "HardDrawdownBelowMax"),
    ):
        engine.configure(vault, asset_risk(), limits_tuple(hardDrawdownBps=500), sender=governor)
    with ape.reverts(engine.HoldingsLengthMismatch, expected=4, actual=3):
        engine.configure(vault, asset_risk()[:3], limits_tuple(), sender=governor)


@pytest.mark.parametrize("length", [3, 5])
def test_check__holdings_of_wrong_length__reverts(risk_stack, length):
    with ape.reverts(risk_stack.engine.HoldingsLengthMismatch, expected=4, actual=length):
        risk_stack.engine.check(risk_stack.vault, [0] * length, [0] * 4)
