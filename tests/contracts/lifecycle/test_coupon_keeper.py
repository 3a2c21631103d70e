"""LCY-69: the coupon scheduler's chain side (keepers/lifecycle/servicing.py through
`LifecycleKeeper.record_coupons`) records each due coupon of a serviced note on its BondServicer,
in order, once: from the record date as the issuer or its DECLARE operator, from the payment date
as anyone else; a second run or a restart sends nothing."""

from bond_fixtures import DAY, USD_UNIT
from keepers.core import store
from keepers.lifecycle import Head, LifecycleKeeper, french_rf
from keepers.lifecycle import store as lifecycle_store


def keeper(bond, db, signer):
    """A keeper with a fresh day gate (a restart): record_coupons runs once a chain day."""
    return LifecycleKeeper(db, None, bond.lifecycle.registry, french_rf(0), signer)


def head(chain) -> Head:
    block = chain.blocks.head
    return Head(int(block.number), int(block.timestamp))


def move_to(bond, chain, timestamp) -> None:
    bond.at(timestamp)
    chain.mine()


def test_keeper__due_coupons__recorded_on_the_servicer_in_order_once(bond, chain):
    servicer, instrument, issuer = bond.servicer, bond.instrument, bond.issuer
    bob = bond.holders["bob"]
    servicer.fundCoupons(10_000 * USD_UNIT, sender=issuer)
    db = store.open_store("sqlite://")
    offset = bond.terms.coupon.recordDateOffsetDays * DAY
    _, end1 = bond.period(1)

    before = keeper(bond, db, issuer)
    before.record_coupons(head(chain))
    assert before.on_chain == [] and servicer.servicing()[1] == 0

    move_to(bond, chain, end1 - offset)  # coupon 1's record date
    outsider = keeper(bond, db, bob)  # neither the issuer nor its operator: waits
    outsider.record_coupons(head(chain))
    assert outsider.on_chain == [] and servicer.servicing()[1] == 0

    declarer = keeper(bond, db, issuer)
    declarer.record_coupons(head(chain))
    assert declarer.on_chain == [(instrument, 1)] and servicer.servicing()[1] == 1
    [event] = list(servicer.CouponRecorded.range(0, chain.blocks.head.number + 1))
    assert (event.number, event.by) == (1, issuer.address)
    rows = lifecycle_store.coupon_records(db, chain.chain_id, instrument)
    assert [(r.number, r.status) for r in rows] == [(1, "recorded")]

    nonce = issuer.nonce
    again = keeper(bond, db, issuer)
    again.record_coupons(head(chain))
    assert again.on_chain == [] and issuer.nonce == nonce

    # Past coupon 3's payment date anyone records, in order: 2, then 3.
    _, end3 = bond.period(3)
    move_to(bond, chain, end3)
    late = keeper(bond, db, bob)
    late.record_coupons(head(chain))
    assert late.on_chain == [(instrument, 2), (instrument, 3)]
    assert servicer.servicing()[1] == 3
    rows = lifecycle_store.coupon_records(db, chain.chain_id, instrument)
    assert [(r.number, r.status) for r in rows] == [(n, "recorded") for n in (1, 2, 3)]


def test_sec_124__keeper_after_a_call__records_no_later_coupon_and_starts_the_redemption(
    bond, chain
):
    """After the issuer's call the keeper kept recording coupons by the schedule (each one ending
    after the call paid in full on top of the call price, SEC-124) and never started the
    redemption (main: the note stayed called, its holders unpaid). It records the coupons ending
    by the call, none after, then starts the redemption at the call's price."""
    servicer, registry, issuer = bond.servicer, bond.lifecycle.registry, bond.issuer
    servicer.fundCoupons(10_000 * USD_UNIT, sender=issuer)
    servicer.fundRedemption(200_000 * USD_UNIT, sender=issuer)
    db = store.open_store("sqlite://")
    start3, _ = bond.period(3)
    move_to(bond, chain, max(start3 + 30 * DAY, bond.terms.call.firstCallDate))
    registry.exerciseCall(bond.instrument, sender=issuer)
    _, end4 = bond.period(4)
    move_to(bond, chain, end4)  # every coupon's record date has come
    cycle = keeper(bond, db, issuer)
    cycle.record_coupons(head(chain))
    assert servicer.servicing()[1] == 2, "a coupon ending after the call was recorded"
    assert servicer.servicing()[3], "the keeper did not start the redemption after the call"
    assert cycle.redeeming == [bond.instrument]
    [started] = list(servicer.RedemptionStarted.range(0, chain.blocks.head.number + 1))
    assert started.called
    # Once: a second cycle (a restart) starts nothing.
    nonce = issuer.nonce
    again = keeper(bond, db, issuer)
    again.record_coupons(head(chain))
    assert again.redeeming == [] and issuer.nonce == nonce
