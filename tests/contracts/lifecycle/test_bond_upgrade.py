"""UPG-4 (issue 34 §1, the bond): a note's servicer is fixed in place. The deploy routine puts the
BondServicer behind a GovernedProxy that the deployment's UpgradeAuthority administers; with
holders, a coupon recorded and left unclaimed, and the pool funded, the UPGRADER moves it to a new
implementation (proposed, run after the authority's notice). Afterwards every holder's owed coupons,
the pools, the servicing schedule and every balance are what they were, the token's hook still
answers the proxy, the next coupon records, and each holder claims exactly what the old code and the
new one owe together."""

from __future__ import annotations

from bond_fixtures import DAY, SCALE, SHARE_UNIT, USD_UNIT
from conftest import ADMIN
from keepers.access import (
    UPGRADE_AUTHORITY,
    admin_of,
    grant_calls,
    implementation_of,
    send_to_manager,
    upgrade_arguments,
)


def _record(bond, number):
    _, end = bond.period(number)
    bond.at(end - bond.terms.coupon.recordDateOffsetDays * DAY)
    return bond.servicer.recordCoupon(number, sender=bond.issuer)


def _state(bond):
    servicer, token, usdc = bond.servicer, bond.token, bond.usdc
    holders = bond.holders
    return {
        "servicing": tuple(servicer.servicing()),
        "coupon_pool": tuple(servicer.couponPool()),
        "redemption_pool": tuple(servicer.redemptionPool()),
        "owed": {k: servicer.couponsOwed(w) for k, w in holders.items()},
        "shares": {k: token.balanceOf(w) for k, w in holders.items()},
        "cash_held": usdc.balanceOf(servicer),
        "token": servicer.token(),
        "payment_asset": servicer.paymentAsset(),
    }


def test_upg_4__bond_servicer__upgraded_with_unclaimed_coupons__nothing_moves_next_coupon_pays(
    chain, project, bond, deployer, governor
):
    d = bond.lifecycle.d
    servicer, token = bond.servicer, bond.token
    assert d.sender.address == deployer.address
    assert d.at("QuanteraAccessManager").hasRole(ADMIN, deployer)[0]
    # Behind a GovernedProxy administered by the deployment's UpgradeAuthority.
    authority = d.at(UPGRADE_AUTHORITY)
    old_code = implementation_of(servicer)
    assert old_code not in (servicer.address, "0x" + "0" * 40)
    assert chain.provider.get_code(admin_of(servicer))
    assert token.servicer() == servicer.address
    send_to_manager(d, grant_calls(d, "UPGRADER", governor.address))

    servicer.fundCoupons(100_000 * USD_UNIT, sender=bond.issuer)
    _record(bond, 1)
    before = _state(bond)
    assert all(before["owed"].values())  # coupon 1 recorded, nobody has claimed it

    fixed = deployer.deploy(project.BondServicer, bond.lifecycle.registry, bond.usdc, token)
    arguments = upgrade_arguments(servicer, fixed)
    authority.propose(*arguments, sender=governor)
    chain.pending_timestamp += authority.NOTICE()
    receipt = authority.upgrade(*arguments, sender=governor)
    assert len(receipt.decode_logs(authority.ProxyUpgraded)) == 1
    assert implementation_of(servicer) == fixed.address != old_code
    assert _state(bond) == before

    # The next coupon records on the new code, and each holder is paid both coupons exactly.
    tx = _record(bond, 2)
    per_share_2 = tx.decode_logs(servicer.CouponRecorded)[0].couponPerShare
    for label, wallet in bond.holders.items():
        owed = before["owed"][label] + before["shares"][label] * per_share_2 // SCALE
        assert servicer.couponsOwed(wallet) == owed
        if before["shares"][label] == 0:
            continue
        cash = bond.usdc.balanceOf(wallet)
        servicer.claimCoupons(wallet, sender=wallet)
        assert bond.usdc.balanceOf(wallet) - cash == owed
    # Transfers still pass the servicer's hook (through the proxy).
    alice, bob = bond.holders["alice"], bond.holders["bob"]
    token.transfer(bob, SHARE_UNIT, sender=alice)
    assert token.balanceOf(bob) == before["shares"]["bob"] + SHARE_UNIT
