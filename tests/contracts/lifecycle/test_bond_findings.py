"""The BondServicer and the InstrumentRegistry against the second red-team read of the lifecycle
domain (security findings SEC-124, SEC-125, SEC-130, SEC-131), on the deployed note
(bond_fixtures: the deploy routine's token and servicer, registered and active). Each test
performs the attack and failed on main before the fix:

- SEC-124: coupons kept being recorded after the issuer's call and were paid in full on top of
  the call price (which already holds the coupon accrued to the call);
- SEC-125: once redemption started (and in every record window) no agent could seize or recover a
  holding, and the servicer paid a frozen holder;
- SEC-130: any approved issuer registered another issuer's share token and took its servicer;
- SEC-131: a coupon shortfall was never paid, and what the issuer over-funded stayed locked.
"""

import pytest
from eth_abi import encode
from eth_utils import keccak

from bond_fixtures import DAY, FACE, RATE_BPS, SCALE, SHARE_UNIT, USD_UNIT, serviced_token
from compliance_fixtures import ACCREDITED, FAR_FUTURE, US
from fast_reverts import attempt, revert_data
from isolation import isolated
from keepers.lifecycle.schedule import day_count, from_timestamp
from lifecycle_fixtures import note_terms


def record_at_record_date(bond, number, sender=None):
    _, end = bond.period(number)
    bond.at(end - bond.terms.coupon.recordDateOffsetDays * DAY)
    return bond.servicer.recordCoupon(number, sender=sender or bond.issuer)


def paid_to_holders(bond):
    """USDC the servicer pays alice and bob if both claim everything now."""
    total = 0
    for wallet in bond.holders.values():
        before = bond.usdc.balanceOf(wallet)
        bond.servicer.redeem(wallet, sender=wallet)
        total += bond.usdc.balanceOf(wallet) - before
    return total


def matured_and_redeeming(bond, coupons_usd=10_000, redemption_usd=100_000):
    servicer = bond.servicer
    servicer.fundCoupons(coupons_usd * USD_UNIT, sender=bond.issuer)
    servicer.fundRedemption(redemption_usd * USD_UNIT, sender=bond.issuer)
    for number in range(1, 5):
        record_at_record_date(bond, number)
    bond.at(bond.terms.maturityDate)
    bond.lifecycle.registry.mature(bond.instrument, sender=bond.carol)
    servicer.startRedemption(0, sender=bond.carol)


# ---------------------------------------------------------------- SEC-124: coupons after a call


def test_sec_124__coupons_after_a_call__refused_holders_paid_the_call_price_and_accrued(bond):
    """The red team's path: called 30 days into coupon 3, the redemption not started at once;
    the issuer's keeper recorded coupon 3 at its record date and anyone coupon 4 at its payment
    date, and the redemption then paid both in full on top of the call price plus coupon 3's
    accrued part (main: +$3,907.64 to two holders). A coupon ending after the call is refused
    (`CouponAfterCall`): the holders are paid what the terms say."""
    servicer, registry = bond.servicer, bond.lifecycle.registry
    servicer.fundCoupons(10_000 * USD_UNIT, sender=bond.issuer)
    servicer.fundRedemption(200_000 * USD_UNIT, sender=bond.issuer)
    record_at_record_date(bond, 1)
    record_at_record_date(bond, 2)
    start3, end3 = bond.period(3)
    bond.at(max(start3 + 30 * DAY, bond.terms.call.firstCallDate))
    registry.exerciseCall(bond.instrument, sender=bond.issuer)
    called_at = registry.stateOf(bond.instrument).calledAt

    with isolated(bond.chain):
        servicer.startRedemption(0, sender=bond.holders["bob"])
        fair = paid_to_holders(bond)

    # (Each step's time mined first: `attempt` asks the node at the head block's time.)
    bond.at(end3 - bond.terms.coupon.recordDateOffsetDays * DAY)
    bond.chain.mine()
    third = attempt(bond.chain, servicer.recordCoupon, 3, sender=bond.issuer)
    _, end4 = bond.period(4)
    bond.at(end4)
    bond.chain.mine()
    fourth = attempt(bond.chain, servicer.recordCoupon, 4, sender=bond.holders["bob"])
    servicer.startRedemption(0, sender=bond.holders["bob"])
    paid = paid_to_holders(bond)
    assert paid == fair, f"paid {(paid - fair) / USD_UNIT:,.2f} USDC beyond the call's terms"
    assert third == ("CouponAfterCall", {"number": 3, "end": end3, "calledAt": called_at})
    assert fourth == ("UnexpectedCoupon", {"number": 4, "expected": 3})
    days = day_count(bond.terms.coupon.dayCount, from_timestamp(start3), from_timestamp(called_at))
    accrued = FACE * RATE_BPS * 10**14 * days // (360 * 10**18) * USD_UNIT
    price = FACE * 10_100 // 10_000 * USD_UNIT + accrued
    assert servicer.redemptionPool()[0] == price


# ---------------------------------------------------------------- SEC-125: seize, recover, freeze


def test_sec_125__after_redemption_start__agent_seizes_a_frozen_holding__its_claims_follow(
    bond, agent
):
    """Once redemption started, balances were fixed for good: the agent could not seize a
    sanctioned holder's notes, and the servicer paid her in full anyway (main: frozen alice
    received 65,092.92 USDC). An agent's forced transfer goes through with what the holding is
    owed (its coupons and redemption), and no payout reaches a frozen holder."""
    servicer, token, usdc = bond.servicer, bond.token, bond.usdc
    alice, carol = bond.holders["alice"], bond.carol
    matured_and_redeeming(bond)
    owed_alice = servicer.couponsOwed(alice) + servicer.redeemable(alice)
    token.setAddressFrozen(alice, True, sender=agent)
    before = usdc.balanceOf(alice)
    paid = attempt(bond.chain, servicer.redeem, alice, sender=carol)
    assert usdc.balanceOf(alice) == before, "the servicer paid a frozen holder"
    assert paid == ("HolderNotPayable", {"holder": alice.address})
    seized = attempt(bond.chain, token.forcedTransfer, alice, carol, 600 * SHARE_UNIT, sender=agent)
    assert seized is None, f"the agent could not seize: {seized}"
    assert servicer.couponsOwed(alice) + servicer.redeemable(alice) == 0
    assert servicer.couponsOwed(carol) + servicer.redeemable(carol) == owed_alice
    before = usdc.balanceOf(carol)
    servicer.redeem(carol, sender=carol)
    assert usdc.balanceOf(carol) - before == owed_alice


def test_sec_125__record_window_and_redemption__recovery_and_partial_seizure_go_through(
    bond, agent, operator, accounts
):
    """A lost wallet could not be recovered once a record date had come or redemption started
    (main: `BalancesFixed`). A recovery moves the whole holding with its claims; a partial seizure
    moves its part of them (pro rata)."""
    servicer, token = bond.servicer, bond.token
    alice, bob, carol = bond.holders["alice"], bond.holders["bob"], bond.carol
    servicer.fundCoupons(10_000 * USD_UNIT, sender=bond.issuer)
    record_at_record_date(bond, 1)
    _, end2 = bond.period(2)
    bond.at(end2 - bond.terms.coupon.recordDateOffsetDays * DAY)  # coupon 2's record window
    registry = bond.lifecycle.d.at("IdentityRegistry")
    spare = accounts.generate_test_account()
    bond.chain.provider.set_balance(spare.address, 10**21)
    identity = registry.identity(bob)
    registry.registerIdentity(spare, identity, US, sender=operator)
    owed_bob = servicer.couponsOwed(bob)
    recovered = attempt(bond.chain, token.recoveryAddress, bob, spare, identity, sender=agent)
    assert recovered is None, f"recovery refused in the record window: {recovered}"
    assert servicer.couponsOwed(spare) == owed_bob and servicer.couponsOwed(bob) == 0
    # Coupon 2 goes to the holders at its recording: spare holds bob's 400.
    bond.servicer.recordCoupon(2, sender=bond.issuer)
    assert servicer.couponsOwed(spare) == owed_bob + 400 * bond.coupon_per_share(2) // 10**18
    # A quarter of alice's holding seized: a quarter of her coupons owed moves with it.
    owed_alice = servicer.couponsOwed(alice)
    token.forcedTransfer(alice, carol, 150 * SHARE_UNIT, sender=agent)
    assert servicer.couponsOwed(carol) == owed_alice // 4
    assert servicer.couponsOwed(alice) == owed_alice - owed_alice // 4


# ---------------------------------------------------------------- SEC-130: token takeover


def test_sec_130__issuer_registers_another_issuers_share_token__refused(
    chain, lifecycle, other_issuer, agent
):
    """Any approved issuer could register a share token it has nothing to do with (main: the
    other issuer registered the note's token first, became its issuer and could call it, its
    servicer serving that instrument). Only an agent of the token registers it."""
    d = lifecycle.d.scoped(
        "QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry", "OracleRouter"
    )
    token, _ = serviced_token(d, lifecycle, agent, "Quantera Note 2029", "QTN29T")
    terms = note_terms(lifecycle, chain.pending_timestamp, share_token=token.address)
    refused = attempt(chain, lifecycle.registry.register, terms.as_tuple(), sender=other_issuer)
    if refused is None:
        taken = lifecycle.registry.idOfShareToken(token)
        assert lifecycle.registry.stateOf(taken).issuer != other_issuer.address, (
            f"instrument {taken} (its servicer's) belongs to the other issuer"
        )
    assert refused == (
        "NotTokenAgent",
        {"shareToken": token.address, "issuer": other_issuer.address},
    )


# ---------------------------------------------------------------- SEC-131: arrears and excess


def test_sec_131__shortfall_cured_at_the_next_coupon__excess_swept_to_the_issuer(bond):
    """A coupon shortfall stayed a number (`couponShortfall`) nobody was ever paid, and what the
    issuer funded beyond the redemption stayed in the servicer (main). The next recording pays the
    arrears with its coupon (`ArrearsPaid`), what is left at redemption joins the price, and the
    pool beyond every share's price is swept to the issuer (its FUND capability), never a
    holder's claim."""
    servicer, usdc = bond.servicer, bond.usdc
    alice, bob = bond.holders["alice"], bond.holders["bob"]
    servicer.fundCoupons(1_000 * USD_UNIT, sender=bond.issuer)  # of about 2,125 due
    record_at_record_date(bond, 1)
    arrears = servicer.couponPool()[1]
    due = -(-1_000 * SHARE_UNIT * bond.coupon_per_share(1) // SCALE)
    assert arrears == due - 1_000 * USD_UNIT
    servicer.fundCoupons(10_000 * USD_UNIT, sender=bond.issuer)
    tx = record_at_record_date(bond, 2)
    owed = servicer.couponsOwed(alice) + servicer.couponsOwed(bob)
    terms = 1_000 * USD_UNIT + arrears + 1_000 * bond.coupon_per_share(2) // 10**18
    # (Each holder's part rounds down: within a unit per holder.)
    assert terms - 2 <= owed <= terms, (
        f"the holders are owed {owed / USD_UNIT:,.2f}, the terms {terms / USD_UNIT:,.2f}"
    )
    [cured] = tx.decode_logs(servicer.ArrearsPaid)
    assert (cured.number, cured.paid, cured.remaining) == (2, arrears, 0)
    # Redemption over-funded by $5,000 (and the coupon reserve left): the issuer takes it back.
    for number in (3, 4):
        record_at_record_date(bond, number)
    left = servicer.couponPool()[0]
    servicer.fundRedemption(105_000 * USD_UNIT, sender=bond.issuer)
    bond.at(bond.terms.maturityDate)
    bond.lifecycle.registry.mature(bond.instrument, sender=bond.carol)
    servicer.startRedemption(0, sender=bond.carol)
    before = usdc.balanceOf(bond.issuer)
    swept = attempt(bond.chain, servicer.sweepExcess, sender=bond.issuer)
    assert swept is None, f"nothing swept: {swept}"
    assert usdc.balanceOf(bond.issuer) - before == 5_000 * USD_UNIT + left
    assert attempt(bond.chain, servicer.sweepExcess, sender=bond.issuer)[0] == "NothingToSweep"
    assert attempt(bond.chain, servicer.sweepExcess, sender=bond.carol)[0] == "NotIssuerOrFunder"
    # Every holder is still paid in full (within a unit per holder and coupon of rounding).
    full = (
        owed
        + 100_000 * USD_UNIT
        + sum(
            whole * SHARE_UNIT * (bond.coupon_per_share(3) + bond.coupon_per_share(4)) // SCALE
            for whole in (600, 400)
        )
    )
    assert full - 4 <= paid_to_holders(bond) <= full


# ---------------------------------------------------------------- SEC-159: claims for a contract


def coupon_1(bond, notes: int) -> int:
    """Coupon 1 on `notes` whole notes, in USDC units (2.125 a note on a full half-year; the
    period's days move with the business days around today's date)."""
    return notes * SHARE_UNIT * bond.coupon_per_share(1) // SCALE


def _desk_holding_a_coupon(project, bond, lifecycle, operator):
    """A NAV desk in the note's payment asset holding 500 of its 1,000 shares, coupon 1 recorded:
    the desk is owed 1,062.50 USDC."""
    issuer = bond.issuer
    authority = project.OpenAuthority.deploy(sender=issuer)
    oracle = project.FixedNavOracle.deploy(100 * 10**18, sender=issuer)
    desk = project.NavVenue.deploy(authority, bond.usdc, oracle, sender=issuer)
    registry = lifecycle.d.at("IdentityRegistry")
    registry.registerInvestor(desk, "0x" + "de" * 20, US, ACCREDITED, FAR_FUTURE, sender=operator)
    bond.token.transfer(desk, 500 * SHARE_UNIT, sender=bond.holders["alice"])
    desk.setMarket(bond.token, (10, 10, 10**28, True, 10), sender=issuer)  # SEC-171 floor
    bond.servicer.fundCoupons(100_000 * USD_UNIT, sender=issuer)
    record_at_record_date(bond, 1)
    assert bond.servicer.couponsOwed(desk) == coupon_1(bond, 500)
    return desk


@pytest.mark.parametrize("path", ["basket", "callback"])
def test_sec_159__desk_caller_claims_the_desks_coupons_in_its_payment__refused_coupon_stays(
    project, bond, lifecycle, operator, path
):
    """The red team's basket read (B-1): a NAV desk counts a payment as the growth of its own
    balance during the payer's callback, and anyone could claim a holder's coupons. A caller owing
    the desk 2,000 USDC claimed the desk's own 1,062.50 USDC coupon to it inside the callback and
    paid 937.50: 20 shares for 937.50 USDC, the desk's coupon gone (main). A contract holder now
    claims for itself (`ClaimForAContract`); the desk claims with `claimIncome`."""
    desk = _desk_holding_a_coupon(project, bond, lifecycle, operator)
    skimmer = project.CouponSkimmer.deploy(bond.servicer, sender=bond.issuer)
    bond.usdc.mint(skimmer, 2_000 * USD_UNIT, sender=operator)
    swap = (
        (skimmer.viaBasket, desk, bond.token)
        if path == "basket"
        else (skimmer.viaCallback, desk, bond.usdc, bond.token)
    )
    data = revert_data(bond.chain, *swap, 2_000 * USD_UNIT, bond.carol, sender=bond.issuer)
    assert data == keccak(text="ClaimForAContract(address,address)")[:4] + encode(
        ["address", "address"], [desk.address, skimmer.address]
    ), "the desk's coupon paid the caller's cash leg"
    assert bond.token.balanceOf(bond.carol) == 0
    assert bond.servicer.couponsOwed(desk) == coupon_1(bond, 500)
    # Nobody claims for the desk; it claims its coupon itself.
    assert attempt(bond.chain, bond.servicer.claimCoupons, desk, sender=bond.carol) == (
        "ClaimForAContract",
        {"holder": desk.address, "caller": bond.carol.address},
    )
    before = bond.usdc.balanceOf(desk)
    desk.claimIncome(bond.servicer, False, sender=bond.issuer)
    assert bond.usdc.balanceOf(desk) - before == coupon_1(bond, 500)
    assert bond.servicer.couponsOwed(desk) == 0
    # A holder without code is still paid by anyone's claim (keepers pay holders).
    bob = bond.holders["bob"]
    before = bond.usdc.balanceOf(bob)
    bond.servicer.claimCoupons(bob, sender=bond.carol)
    assert bond.usdc.balanceOf(bob) - before == coupon_1(bond, 400)
