"""RSK-17 (issue 15, attacker's read M3 (c)): the engine bounds each keeper model update relative to
the previous one, so without a window the bounds compound. A compromised RISK_KEEPER key walks a
volatility down by the full bound every `minUpdateDelay`, and within minutes the engine believes a
risky book is riskless: its VaR, ES and stress limits stop binding. With `boundWindowHours` W a
loosening change (a decrease; a hedge's vol increase) may use min(elapsed, W h) / W h of its bound,
so the fall over any stretch of time is rate-limited however the updates are split, and a
tightening change (an increase) is free within the absolute ranges.

Refusals are checked by eth_call at a head mined at the exact second (`fast_reverts`: a call runs at
the head's time), so every boundary is exact: one unit beyond refused with the numbers, exactly the
bound accepted."""

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fast_reverts import assert_reverts, revert_data
from isolation import isolated
from keepers.core.solidity_enums import member
from keepers.core.units import BPS
from risk_fixtures import (
    ASSETS,
    CORRELATIONS,
    ES_MULTIPLIER_PPM,
    LIMIT_FIELDS,
    LIMITS,
    STRESS_BPS,
    VOLS_PPM,
    asset_risk,
    limits_tuple,
    model_update,
)
from risk_model import RiskModel

HOUR = 3_600
DAY = 24 * HOUR
USDC, QTB, QCORP, QSPX = range(4)
N = 4
DELAY = 600  # the fixture's minUpdateDelay
MAX_VOL_CHANGE_BPS, MAX_CORRELATION_CHANGE, MAX_STRESS_CHANGE_BPS = (
    5_000,
    2_000,
    2_000,
)  # the fixture's
PAIR_QCORP_QSPX = 5  # (2, 3) in (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
SHOCK = 3  # scenario 0, QSPX: a 40% loss
# A book the fund could hold: 30% QSPX (its cap), 40% QCORP, the rest cash (USD 1,000,000 at the
# fixture's prices: QSPX 50, QCORP 100).
BOOK = [300_000 * 10**6, 0, 4_000 * 10**18, 6_000 * 10**18]
# A book in which QSPX offsets QCORP once they are negatively correlated: 40% QCORP, 8% QSPX.
HEDGED_BOOK = [520_000 * 10**6, 0, 4_000 * 10**18, 1_600 * 10**18]


WINDOW = LIMIT_FIELDS.index("boundWindowHours")


def replaced(values, index, value):
    return [value if i == index else v for i, v in enumerate(values)]


def last_published(engine, vault):
    _, update_id, _, published_at = engine.metricsOf(vault)
    return update_id, published_at


def head_at(chain, timestamp):
    """Mines a block at `timestamp`: eth_calls then run at exactly that time."""
    chain.mine(timestamp=timestamp)
    assert chain.blocks.head.timestamp == timestamp


def update_at(engine, vault, after_seconds, **inputs):
    """The next update, `after_seconds` after the last model, with `inputs` changed."""
    update_id, published_at = last_published(engine, vault)
    return model_update(
        update_id + 1, published_at + after_seconds, **inputs
    ), published_at + after_seconds


def publish_at(chain, engine, vault, keeper, after_seconds, **inputs):
    """Publishes the next update in a block exactly `after_seconds` after the last model."""
    update, timestamp = update_at(engine, vault, after_seconds, **inputs)
    chain.pending_timestamp = timestamp
    receipt = engine.publishModel(vault, update, sender=keeper)
    assert receipt.timestamp == timestamp
    return receipt


def refused_at(chain, engine, vault, keeper, after_seconds, index, previous, next_, **inputs):
    """At exactly `after_seconds` after the last model, the update is refused ModelChangeTooLarge
    with these numbers."""
    update, timestamp = update_at(engine, vault, after_seconds, **inputs)
    head_at(chain, timestamp)
    assert_reverts(
        chain,
        engine.publishModel,
        vault,
        update,
        sender=keeper,
        error=(engine, "ModelChangeTooLarge"),
        portfolio=vault.address,
        index=index,
        previous=previous,
        next=next_,
    )


def accepted_at(chain, engine, vault, keeper, after_seconds, **inputs):
    """At exactly `after_seconds` after the last model the update passes (a call at that head),
    then is published (in a later block)."""
    update, timestamp = update_at(engine, vault, after_seconds, **inputs)
    head_at(chain, timestamp)
    try:
        revert_data(chain, engine.publishModel, vault, update, sender=keeper)
        raise AssertionError(f"refused at exactly {after_seconds} s")
    except AssertionError as err:
        if "did not revert" not in str(err):
            raise
    return engine.publishModel(vault, update, sender=keeper)


@pytest.fixture
def windowed(risk_stack, governor):
    """The fixture's bounds with a 24 h window (the deployed fund's)."""
    risk_stack.engine.configure(
        risk_stack.vault, asset_risk(), limits_tuple(boundWindowHours=24), sender=governor
    )
    return risk_stack


def test_publish_model__no_window__keeper_walks_a_vol_down_to_nothing_in_minutes(
    risk_stack, risk_keeper, chain
):
    """The attack, as the per-update rule accepts it (window 0): eight updates, each the full 50%
    down, each `minUpdateDelay` apart, take QSPX's volatility to 0.4% of its value in 80 minutes,
    and the book's 99% VaR from 1.14% to 0.56% of NAV (QSPX's share of it gone)."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    assert lens.limitsOf(engine, vault)[0][WINDOW] == 0
    var99_before = lens.portfolioRisk(engine, vault, BOOK)[1]
    vols = list(VOLS_PPM)
    for _ in range(8):
        vols[QSPX] -= vols[QSPX] * MAX_VOL_CHANGE_BPS // BPS  # exactly the bound
        publish_at(chain, engine, vault, risk_keeper, DELAY, vols=vols)
    assert list(lens.modelInputsOf(engine, vault)[0]) == vols
    assert vols[QSPX] * BPS < VOLS_PPM[QSPX] * 50  # below 0.5% of 12,000 ppm: 47 ppm
    var99_after = lens.portfolioRisk(engine, vault, BOOK)[1]
    assert var99_after * 2 < var99_before


def test_publish_model__window__same_walk_refused__a_day_of_hourly_cuts_leaves_more_than_half(
    windowed, risk_keeper, chain
):
    """The same attack with a 24 h window: the 50% cut after `minUpdateDelay` is refused, and the
    largest cut accepted then is 600 / 86,400 of the bound (41 ppm of 12,000; 42 refused). Walking
    the vol down by the most the engine accepts every hour for a day leaves it above half its value
    (0.60 of it): at most what one update a day at the whole bound would do."""
    engine, vault = windowed.engine, windowed.vault
    vols = list(VOLS_PPM)
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        QSPX,
        12_000,
        6_000,
        vols=replaced(vols, QSPX, 6_000),
    )
    # delta x 10,000 x 86,400 <= 12,000 x 5,000 x 600: delta <= 41.67.
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        QSPX,
        12_000,
        11_958,
        vols=replaced(vols, QSPX, 11_958),
    )
    accepted_at(chain, engine, vault, risk_keeper, DELAY, vols=replaced(vols, QSPX, 11_959))
    vols[QSPX] = 11_959
    for _ in range(24):
        cut = (
            vols[QSPX] * MAX_VOL_CHANGE_BPS * HOUR // (BPS * DAY)
        )  # the largest the engine accepts
        refused_at(
            chain,
            engine,
            vault,
            risk_keeper,
            HOUR,
            QSPX,
            vols[QSPX],
            vols[QSPX] - cut - 1,
            vols=replaced(vols, QSPX, vols[QSPX] - cut - 1),
        )
        vols[QSPX] -= cut
        accepted_at(chain, engine, vault, risk_keeper, HOUR, vols=vols)
    assert list(windowed.lens.modelInputsOf(engine, vault)[0]) == vols
    assert (
        VOLS_PPM[QSPX] // 2 < vols[QSPX] < VOLS_PPM[QSPX] * 61 // 100
    )  # 7,245 ppm: ~(1 - 1/48)^24


@pytest.mark.parametrize("hours", [6, 24, 48])
def test_publish_model__window__each_decrease_at_most_its_time_scaled_bound(
    windowed, risk_keeper, chain, hours
):
    """A decrease of a vol, the ES multiplier, a correlation or a shock may use min(t, 24 h) / 24 h
    of its bound: after 6 h a quarter (vol 12,000 -> 10,500, ES 2.6 -> 2.275, correlation 0.30 ->
    0.25, shock 40% -> 35%), after a day or more the whole bound (capped at one window). One unit
    beyond is refused with its index and numbers (correlations and shocks offset by 10,000); all
    four exactly at the bound are accepted together."""
    engine, vault = windowed.engine, windowed.vault
    seconds = hours * HOUR
    share = min(seconds, DAY)
    vol = VOLS_PPM[QSPX] - VOLS_PPM[QSPX] * MAX_VOL_CHANGE_BPS * share // (BPS * DAY)
    es = ES_MULTIPLIER_PPM - ES_MULTIPLIER_PPM * MAX_VOL_CHANGE_BPS * share // (BPS * DAY)
    rho = CORRELATIONS[PAIR_QCORP_QSPX] - MAX_CORRELATION_CHANGE * share // DAY
    shock = STRESS_BPS[SHOCK] - MAX_STRESS_CHANGE_BPS * share // DAY
    if hours == 6:
        assert (vol, es, rho, shock) == (10_500, 2_275_000, 2_500, 3_500)
    vols, correlations = replaced(VOLS_PPM, QSPX, vol), replaced(CORRELATIONS, PAIR_QCORP_QSPX, rho)
    stress = replaced(STRESS_BPS, SHOCK, shock)
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        seconds,
        QSPX,
        VOLS_PPM[QSPX],
        vol - 1,
        vols=replaced(VOLS_PPM, QSPX, vol - 1),
    )
    refused_at(chain, engine, vault, risk_keeper, seconds, N, ES_MULTIPLIER_PPM, es - 1, es=es - 1)
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        seconds,
        PAIR_QCORP_QSPX,
        CORRELATIONS[PAIR_QCORP_QSPX] + 10_000,
        rho - 1 + 10_000,
        correlations=replaced(CORRELATIONS, PAIR_QCORP_QSPX, rho - 1),
    )
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        seconds,
        SHOCK,
        STRESS_BPS[SHOCK] + 10_000,
        shock - 1 + 10_000,
        stress=replaced(STRESS_BPS, SHOCK, shock - 1),
    )
    accepted_at(
        chain,
        engine,
        vault,
        risk_keeper,
        seconds,
        vols=vols,
        es=es,
        correlations=correlations,
        stress=stress,
    )
    assert [
        list(x) if not isinstance(x, int) else x for x in windowed.lens.modelInputsOf(engine, vault)
    ] == [vols, correlations, es, stress]


def test_publish_model__window__increases_free_within_the_absolute_ranges(
    windowed, risk_keeper, chain
):
    """Tightening is free under a window, right after `minUpdateDelay`: QSPX's vol x10, the ES
    multiplier x3, a correlation +0.60 and a shock +60 points, each far beyond its per-update bound
    (which still refuses them without a window, RSK-3); the absolute ranges still hold."""
    engine, vault = windowed.engine, windowed.vault
    vols = replaced(VOLS_PPM, QSPX, VOLS_PPM[QSPX] * 10)
    correlations = replaced(CORRELATIONS, PAIR_QCORP_QSPX, 9_000)
    stress = replaced(STRESS_BPS, SHOCK, 10_000)
    update, timestamp = update_at(engine, vault, DELAY, vols=replaced(VOLS_PPM, QSPX, 1_000_001))
    head_at(chain, timestamp)
    assert_reverts(
        chain,
        engine.publishModel,
        vault,
        update,
        sender=risk_keeper,
        error=(engine, "InvalidModelUpdate"),
        rule=member("ModelRule", "Vol"),
        index=QSPX,
    )
    accepted_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        vols=vols,
        es=ES_MULTIPLIER_PPM * 3,
        correlations=correlations,
        stress=stress,
    )
    assert [
        list(x) if not isinstance(x, int) else x for x in windowed.lens.modelInputsOf(engine, vault)
    ] == [vols, correlations, ES_MULTIPLIER_PPM * 3, stress]


def test_publish_model__window__hedge_vol_increase_lowers_var__bounded_like_a_decrease(
    risk_stack, risk_keeper, governor, chain
):
    """Raising a vol is no tightening for an asset with a negative correlation: with QCORP and QSPX
    at -0.8, doubling QSPX's vol LOWERS the 99% VaR of a book long 40% QCORP and 8% QSPX by a sixth
    (the hedge gets larger, as buying more of it would). Without a window that passes per update;
    with one it
    is refused beyond the time-scaled bound (41 ppm after 600 s), while QTB's vol (no negative
    correlation) rises freely in the same update."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    hedged = replaced(CORRELATIONS, PAIR_QCORP_QSPX, -8_000)
    loose = dict(maxVolChangeBps=10_000, maxCorrelationChange=20_000)
    engine.configure(vault, asset_risk(), limits_tuple(**loose), sender=governor)
    publish_at(chain, engine, vault, risk_keeper, DELAY, correlations=hedged)
    snapshot = chain.snapshot()
    var99_before = lens.portfolioRisk(engine, vault, HEDGED_BOOK)[1]
    publish_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        correlations=hedged,
        vols=replaced(VOLS_PPM, QSPX, 24_000),
    )
    assert (
        lens.portfolioRisk(engine, vault, HEDGED_BOOK)[1] < var99_before * 85 // 100
    )  # 0.41% -> 0.34% of NAV
    chain.restore(snapshot)
    engine.configure(
        vault, asset_risk(), limits_tuple(boundWindowHours=24, **loose), sender=governor
    )
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        QSPX,
        12_000,
        24_000,
        correlations=hedged,
        vols=replaced(VOLS_PPM, QSPX, 24_000),
    )
    refused_at(
        chain,
        engine,
        vault,
        risk_keeper,
        DELAY,
        QSPX,
        12_000,
        12_084,
        correlations=hedged,
        vols=replaced(VOLS_PPM, QSPX, 12_084),
    )
    vols = replaced(replaced(VOLS_PPM, QSPX, 12_083), QTB, VOLS_PPM[QTB] * 10)
    accepted_at(chain, engine, vault, risk_keeper, DELAY, correlations=hedged, vols=vols)
    assert list(lens.modelInputsOf(engine, vault)[0]) == vols


def test_configure__bound_window__round_trip_event_and_range(risk_stack, governor):
    """`boundWindowHours` is set by `configure`, read back by the lens, carried by
    `PortfolioConfigured` (previous and next), and at most 8,760 (a year)."""
    engine, vault, lens = risk_stack.engine, risk_stack.vault, risk_stack.lens
    receipt = engine.configure(
        vault, asset_risk(), limits_tuple(boundWindowHours=8_760), sender=governor
    )
    [event] = receipt.decode_logs(engine.PortfolioConfigured)
    assert (event.previous[WINDOW], event.next[WINDOW]) == (0, 8_760)
    assert lens.limitsOf(engine, vault)[0][WINDOW] == 8_760
    receipt = engine.configure(
        vault, asset_risk(), limits_tuple(boundWindowHours=24), sender=governor
    )
    [event] = receipt.decode_logs(engine.PortfolioConfigured)
    assert (event.previous[WINDOW], event.next[WINDOW]) == (8_760, 24)
    with ape.reverts(
        engine.InvalidRiskConfig, portfolio=vault, rule=member("RiskConfigRule", "BoundWindowHours")
    ):
        engine.configure(vault, asset_risk(), limits_tuple(boundWindowHours=8_761), sender=governor)
    assert tuple(lens.limitsOf(engine, vault)[0]) == limits_tuple(boundWindowHours=24)


def test_publish_model__random_changes_windows_and_times__refused_exactly_when_the_spec_model_says(
    risk_stack, risk_keeper, governor, chain
):
    """The independent Python model of the engine (`risk_model.RiskModel.publish_refusal`, the one
    the risk state machine uses) against the engine, at the exact second: random vol and ES
    multiplier changes, windows (none, an hour, a day, a year), times since the last model, with and
    without a hedge (QCORP and QSPX at -0.8): refused exactly when the model says, with its error
    and numbers, accepted otherwise."""
    engine, vault = risk_stack.engine, risk_stack.vault

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        window=st.sampled_from([0, 1, 24, 8_760]),
        elapsed=st.integers(DELAY, 3 * DAY),
        vol_scales=st.lists(st.floats(0.3, 3.0), min_size=N, max_size=N),
        es_scale=st.floats(0.5, 2.0),
        hedged=st.booleans(),
    )
    def check(window, elapsed, vol_scales, es_scale, hedged):
        with isolated(chain):
            correlations = (
                replaced(CORRELATIONS, PAIR_QCORP_QSPX, -8_000) if hedged else list(CORRELATIONS)
            )
            if hedged:
                engine.configure(
                    vault, asset_risk(), limits_tuple(maxCorrelationChange=20_000), sender=governor
                )
                publish_at(chain, engine, vault, risk_keeper, DELAY, correlations=correlations)
            limits = {**LIMITS, "boundWindowHours": window}
            engine.configure(vault, asset_risk(), limits_tuple(**limits), sender=governor)
            _, update_id, as_of, published_at = engine.metricsOf(vault)
            model = RiskModel(
                decimals=[d for _, d, *_ in ASSETS],
                max_weight_bps=[cap for *_, cap, _ in ASSETS],
                asset_class=[cls for _, _, cls, *_ in ASSETS],
                liquid=[liquid for _, _, _, liquid, *_ in ASSETS],
                limits=limits,
                vols_ppm=list(VOLS_PPM),
                correlations=correlations,
                es_multiplier_ppm=ES_MULTIPLIER_PPM,
                stress_bps=list(STRESS_BPS),
                update_id=update_id,
                as_of=as_of,
                published_at=published_at,
            )
            vols = [max(1, int(v * scale)) for v, scale in zip(VOLS_PPM, vol_scales)]
            es = int(ES_MULTIPLIER_PPM * es_scale)
            update, timestamp = update_at(
                engine, vault, elapsed, vols=vols, es=es, correlations=correlations
            )
            head_at(chain, timestamp)
            expected = model.publish_refusal(update[0], update[1], vols, timestamp, es)
            if expected is None:
                with pytest.raises(AssertionError, match="did not revert"):
                    revert_data(chain, engine.publishModel, vault, update, sender=risk_keeper)
            else:
                name, fields = expected
                assert_reverts(
                    chain,
                    engine.publishModel,
                    vault,
                    update,
                    sender=risk_keeper,
                    error=(engine, name),
                    portfolio=vault.address,
                    **fields,
                )

    check()
