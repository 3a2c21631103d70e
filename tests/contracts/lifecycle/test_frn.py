"""Floating-rate notes on the BondServicer (issue 17 follow-up item 1, LCY-85 to LCY-90): each
floating coupon's rate is fixed at its recording (the record date) from the OracleRouter's answer
for the index's key (`rateIndexKey`, wired by keepers/lifecycle/deploy.py `wire_rate_index`) as
max(0, max(0, index) + spread); a stale or missing index refuses the recording with its context;
the coupon per share equals QuantLib's `IborCoupon` at that fixing for ACT/360, ACT/365F and
30/360; the holders of record claim it; maturity pays face value and the coupons, a call fixes
the last coupon when redemption starts; the schedule reads the fixings back from `CouponFixed`."""

from decimal import Decimal

import ape
import pytest

from bond_fixtures import (
    DAY,
    FACE,
    SCALE,
    SHARE_UNIT,
    USD_UNIT,
    mint_to_new_holders,
    serviced_token,
)
from isolation import isolated
from keepers.access import renounce_temporary_roles
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    FLOATING_INDEXES,
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    all_coupons,
    floating_coupon,
    floating_coupon_per_unit,
    rate_index_key,
    wire_rate_index,
    with_fixings,
)
from keepers.lifecycle.deploy import RATE_INDEX_HEARTBEAT
from keepers.lifecycle.funds import coupon_fixings
from keepers.lifecycle.instruments import InstrumentTerms
from keepers.lifecycle.schedule import (
    coupon_amount_units,
    floating_rate,
    from_timestamp,
    to_timestamp,
    to_wad,
)
from lifecycle_fixtures import note_terms

HOLDINGS = {"alice": 600, "bob": 400}  # whole shares
SPREAD_BPS = 15
PRICE_STATUS = {"NoFeed": 3, "FeedReverted": 4}  # IOracleRouter.PriceStatus


def answer(index: Decimal) -> int:
    """The feed's answer (FEED_DECIMALS) for an index given as an annual fraction."""
    return int(index * 10**FEED_DECIMALS)


class Frn:
    def __init__(self, chain, registry, token, servicer, instrument, holders, usdc, issuer, feed):
        self.chain, self.registry, self.token, self.servicer = chain, registry, token, servicer
        self.instrument, self.holders, self.usdc, self.issuer = instrument, holders, usdc, issuer
        self.feed = feed
        self.terms = InstrumentTerms.from_chain(registry.termsOf(instrument))
        self.coupons = all_coupons(self.terms)

    def at(self, timestamp):
        self.chain.pending_timestamp = max(self.chain.pending_timestamp, int(timestamp))

    def to_record_date(self, number):
        self.at(to_timestamp(self.coupons[number - 1].record_date))

    def fix(self, index: Decimal, age: int = 0):
        """The index (a SettableFeed) published exactly `age` seconds before the next block: the
        feed's update is mined at `now`, the next transaction at `now + 1` (both timestamps set,
        so no wall-clock second slips in)."""
        now = self.chain.pending_timestamp
        self.chain.pending_timestamp = now
        self.feed.set(answer(index), now + 1 - age, False, sender=self.issuer)
        self.chain.pending_timestamp = now + 1

    def record(self, number, index: Decimal):
        self.to_record_date(number)
        self.fix(index)
        return self.servicer.recordCoupon(number, sender=self.issuer)


@pytest.fixture
def create_frn(chain, accounts, project, lifecycle, issuer, agent, operator):
    """A factory: a one-year quarterly floating-rate note (SOFR + 15 bps unless told) whose
    BondShareToken pays USDC, registered and active, servicing started, the index's feed a
    SettableFeed wired by `wire_rate_index` (`wired` False: no feed); alice 600 and bob 400
    shares; the issuer holding $1,000,000 approved to the servicer."""
    with isolated(chain):

        def create(
            day_count=DayCountConvention.ACTUAL_360,
            spread_bps=SPREAD_BPS,
            index="SOFR",
            wired=True,
            feed=None,
            callable_after_days=0,
        ):
            usdc = lifecycle.tokens["USDC"]
            d = lifecycle.d.scoped("QuanteraAccessManager", "IdentityRegistry", "OracleRouter")
            feed = feed or project.SettableFeed.deploy(
                FEED_DECIMALS, answer(Decimal("0.05")), sender=issuer
            )
            if wired:
                wire_rate_index(d, index, feed=feed)
            token, servicer = serviced_token(d, lifecycle, agent, "Quantera FRN 2027", "QFRN27")
            now = chain.pending_timestamp
            base = note_terms(lifecycle, now, share_token=token.address)
            terms = note_terms(
                lifecycle,
                now,
                kind=InstrumentKind.FLOATING_RATE_NOTE,
                share_token=token.address,
                coupon=CouponTerms(
                    floating_index=FLOATING_INDEXES[index],
                    spread_bps=spread_bps,
                    frequency=4,
                    day_count=day_count,
                    roll=BusinessDayConvention.MODIFIED_FOLLOWING,
                    record_date_offset_days=1,
                ),
                maturity_date=base.issue_date + 365 * DAY,
                call=CallTerms(True, base.issue_date + callable_after_days * DAY, 10_100)
                if callable_after_days
                else CallTerms(),
            )
            instrument = lifecycle.registry.register(terms.as_tuple(), sender=issuer).return_value
            lifecycle.registry.activate(instrument, sender=issuer)
            holders = mint_to_new_holders(
                chain, accounts, d, token, HOLDINGS, "f1", agent, operator
            )
            usdc.mint(issuer, 1_000_000 * USD_UNIT, sender=operator)
            usdc.approve(servicer, 2**256 - 1, sender=issuer)
            servicer.startServicing(sender=issuer)
            servicer.fundCoupons(100_000 * USD_UNIT, sender=issuer)
            return Frn(
                chain, lifecycle.registry, token, servicer, instrument, holders, usdc, issuer, feed
            )

        yield create


def test_wire_rate_index__local_reporter_feed__fixing_at_record_date_paid_to_holders_of_record(
    create_frn, lifecycle, reporter
):
    """LCY-85, LCY-86, LCY-87: the deploy step's ReporterPriceFeed, its fixing read at the record
    date, index + spread, claimed by the holders of record."""
    d = lifecycle.d.scoped("QuanteraAccessManager", "OracleRouter")
    feed = wire_rate_index(d, "SOFR", first_rate_bps=500)
    renounce_temporary_roles(d)
    key = rate_index_key(FLOATING_INDEXES["SOFR"])
    assert lifecycle.router.feedOf(key)[:2] == (feed.address, RATE_INDEX_HEARTBEAT)
    frn = create_frn(feed=feed, wired=False)
    alice, bob = frn.holders["alice"], frn.holders["bob"]
    frn.to_record_date(1)
    with ape.reverts(frn.servicer.BalancesFixed, couponNumber=1):
        frn.token.transfer(bob, SHARE_UNIT, sender=alice)
    index = Decimal("0.0530")
    feed.report(answer(index), sender=reporter)
    published = feed.latestRoundData()[3]
    tx = frn.servicer.recordCoupon(1, sender=frn.issuer)
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    rate_wad = 530 * 10**14 + SPREAD_BPS * 10**14
    assert (fixed.instrumentId, fixed.number, fixed.index) == (frn.instrument, 1, 530 * 10**14)
    assert (fixed.spreadBps, fixed.rateWad, fixed.indexUpdatedAt) == (
        SPREAD_BPS,
        rate_wad,
        published,
    )
    per_share = floating_coupon_per_unit(frn.terms, 1, index) * USD_UNIT
    recorded = tx.decode_logs(frn.servicer.CouponRecorded)[0]
    assert (recorded.number, recorded.couponPerShare, recorded.indexIncrease) == (
        1,
        per_share,
        per_share,
    )
    # a transfer after recording does not move coupon 1: the holders of record claim it
    frn.token.transfer(bob, 100 * SHARE_UNIT, sender=alice)
    for wallet, whole in ((alice, 600), (bob, 400)):
        before = frn.usdc.balanceOf(wallet)
        frn.servicer.claimCoupons(wallet, sender=bob)
        assert frn.usdc.balanceOf(wallet) - before == whole * SHARE_UNIT * per_share // SCALE
    assert frn.servicer.couponsOwed(alice) == 0


@pytest.mark.parametrize(
    "day_count,spread_bps,indexes",
    [
        (DayCountConvention.ACTUAL_360, 15, ["0.0530", "0.04375", "0.00001234", "0.061"]),
        (DayCountConvention.ACTUAL_365_FIXED, 125, ["0.0215", "0.0033", "0.0401", "0.0999"]),
        (DayCountConvention.THIRTY_360_BOND_BASIS, -50, ["0.0530", "0.0010", "0.0049", "0.03"]),
    ],
)
def test_floating_coupon__differential__equals_quantlib_ibor_coupon(
    create_frn, day_count, spread_bps, indexes
):
    """LCY-88: for each period the coupon per share recorded on chain is QuantLib's IborCoupon
    (fixed in arrears at the record date) at the same fixing, rounded down as on chain; a negative
    spread below the index pays 0."""
    frn = create_frn(day_count=day_count, spread_bps=spread_bps)
    face = Decimal(FACE) / 10**18
    for number, text in enumerate(indexes, start=1):
        index = Decimal(text)
        coupon = frn.coupons[number - 1]
        quantlib = floating_coupon(
            face, index, spread_bps, day_count, coupon.accrual_start, coupon.payment_date, 1
        )
        assert quantlib.fixing_date == coupon.record_date
        tx = frn.record(number, index)
        per_share = tx.decode_logs(frn.servicer.CouponRecorded)[0].couponPerShare
        assert per_share == floating_coupon_per_unit(frn.terms, number, index) * USD_UNIT
        # per share in currency units: QuantLib's double agrees to its precision, and rounding
        # down on chain loses less than one 18-decimal unit
        on_chain = Decimal(per_share) / (USD_UNIT * 10**18)
        assert abs(on_chain - Decimal(quantlib.amount)) <= Decimal("1e-13")
        if quantlib.rate == 0:
            assert per_share == 0
    assert frn.servicer.servicing()[1] == len(indexes)


def test_fixing__stale_index__reverts_with_publication_and_heartbeat__retried_when_fresh(
    create_frn,
):
    """LCY-86: a stale index (positive or not) refuses the recording; balances stay fixed; a fresh
    one records."""
    frn = create_frn()
    frn.to_record_date(1)
    for index in (Decimal("0.05"), Decimal("-0.001")):
        frn.fix(index, age=RATE_INDEX_HEARTBEAT + 1)
        published = frn.feed.updatedAt()
        with ape.reverts(
            frn.servicer.StaleFixing,
            instrumentId=frn.instrument,
            updatedAt=published,
            maxAge=RATE_INDEX_HEARTBEAT,
        ):
            frn.servicer.recordCoupon(1, sender=frn.issuer)
    assert frn.servicer.servicing()[1] == 0
    alice, bob = frn.holders["alice"], frn.holders["bob"]
    with ape.reverts(frn.servicer.BalancesFixed, couponNumber=1):
        frn.token.transfer(bob, SHARE_UNIT, sender=alice)
    frn.fix(Decimal("0.05"), age=RATE_INDEX_HEARTBEAT)  # exactly the heartbeat old: fresh
    frn.servicer.recordCoupon(1, sender=frn.issuer)
    assert frn.servicer.servicing()[1] == 1


@pytest.mark.parametrize("failure", ["NoFeed", "FeedReverted"])
def test_fixing__no_feed_or_a_failing_feed__reverts_fixing_unavailable(create_frn, failure):
    """LCY-86: no feed for the index (ESTR is not wired) or a reverting feed: FixingUnavailable
    with the index and the router's status."""
    index = "ESTR" if failure == "NoFeed" else "SOFR"
    frn = create_frn(index=index, wired=failure != "NoFeed")
    frn.to_record_date(1)
    if failure == "FeedReverted":
        frn.feed.set(answer(Decimal("0.05")), frn.chain.pending_timestamp, True, sender=frn.issuer)
    with ape.reverts(
        frn.servicer.FixingUnavailable,
        instrumentId=frn.instrument,
        floatingIndex=FLOATING_INDEXES[index],
        status=PRICE_STATUS[failure],
    ):
        frn.servicer.recordCoupon(1, sender=frn.issuer)
    assert frn.servicer.servicing()[1] == 0


def test_fixing__negative_index__floored_at_zero__spread_paid(create_frn):
    """LCY-87: a fresh negative (or zero) index counts as 0: the coupon pays the spread alone."""
    frn = create_frn()
    for number, index in ((1, Decimal("-0.0025")), (2, Decimal(0))):
        tx = frn.record(number, index)
        fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
        assert (fixed.index, fixed.rateWad) == (0, SPREAD_BPS * 10**14)
        assert fixed.indexUpdatedAt == frn.feed.updatedAt()
        per_share = tx.decode_logs(frn.servicer.CouponRecorded)[0].couponPerShare
        spread_only = floating_coupon_per_unit(frn.terms, number, Decimal(0)) * USD_UNIT
        assert (
            per_share
            == spread_only
            == floating_coupon_per_unit(frn.terms, number, index) * USD_UNIT
        )
        assert per_share > 0


def test_maturity__frn__face_plus_every_floating_coupon(create_frn):
    """LCY-89: every floating coupon recorded at its fixing, then at maturity holders redeem face
    value with their coupons."""
    frn = create_frn()
    alice = frn.holders["alice"]
    indexes = [Decimal("0.0530"), Decimal("0.0510"), Decimal("-0.001"), Decimal("0.0475")]
    index_sum = 0  # the coupon index: alice settles once, so one rounding over the four
    for number, index in enumerate(indexes, start=1):
        frn.record(number, index)
        index_sum += floating_coupon_per_unit(frn.terms, number, index) * USD_UNIT
    assert frn.servicer.servicing()[0] == index_sum
    # the schedule `quantera instrument schedule` shows: each coupon's fixing from CouponFixed
    fixings = coupon_fixings(frn.servicer, frn.instrument, 0, frn.chain.blocks.head.number)
    rates = [to_wad(floating_rate(index, SPREAD_BPS)) for index in indexes]
    assert fixings == dict(enumerate(rates, start=1))
    listed = with_fixings(frn.terms, frn.coupons, fixings)
    assert [c.rate_wad for c in listed] == rates
    assert sum(c.amount_per_unit for c in listed) * USD_UNIT == index_sum
    expected = 600 * SHARE_UNIT * index_sum // SCALE
    with ape.reverts(frn.servicer.UnexpectedCoupon):
        frn.servicer.recordCoupon(5, sender=frn.issuer)
    frn.at(frn.terms.maturity_date)
    frn.registry.mature(frn.instrument, sender=alice)
    frn.servicer.fundRedemption(100_000 * USD_UNIT, sender=frn.issuer)
    frn.servicer.startRedemption(sender=alice)
    assert frn.servicer.couponsOwed(alice) == expected
    before = frn.usdc.balanceOf(alice)
    frn.servicer.redeem(alice, sender=alice)
    assert frn.usdc.balanceOf(alice) - before == expected + 600 * 100 * USD_UNIT


def test_call__between_payment_dates__last_coupon_fixed_at_redemption_start(create_frn):
    """LCY-89: an issuer call mid-period fixes the last coupon's rate when redemption starts; the
    price is the call price plus that coupon accrued to the call date at the fixing."""
    frn = create_frn(callable_after_days=120)
    frn.record(1, Decimal("0.05"))
    second = frn.coupons[1]
    start = to_timestamp(second.accrual_start)
    frn.at(max(start + 30 * DAY, frn.terms.call.first_call_date))
    frn.registry.exerciseCall(frn.instrument, sender=frn.issuer)
    called_at = frn.registry.stateOf(frn.instrument).calledAt
    frn.servicer.fundRedemption(200_000 * USD_UNIT, sender=frn.issuer)
    index = Decimal("0.06")
    frn.fix(index)
    tx = frn.servicer.startRedemption(sender=frn.holders["bob"])
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    rate = to_wad(floating_rate(index, SPREAD_BPS))
    assert (fixed.number, fixed.index, fixed.rateWad) == (2, 6 * 10**16, rate)
    accrued = coupon_amount_units(
        FACE, rate, frn.terms.coupon.day_count, second.accrual_start, from_timestamp(called_at)
    )
    started = tx.decode_logs(frn.servicer.RedemptionStarted)[0]
    assert (started.pricePerShare, started.called) == (
        (FACE * 10_100 // 10_000 + accrued) * USD_UNIT,
        True,
    )
