"""Escrow hops around a compliance route (security findings SEC-32, SEC-33): a request names a
controller other than its owner, a claim or a cancellation a receiver other than its controller,
an instant subscription a receiver other than its payer. Each leg alone passes the share's engine
(the escrow owner -> vault, the return vault -> receiver, the mint to the receiver); the pair was
never checked, so shares reached a wallet the engine refuses them to. The vault now asks the share
token whether the party who gave the shares (or the money for them) may transfer them to the party
who ends up with them (`PairNotCompliant(from, to, reasonCode)`)."""

import pytest

from compliance_fixtures import DE, GB
from fast_reverts import attempt
from fund_fixtures import SHARE_UNIT, USD_UNIT

ROUTE_BLOCKED = 9


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


@pytest.fixture
def fund(fund_stack):
    """The fund with the route Germany -> UK blocked on the share's engine; carol (DE) holds
    1,000 shares, dave (GB) none."""
    fund_stack.engine.setRoute(DE, GB, True, sender=fund_stack.governor)
    return fund_stack


def hold(chain, fund, label, amount_usd):
    vault, wallet = fund.vault, fund.investors[label]
    vault.requestDeposit(usd(amount_usd), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    vault.deposit(usd(amount_usd), wallet, sender=wallet)


def test_sec_32__redeem_request_for_a_blocked_controller_then_cancel__shares_never_reach_it(
    chain, fund
):
    """The red team's hop: DE -> GB is blocked and a direct transfer is refused (code 9);
    `requestRedeem(shares, controller=GB, owner=DE)` then `cancelRedeemRequest` by the controller
    delivered the shares to GB (main). The request is refused: the owner may not give them to
    that controller."""
    vault, share = fund.vault, fund.share
    carol, dave = fund.investors["carol"], fund.investors["dave"]
    hold(chain, fund, "carol", 1_000)
    assert share.detectTransferRestriction(carol, dave, shares(1)) == ROUTE_BLOCKED
    refused = attempt(chain, vault.requestRedeem, shares(1_000), dave, carol, sender=carol)
    if refused is None:
        attempt(chain, vault.cancelRedeemRequest, dave, dave, sender=dave)
    assert share.balanceOf(dave) == 0, "the escrow hop delivered carol's shares to dave"
    assert refused == (
        "PairNotCompliant",
        {"from": carol.address, "to": dave.address, "reasonCode": ROUTE_BLOCKED},
    )
    assert share.balanceOf(carol) == shares(1_000)


def test_sec_33__every_other_leg_naming_a_blocked_party__refused_with_the_pair(chain, fund):
    """The same hop on the other paths: a deposit paid by DE for a GB controller; a claim by a DE
    controller minted to a GB receiver; a DE controller's cancellation returned to a GB receiver;
    an instant subscription paid by DE for a GB receiver. Each is refused naming the pair; the
    same calls for the party itself pass (nothing else changed)."""
    vault, share = fund.vault, fund.share
    carol, dave, alice = fund.investors["carol"], fund.investors["dave"], fund.investors["alice"]
    expected = {"from": carol.address, "to": dave.address, "reasonCode": ROUTE_BLOCKED}

    # a deposit paid by carol for dave (main: dave claims the shares carol paid for)
    refused = attempt(chain, vault.requestDeposit, usd(1_000), dave, carol, sender=carol)
    assert refused == ("PairNotCompliant", expected)

    # carol's own deposit, claimed to dave (main: minted to dave)
    vault.requestDeposit(usd(1_000), carol, carol, sender=carol)
    fund.strike(chain, 1)
    refused = attempt(chain, vault.deposit, usd(1_000), dave, carol, sender=carol)
    assert refused == ("PairNotCompliant", expected)
    refused = attempt(chain, vault.mint, shares(1_000), dave, carol, sender=carol)
    assert refused == ("PairNotCompliant", expected)
    vault.deposit(usd(1_000), carol, carol, sender=carol)

    # carol's redemption request cancelled to dave (main: the shares go to dave)
    vault.requestRedeem(shares(400), carol, carol, sender=carol)
    refused = attempt(chain, vault.cancelRedeemRequest, carol, dave, sender=carol)
    assert refused == ("PairNotCompliant", expected)
    vault.cancelRedeemRequest(carol, carol, sender=carol)

    # an instant subscription paid by carol for dave
    vault.setInstantLimit(usd(10_000), sender=fund.governor)
    refused = attempt(chain, vault.instantDeposit, usd(500), dave, sender=carol)
    assert refused == ("PairNotCompliant", expected)

    assert share.balanceOf(dave) == 0
    # parties the engine lets carol transfer to pass as before
    vault.requestDeposit(usd(1_000), alice, carol, sender=carol)
    vault.instantDeposit(usd(500), alice, sender=carol)
    assert share.balanceOf(alice) == shares(500)
