"""Floating-rate notes on the BondServicer (issue 17 follow-up item 1, LCY-85 to LCY-90): each
floating coupon's rate is the index in force at its record date — the round of the index's
primary feed (the OracleRouter's under `rateIndexKey`, wired by keepers/lifecycle/deploy.py
`wire_rate_index`) the recorder names and the servicer proves, however late it records — as
max(0, max(0, index) + spread); a wrong round, or an index stale at the record date or missing,
refuses the recording with its context; the keeper finds the round (`fixing_round`);
the coupon per share equals QuantLib's `IborCoupon` at that fixing for ACT/360, ACT/365F and
30/360; the holders of record claim it; maturity pays face value and the coupons, a call fixes
the last coupon at the call date; the schedule reads the fixings back from `CouponFixed`."""

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
from keepers.core import store
from keepers.core.errors import QuanteraError
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    FLOATING_INDEXES,
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    Head,
    InstrumentKind,
    LifecycleKeeper,
    all_coupons,
    floating_coupon,
    floating_coupon_per_unit,
    french_rf,
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
from keepers.lifecycle.servicing import fixing_round
from lifecycle_fixtures import note_terms

HOLDINGS = {"alice": 600, "bob": 400}  # whole shares
SPREAD_BPS = 15
PRICE_STATUS = {"NoFeed": 3, "FeedReverted": 4, "OutOfBounds": 8}  # IOracleRouter.PriceStatus


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

    def record_date(self, number) -> int:
        return to_timestamp(self.coupons[number - 1].record_date)

    def to_record_date(self, number):
        self.at(self.record_date(number))

    def publish(self, index: Decimal, at: int) -> int:
        """Opens a round of the index's feed (a SettableFeed) answering `index`, published at
        `at`; returns its round id."""
        self.feed.set(answer(index), int(at), False, sender=self.issuer)
        return int(self.feed.latestRound())

    def record(self, number, index: Decimal, sender=None):
        """Coupon `number` recorded at its record date on `index` published then."""
        self.to_record_date(number)
        round_id = self.publish(index, self.record_date(number))
        return self.servicer.recordFloatingCoupon(number, round_id, sender=sender or self.issuer)


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
            d = lifecycle.d.scoped(
                "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
            )
            feed = feed or project.SettableFeed.deploy(
                FEED_DECIMALS, answer(Decimal("0.05")), sender=issuer
            )
            if wired:
                wire_rate_index(d, index, feed=feed)
            token, servicer = serviced_token(
                d, lifecycle, agent, "Quantera FRN 2027", "QFRN27", issuer=issuer
            )
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
    d = lifecycle.d.scoped("QuanteraAccessManager", "UpgradeAuthority", "OracleRouter")
    feed = wire_rate_index(d, "SOFR", first_rate_bps=500)
    renounce_temporary_roles(d)
    key = rate_index_key(FLOATING_INDEXES["SOFR"])
    assert lifecycle.router.feedOf(key)[:2] == (feed.address, RATE_INDEX_HEARTBEAT)
    frn = create_frn(feed=feed, wired=False)
    alice, bob = frn.holders["alice"], frn.holders["bob"]
    frn.to_record_date(1)
    index = Decimal("0.0530")
    feed.report(answer(index), sender=reporter)  # mined at the record date
    round_id, _, _, published, _ = feed.latestRoundData()
    assert published == frn.record_date(1)
    with ape.reverts(frn.servicer.BalancesFixed, couponNumber=1):
        frn.token.transfer(bob, SHARE_UNIT, sender=alice)
    tx = frn.servicer.recordFloatingCoupon(1, round_id, sender=frn.issuer)
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


def test_fixing__recorded_late_after_newer_rounds__the_round_in_force_at_the_record_date(
    create_frn,
):
    """LCY-85: whoever records and however late, the fixing is the index in force at the record
    date: recorded by anyone at the payment date after two newer rounds, coupon 1 is fixed at the
    round published before its record date, not at the latest answer."""
    frn = create_frn()
    record_date, bob = frn.record_date(1), frn.holders["bob"]
    frn.to_record_date(1)
    in_force = frn.publish(Decimal("0.0530"), record_date - 3_600)
    frn.publish(Decimal("0.0610"), record_date + 60)  # after the record date: not the fixing
    frn.at(to_timestamp(frn.coupons[0].payment_date))
    latest = frn.publish(Decimal("0.0700"), frn.chain.pending_timestamp)
    assert latest == in_force + 2
    tx = frn.servicer.recordFloatingCoupon(1, in_force, sender=bob)
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    assert (fixed.index, fixed.indexUpdatedAt) == (530 * 10**14, record_date - 3_600)
    assert fixed.rateWad == (530 + SPREAD_BPS) * 10**14
    recorded = tx.decode_logs(frn.servicer.CouponRecorded)[0]
    per_share = floating_coupon_per_unit(frn.terms, 1, Decimal("0.0530")) * USD_UNIT
    assert (recorded.couponPerShare, recorded.by) == (per_share, bob.address)


def test_fixing__wrong_round__reverts_with_the_round_and_the_record_date(create_frn):
    """LCY-85: a round published after the record date (or none: 0, or recordCoupon without a
    round) reverts NotFixingRound; one superseded before it reverts FixingRoundSuperseded naming
    the round after it; nothing is recorded."""
    frn = create_frn()
    record_date, id_ = frn.record_date(1), frn.instrument
    frn.to_record_date(1)
    older = frn.publish(Decimal("0.05"), record_date - 7_200)
    in_force = frn.publish(Decimal("0.051"), record_date)  # at the record date: in force
    newer = frn.publish(Decimal("0.052"), record_date + 1)
    cases = [
        (newer, frn.servicer.NotFixingRound, dict(updatedAt=record_date + 1)),
        (newer + 1, frn.servicer.NotFixingRound, dict(updatedAt=0)),
        (
            older,
            frn.servicer.FixingRoundSuperseded,
            dict(nextRoundId=in_force, nextUpdatedAt=record_date),
        ),
    ]
    for round_id, error, context in cases:
        with ape.reverts(
            error, instrumentId=id_, roundId=round_id, fixingDate=record_date, **context
        ):
            frn.servicer.recordFloatingCoupon(1, round_id, sender=frn.issuer)
    with ape.reverts(frn.servicer.NotFixingRound, roundId=0, updatedAt=0, fixingDate=record_date):
        frn.servicer.recordCoupon(1, sender=frn.issuer)
    assert frn.servicer.servicing()[1] == 0
    tx = frn.servicer.recordFloatingCoupon(1, in_force, sender=frn.issuer)
    assert tx.decode_logs(frn.servicer.CouponFixed)[0].index == 510 * 10**14


def test_fixing__proxy_phase_change__last_round_of_a_phase_in_force_until_the_next_phases_first(
    create_frn,
):
    """LCY-85: Chainlink proxy round ids (phase << 64 | round): the last round of phase 1 is in
    force at the record date when phase 2's first round came after it, and superseded when phase
    2's first round came at or before it."""
    frn = create_frn()
    record_date = frn.record_date(1)
    frn.to_record_date(1)
    last_of_phase = frn.publish(Decimal("0.045"), record_date - 60)
    frn.feed.startPhase(sender=frn.issuer)
    first_of_next = frn.publish(Decimal("0.046"), record_date + 60)
    assert (last_of_phase >> 64, first_of_next) == (1, (2 << 64) | 1)
    tx = frn.servicer.recordFloatingCoupon(1, last_of_phase, sender=frn.issuer)
    assert tx.decode_logs(frn.servicer.CouponFixed)[0].index == 450 * 10**14

    record_date = frn.record_date(2)
    frn.to_record_date(2)
    last_of_phase = frn.publish(Decimal("0.047"), record_date - 60)
    frn.feed.startPhase(sender=frn.issuer)
    first_of_next = frn.publish(Decimal("0.048"), record_date)
    with ape.reverts(
        frn.servicer.FixingRoundSuperseded,
        roundId=last_of_phase,
        nextRoundId=first_of_next,
        nextUpdatedAt=record_date,
    ):
        frn.servicer.recordFloatingCoupon(2, last_of_phase, sender=frn.issuer)
    tx = frn.servicer.recordFloatingCoupon(2, first_of_next, sender=frn.issuer)
    assert tx.decode_logs(frn.servicer.CouponFixed)[0].index == 480 * 10**14


def test_fixing__stale_at_the_record_date__falls_back_to_the_first_round_after(create_frn):
    """LCY-86: the round in force at the record date older than the heartbeat there (positive or
    not) refuses the recording while no round was published since (StaleFixing: the coupon waits,
    balances stay fixed); then the first round published after the record date fixes it, named
    itself or through the stale round in force (FixingFallback, CouponFixed at that round), the
    holders of record are paid; a later round is refused with its publication, and so is a next
    proxy phase's first round named itself. Exactly the heartbeat old is fresh: no fallback then."""
    frn = create_frn()
    alice, bob, id_ = frn.holders["alice"], frn.holders["bob"], frn.instrument
    record_date = frn.record_date(1)
    frn.to_record_date(1)
    for index in (Decimal("0.05"), Decimal("-0.001")):
        stale = frn.publish(index, record_date - RATE_INDEX_HEARTBEAT - 1)
        with ape.reverts(
            frn.servicer.StaleFixing,
            instrumentId=id_,
            updatedAt=record_date - RATE_INDEX_HEARTBEAT - 1,
            maxAge=RATE_INDEX_HEARTBEAT,
        ):
            frn.servicer.recordFloatingCoupon(1, stale, sender=frn.issuer)
    with ape.reverts(frn.servicer.NotFixingRound, roundId=stale + 1, updatedAt=0):
        frn.servicer.recordFloatingCoupon(1, stale + 1, sender=frn.issuer)
    with ape.reverts(frn.servicer.BalancesFixed, couponNumber=1):
        frn.token.transfer(bob, SHARE_UNIT, sender=alice)

    fallback = frn.publish(Decimal("0.0520"), record_date + 1)
    second = frn.publish(Decimal("0.0100"), record_date + 2)
    with ape.reverts(
        frn.servicer.NotFixingRound,
        instrumentId=id_,
        roundId=second,
        updatedAt=record_date + 2,
        fixingDate=record_date,
    ):
        frn.servicer.recordFloatingCoupon(1, second, sender=frn.issuer)
    assert frn.servicer.servicing()[1] == 0
    tx = frn.servicer.recordFloatingCoupon(1, fallback, sender=frn.issuer)
    marked = tx.decode_logs(frn.servicer.FixingFallback)
    assert [(e.instrumentId, e.number, e.roundId, e.updatedAt) for e in marked] == [
        (id_, 1, fallback, record_date + 1)
    ]
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    assert (fixed.index, fixed.rateWad, fixed.indexUpdatedAt) == (
        520 * 10**14,
        (520 + SPREAD_BPS) * 10**14,
        record_date + 1,
    )
    per_share = floating_coupon_per_unit(frn.terms, 1, Decimal("0.0520")) * USD_UNIT
    assert tx.decode_logs(frn.servicer.CouponRecorded)[0].couponPerShare == per_share
    frn.token.transfer(bob, 100 * SHARE_UNIT, sender=alice)  # balances reopened
    before = frn.usdc.balanceOf(alice)
    frn.servicer.claimCoupons(alice, sender=bob)
    assert frn.usdc.balanceOf(alice) - before == 600 * SHARE_UNIT * per_share // SCALE

    # the stale round in force the last of its proxy phase, the fallback the next phase's first:
    # named itself it is refused (its predecessor cannot be found in O(1)); naming the stale
    # round in force fixes at the round after it
    record_date = frn.record_date(2)
    frn.to_record_date(2)
    stale = frn.publish(Decimal("0.05"), record_date - RATE_INDEX_HEARTBEAT - 1)
    frn.feed.startPhase(sender=frn.issuer)
    first_of_next = frn.publish(Decimal("0.0490"), record_date + 1)
    assert first_of_next == (2 << 64) | 1
    with ape.reverts(frn.servicer.NotFixingRound, roundId=first_of_next, updatedAt=record_date + 1):
        frn.servicer.recordFloatingCoupon(2, first_of_next, sender=frn.issuer)
    tx = frn.servicer.recordFloatingCoupon(2, stale, sender=frn.issuer)
    marked = tx.decode_logs(frn.servicer.FixingFallback)[0]
    assert (marked.number, marked.roundId, marked.updatedAt) == (2, first_of_next, record_date + 1)
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    assert (fixed.index, fixed.indexUpdatedAt) == (490 * 10**14, record_date + 1)

    record_date = frn.record_date(3)
    frn.to_record_date(3)
    oldest_fresh = frn.publish(Decimal("0.05"), record_date - RATE_INDEX_HEARTBEAT)
    after = frn.publish(Decimal("0.06"), record_date + 1)
    with ape.reverts(
        frn.servicer.NotFixingRound,
        roundId=after,
        updatedAt=record_date + 1,
        fixingDate=record_date,
    ):
        frn.servicer.recordFloatingCoupon(3, after, sender=frn.issuer)
    tx = frn.servicer.recordFloatingCoupon(3, oldest_fresh, sender=frn.issuer)
    assert tx.decode_logs(frn.servicer.FixingFallback) == []
    fixed = tx.decode_logs(frn.servicer.CouponFixed)[0]
    assert fixed.indexUpdatedAt == record_date - RATE_INDEX_HEARTBEAT
    assert frn.servicer.servicing()[1] == 3


def test_fixing__only_the_feeds_deploy_round_before__its_first_round_after_is_the_fallback(
    create_frn,
):
    """LCY-86: the feed's only round before the record date (the SettableFeed's round at its
    deploy, aggregator round 0 of phase 1) stale there: named, StaleFixing while nothing since;
    the first round after the record date (phase 1's round 1, its predecessor that round 0) is
    the fallback."""
    frn = create_frn()
    record_date = frn.record_date(1)
    deployed = int(frn.feed.latestRound())
    deployed_at = int(frn.feed.getRoundData(deployed)[3])
    assert deployed == 1 << 64 and record_date - deployed_at > RATE_INDEX_HEARTBEAT
    frn.to_record_date(1)
    with ape.reverts(frn.servicer.StaleFixing, updatedAt=deployed_at):
        frn.servicer.recordFloatingCoupon(1, deployed, sender=frn.issuer)
    first = frn.publish(Decimal("0.0440"), record_date + 3_600)
    assert first == (1 << 64) | 1
    tx = frn.servicer.recordFloatingCoupon(1, first, sender=frn.issuer)
    assert tx.decode_logs(frn.servicer.FixingFallback)[0].roundId == first
    assert tx.decode_logs(frn.servicer.CouponFixed)[0].index == 440 * 10**14


def test_keeper__stale_in_force_round__records_the_fallback_round(create_frn):
    """LCY-86: with the feed's heartbeat the keeper's walk returns the first round after the
    record date when the round in force was stale then (none yet: it raises, the coupon waits),
    and the keeper records coupon 1 with it (FixingFallback)."""
    frn = create_frn()
    record_date = frn.record_date(1)
    frn.to_record_date(1)
    stale = frn.publish(Decimal("0.05"), record_date - RATE_INDEX_HEARTBEAT - 1)
    with pytest.raises(QuanteraError, match="waits for the next publication"):
        fixing_round(frn.feed, record_date, heartbeat=RATE_INDEX_HEARTBEAT)
    assert fixing_round(frn.feed, record_date) == stale  # no heartbeat given: the round in force
    fallback = frn.publish(Decimal("0.0530"), record_date + 60)
    for minute in range(2, 5):  # newer rounds the keeper walks back over
        frn.publish(Decimal("0.0610"), record_date + 60 * minute)
    assert fixing_round(frn.feed, record_date, heartbeat=RATE_INDEX_HEARTBEAT) == fallback
    assert fixing_round(frn.feed, record_date, heartbeat=RATE_INDEX_HEARTBEAT + 1) == stale

    frn.at(to_timestamp(frn.coupons[0].payment_date))
    frn.chain.mine()
    db = store.open_store("sqlite://")
    bob = frn.holders["bob"]  # not the issuer: records from the payment date
    keeper = LifecycleKeeper(db, None, frn.registry, french_rf(0), bob)
    block = frn.chain.blocks.head
    keeper.record_coupons(Head(int(block.number), int(block.timestamp)))
    assert keeper.on_chain == [(frn.instrument, 1)]
    head = frn.chain.blocks.head.number + 1
    assert [e.roundId for e in frn.servicer.FixingFallback.range(0, head)] == [fallback]
    fixed = list(frn.servicer.CouponFixed.range(0, head))
    assert [(e.number, e.index, e.indexUpdatedAt) for e in fixed] == [
        (1, 530 * 10**14, record_date + 60)
    ]


@pytest.mark.parametrize("failure", ["NoFeed", "FeedReverted", "OutOfBounds"])
def test_fixing__no_feed_a_failing_feed_or_out_of_bounds__reverts_fixing_unavailable(
    create_frn, failure
):
    """LCY-86: no feed for the index (ESTR is not wired), a reverting feed, or a round whose index
    is outside the router's bounds ((0, 100%] from `wire_rate_index`): FixingUnavailable with the
    index and the status."""
    index = "ESTR" if failure == "NoFeed" else "SOFR"
    frn = create_frn(index=index, wired=failure != "NoFeed")
    frn.to_record_date(1)
    published = Decimal("1.5") if failure == "OutOfBounds" else Decimal("0.05")
    round_id = frn.publish(published, frn.record_date(1))
    if failure == "FeedReverted":
        frn.feed.set(answer(Decimal("0.05")), frn.record_date(1), True, sender=frn.issuer)
    with ape.reverts(
        frn.servicer.FixingUnavailable,
        instrumentId=frn.instrument,
        floatingIndex=FLOATING_INDEXES[index],
        status=PRICE_STATUS[failure],
    ):
        frn.servicer.recordFloatingCoupon(1, round_id, sender=frn.issuer)
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
        frn.servicer.recordFloatingCoupon(5, frn.feed.latestRound(), sender=frn.issuer)
    frn.at(frn.terms.maturity_date)
    frn.registry.mature(frn.instrument, sender=alice)
    frn.servicer.fundRedemption(100_000 * USD_UNIT, sender=frn.issuer)
    frn.servicer.startRedemption(0, sender=alice)
    assert frn.servicer.couponsOwed(alice) == expected
    before = frn.usdc.balanceOf(alice)
    frn.servicer.redeem(alice, sender=alice)
    assert frn.usdc.balanceOf(alice) - before == expected + 600 * 100 * USD_UNIT


def test_call__between_payment_dates__last_coupon_fixed_at_the_call_date(create_frn):
    """LCY-89: an issuer call mid-period fixes the last coupon's rate at the index in force at
    the call date (the round named to `startRedemption`, however late it starts); the price is
    the call price plus that coupon accrued to the call date at the fixing."""
    frn = create_frn(callable_after_days=120)
    frn.record(1, Decimal("0.05"))
    second = frn.coupons[1]
    start = to_timestamp(second.accrual_start)
    frn.at(max(start + 30 * DAY, frn.terms.call.first_call_date))
    frn.registry.exerciseCall(frn.instrument, sender=frn.issuer)
    called_at = frn.registry.stateOf(frn.instrument).calledAt
    frn.servicer.fundRedemption(200_000 * USD_UNIT, sender=frn.issuer)
    index = Decimal("0.06")
    in_force = frn.publish(index, called_at)
    frn.at(called_at + 10 * DAY)
    later = frn.publish(Decimal("0.07"), frn.chain.pending_timestamp)
    with ape.reverts(frn.servicer.NotFixingRound, roundId=later, fixingDate=called_at):
        frn.servicer.startRedemption(later, sender=frn.holders["bob"])
    tx = frn.servicer.startRedemption(in_force, sender=frn.holders["bob"])
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


def test_keeper__frn_recorded_late__finds_each_record_dates_round(create_frn):
    """LCY-69, LCY-85: the coupon keeper records a floating note's due coupons with the round in
    force at each record date (`fixing_round`, walking back from the latest round), even past
    the payment dates and after newer rounds; a walk longer than its bound refuses, naming it."""
    frn = create_frn()
    published = {}
    for number, (before, after) in enumerate(((530, 540), (510, 520)), start=1):
        record_date = frn.record_date(number)
        frn.to_record_date(number)
        frn.publish(Decimal(before) / 10_000, record_date - 600)
        for minute in range(1, 4):  # newer rounds the keeper walks back over
            frn.publish(Decimal(after) / 10_000, record_date + 60 * minute)
        published[number] = (before * 10**14, record_date - 600)
    frn.at(to_timestamp(frn.coupons[1].payment_date))
    frn.chain.mine()
    latest = int(frn.feed.latestRound())
    with pytest.raises(QuanteraError, match="within 2 rounds"):
        fixing_round(frn.feed, frn.record_date(2), max_walk=2)
    assert fixing_round(frn.feed, frn.record_date(2), max_walk=3) == latest - 3
    assert fixing_round(frn.feed, frn.record_date(2)) == latest - 3

    db = store.open_store("sqlite://")
    bob = frn.holders["bob"]  # not the issuer: records from the payment date
    keeper = LifecycleKeeper(db, None, frn.registry, french_rf(0), bob)
    block = frn.chain.blocks.head
    keeper.record_coupons(Head(int(block.number), int(block.timestamp)))
    assert keeper.on_chain == [(frn.instrument, 1), (frn.instrument, 2)]
    fixed = list(frn.servicer.CouponFixed.range(0, frn.chain.blocks.head.number + 1))
    assert {e.number: (e.index, e.indexUpdatedAt) for e in fixed} == published
