"""RSK-1..RSK-4 and RSK-17 as a hypothesis state machine: random trades, price moves, model updates
(valid and out of bounds, with or without the change bounds' time window), time jumps, halts,
resumes, withdrawals and in-kind redemptions. The oracle is an independent Python model of the
limits (`risk_model.RiskModel`, built from the fixture's inputs and the machine's own actions,
never from the engine): every trade's outcome — passes, or which limit breaks, with its subject,
value and bound — is predicted by the model and compared with both the engine's `check` view and
its `enforce` (the vault's trade)."""

from fractions import Fraction

from eth_abi import decode
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

from fast_reverts import assert_reverts, revert_data
from keepers.core.units import PRICE_STATUS
from risk_fixtures import (
    ASSETS,
    CORRELATIONS,
    ES_MULTIPLIER_PPM,
    FEED_DECIMALS,
    LIMITS,
    STRESS_BPS,
    USDC_UNIT,
    VOLS_PPM,
    asset_risk,
    limits_tuple,
    model_update,
    swap_params,
)
from risk_model import STALE_MODEL, STALE_PRICES, RiskModel

USDC = 0
RISKY = st.sampled_from([1, 2, 3])
PRICE_UNAVAILABLE = "0x" + keccak(text="PriceUnavailable(address,uint8)")[:4].hex()
HEARTBEAT = 86_400  # the fixture's feeds
PRICE_STALE = PRICE_STATUS.index("stale")
# A call runs at the head's timestamp or the next block's (anvil): an age the engine reports may be
# a few seconds past the model's, evaluated at the head. Every bound is hundreds of seconds away.
AGE_SLACK_SECONDS = 30


def agrees(expected, actual) -> bool:
    """The engine's (ok, limit, subject, value, bound, riskReducing) is the model's; a stale-data
    gate's value (an age) may be a few seconds older than the model's."""
    actual, expected = tuple(actual), expected.as_tuple()
    if expected[1] in (STALE_MODEL, STALE_PRICES):
        return (
            actual[:3] + actual[4:] == expected[:3] + expected[4:]
            and 0 <= actual[3] - expected[3] <= AGE_SLACK_SECONDS
        )
    return actual == expected


def refusal(chain, method, *args, sender, error):
    """The custom error `method(*args)` reverts with, decoded against `error` = (contract, name):
    (contract's field values) — fast_reverts' eth_call, without ape's trace walk."""
    contract, name = error
    abi = next(e for e in contract.contract_type.errors if e.name == name)
    data = revert_data(chain, method, *args, sender=sender)
    assert data[:4] == keccak(text=abi.selector)[:4], f"reverted with {data[:4].hex()}, not {name}"
    return decode([i.canonical_type for i in abi.inputs], data[4:])


def venue_rate(answers, sell: int, buy: int) -> int:
    """The fixed-rate venue's rate (18-decimal output units per input unit) at the feeds' answers,
    as risk_fixtures sets it at the fixture's prices."""
    price_sell, price_buy = Fraction(answers[sell]), Fraction(answers[buy])
    return int(price_sell / price_buy * Fraction(10) ** (ASSETS[buy][1] - ASSETS[sell][1] + 18))


def test_risk_state_machine(
    risk_stack, chain, executor, guardian, governor, reporter, risk_keeper, fund_investor, deployer
):
    engine, vault, tokens, feeds = (
        risk_stack.engine,
        risk_stack.vault,
        risk_stack.tokens,
        risk_stack.feeds,
    )
    share_decimals = vault.decimals()

    class RiskMachine(RuleBasedStateMachine):
        @initialize(window_hours=st.sampled_from([0, 24]))
        def setup(self, window_hours):
            self.snapshot = chain.snapshot()
            # The model starts from the fixture's inputs: its limits (with or without RSK-17's
            # window: the same assets, so the engine keeps its model), assets and model data, the
            # id and times of the update it published (read back), and the feeds' rounds; the
            # machine syncs once so that it knows when the engine's price snapshot was taken.
            limits = {**LIMITS, "boundWindowHours": window_hours}
            engine.configure(vault, asset_risk(), limits_tuple(**limits), sender=governor)
            _, update_id, as_of, published_at = engine.metricsOf(vault)
            self.model = RiskModel(
                decimals=[d for _, d, *_ in ASSETS],
                max_weight_bps=[cap for *_, cap, _ in ASSETS],
                asset_class=[cls for _, _, cls, *_ in ASSETS],
                liquid=[liquid for _, _, _, liquid, *_ in ASSETS],
                limits=limits,
                vols_ppm=list(VOLS_PPM),
                correlations=list(CORRELATIONS),
                es_multiplier_ppm=ES_MULTIPLIER_PPM,
                stress_bps=list(STRESS_BPS),
                update_id=update_id,
                as_of=as_of,
                published_at=published_at,
                prices_nano=[0] * len(ASSETS),
                priced=[False] * len(ASSETS),
            )
            self.answers = [int(price * 10**FEED_DECIMALS) for *_, price in ASSETS]
            self.reported_at = [feed.latestRoundData()[3] for feed in feeds]
            self.prices = [price for *_, price in ASSETS]
            self._sync()

        def teardown(self):
            chain.restore(self.snapshot)

        def _sync(self):
            receipt = engine.sync(vault, sender=guardian)
            self.model.sync(
                risk_stack.holdings(),
                self.answers,
                self.reported_at,
                HEARTBEAT,
                FEED_DECIMALS,
                vault.totalSupply(),
                share_decimals,
                receipt.timestamp,
            )

        def venue_out(self, sell: int, buy: int, amount: int) -> int:
            """The venue's output at the oracle's current prices (the rates follow the reports:
            the vault bounds every trade by oracle prices, SEC-50)."""
            return amount * venue_rate(self.answers, sell, buy) // 10**18

        def _trade(self, sell, buy, amount):
            before = risk_stack.holdings()
            params = swap_params(risk_stack, sell, buy, amount)
            after = list(before)
            after[sell] -= amount
            after[buy] += self.venue_out(sell, buy, amount)
            now = chain.blocks.head.timestamp
            expected = self.model.check(before, after, now)
            # The engine's view agrees with the model, to the unit.
            preview = engine.check(vault, before, after)
            assert agrees(expected, preview), (str(expected), preview)
            stale = {
                risk_stack.tokens[a].address.lower()
                for a in (sell, buy)
                if now - self.reported_at[a] > HEARTBEAT
            }
            if stale:
                # SEC-50: the vault values both legs at live oracle prices before the risk check
                # (which reads the engine's snapshot): a leg whose feed has not reported within its
                # heartbeat refuses the trade, whatever the limits say.
                asset, status = refusal(
                    chain,
                    vault.trade,
                    params,
                    sender=executor,
                    error=(risk_stack.router, "PriceUnavailable"),
                )
                assert asset.lower() in stale and status == PRICE_STALE, (asset, status)
                assert risk_stack.holdings() == before
                return
            if expected.ok:
                # RSK-1: within every limit, or risk-reducing (RSK-2: the only way through a halt).
                receipt = vault.trade(params, sender=executor)
                assert not receipt.failed
                assert risk_stack.holdings() == after
            else:
                # The vault's trade refuses it with the model's limit and numbers (enforce).
                portfolio, *breached = refusal(
                    chain, vault.trade, params, sender=executor, error=(engine, "RiskLimitBreached")
                )
                assert portfolio.lower() == vault.address.lower()
                assert agrees(expected, [False, *breached, expected.risk_reducing]), (
                    str(expected),
                    breached,
                )
                assert risk_stack.holdings() == before

        @rule(asset=RISKY, usd=st.integers(1_000, 300_000))
        def buy(self, asset, usd):
            if vault.holdings()[USDC] >= usd * USDC_UNIT:
                self._trade(USDC, asset, usd * USDC_UNIT)

        @rule(asset=RISKY, share_of_cash=st.integers(10, 100))
        def buy_towards_a_limit(self, asset, share_of_cash):
            # Large purchases: concentration, class, liquidity, VaR, ES and stress limits break.
            amount = vault.holdings()[USDC] * share_of_cash // 100
            if amount:
                self._trade(USDC, asset, amount)

        @rule(sell=RISKY, buy=RISKY, fraction=st.integers(1, 100))
        def switch(self, sell, buy, fraction):
            # Between risky assets (through cash, as the venue quotes them): new risk in `buy`.
            amount = vault.holdings()[sell] * fraction // 100
            if amount and sell != buy:
                self._trade(sell, USDC, amount)
                cash = self.venue_out(sell, USDC, amount)
                self._trade(USDC, buy, min(vault.holdings()[USDC], cash))

        @rule(asset=RISKY, fraction=st.integers(1, 100))
        def sell(self, asset, fraction):
            amount = vault.holdings()[asset] * fraction // 100
            if amount:
                self._trade(asset, USDC, amount)

        @rule(asset=RISKY, move_pct=st.integers(-40, 20))
        def move_price(self, asset, move_pct):
            self.prices[asset] = max(self.prices[asset] * (100 + move_pct) / 100, 0.01)
            self.answers[asset] = int(self.prices[asset] * 10**FEED_DECIMALS)
            self.reported_at[asset] = (
                feeds[asset].report(self.answers[asset], sender=reporter).timestamp
            )
            # The venue quotes at the new price (a market that moved with the oracle).
            for a, b in ((USDC, asset), (asset, USDC)):
                risk_stack.venue.setRate(
                    tokens[a], tokens[b], venue_rate(self.answers, a, b), sender=deployer
                )
            self._sync()

        @rule(
            vol_scale=st.floats(0.3, 3.0),
            es_scale=st.floats(0.5, 1.6),
            wait=st.sampled_from([601, 21_600]),
        )
        def publish(self, vol_scale, es_scale, wait):
            chain.pending_timestamp += wait
            chain.mine()
            vols = [max(1, int(v * vol_scale)) for v in self.model.vols_ppm]
            update_id, as_of = self.model.update_id + 1, chain.pending_timestamp - 1
            self._publish(update_id, as_of, vols, int(self.model.es_multiplier_ppm * es_scale))

        def _publish(self, update_id, as_of, vols, es=None):
            # RSK-3, RSK-17: refused exactly when the model says, with its error (replay, the vol
            # and ES change bounds, per update or scaled by the time since the last model). A call
            # runs at the head's time; a sent transaction later, which only widens the share.
            es = self.model.es_multiplier_ppm if es is None else es
            update = model_update(update_id, as_of, vols=vols, es=es)
            now = chain.blocks.head.timestamp
            refusal = self.model.publish_refusal(update_id, as_of, vols, now, es)
            if refusal is None:
                receipt = engine.publishModel(vault, update, sender=risk_keeper)
                self.model.publish(update_id, as_of, vols, receipt.timestamp, es)
            else:
                name, fields = refusal
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

        @rule()
        def replay_update(self):
            # RSK-3: a replayed update id is refused (the model says StaleUpdate, whatever else).
            assert (
                self.model.publish_refusal(
                    self.model.update_id,
                    chain.pending_timestamp,
                    self.model.vols_ppm,
                    chain.blocks.head.timestamp,
                )[0]
                == "StaleUpdate"
            )
            self._publish(self.model.update_id, chain.pending_timestamp, self.model.vols_ppm)

        @rule(seconds=st.sampled_from([60, 3_700, 86_500]))
        def advance_time(self, seconds):
            chain.pending_timestamp += seconds
            chain.mine()

        @rule()
        def halt(self):
            if not self.model.halted:
                engine.halt(vault, sender=guardian)
                self.model.halted = True

        @rule(reset=st.booleans())
        def resume(self, reset):
            if self.model.halted:
                engine.resume(vault, reset, sender=governor)
                self.model.resume(reset)

        @rule(fraction=st.integers(1, 30))
        def redeem_in_kind(self, fraction):
            shares = vault.balanceOf(fund_investor) * fraction // 100
            if shares:
                vault.redeemInKind(
                    shares, fund_investor, fund_investor, sender=fund_investor
                )  # RSK-2: always works

        @rule(fraction=st.integers(1, 20))
        def withdraw_cash(self, fraction):
            before = risk_stack.holdings()
            cash = before[USDC] * fraction // 100
            halted = self.model.halted
            after = [before[0] - cash, *before[1:]]
            # Risk-checked like a trade unless halted (RSK-2: then investors may always leave).
            expected = (
                None if halted else self.model.check(before, after, chain.blocks.head.timestamp)
            )
            try:
                # maxWithdraw values the shares at NAV: like withdraw, it needs every held asset
                # priced.
                if cash == 0 or cash > vault.maxWithdraw(fund_investor):
                    return
                vault.withdraw(cash, fund_investor, fund_investor, sender=fund_investor)
                assert expected is None or expected.ok, str(expected)
            except Exception as err:  # noqa: BLE001
                # RSK-2: a halted vault never refuses a cash withdrawal on risk grounds; an unpriced
                # asset (no NAV) is the one reason it can fail, halted or not (in-kind still works).
                name = type(err).__name__
                # The router's PriceUnavailable reaches the caller as raw revert data (another
                # contract's error).
                unpriced = name == "PriceUnavailable" or PRICE_UNAVAILABLE in str(
                    getattr(err, "message", err)
                )
                refused = (
                    name == "RiskLimitBreached"
                    and expected is not None
                    and not expected.ok
                    and err.inputs["limit"] == expected.limit
                )
                assert unpriced or refused, (err, str(expected))

        @invariant()
        def holdings_match_balances(self):
            if hasattr(self, "prices"):
                assert risk_stack.holdings() == [t.balanceOf(vault) for t in tokens]

        @invariant()
        def halted_as_the_model_says(self):
            # RSK-2: the guardian's halt, the governor's resume, and sync's own halts.
            if hasattr(self, "model"):
                assert engine.isHalted(vault) == self.model.halted

    run_state_machine_as_test(
        RiskMachine,
        settings=settings(
            # Derandomised for a reproducible CI; no shrinking phase: each step is a transaction,
            # and a
            # failing example is reported as found rather than after minutes of shrinking.
            max_examples=10,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
