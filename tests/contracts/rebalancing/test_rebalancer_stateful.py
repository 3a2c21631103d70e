"""RBL-5, RBL-6, RBL-8, RBL-9, RBL-10 as a hypothesis state machine over the AutoRebalancer on the
real venues: random targets, honest and tampered intents (replayed, expired, foreign chain or
contract, malleable, stranger-signed), oracle price moves and time jumps."""

from eth_account import Account
from eth_utils import keccak
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fast_reverts import revert_data
from keepers.rebalancing.intent import sign_intent
from liquidity_fixtures import PRICES
from rebalancer_fixtures import DOMAIN, ORDER, STRATEGY
from risk_fixtures import FEED_DECIMALS

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TAMPERS = ["none"] * 6 + [
    "replay",
    "expired",
    "foreign_chain",
    "foreign_contract",
    "malleable",
    "stranger",
]


def selector(text: str) -> bytes:
    return keccak(text=text)[:4]


# What each tampered intent must be refused with (before anything trades).
REFUSAL = {
    "replay": selector("InvalidNonce(address,uint256,uint256)"),
    "expired": selector("IntentExpired(uint64,uint256)"),
    "foreign_chain": selector("InvalidSigner(address,bytes32)"),
    "foreign_contract": selector("InvalidSigner(address,bytes32)"),
    "malleable": selector("InvalidSigner(address,bytes32)"),
    "stranger": selector("SignerNotAuthorised(address)"),
}
CHECKED_BEFORE_SIGNATURES = (
    selector("CooldownActive(address,uint256)"),
    selector("DriftBelowThreshold(uint256,uint16)"),
)
# Honest intents may still be refused, for these reasons only (and then nothing moves).
HONEST_REFUSALS = {
    selector("CooldownActive(address,uint256)"),
    selector("DriftBelowThreshold(uint256,uint16)"),
    selector("NothingToTrade(address)"),
    selector("LossBudgetExceeded(address,uint256,uint256)"),
    selector("RiskLimitBreached(address,uint8,uint8,uint256,uint256)"),
    # The trade's minimum is its oracle bound: a pool below oracle value less slippage.
    selector("InsufficientOutput(uint256,uint256)"),
}

targets_strategy = (
    st.tuples(st.integers(1_000, 5_000), st.integers(0, 3_000), st.integers(0, 3_500))
    .filter(lambda t: sum(t) <= 9_500)
    .map(lambda t: (10_000 - sum(t), *t))
)


def test_rebalancer_state_machine(rebalancing, chain, outsider, reporter, deployer):
    r = rebalancing
    rb, vault, lens = r.rebalancer, r.vault, r.lens
    stranger = Account.create("stateful stranger")
    budget = STRATEGY["lossBudget"]

    class RebalancerMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.snapshot = chain.snapshot()
            self.executed: set[int] = set()
            self.prices = dict(PRICES)

        def teardown(self):
            chain.restore(self.snapshot)

        def _signed(self, intent, tamper):
            chain_id, contract = chain.chain_id, rb.address
            if tamper == "foreign_chain":
                chain_id += 1
            if tamper == "foreign_contract":
                contract = vault.address
            keys = r.keys[:2] if tamper != "stranger" else [r.keys[0], stranger]
            keys = sorted(keys, key=lambda k: int(k.address, 16))
            signatures = [sign_intent(intent, k.key, DOMAIN, chain_id, contract)[1] for k in keys]
            if tamper == "malleable":
                sig = signatures[0]
                s = int.from_bytes(sig[32:64], "big")
                signatures[0] = (
                    sig[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - sig[64]])
                )
            return [k.address for k in keys], signatures

        @rule(
            weights=targets_strategy,
            slippage=st.sampled_from([100, 150, 200]),
            tamper=st.sampled_from(TAMPERS),
        )
        def relay(self, weights, slippage, tamper):
            targets = weights
            nonce = lens.stateOf(rb, vault)[0]
            if tamper == "replay":
                if not self.executed:
                    return
                nonce = max(self.executed)
            # Expired at the head block, which the view below runs on (the pending time moves on
            # with the wall clock, so "pending - 1" would not be expired once a second ticked).
            deadline = chain.blocks.head.timestamp - 1 if tamper == "expired" else None
            intent = r.intent(chain, targets, nonce=nonce, slippage=slippage, deadline=deadline)
            signers, signatures = self._signed(intent, tamper)
            routes = r.routes(intent)
            before = (list(vault.holdings()), lens.stateOf(rb, vault)[:3])
            values, nav = r.values(), sum(r.values())
            args = (intent.as_tuple(), signers, signatures, routes)
            try:
                data = revert_data(chain, rb.rebalance, *args, sender=outsider)
            except AssertionError:
                data = None  # the call passes
            if tamper != "none":
                # RBL-5/6: never executes; refused for the tampering, or by a state check that comes
                # first.
                assert data is not None, tamper
                assert data[:4] in (REFUSAL[tamper], *CHECKED_BEFORE_SIGNATURES), (
                    tamper,
                    data.hex(),
                )
                return
            if data is not None:
                assert data[:4] in HONEST_REFUSALS, data.hex()
                if data[:4] == selector("RiskLimitBreached(address,uint8,uint8,uint256,uint256)"):
                    # RBL-10: sent for real, the refused rebalance changes nothing at all.
                    tx = chain.provider.web3.eth.send_transaction(
                        {
                            "from": outsider.address,
                            "to": rb.address,
                            "gas": 5_000_000,
                            "data": rb.rebalance.encode_input(*args),
                        }
                    )
                    assert chain.provider.web3.eth.wait_for_transaction_receipt(tx).status == 0
                    assert (list(vault.holdings()), lens.stateOf(rb, vault)[:3]) == before
                return
            # Executed at the head block's time, the one the view and `before` saw: the loss
            # budget's refill (per second) must not depend on how long the machine took to get here.
            chain.pending_timestamp = chain.blocks.head.timestamp
            receipt = rb.rebalance(*args, sender=outsider)
            event = receipt.events[-1]
            # RBL-5
            assert (
                event.event_name == "Rebalanced"
                and event.nonce == nonce
                and nonce not in self.executed
            )
            self.executed.add(nonce)
            _, _, available_before = before[1]
            new_nonce, last, available = lens.stateOf(rb, vault)[:3]
            assert new_nonce == nonce + 1 and last == chain.blocks.head.timestamp
            # RBL-9
            assert event.loss <= available_before and available == available_before - event.loss
            # RBL-8, at the oracle prices of the intent's block: nothing sold below its target, and
            # a purchase ends above its target by no more than its price improvement over the
            # oracle.
            prices = [r.liq.router.price(t) for t in r.tokens]
            units = [10**6, 10**18, 10**18, 10**18]
            after = [h * p // u for h, p, u in zip(vault.holdings(), prices, units)]
            index = {t.address: i for i, t in enumerate(r.tokens)}
            improvement, shortfall = [0] * len(targets), [0] * len(targets)
            # RebalanceMath sizes a purchase paid from asset i in i's base units, rounded down
            # (`value * units / price`): each such leg can leave i up to one base unit's value
            # above what the oracle values add up to.
            paid_legs = [0] * len(targets)
            for log in receipt.events:
                if log.event_name == "Traded":
                    sell, buy = index[log.sellAsset], index[log.buyAsset]
                    paid_legs[sell] += 1
                    gain = (
                        log.bought * prices[buy] // units[buy]
                        - log.sold * prices[sell] // units[sell]
                    )
                    improvement[buy] += max(0, gain)
                    shortfall[buy] += max(0, -gain)
            for i, target_bps in enumerate(targets):
                target = nav * target_bps // 10_000
                if values[i] > target:
                    # The settlement asset also receives the sales: less than their oracle value
                    # when they slip, which can leave it below target by that shortfall.
                    assert after[i] >= target - shortfall[i] - 10**12, (
                        i,
                        after[i],
                        target,
                        shortfall,
                    )
                elif values[i] < target:
                    base_unit = -(-prices[i] // units[i])  # one base unit of asset i, valued
                    rounding = 10**12 + paid_legs[i] * base_unit
                    assert after[i] <= target + improvement[i] + rounding, (
                        i,
                        after[i],
                        target,
                        improvement,
                    )

        @rule(asset=st.sampled_from([1, 2, 3]), move_bps=st.integers(-600, 600))
        def move_price(self, asset, move_bps):
            symbol = ORDER[asset]
            self.prices[symbol] = self.prices[symbol] * (10_000 + move_bps) / 10_000
            r.liq.feeds[symbol].report(
                int(self.prices[symbol] * 10**FEED_DECIMALS), sender=reporter
            )
            r.engine.sync(vault, sender=deployer)

        @rule(minutes=st.integers(10, 120))
        def wait(self, minutes):
            chain.mine(timestamp=chain.blocks.head.timestamp + 60 * minutes)
            for symbol, feed in r.liq.feeds.items():  # the price reporter keeps the feeds fresh
                feed.report(int(self.prices[symbol] * 10**FEED_DECIMALS), sender=reporter)
            r.engine.sync(vault, sender=deployer)

        @invariant()
        def budget_within_bounds(self):
            if hasattr(self, "executed"):
                nonce, _, available, _ = lens.stateOf(rb, vault)
                assert nonce == len(self.executed)  # RBL-5: one execution per nonce, in order
                assert 0 <= available <= budget  # RBL-9

    run_state_machine_as_test(
        RebalancerMachine,
        settings=settings(
            # Derandomised for a reproducible CI; no shrinking (each step is a transaction).
            max_examples=10,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
