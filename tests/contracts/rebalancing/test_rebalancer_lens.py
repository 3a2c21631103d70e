"""RSK-16: the AutoRebalancer's read-only periphery (RebalancerLens) reads back exactly the strategy
set, from the rebalancer's storage words (`extSloads`) at the slots RebalancerLayout gives."""

from rebalancer_fixtures import strategy_tuple


def test_rebalancer_lens__strategy__read_back_exactly(rebalancing, governor, guardian):
    rebalancer, vault, lens = rebalancing.rebalancer, rebalancing.vault, rebalancing.lens
    distinct = strategy_tuple(
        minWeightBps=[0, 1, 2, 3],
        maxWeightBps=[10_000, 9_001, 8_002, 7_003],
        driftThresholdBps=101,
        maxTradeBps=4_321,
        maxSlippageBps=77,
        signerThreshold=2,
        cooldown=3_601,
        lossRefillPeriod=86_399,
        maxBaseFee=123 * 10**9,
        lossBudget=49_999 * 10**18 + 7,
        maxSnapshotAge=1_234,
    )
    before = lens.strategyOf(rebalancer, vault)[1]
    rebalancer.setStrategy(vault, distinct, sender=governor)
    config, strategy_id, paused = lens.strategyOf(rebalancer, vault)
    as_tuple = tuple(list(v) if not isinstance(v, int) else v for v in config)
    assert as_tuple == tuple(list(v) if isinstance(v, (list, tuple)) else v for v in distinct)
    assert (strategy_id, paused) == (before + 1, False)
    rebalancer.pause(vault, sender=guardian)
    assert lens.strategyOf(rebalancer, vault)[2] is True
