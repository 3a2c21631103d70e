"""The bond share token and its servicer (issue 17 item 6 and the bond half of item 5): coupons in
the settlement asset on the InstrumentRegistry's schedule (DayCount.sol) to the holders of record,
claimable at O(1), unclaimed coupons kept; an underfunded coupon paid pro rata with its shortfall
and `Defaulted`; at maturity transfers stop and holders redeem face value from a pool the issuer
funds (pro rata while short, a late top-up pays everyone the same fraction); an issuer call pays
the call price plus the coupon accrued (LCY-65..LCY-68)."""

import ape

from bond_fixtures import DAY, FACE, RATE_BPS, SCALE, SHARE_UNIT, USD_UNIT
from keepers.lifecycle.schedule import day_count, from_timestamp


def record(bond, number, sender=None):
    start, end = bond.period(number)
    record_date = end - bond.terms.coupon.recordDateOffsetDays * DAY
    bond.at(record_date)
    return bond.servicer.recordCoupon(number, sender=sender or bond.issuer)


def test_coupon__holders_of_record_paid_pro_rata__claimable_once(bond):
    servicer, token, usdc = bond.servicer, bond.token, bond.usdc
    alice, bob = bond.holders["alice"], bond.holders["bob"]
    servicer.fundCoupons(100_000 * USD_UNIT, sender=bond.issuer)
    per_share = bond.coupon_per_share(1)
    _, end = bond.period(1)
    first_record = end - bond.terms.coupon.recordDateOffsetDays * DAY
    assert servicer.servicing() == (0, 0, first_record, False)
    # from the record date balances are fixed until the coupon is recorded
    bond.at(first_record)
    with ape.reverts(servicer.BalancesFixed, couponNumber=1, since=first_record):
        token.transfer(bob, SHARE_UNIT, sender=alice)
    # anyone may record only from the payment date; the issuer from the record date
    with ape.reverts(servicer.CouponNotDue, number=1, earliest=end, caller=alice.address):
        servicer.recordCoupon(1, sender=alice)
    tx = servicer.recordCoupon(1, sender=bond.issuer)
    supply = 1_000 * SHARE_UNIT
    due = -(-supply * per_share // SCALE)
    event = tx.decode_logs(servicer.CouponRecorded)[0]
    assert (event.number, event.supply, event.couponPerShare) == (1, supply, per_share)
    assert (event.indexIncrease, event.paid) == (per_share, due)
    # About 100 x 4.25% / 2 = 2.125 USDC a share: the period's days of 360, which move with the
    # business days around today's date (the fixture's schedule starts from it).
    assert 1_000 * 2_100_000 <= due <= 1_000 * 2_150_000
    # the holders of record are owed; a transfer after recording does not move coupon 1
    token.transfer(bob, 100 * SHARE_UNIT, sender=alice)
    assert servicer.couponsOwed(alice) == 600 * SHARE_UNIT * per_share // SCALE
    assert servicer.couponsOwed(bob) == 400 * SHARE_UNIT * per_share // SCALE
    before = usdc.balanceOf(alice)
    servicer.claimCoupons(alice, sender=bob)  # anyone may claim for alice: alice is paid
    assert usdc.balanceOf(alice) - before == 600 * SHARE_UNIT * per_share // SCALE
    assert servicer.couponsOwed(alice) == 0
    assert servicer.claimCoupons.call(alice) == 0
    # unclaimed coupons stay: bob claims after coupon 2 is recorded too
    record(bond, 2)
    owed = (
        400 * SHARE_UNIT * per_share // SCALE + 500 * SHARE_UNIT * bond.coupon_per_share(2) // SCALE
    )
    assert servicer.couponsOwed(bob) == owed
    reserve, shortfall = servicer.couponPool()
    assert reserve == 100_000 * USD_UNIT - due - (-(-supply * bond.coupon_per_share(2) // SCALE))
    assert shortfall == 0


def test_coupon__underfunded__paid_pro_rata_shortfall_recorded_defaulted(bond):
    servicer = bond.servicer
    servicer.fundCoupons(1_000 * USD_UNIT, sender=bond.issuer)  # of 2,125 due
    tx = record(bond, 1)
    supply = 1_000 * SHARE_UNIT
    increase = 1_000 * USD_UNIT * SCALE // supply
    paid = -(-supply * increase // SCALE)
    due = -(-supply * bond.coupon_per_share(1) // SCALE)
    defaulted = tx.decode_logs(servicer.Defaulted)[0]
    assert (defaulted.instrumentId, defaulted.couponNumber) == (bond.instrument, 1)
    assert (defaulted.due, defaulted.paid) == (due, paid)
    assert servicer.couponPool() == (1_000 * USD_UNIT - paid, due - paid)
    owed = [servicer.couponsOwed(w) for w in bond.holders.values()]
    assert owed == [600 * 10**6, 400 * 10**6]
    assert sum(owed) <= 1_000 * USD_UNIT
    # transfers reopen after the recording
    bond.token.transfer(bond.holders["bob"], SHARE_UNIT, sender=bond.holders["alice"])


def record_all(bond):
    bond.servicer.fundCoupons(10_000 * USD_UNIT, sender=bond.issuer)
    for number in range(1, 5):
        record(bond, number)


def test_maturity__transfers_stop__pro_rata_from_an_underfunded_pool__top_up_pays_the_rest(bond):
    servicer, token, usdc, registry = bond.servicer, bond.token, bond.usdc, bond.lifecycle.registry
    alice, bob = bond.holders["alice"], bond.holders["bob"]
    record_all(bond)
    with ape.reverts(servicer.NotMatured, instrumentId=bond.instrument):
        servicer.startRedemption(0, sender=alice)
    bond.at(bond.terms.maturityDate)
    with ape.reverts(servicer.BalancesFixed):
        token.transfer(bob, SHARE_UNIT, sender=alice)
    registry.mature(bond.instrument, sender=alice)  # anyone, at maturity
    # What the coupons left of their reserve joins the redemption pool (SEC-131): the pool is
    # half of the 100,000 due with it.
    left = servicer.couponPool()[0]
    servicer.fundRedemption(50_000 * USD_UNIT - left, sender=bond.issuer)  # of 100,000 due
    tx = servicer.startRedemption(0, sender=alice)
    price = FACE * USD_UNIT
    [moved] = tx.decode_logs(servicer.CouponPoolMoved)
    assert (moved.arrears, moved.reserve) == (0, left)
    defaulted = tx.decode_logs(servicer.Defaulted)[0]
    assert (defaulted.couponNumber, defaulted.due, defaulted.paid) == (
        0,
        100_000 * USD_UNIT,
        50_000 * USD_UNIT,
    )
    assert servicer.redemptionPool() == (
        price,
        1_000 * SHARE_UNIT,
        50_000 * USD_UNIT,
        price // 2,
        50_000 * USD_UNIT,
    )
    assert servicer.couponPool() == (0, 0)
    with ape.reverts(servicer.BalancesFixed, couponNumber=0):
        token.transfer(bob, SHARE_UNIT, sender=alice)
    coupons = servicer.couponsOwed(alice)
    before = usdc.balanceOf(alice)
    servicer.redeem(alice, sender=alice)
    assert usdc.balanceOf(alice) - before == coupons + 30_000 * USD_UNIT  # half of 600 x 100
    # the issuer tops up: alice gets the rest, bob everything, no more than funded
    servicer.fundRedemption(50_000 * USD_UNIT, sender=bond.issuer)
    assert servicer.redemptionPool()[3:] == (price, 0)
    before = usdc.balanceOf(alice)
    servicer.redeem(alice, sender=bob)
    assert usdc.balanceOf(alice) - before == 30_000 * USD_UNIT
    servicer.redeem(bob, sender=bob)
    assert servicer.redeemable(alice) == servicer.redeemable(bob) == 0
    assert usdc.balanceOf(servicer) >= 0


def test_call__by_the_issuer_after_the_first_call_date__call_price_plus_accrued(bond):
    servicer, registry = bond.servicer, bond.lifecycle.registry
    servicer.fundCoupons(10_000 * USD_UNIT, sender=bond.issuer)
    record(bond, 1)
    record(bond, 2)
    start, end = bond.period(3)
    bond.at(max(start + 30 * DAY, bond.terms.call.firstCallDate))
    registry.exerciseCall(bond.instrument, sender=bond.issuer)
    called_at = registry.stateOf(bond.instrument).calledAt
    servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    tx = servicer.startRedemption(0, sender=bond.holders["bob"])
    days = day_count(bond.terms.coupon.dayCount, from_timestamp(start), from_timestamp(called_at))
    accrued = FACE * RATE_BPS * 10**14 * days // (360 * 10**18) * USD_UNIT
    price = FACE * 10_100 // 10_000 * USD_UNIT + accrued
    started = tx.decode_logs(servicer.RedemptionStarted)[0]
    assert (started.pricePerShare, started.called) == (price, True)
    assert not tx.decode_logs(servicer.Defaulted)
    assert servicer.redeemable(bond.holders["alice"]) == 600 * SHARE_UNIT * price // SCALE


def test_upg_10__helper_114_l2__a_bond_share_token_is_told_by_its_answers(bond, income_stack):
    """helper-114 L2: `ape run migrate_token batch` refuses the income and coupon classes (their
    balance changes settle what a holding is owed first: they migrate with their servicer's fix);
    the status tells them by a view only each class answers, a plain security token by neither."""
    from keepers.compliance.migration_view import balance_hooked_class
    from keepers.core.artifacts import project_at
    from keepers.core.reads import ApeReads

    def told(token) -> str | None:
        return balance_hooked_class(token.address, "latest", ApeReads(), project_at)

    assert told(bond.token) == "BondShareToken"
    assert told(income_stack.token) == "IncomeShareToken"
    assert told(bond.usdc) is None
