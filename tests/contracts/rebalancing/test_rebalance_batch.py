"""RBL-15: `rebalanceBatch` relays several signed intents in one transaction, each item exactly as
if its relayer had sent it alone: an item that reverts is undone and reported by `RebalanceFailed`
(its portfolio, its index, its revert data) while the others execute; the relayer binding holds
(the caller stays the relayer); the batch is bounded (MAX_BATCH, 32) and takes only `rebalance`
calls."""

import ape
from eth_abi import encode
from eth_utils import keccak

from isolation import isolated

TARGETS = (4_000, 3_000, 1_500, 1_500)
MAX_BATCH = 32


def item(r, chain, intent) -> bytes:
    """One batch item: `rebalance`'s calldata for `intent`, signed by two of the three keys."""
    signers, signatures = r.sign(chain, intent)
    return bytes(
        r.rebalancer.rebalance.encode_input(
            intent.as_tuple(), signers, signatures, r.routes(intent)
        )
    )


def error_data(name: str, types: list[str], values: list) -> bytes:
    return keccak(text=f"{name}({','.join(types)})")[:4] + encode(types, values)


def test_rebalance_batch__failing_items__reported_and_the_others_execute(
    rebalancing, chain, outsider
):
    r = rebalancing
    with isolated(chain):
        valid = r.intent(chain, TARGETS)
        expired = r.intent(chain, TARGETS, deadline=chain.pending_timestamp - 1)
        batch = [item(r, chain, expired), item(r, chain, valid), item(r, chain, valid)]
        receipt = r.rebalancer.rebalanceBatch(batch, sender=outsider)

        executed = [log for log in receipt.events if log.event_name == "Rebalanced"]
        failed = [log for log in receipt.events if log.event_name == "RebalanceFailed"]
        assert [(e.portfolio, e.nonce, e.relayer) for e in executed] == [
            (r.vault.address, 0, outsider.address)
        ]
        vault = r.vault.address
        assert [(e.portfolio, e.index) for e in failed] == [(vault, 0), (vault, 2)]
        assert bytes(failed[0].reason)[:4] == keccak(text="IntentExpired(uint64,uint256)")[:4]
        # The replay within the batch: the nonce the second item spent.
        assert bytes(failed[1].reason) == error_data(
            "InvalidNonce", ["address", "uint256", "uint256"], [r.vault.address, 0, 1]
        )
        assert r.lens.stateOf(r.rebalancer, r.vault)[0] == 1
        assert all(h > 0 for h in r.vault.holdings())


def test_rebalance_batch__bound_relayer__holds_for_each_item(
    rebalancing, chain, governor, outsider
):
    r, keeper = rebalancing, rebalancing.liq.trader
    with isolated(chain):
        r.rebalancer.setRelayer(r.vault, keeper, sender=governor)
        batch = [item(r, chain, r.intent(chain, TARGETS))]
        copied = r.rebalancer.rebalanceBatch(batch, sender=outsider)
        [refused] = [log for log in copied.events if log.event_name == "RebalanceFailed"]
        assert bytes(refused.reason) == error_data(
            "RelayerNotAllowed",
            ["address", "address", "address"],
            [r.vault.address, outsider.address, keeper.address],
        )
        assert r.lens.stateOf(r.rebalancer, r.vault)[0] == 0
        relayed = r.rebalancer.rebalanceBatch(batch, sender=keeper)
        [event] = [log for log in relayed.events if log.event_name == "Rebalanced"]
        assert (event.portfolio, event.relayer) == (r.vault.address, keeper.address)
        assert not [log for log in relayed.events if log.event_name == "RebalanceFailed"]


def test_rebalance_batch__over_max_or_not_a_rebalance__reverts_whole(
    rebalancing, chain, governor, outsider
):
    r = rebalancing
    with isolated(chain):
        one = item(r, chain, r.intent(chain, TARGETS))
        with ape.reverts(r.rebalancer.BatchSizeInvalid, count=MAX_BATCH + 1, max=MAX_BATCH):
            r.rebalancer.rebalanceBatch([one] * (MAX_BATCH + 1), sender=outsider)
        # An administrative call in a batch would run as its caller: refused before anything runs.
        pause = bytes(r.rebalancer.pause.encode_input(r.vault))
        with ape.reverts(r.rebalancer.NotARebalance, index=1):
            r.rebalancer.rebalanceBatch([one, pause], sender=governor)
        assert r.lens.stateOf(r.rebalancer, r.vault)[0] == 0
        assert not r.lens.strategyOf(r.rebalancer, r.vault)[2]  # not paused
