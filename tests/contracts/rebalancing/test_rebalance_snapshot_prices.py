"""RBL-13, RBL-14: a rebalance is priced with the RiskEngine's snapshot only while it is fresh and
complete, and only for a strategy bound to its relayer.

With a strategy's `maxSnapshotAge` set, the plan, every trade's minimum output, the drift and the
loss use `IRiskEngine.priceSnapshot` when the snapshot priced every asset and is at most that old —
the prices the risk check after the trades values holdings at — and the live oracle prices
otherwise. A live price that moved since the sync shows which was used: the preview's and the
event's `pricesSyncedAt` (0: live), the NAV and the minimum outputs.
"""

import ape

from compliance_fixtures import wire
from fast_reverts import assert_reverts
from governed import behind_proxy
from isolation import isolated
from keepers.core.solidity_enums import member
from keepers.core.units import BPS
from liquidity_fixtures import PRICES
from rebalancer_fixtures import ORDER, STRATEGY, strategy_tuple
from risk_fixtures import FEED_DECIMALS

TARGETS = (4_000, 3_000, 1_500, 1_500)  # three purchases from cash
UNITS = [10**6, 10**18, 10**18, 10**18]


def report(r, reporter, symbol, price):
    r.liq.feeds[symbol].report(int(price * 10**FEED_DECIMALS), sender=reporter)


def nav_at(holdings, prices):
    return sum(h * p // u for h, p, u in zip(holdings, prices, UNITS))


def min_out(value, price, unit, slippage_bps=100):
    return value * (BPS - slippage_bps) // BPS * unit // price


def test_rebalance__fresh_complete_snapshot__plan_minimums_and_loss_at_its_prices(
    rebalancing, chain, reporter, outsider, governor
):
    r = rebalancing
    with isolated(chain):
        # snapshot prices need a bound relayer (RBL-14)
        r.rebalancer.setRelayer(r.vault, outsider, sender=governor)
        r.engine.sync(r.vault, sender=reporter)
        synced_at, mask, snapshot = r.engine.priceSnapshot(r.vault)
        assert mask == 0b1111 and list(snapshot) == [int(PRICES[s] * 10**18) for s in ORDER]
        report(r, reporter, "QSPX", PRICES["QSPX"] * 1.1)  # live QSPX 10% above the snapshot
        intent = r.intent(chain, TARGETS)
        preview = r.lens.previewRebalance(r.rebalancer, intent.as_tuple())
        assert preview.pricesSyncedAt == synced_at
        assert preview.nav == nav_at(r.vault.holdings(), snapshot)
        qspx_buy = next(t for t in preview.trades if int(t.buyIndex) == 3)
        assert qspx_buy.minBuyAmount == min_out(qspx_buy.value, snapshot[3], UNITS[3])
        signers, signatures = r.sign(chain, intent)
        event = r.rebalancer.rebalance(
            intent.as_tuple(), signers, signatures, r.routes(intent), sender=outsider
        ).events[-1]
        assert event.event_name == "Rebalanced" and event.pricesSyncedAt == synced_at
        assert event.navBefore == preview.nav


def test_rebalance__snapshot_older_than_max_age__falls_back_to_live_prices(
    rebalancing, chain, reporter, outsider, governor
):
    r = rebalancing
    with isolated(chain):
        r.rebalancer.setRelayer(r.vault, outsider, sender=governor)
        r.engine.sync(r.vault, sender=reporter)
        synced_at = r.engine.priceSnapshot(r.vault)[0]
        chain.mine(timestamp=synced_at + STRATEGY["maxSnapshotAge"] + 1)  # one second too old
        live = dict(PRICES, QSPX=PRICES["QSPX"] * 1.1)
        for symbol, price in live.items():
            report(r, reporter, symbol, price)
        intent = r.intent(chain, TARGETS)
        preview = r.lens.previewRebalance(r.rebalancer, intent.as_tuple())
        live18 = [int(r.liq.router.price(t)) for t in r.tokens]
        assert preview.pricesSyncedAt == 0 and preview.nav == nav_at(r.vault.holdings(), live18)
        qspx_buy = next(t for t in preview.trades if int(t.buyIndex) == 3)
        assert qspx_buy.minBuyAmount == min_out(qspx_buy.value, live18[3], UNITS[3])
        # The same trades at the snapshot's QSPX price would have asked 10% more QSPX.
        assert qspx_buy.minBuyAmount < min_out(
            qspx_buy.value, int(PRICES["QSPX"] * 10**18), UNITS[3]
        )
        signers, signatures = r.sign(chain, intent)
        chain.pending_timestamp = chain.blocks.head.timestamp + 1  # still past the snapshot's age
        event = r.rebalancer.rebalance(
            intent.as_tuple(), signers, signatures, r.routes(intent), sender=outsider
        ).events[-1]
        assert event.pricesSyncedAt == 0 and event.navBefore == preview.nav


def test_rebalance__snapshot_without_an_asset_price__falls_back_to_live_prices(
    rebalancing, chain, reporter, governor
):
    """A sync that could not price an asset keeps that asset's older price with its bit clear: the
    snapshot is fresh but incomplete, and live prices are used."""
    r = rebalancing
    with isolated(chain):
        r.rebalancer.setRelayer(r.vault, reporter, sender=governor)
        report(r, reporter, "QCORP", 10**15)  # above the router's bound: no valid QCORP price
        r.engine.sync(r.vault, sender=reporter)
        synced_at, mask, _ = r.engine.priceSnapshot(r.vault)
        assert mask == 0b1011
        report(r, reporter, "QCORP", PRICES["QCORP"])  # valid again, live
        preview = r.lens.previewRebalance(r.rebalancer, r.intent(chain, TARGETS).as_tuple())
        assert synced_at != 0 and preview.pricesSyncedAt == 0


def test_set_strategy__snapshot_age__bounded_zero_means_live_and_same_oracle_only(
    rebalancing, chain, reporter, governor, deployer, project, stack
):
    r = rebalancing
    rb = r.rebalancer
    with isolated(chain):
        with ape.reverts(
            rb.InvalidStrategy, rule=member("StrategyRule", "MaxSnapshotAge"), value=3_601
        ):
            rb.setStrategy(r.vault, strategy_tuple(maxSnapshotAge=3_601), sender=governor)
        rb.setStrategy(r.vault, strategy_tuple(maxSnapshotAge=0), sender=governor)
        r.engine.sync(r.vault, sender=reporter)
        # fresh, not used
        assert r.lens.previewRebalance(rb, r.intent(chain, TARGETS).as_tuple()).pricesSyncedAt == 0
        # A rebalancer pricing from another oracle than the vault's risk engine cannot use its
        # snapshot.
        other = behind_proxy(deployer, project.OracleRouter, authority=stack[0])
        foreign = deployer.deploy(project.AutoRebalancer, stack[0], r.liq.aggregator, other)
        wire(stack[0], foreign, "AutoRebalancer", deployer)
        with ape.reverts(
            foreign.ForeignOracle, engineOracle=r.engine.oracle(), oracle=other.address
        ):
            foreign.setStrategy(r.vault, strategy_tuple(), sender=governor)
        foreign.setStrategy(r.vault, strategy_tuple(maxSnapshotAge=0), sender=governor)


def test_rebalance__unbound_relayer__live_prices_so_a_copier_cannot_time_a_report(
    rebalancing, chain, reporter, outsider, governor
):
    """RBL-14 (attacker's read of the gas work, F1): with snapshot prices, whoever relays chooses
    the oracle state of the last `maxSnapshotAge` seconds the minimums come from. A copier of an
    unbound intent relays right after a report that made the buy asset 5% cheaper, before the
    keeper's sync: at the snapshot's price the QSPX minimum asks ~5% fewer QSPX than the live price
    is worth, room to sandwich a pool for the move on top of the slippage, uncounted by the loss.
    Unbound, the rebalancer prices live; bound to its keeper, the snapshot is used (the keeper's own
    window)."""
    r = rebalancing
    with isolated(chain):
        r.engine.sync(r.vault, sender=reporter)
        synced_at, _, snapshot = r.engine.priceSnapshot(r.vault)
        # the copier's moment: a report, no sync yet
        report(r, reporter, "QSPX", PRICES["QSPX"] * 0.95)
        intent = r.intent(chain, TARGETS)
        live18 = [int(r.liq.router.price(t)) for t in r.tokens]
        preview = r.lens.previewRebalance(r.rebalancer, intent.as_tuple())
        qspx_buy = next(t for t in preview.trades if int(t.buyIndex) == 3)
        assert preview.pricesSyncedAt == 0
        assert qspx_buy.minBuyAmount == min_out(qspx_buy.value, live18[3], UNITS[3])
        # What the snapshot would have asked: 5% fewer QSPX, the copier's margin.
        at_snapshot = min_out(qspx_buy.value, snapshot[3], UNITS[3])
        assert at_snapshot * 100 < qspx_buy.minBuyAmount * 96
        # Relayed now through the pools (still at the old QSPX price), the live minimum holds: the
        # fill the snapshot's minimum would have accepted is refused.
        # (Checked by eth_call: ape.reverts would walk the rebalance's whole trace, over a minute.)
        signers, signatures = r.sign(chain, intent)
        assert_reverts(
            chain,
            r.rebalancer.rebalance,
            intent.as_tuple(),
            signers,
            signatures,
            r.routes(intent),
            sender=outsider,
            error=(r.liq.aggregator, "InsufficientOutput"),
        )
    with isolated(chain):
        r.rebalancer.setRelayer(r.vault, outsider, sender=governor)
        r.engine.sync(r.vault, sender=reporter)
        synced_at = r.engine.priceSnapshot(r.vault)[0]
        intent = r.intent(chain, TARGETS).as_tuple()
        assert r.lens.previewRebalance(r.rebalancer, intent).pricesSyncedAt == synced_at
