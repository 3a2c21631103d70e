"""FND-15: the words the RiskEngine stores for a portfolio are the layouts its value types describe
(`RiskLayout`). The record's header, model, bounds and class caps words and the two words of its
packed `assetParams`, read raw with `get_storage` (and through the engine's own `extSloads`, the
lens's path) and decoded by the Python mirror (tests/contracts/words.py), say what the engine's and
the lens's views and the last `Synced` event say: after the fixture's configuration, model and
sync; a configuration with every field distinct and a model with a third scenario; a crash that
halts the portfolio at its drawdown; and a resume that resets the high-water mark."""

from isolation import isolated
from risk_fixtures import LIMIT_FIELDS, asset_risk, limits_tuple, model_update, swap_params
from words import (
    ASSET_PARAMS,
    ASSET_PARAMS_BITS,
    RISK_ASSET_PARAMS_WORD,
    RISK_PORTFOLIOS_SLOT,
    RISK_RECORD,
    element,
    mapping_slot,
    stored_word,
)

USDC, QTB, QCORP, QSPX = range(4)
HEADER_LIMITS = LIMIT_FIELDS[:9]  # minLiquidBps .. maxPriceAge: the header's first nine fields
BOUNDS_LIMITS = LIMIT_FIELDS[9:14]  # minUpdateDelay .. boundWindowHours
DISTINCT_LIMITS = dict(
    minLiquidBps=1_001,
    maxVar95Bps=10_002,
    maxVar99Bps=10_003,
    maxEsBps=10_004,
    maxStressLossBps=9_005,
    maxDrawdownBps=906,
    hardDrawdownBps=1_907,
    maxModelAge=2**32 - 8,
    maxPriceAge=3_609,
    minUpdateDelay=0,
    maxVolChangeBps=65_511,
    maxCorrelationChange=20_012,
    maxStressChangeBps=20_013,
    boundWindowHours=8_760,
    maxClassWeightBps=[1, 2, 65_535, 4, 5, 6, 7, 8],
)
PER_WORD = 256 // ASSET_PARAMS_BITS
# Three scenarios of the four assets (the fixture's model has two).
STRESS_3 = [0, -30, 1_200, 4_000, 1_300, 50, 1_400, 1_000, 7, 8, 9, 10]


def record_words(chain, engine, portfolio) -> list[int]:
    first = mapping_slot(portfolio, RISK_PORTFOLIOS_SLOT)
    count = RISK_ASSET_PARAMS_WORD + 2  # the four words, then assetParams' two (16 assets)
    raw = [stored_word(chain, engine, first + k) for k in range(count)]
    through_ext_sloads = engine.extSloads([(first + k).to_bytes(32, "big") for k in range(count)])
    assert [int.from_bytes(bytes(w), "big") for w in through_ext_sloads] == raw
    return raw


def listed(values) -> list:
    return [list(v) if isinstance(v, (list, tuple)) else v for v in values]


def assert_stored_words_are_the_views(chain, stack, synced):
    engine, vault, lens = stack.engine, stack.vault, stack.lens
    raw = record_words(chain, engine, vault)
    header, model, bounds, caps = (word.decode(w) for word, w in zip(RISK_RECORD, raw))
    limits_tuple_read, assets = lens.limitsOf(engine, vault)
    limits = dict(zip(LIMIT_FIELDS, listed(limits_tuple_read)))
    assert [header[f] for f in HEADER_LIMITS] == [limits[f] for f in HEADER_LIMITS]
    assert [bounds[f] for f in BOUNDS_LIMITS] == [limits[f] for f in BOUNDS_LIMITS]
    assert [caps[f"cap{c}"] for c in range(8)] == limits["maxClassWeightBps"]
    n = header["assetCount"]
    params = [
        ASSET_PARAMS.decode(
            element(raw[RISK_ASSET_PARAMS_WORD + i // PER_WORD], i % PER_WORD, ASSET_PARAMS_BITS)
        )
        for i in range(n)
    ]
    assert [(p["maxWeightBps"], p["assetClass"], bool(p["liquid"])) for p in params] == [
        tuple(a) for a in assets
    ]
    assert [p["decimals"] for p in params] == [t.decimals() for t in stack.tokens]
    assert bool(header["halted"]) == engine.isHalted(vault)
    synced_at, priced_mask, _ = engine.priceSnapshot(vault)
    assert (model["syncedAt"], header["pricedMask"]) == (synced_at, priced_mask)
    _, update_id, as_of, published_at = engine.metricsOf(vault)
    assert (model["updateId"], model["asOf"], model["publishedAt"]) == (
        update_id,
        as_of,
        published_at,
    )
    _, _, es_multiplier, stress = lens.modelInputsOf(engine, vault)
    assert (model["esMultiplierPpm"], model["scenarioCount"]) == (es_multiplier, len(stress) // n)
    if synced is not None:  # the NAV marks and the drawdown the last sync logged
        assert (bounds["lastNavPerShare"], bounds["highWaterMark"], header["drawdownBps"]) == (
            synced.navPerShare,
            synced.highWaterMark,
            synced.drawdownBps,
        )


def test_risk_words__configure_publish_crash_resume__raw_record_decodes_to_the_views(
    risk_stack, chain, governor, guardian, risk_keeper, executor, reporter
):
    s = risk_stack
    engine, vault = s.engine, s.vault
    with isolated(chain):
        assert_stored_words_are_the_views(chain, s, None)
        engine.configure(
            vault,
            [(9_999, 7, False), (10_000, 0, True), (1, 3, True), (3_001, 5, False)],
            limits_tuple(**DISTINCT_LIMITS),
            sender=governor,
        )
        assert_stored_words_are_the_views(chain, s, None)
        engine.publishModel(
            vault,
            model_update(
                engine.metricsOf(vault)[1] + 1, chain.pending_timestamp - 1, stress=STRESS_3
            ),
            sender=risk_keeper,
        )
        engine.configure(vault, asset_risk(), limits_tuple(), sender=governor)
        synced = engine.sync(vault, sender=guardian).decode_logs(engine.Synced)[0]
        assert_stored_words_are_the_views(chain, s, synced)
        # A crash beyond the 20% hard drawdown: the portfolio halts itself.
        vault.trade(swap_params(s, USDC, QSPX, 280_000 * 10**6), sender=executor)
        vault.trade(swap_params(s, USDC, QCORP, 380_000 * 10**6), sender=executor)
        s.feeds[QSPX].report(15 * 10**8, sender=reporter)
        s.feeds[QCORP].report(75 * 10**8, sender=reporter)
        synced = engine.sync(vault, sender=guardian).decode_logs(engine.Synced)[0]
        assert engine.isHalted(vault) and synced.drawdownBps > 2_000
        assert_stored_words_are_the_views(chain, s, synced)
        # Resumed with the high-water mark reset to the last NAV per share: no drawdown left.
        engine.resume(vault, True, sender=governor)
        raw = record_words(chain, engine, vault)
        header, _, bounds, _ = (word.decode(w) for word, w in zip(RISK_RECORD, raw))
        assert (header["halted"], header["drawdownBps"]) == (0, 0)
        assert bounds["highWaterMark"] == bounds["lastNavPerShare"] == synced.navPerShare
        assert not engine.isHalted(vault)
