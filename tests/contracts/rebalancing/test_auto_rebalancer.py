"""AutoRebalancer: signed intents executed through the aggregator on the real venues, every bound,
the loss budget, the risk check after, the guardian (docs/specs.md RBL-5..RBL-11)."""

import ape
from eth_account import Account
from eth_utils import keccak

from fast_reverts import assert_reverts
from isolation import isolated
from keepers.core.solidity_enums import member
from keepers.liquidity.codec import encode_legs
from rebalancer_fixtures import strategy_tuple

TARGETS = (4_000, 3_000, 1_500, 1_500)
ASSET_CONCENTRATION = 5  # RiskLimit enum
# IAutoRebalancer's StrategyRule enum, read from the source
(
    SIGNER_THRESHOLD,
    COOLDOWN,
    MAX_SLIPPAGE,
    MAX_TRADE,
    LOSS_REFILL_PERIOD,
    MAX_BASE_FEE,
    LOSS_BUDGET,
    MAX_SNAPSHOT_AGE,
) = (
    member("StrategyRule", name)
    for name in (
        "SignerThreshold",
        "Cooldown",
        "MaxSlippage",
        "MaxTrade",
        "LossRefillPeriod",
        "MaxBaseFee",
        "LossBudget",
        "MaxSnapshotAge",
    )
)


def selector(contract, error_name):
    abi = next(e for e in contract.contract_type.errors if e.name == error_name)
    return keccak(text=abi.selector)[:4]


def relay(r, chain, intent, sender, chosen=(0, 1), routes=None):
    signers, signatures = r.sign(chain, intent, chosen)
    return r.rebalancer.rebalance(
        intent.as_tuple(), signers, signatures, routes or r.routes(intent), sender=sender
    )


def test_rebalance__first_allocation__three_trades_towards_targets_never_past(
    rebalancing, chain, outsider
):
    r = rebalancing
    with isolated(chain):
        intent = r.intent(chain, TARGETS)
        preview = r.lens.previewRebalance(r.rebalancer, intent.as_tuple())
        assert preview.blocker == b"\x00" * 4 and len(preview.trades) == 3
        assert (
            preview.driftBps == 6_000
            and preview.trackingErrorAfterBps < preview.trackingErrorBeforeBps
        )
        nav = preview.nav
        receipt = relay(r, chain, intent, outsider)  # anyone may relay
        names = [log.event_name for log in receipt.events]
        assert (
            names.count("RouteExecuted") == 3
            and names.count("Traded") == 3
            and names[-1] == "Rebalanced"
        )
        event = receipt.events[-1]
        values = r.values()
        # bought at pool prices worse than the oracle's
        for i, target in enumerate(TARGETS[1:], start=1):
            assert 0 < values[i] <= nav * target // 10_000
        assert values[0] >= nav * TARGETS[0] // 10_000  # cash never spent below its target
        loss = nav - sum(values)
        assert event.loss == loss > 0 and event.relayer == outsider.address and event.nonce == 0
        nonce, last, available, targets = r.lens.stateOf(r.rebalancer, r.vault)
        assert nonce == 1 and last == chain.blocks.head.timestamp and list(targets) == list(TARGETS)
        assert available == 2_000 * 10**18 - loss
        assert all(int(t.balanceOf(r.liq.aggregator)) == 0 for t in r.tokens)
        assert all(int(t.allowance(r.vault, r.liq.aggregator)) == 0 for t in r.tokens)
        # The same intent again: its nonce is spent.
        with ape.reverts(r.rebalancer.InvalidNonce, nonce=0, expected=1):
            relay(
                r,
                chain,
                intent,
                outsider,
                routes=[
                    encode_legs(
                        [(1, [(r.liq.venue("UniswapV2Pair.A.QTB-USDC"), r.tokens[1].address, b"")])]
                    )
                ],
            )


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def malleable(signature):
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def test_rebalance__every_refusal_before_any_trade(
    rebalancing, chain, outsider, governor, guardian, deployer
):
    """RBL-6, RBL-7: expired, foreign, malleable, stranger, under-signed, stale-strategy,
    out-of-bounds, over-slippage, wrong-nonce intents, pause and revocation: each reverts with its
    reason."""
    r = rebalancing
    rb = r.rebalancer
    good = r.intent(chain, TARGETS)
    routes = r.routes(good)
    signers, signatures = r.sign(chain, good)

    def send(intent, signers_=None, signatures_=None, routes_=None):
        if signers_ is None:
            signers_, signatures_ = r.sign(chain, intent)
        return rb.rebalance(
            intent.as_tuple(), signers_, signatures_, routes_ or routes, sender=outsider
        )

    with ape.reverts(rb.IntentExpired):
        send(r.intent(chain, TARGETS, deadline=chain.pending_timestamp - 1))
    for chain_id, contract in ((chain.chain_id + 1, rb.address), (chain.chain_id, r.vault.address)):
        _, foreign = r.sign(chain, good, chain_id=chain_id, contract=contract)
        with ape.reverts(rb.InvalidSigner, expectedSigner=signers[0]):
            send(good, signers, foreign)
    with ape.reverts(rb.InvalidSigner, expectedSigner=signers[0]):
        send(good, signers, [malleable(signatures[0]), signatures[1]])
    with ape.reverts(rb.QuorumNotMet, signatures=1, threshold=2):
        send(good, signers[:1], signatures[:1])
    with ape.reverts(rb.SignersNotAscending):
        send(good, signers[::-1], signatures[::-1])
    stranger = Account.create("stranger")
    from keepers.rebalancing.intent import sign_intent

    stranger_sig = sign_intent(
        good, stranger.key, "Quantera AutoRebalancer", chain.chain_id, rb.address
    )[1]
    pair = sorted(
        [(signers[0], signatures[0]), (stranger.address, stranger_sig)], key=lambda p: int(p[0], 16)
    )
    with ape.reverts(rb.SignerNotAuthorised, signer=stranger.address):
        send(good, [p[0] for p in pair], [p[1] for p in pair])
    with ape.reverts(rb.StrategyMismatch, strategyId=2, current=1):
        send(r.intent(chain, TARGETS, strategy_id=2))
    with ape.reverts(rb.TargetOutOfBounds, index=1, targetBps=500, minBps=1_000, maxBps=8_000):
        send(r.intent(chain, (9_000, 500, 250, 250)))
    with ape.reverts(rb.TargetsSumInvalid, sumBps=9_999):
        send(r.intent(chain, (3_999, 3_000, 1_500, 1_500)))
    with ape.reverts(rb.SlippageAboveStrategy, maxSlippageBps=300, strategyMaxSlippageBps=200):
        send(r.intent(chain, TARGETS, slippage=300))
    with ape.reverts(rb.InvalidNonce, nonce=1, expected=0):
        send(r.intent(chain, TARGETS, nonce=1))
    with ape.reverts(rb.RoutesLengthMismatch, routes=2, trades=3):
        send(good, signers, signatures, routes[:2])
    # The relayer's legs are packed (a leg's last hop buys the trade's asset by the encoding): cut
    # short, with a byte over, or weighing nothing, they are refused before any interaction.
    first = bytes(routes[0])  # one leg of one hop: 17 + 20 + 2 bytes
    with ape.reverts(rb.MalformedRoute, trade=0, at=39, length=38):
        send(good, signers, signatures, [first[:-1]] + list(routes[1:]))
    with ape.reverts(rb.MalformedRoute, trade=0, at=39, length=40):
        send(good, signers, signatures, [first + b"\x00"] + list(routes[1:]))
    with ape.reverts(rb.ZeroRouteWeight, trade=0):
        send(good, signers, signatures, [bytes(16) + first[16:]] + list(routes[1:]))
    with isolated(chain):
        rb.pause(r.vault, sender=guardian)
        preview = r.lens.previewRebalance(rb, good.as_tuple())
        assert preview.blocker == selector(rb, "StrategyPaused")
        with ape.reverts(rb.StrategyPaused):
            send(good, signers, signatures)
        with ape.reverts(rb.AccessManagedUnauthorized):  # the guardian stops, it cannot resume
            rb.unpause(r.vault, sender=guardian)
        rb.unpause(r.vault, sender=governor)
        rb.revokeSigner(r.vault, signers[1], sender=guardian)
        with ape.reverts(rb.SignerNotAuthorised, signer=signers[1]):
            send(good, signers, signatures)
    with isolated(chain):
        from rebalancer_fixtures import strategy_tuple

        rb.setStrategy(r.vault, strategy_tuple(maxBaseFee=1), sender=governor)
        # a new version voids old intents
        with ape.reverts(rb.StrategyMismatch, strategyId=1, current=2):
            send(good, signers, signatures)
        chain.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(10**9)])
        with ape.reverts(rb.BaseFeeTooHigh, baseFee=10**9, maxBaseFee=1):
            send(r.intent(chain, TARGETS))
    assert r.lens.stateOf(rb, r.vault)[0] == 0 and list(r.vault.holdings())[1:] == [0, 0, 0]


def test_rebalance__risk_engine_refusal_reverts_everything(rebalancing, chain, outsider):
    """RBL-10: QSPX at 35% is within the strategy's bounds but above the risk engine's 30% cap."""
    r = rebalancing
    before = list(r.vault.holdings())
    intent = r.intent(chain, (3_500, 2_000, 1_000, 3_500))
    signers, signatures = r.sign(chain, intent)
    assert_reverts(
        chain,
        r.rebalancer.rebalance,
        intent.as_tuple(),
        signers,
        signatures,
        r.routes(intent),
        sender=outsider,
        error=(r.engine, "RiskLimitBreached"),
        portfolio=r.vault.address,
        limit=ASSET_CONCENTRATION,
        subject=3,
    )
    assert list(r.vault.holdings()) == before and r.lens.stateOf(r.rebalancer, r.vault)[0] == 0


def test_rebalance__loss_budget_charged_refilled_and_never_overdrawn(
    rebalancing, chain, outsider, governor
):
    """RBL-9: the loss is charged to the budget, refills linearly, and a rebalance that would
    overdraw it reverts whole."""
    from rebalancer_fixtures import strategy_tuple

    r = rebalancing
    rb = r.rebalancer
    with isolated(chain):
        rb.setStrategy(r.vault, strategy_tuple(lossBudget=10**18), sender=governor)  # $1
        with ape.reverts(rb.LossBudgetExceeded, available=10**18):
            relay(r, chain, r.intent(chain, TARGETS), outsider)
        budget = 60 * 10**18
        rb.setStrategy(r.vault, strategy_tuple(lossBudget=budget), sender=governor)
        loss = relay(r, chain, r.intent(chain, TARGETS), outsider).events[-1].loss
        assert 0 < loss < budget and r.lens.stateOf(rb, r.vault)[2] == budget - loss
        start = chain.blocks.head.timestamp
        chain.mine(timestamp=start + 21_600)  # a quarter of the refill period
        assert r.lens.stateOf(rb, r.vault)[2] == min(
            budget, budget - loss + budget * 21_600 // 86_400
        )
        chain.mine(timestamp=start + 86_400)
        assert r.lens.stateOf(rb, r.vault)[2] == budget


def test_should_rebalance__cooldown_then_drift(rebalancing, chain, outsider, reporter):
    """RBL-11: checkUpkeep-style view: first allocation due, then nothing during the cooldown or
    without drift, then due once prices drift the weights past the threshold."""
    r = rebalancing
    rb = r.rebalancer
    with isolated(chain):
        assert r.lens.shouldRebalance(rb, r.vault)[0]
        relay(r, chain, r.intent(chain, TARGETS), outsider)
        assert not r.lens.shouldRebalance(rb, r.vault)[0]
        with ape.reverts(rb.CooldownActive):
            relay(r, chain, r.intent(chain, TARGETS), outsider, routes=[b""])
        chain.mine(timestamp=chain.blocks.head.timestamp + 3_601)
        assert not r.lens.shouldRebalance(rb, r.vault)[0]
        preview = r.lens.previewRebalance(rb, r.intent(chain, TARGETS).as_tuple())
        assert preview.blocker == selector(rb, "DriftBelowThreshold")
        r.liq.feeds["QSPX"].report(int(70 * 10**8), sender=reporter)  # QSPX +40%: 15% -> ~19.8%
        # the risk keeper's sync: the strategy prices from it
        r.engine.sync(r.vault, sender=reporter)
        due, data = r.lens.shouldRebalance(rb, r.vault)
        strategy_id, nonce, drift = (int.from_bytes(data[i : i + 32], "big") for i in (0, 32, 64))
        assert due and strategy_id == 1 and nonce == 1 and drift >= 200


def test_sec_62__strategy_cooldown_below_the_minimum__refused_nonce_outlives_the_fund(
    rebalancing, chain, governor
):
    """SEC-62 (red team I9): the progress word's 24-bit nonce allows 16,777,215 rebalances, and a
    strategy could set no cooldown: one rebalance per 12 s block spends it in 6.4 years. A strategy
    now waits at least MIN_COOLDOWN (600 s) between rebalances: the nonce lasts 319 years."""
    r = rebalancing
    rb = r.rebalancer
    with isolated(chain):
        with ape.reverts(rb.InvalidStrategy, rule=COOLDOWN, value=0):
            rb.setStrategy(r.vault, strategy_tuple(cooldown=0), sender=governor)
        minimum = rb.MIN_COOLDOWN()
        assert minimum == 600 and (2**24 - 1) * minimum >= 319 * 365 * 86_400
        with ape.reverts(rb.InvalidStrategy, rule=COOLDOWN, value=minimum - 1):
            rb.setStrategy(r.vault, strategy_tuple(cooldown=minimum - 1), sender=governor)
        rb.setStrategy(r.vault, strategy_tuple(cooldown=minimum), sender=governor)


def test_set_strategy__every_refusal__names_the_rule_and_the_value_and_changes_nothing(
    rebalancing, chain, governor
):
    """Each of setStrategy's checks refuses with an error that carries what was wrong (the rule and
    the value, the asset's index and bounds, the sums), and a refused strategy leaves the record as
    it was (the strategy id does not move)."""
    r = rebalancing
    rb = r.rebalancer
    with isolated(chain):
        before = r.lens.strategyOf(rb, r.vault)
        refused = [
            (dict(signerThreshold=0), rb.InvalidStrategy, dict(rule=SIGNER_THRESHOLD, value=0)),
            (dict(maxSlippageBps=0), rb.InvalidStrategy, dict(rule=MAX_SLIPPAGE, value=0)),
            (
                dict(maxSlippageBps=10_001),
                rb.InvalidStrategy,
                dict(rule=MAX_SLIPPAGE, value=10_001),
            ),
            (dict(maxTradeBps=10_001), rb.InvalidStrategy, dict(rule=MAX_TRADE, value=10_001)),
            (dict(lossRefillPeriod=0), rb.InvalidStrategy, dict(rule=LOSS_REFILL_PERIOD, value=0)),
            (dict(maxBaseFee=0), rb.InvalidStrategy, dict(rule=MAX_BASE_FEE, value=0)),
            (dict(lossBudget=2**96), rb.InvalidStrategy, dict(rule=LOSS_BUDGET, value=2**96)),
            (
                dict(maxSnapshotAge=3_601),
                rb.InvalidStrategy,
                dict(rule=MAX_SNAPSHOT_AGE, value=3_601),
            ),
            (
                dict(minWeightBps=[500, 1_000, 0], maxWeightBps=[10_000, 8_000, 4_000]),
                rb.BoundsLengthMismatch,
                dict(minBounds=3, maxBounds=3, assets=4),
            ),
            (
                dict(minWeightBps=[500, 9_000, 0, 0]),
                rb.WeightBoundsInvalid,
                dict(index=1, minBps=9_000, maxBps=8_000),
            ),
            (
                dict(maxWeightBps=[10_001, 8_000, 4_000, 4_000]),
                rb.WeightBoundsInvalid,
                dict(index=0, minBps=500, maxBps=10_001),
            ),
            (
                dict(minWeightBps=[5_000, 6_000, 0, 0]),
                rb.WeightSumsInvalid,
                dict(minSumBps=11_000, maxSumBps=26_000),
            ),
        ]
        for overrides, error, args in refused:
            with ape.reverts(error, **args):
                rb.setStrategy(r.vault, strategy_tuple(**overrides), sender=governor)
        with ape.reverts(rb.ZeroSigner):
            rb.setSigner(r.vault, "0x" + "00" * 20, True, sender=governor)
        assert r.lens.strategyOf(rb, r.vault) == before
