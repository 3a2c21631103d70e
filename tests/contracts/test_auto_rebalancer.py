"""AutoRebalancer: signed intents executed through the aggregator on the real venues, every bound,
the loss budget, the risk check after, the guardian (docs/specs.md RBL-5..RBL-11)."""

import ape

from isolation import isolated
from rebalancer_fixtures import ORDER

TARGETS = (4_000, 3_000, 1_500, 1_500)


def relay(r, chain, intent, sender, chosen=(0, 1), routes=None):
    signers, signatures = r.sign(chain, intent, chosen)
    return r.rebalancer.rebalance(intent.as_tuple(), signers, signatures, routes or r.routes(intent), sender=sender)


def test_rebalance__first_allocation__three_trades_towards_targets_never_past(rebalancing, chain, outsider):
    r = rebalancing
    with isolated(chain):
        intent = r.intent(chain, TARGETS)
        preview = r.rebalancer.previewRebalance(intent.as_tuple())
        assert preview.blocker == b"\x00" * 4 and len(preview.trades) == 3
        assert preview.driftBps == 6_000 and preview.trackingErrorAfterBps < preview.trackingErrorBeforeBps
        nav = preview.nav
        receipt = relay(r, chain, intent, outsider)  # anyone may relay
        names = [log.event_name for log in receipt.events]
        assert names.count("RouteExecuted") == 3 and names.count("Traded") == 3 and names[-1] == "Rebalanced"
        event = receipt.events[-1]
        values = r.values()
        for i, target in enumerate(TARGETS[1:], start=1):  # bought at pool prices worse than the oracle's
            assert 0 < values[i] <= nav * target // 10_000
        assert values[0] >= nav * TARGETS[0] // 10_000  # cash never spent below its target
        loss = nav - sum(values)
        assert event.loss == loss > 0 and event.relayer == outsider.address and event.nonce == 0
        nonce, last, available, targets = r.rebalancer.stateOf(r.vault)
        assert nonce == 1 and last == chain.blocks.head.timestamp and list(targets) == list(TARGETS)
        assert available == 2_000 * 10**18 - loss
        assert all(int(t.balanceOf(r.liq.aggregator)) == 0 for t in r.tokens)
        assert all(int(t.allowance(r.vault, r.liq.aggregator)) == 0 for t in r.tokens)
        # The same intent again: its nonce is spent.
        with ape.reverts(r.rebalancer.InvalidNonce, nonce=0, expected=1):
            relay(r, chain, intent, outsider, routes=[([(1, [(r.liq.venue("UniswapV2Pair.A.QTB-USDC"),
                                                             r.tokens[1].address, b"")])],)])
