"""FND-15: the words the AutoRebalancer stores for a portfolio are the layouts its value types
describe (`RebalancerLayout`). The six words of the record, read raw with `get_storage` (and through
the rebalancer's own `extSloads`, the lens's path) and decoded by the Python mirror
(tests/contracts/words.py), say what its views say (`strategyOf`, `stateOf`, `relayerOf`), after a
strategy, a rebalance, a relayer and a pause, and a new strategy."""

from isolation import isolated
from rebalancer_fixtures import strategy_tuple
from words import (
    MAX_ASSETS,
    REBALANCER_PORTFOLIOS_SLOT,
    REBALANCER_RECORD,
    mapping_slot,
    stored_word,
)

TARGETS = (4_000, 3_000, 1_500, 1_500)

STRATEGY_FIELDS = (
    "driftThresholdBps",
    "maxTradeBps",
    "maxSlippageBps",
    "signerThreshold",
    "cooldown",
    "lossRefillPeriod",
    "maxBaseFee",
    "maxSnapshotAge",
)
CONFIG_FIELDS = (
    "minWeightBps",
    "maxWeightBps",
    "driftThresholdBps",
    "maxTradeBps",
    "maxSlippageBps",
    "signerThreshold",
    "cooldown",
    "lossRefillPeriod",
    "maxBaseFee",
    "lossBudget",
    "maxSnapshotAge",
)


def record_words(chain, rebalancer, portfolio) -> list[int]:
    first = mapping_slot(portfolio, REBALANCER_PORTFOLIOS_SLOT)
    raw = [stored_word(chain, rebalancer, first + k) for k in range(len(REBALANCER_RECORD))]
    through_ext_sloads = rebalancer.extSloads(
        [(first + k).to_bytes(32, "big") for k in range(len(raw))]
    )
    assert [int.from_bytes(bytes(w), "big") for w in through_ext_sloads] == raw
    return raw


def assert_stored_words_are_the_views(chain, r):
    raw = record_words(chain, r.rebalancer, r.vault)
    strategy, relaying, progress, low_bounds, high_bounds, last_targets = (
        word.decode(w) for word, w in zip(REBALANCER_RECORD, raw)
    )
    config_tuple, strategy_id, paused = r.lens.strategyOf(r.rebalancer, r.vault)
    config = dict(zip(CONFIG_FIELDS, config_tuple))  # StrategyConfig's member order
    n = strategy["assetCount"]
    assert (strategy["strategyId"], bool(strategy["paused"]), n) == (
        strategy_id,
        paused,
        len(config["minWeightBps"]),
    )
    assert tuple(strategy[f] for f in STRATEGY_FIELDS) == tuple(config[f] for f in STRATEGY_FIELDS)
    assert relaying["lossBudget"] == config["lossBudget"]
    assert f"0x{relaying['relayer']:040x}" == r.lens.relayerOf(r.rebalancer, r.vault).lower()
    bounds = [(w[f"min{k}"], w[f"max{k}"]) for w in (low_bounds, high_bounds) for k in range(8)]
    assert bounds[:n] == list(zip(config["minWeightBps"], config["maxWeightBps"]))
    assert set(bounds[n:]) <= {(0, 0)}
    assert [progress[f"decimals{i}"] for i in range(MAX_ASSETS)] == [
        t.decimals() for t in r.tokens
    ] + [0] * (MAX_ASSETS - n)
    nonce, last, available, targets = r.lens.stateOf(r.rebalancer, r.vault)
    assert (progress["nonce"], progress["lastRebalanceAt"]) == (nonce, last)
    assert [last_targets[f"bps{i}"] for i in range(n)] == list(targets)
    # The loss used, refilled linearly since the last rebalance, is what `stateOf` leaves available.
    refill = (
        (chain.blocks.head.timestamp - last)
        * relaying["lossBudget"]
        // strategy["lossRefillPeriod"]
    )
    assert available == max(relaying["lossBudget"] - max(progress["lossUsed"] - refill, 0), 0)


def test_rebalancer_words__strategy_rebalance_relayer_pause__raw_record_decodes_to_the_views(
    rebalancing, chain, outsider, governor, guardian
):
    r = rebalancing
    with isolated(chain):
        assert_stored_words_are_the_views(chain, r)
        intent = r.intent(chain, TARGETS)
        signers, signatures = r.sign(chain, intent)
        r.rebalancer.rebalance(
            intent.as_tuple(), signers, signatures, r.routes(intent), sender=outsider
        )
        r.rebalancer.setRelayer(r.vault, outsider, sender=governor)
        r.rebalancer.pause(r.vault, sender=guardian)
        assert_stored_words_are_the_views(chain, r)
        assert (
            r.lens.stateOf(r.rebalancer, r.vault)[2] < 2_000 * 10**18
        )  # the rebalance used some of the budget
        wider = strategy_tuple(
            minWeightBps=[1, 2, 3, 4],
            maxWeightBps=[9_999, 9_998, 9_997, 9_996],
            maxBaseFee=2**64 - 1,
            lossBudget=2**96 - 1,
            maxSnapshotAge=3_600,
        )
        r.rebalancer.setStrategy(r.vault, wider, sender=governor)
        assert_stored_words_are_the_views(chain, r)
        assert r.lens.strategyOf(r.rebalancer, r.vault)[2] is True  # a new strategy keeps the pause
