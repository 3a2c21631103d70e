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


def test_rebalancer_lens__signers_relayer_and_intent_digest__what_the_rebalancer_checks(
    rebalancing, chain, governor, guardian, accounts
):
    """Issue 32 §1: the rebalancer's views moved to its lens (the rebalancer keeps its bytes for
    the hot path). `isSigner` reads the rebalancer's signer mapping at RebalancerLayout's slot
    (each key the fixture authorised, a stranger not, a revoked key no longer); `relayerOf` the
    relaying word; `intentDigest` is the digest the signers sign for that rebalancer (eth_account,
    the rebalancer's own EIP-712 domain), and not another contract's."""
    from keepers.rebalancing.intent import sign_intent
    from rebalancer_fixtures import DOMAIN

    r = rebalancing
    rebalancer, vault, lens = r.rebalancer, r.vault, r.lens
    assert all(lens.isSigner(rebalancer, vault, k.address) for k in r.keys)
    stranger = accounts[19].address
    assert not lens.isSigner(rebalancer, vault, stranger)
    rebalancer.revokeSigner(vault, r.keys[0].address, sender=guardian)
    assert not lens.isSigner(rebalancer, vault, r.keys[0].address)
    assert lens.isSigner(rebalancer, vault, r.keys[1].address)
    rebalancer.setRelayer(vault, stranger, sender=governor)
    assert lens.relayerOf(rebalancer, vault) == stranger
    intent = r.intent(chain, [2_500, 2_500, 2_500, 2_500])
    digest, _ = sign_intent(intent, r.keys[1].key, DOMAIN, chain.chain_id, rebalancer.address)
    assert bytes(lens.intentDigest(rebalancer, intent.as_tuple())) == digest
    other, _ = sign_intent(intent, r.keys[1].key, DOMAIN, chain.chain_id, vault.address)
    assert other != digest


def test_rebalancer_lens__portfolio_without_a_strategy__state_is_zero_not_a_revert(
    rebalancing, accounts
):
    """A read of the review of the views' move (L-3): `stateOf` of a portfolio with no strategy
    divided by its refill period (0) and reverted, so one such client failed the manager page and
    a whole bulk run. Its state is all zero now."""
    r = rebalancing
    nonce, last, available, targets = r.lens.stateOf(r.rebalancer, accounts[18].address)
    assert (nonce, last, available, list(targets)) == (0, 0, 0, [])
    assert not r.lens.isSigner(r.rebalancer, accounts[18].address, r.keys[0].address)


def test_rebalancer_lens__recorded_from_another_build__replaced_on_the_next_deploy(
    rebalancing, liquidity_deployment
):
    """A helper's review of the views' move (L-2): the lens was recorded under a fixed name and a
    deploy skips a recorded name, so a rerun on a chain deployed by an older build kept the older
    lens, which lacks `stateOf` and the other views the keepers now call. A recorded lens whose
    code is not this build's is replaced (the record names the new one); this build's is kept."""
    from ape import chain, project

    from keepers.rebalancing.deploy import LENS, deploy_rebalancer, stale_lens

    d, _ = liquidity_deployment
    current = d.address(LENS)
    assert not stale_lens(d)
    try:
        d.record.contracts[LENS] = rebalancing.rebalancer.address  # code, but not a lens
        assert stale_lens(d)
        deploy_rebalancer(d)
        replaced = d.address(LENS)
        assert replaced not in (rebalancing.rebalancer.address, current)
        built = project.RebalancerLens.contract_type.runtime_bytecode.bytecode
        assert bytes(chain.provider.get_code(replaced)).hex().removeprefix("0x") == built[2:]
        deploy_rebalancer(d)
        assert d.address(LENS) == replaced
    finally:
        d.record.contracts[LENS] = current
