"""SEC-9 (attacker's read M2): a wallet cannot change identity, or leave the registry, while it
holds a listed security. Each security's compliance engine keeps its ledger per identity; moving a
holding wallet to another identity left its balance recorded under the old one (a phantom holder in
the counts and caps) and made the wallet's next send revert on the new identity's empty ledger."""

import ape
import pytest

from compliance_fixtures import ACCREDITED, UNIT, US, assert_refused, identity_of


@pytest.fixture
def holding(onboard, investors, token, agent):
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, US, ACCREDITED)
    token.mint(alice, 1_000 * UNIT, sender=agent)
    return alice, bob, carol


def test_update_or_delete_identity__holding_wallet__refused_with_the_security_and_balance(
    holding, token, registry, engine, operator
):
    alice, _, _ = holding
    assert token.address in registry.securities()  # listed as the deploy script lists it
    elsewhere = "0x" + "77" * 20
    with ape.reverts(
        registry.WalletHoldsSecurity,
        wallet=alice.address,
        security=token.address,
        balance=1_000 * UNIT,
    ):
        registry.updateIdentity(alice, elsewhere, sender=operator)
    with ape.reverts(
        registry.WalletHoldsSecurity,
        wallet=alice.address,
        security=token.address,
        balance=1_000 * UNIT,
    ):
        registry.deleteIdentity(alice, sender=operator)
    assert registry.identity(alice).lower() == identity_of(alice).lower()


def test_identity_move__after_recovery_to_a_wallet_of_the_same_identity__ledger_stays_exact(
    holding, token, registry, engine, operator, agent, accounts
):
    alice, bob, _ = holding
    identity = identity_of(alice)
    spare = accounts[15]
    registry.registerIdentity(spare, identity, US, sender=operator)
    counts = engine.holderCounts()
    # the procedure: move the balance first
    token.recoveryAddress(alice, spare, identity, sender=agent)
    registry.updateIdentity(alice, "0x" + "77" * 20, sender=operator)
    # The identity's ledger still matches what its wallets hold, counts unchanged, and it can send.
    assert engine.ledgerOf(identity).balance == token.balanceOf(spare) == 1_000 * UNIT
    assert engine.holderCounts() == counts
    token.transfer(bob, UNIT, sender=spare)
    assert engine.ledgerOf(identity).balance == 999 * UNIT


def test_set_security__governor_only_bounded_and_no_op_refused(registry, token, governor, operator):
    with ape.reverts(registry.AccessManagedUnauthorized):
        registry.setSecurity(token, False, sender=operator)
    with ape.reverts(registry.SecurityListingUnchanged, security=token.address, listed=True):
        registry.setSecurity(token, True, sender=governor)
    assert registry.MAX_SECURITIES() == 32


def test_sec_67__emptied_wallet__dust_refused_by_the_first_holding_minimum__operator_offboards_it(
    holding, token, registry, engine, operator, governor
):
    """Dust that blocks the issuer: a holder sent 1 wei to a wallet that had just sold out, and the
    OPERATOR's `deleteIdentity` of it reverted `WalletHoldsSecurity` (again after every clean-up).
    With a minimum first holding in its jurisdiction, an identity that holds none receives no
    dust."""
    alice, bob, _ = holding
    token.transfer(bob, 10 * UNIT, sender=alice)
    token.transfer(alice, 10 * UNIT, sender=bob)  # bob sold out: being off-boarded
    engine.setMinFirstHolding(US, UNIT, sender=governor)
    assert_refused(token, alice, bob, 1, 16)
    registry.deleteIdentity(bob, sender=operator)
    assert not registry.contains(bob)
