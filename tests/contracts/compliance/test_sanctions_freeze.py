"""SEC-1: a sanctions freeze is protocol-wide and identity-wide (issue 15, finding "sanctions freeze
is per wallet and per token").

The attack, as found: the screening keeper froze a listed wallet on the one SecurityToken it
watched; the investor kept trading every other token, moved and redeemed fund shares for cash, and
the other wallets of the same identity stayed free. Here the keeper's key freezes once, in the
identity registry, and every one of those moves is refused.
"""

import ape
import pytest

from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US
from isolation import isolated
from keepers.access.roles import ROLE_IDS
from risk_fixtures import UNIT, USDC_UNIT

USDC, QTB, QCORP, QSPX = range(4)
SENDER_FROZEN, RECIPIENT_FROZEN = 2, 3
FUND_INVESTOR_IDENTITY = "0x" + "f2" * 20  # risk_fixtures registers the fund investor under it


@pytest.fixture
def sanctions(chain, risk_stack, deployer, freezer, fund_investor, accounts, agent, operator):
    """The fund investor holds fund shares and two security tokens; a second wallet of the same
    identity holds a third. The keeper's key holds COMPLIANCE_KEEPER (the registry's freeze)."""
    with isolated(chain):
        risk_stack.manager.grantRole(ROLE_IDS["COMPLIANCE_KEEPER"], freezer, 0, sender=deployer)
        second_wallet, counterparty = accounts[14], accounts[15]
        registry = risk_stack.registry
        registry.registerInvestor(
            second_wallet, FUND_INVESTOR_IDENTITY, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
        registry.registerInvestor(
            counterparty, "0x" + "c1" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
        qtb, qcorp, qspx = risk_stack.tokens[QTB], risk_stack.tokens[QCORP], risk_stack.tokens[QSPX]
        qtb.mint(fund_investor, 1_000 * UNIT, sender=agent)
        qcorp.mint(fund_investor, 1_000 * UNIT, sender=agent)
        qspx.mint(second_wallet, 1_000 * UNIT, sender=agent)
        qtb.mint(counterparty, 1_000 * UNIT, sender=agent)
        yield second_wallet, counterparty


def test_freeze__one_listed_wallet__every_token_share_and_wallet_of_the_identity_refused(
    risk_stack, sanctions, freezer, fund_investor
):
    second_wallet, counterparty = sanctions
    registry, vault = risk_stack.registry, risk_stack.vault
    qtb, qcorp, qspx = risk_stack.tokens[QTB], risk_stack.tokens[QCORP], risk_stack.tokens[QSPX]
    shares = vault.balanceOf(fund_investor)
    assert shares > 0

    receipt = registry.freeze(fund_investor, sender=freezer)
    assert (
        receipt.events.filter(registry.WalletFrozen)[0].identity.lower() == FUND_INVESTOR_IDENTITY
    )
    assert registry.isFrozen(fund_investor) and registry.isFrozen(second_wallet)
    assert not registry.isVerified(fund_investor) and not registry.isVerified(second_wallet)

    # Every security token, not only the one the keeper used to watch; every wallet of the identity.
    for token, wallet in ((qtb, fund_investor), (qcorp, fund_investor), (qspx, second_wallet)):
        assert token.detectTransferRestriction(wallet, counterparty, UNIT) == SENDER_FROZEN
        with ape.reverts(token.TransferNotCompliant, reasonCode=SENDER_FROZEN):
            token.transfer(counterparty, UNIT, sender=wallet)
    # Nothing reaches the identity either.
    with ape.reverts(qtb.TransferNotCompliant, reasonCode=RECIPIENT_FROZEN):
        qtb.transfer(second_wallet, UNIT, sender=counterparty)
    # The fund's shares: no transfer, no redemption for cash or in kind, no new deposit.
    with ape.reverts(vault.InvestorFrozen, account=fund_investor):
        vault.transfer(counterparty, 1, sender=fund_investor)
    with ape.reverts(vault.InvestorFrozen, account=fund_investor):
        vault.redeem(shares // 10, fund_investor, fund_investor, sender=fund_investor)
    with ape.reverts(vault.InvestorFrozen, account=fund_investor):
        vault.withdraw(USDC_UNIT, second_wallet, fund_investor, sender=fund_investor)
    with ape.reverts(vault.InvestorFrozen, account=fund_investor):
        vault.redeemInKind(shares // 10, fund_investor, fund_investor, sender=fund_investor)
    with ape.reverts(vault.InvestorNotVerified, account=second_wallet):
        vault.deposit(USDC_UNIT, second_wallet, sender=fund_investor)
    assert vault.balanceOf(fund_investor) == shares


def test_freeze__cash_to_a_frozen_receiver__refused(
    risk_stack, sanctions, freezer, fund_investor, accounts
):
    # A holder in good standing cannot pay a redemption out to a sanctioned wallet either, even an
    # unregistered one (frozen on its own).
    _, counterparty = sanctions
    registry, vault = risk_stack.registry, risk_stack.vault
    listed_unregistered = accounts[16]
    registry.freeze(listed_unregistered, sender=freezer)
    assert registry.isFrozen(listed_unregistered) and not registry.contains(listed_unregistered)
    with ape.reverts(vault.InvestorFrozen, account=listed_unregistered):
        vault.withdraw(USDC_UNIT, listed_unregistered, fund_investor, sender=fund_investor)
    with ape.reverts(vault.InvestorFrozen, account=listed_unregistered):
        vault.redeemInKind(10**12, listed_unregistered, fund_investor, sender=fund_investor)


def test_freeze__wallet_listed_before_registration__freezes_the_identity_it_joins(
    risk_stack, sanctions, freezer, operator, accounts, fund_investor
):
    registry = risk_stack.registry
    listed = accounts[17]
    registry.freeze(listed, sender=freezer)
    # Registered later to the fund investor's identity: the whole identity is frozen with it.
    registry.registerInvestor(
        listed, FUND_INVESTOR_IDENTITY, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
    )
    assert registry.isFrozen(fund_investor) and registry.profileOf(FUND_INVESTOR_IDENTITY).frozen
    # A wallet removed from a frozen identity stays frozen on its own.
    registry.deleteIdentity(listed, sender=operator)
    assert registry.isFrozen(listed) and not registry.contains(listed)


def test_freeze__only_the_keeper_freezes_only_the_operator_lifts__whole_identity_restored(
    risk_stack, sanctions, freezer, operator, fund_investor, outsider
):
    second_wallet, counterparty = sanctions
    registry, qspx = risk_stack.registry, risk_stack.tokens[QSPX]
    with ape.reverts(registry.AccessManagedUnauthorized):
        registry.freeze(fund_investor, sender=outsider)
    registry.freeze(fund_investor, sender=freezer)
    with ape.reverts(registry.AlreadyFrozen, wallet=second_wallet):
        registry.freeze(second_wallet, sender=freezer)
    with ape.reverts(registry.AccessManagedUnauthorized):
        registry.unfreeze(fund_investor, sender=freezer)  # a keeper key never lifts a freeze
    # any wallet of the identity: all of it
    receipt = registry.unfreeze(second_wallet, sender=operator)
    event = receipt.events.filter(registry.WalletFrozen)[0]
    assert (event.wallet, event.frozen, event.by) == (
        second_wallet.address,
        False,
        operator.address,
    )
    assert not registry.isFrozen(fund_investor) and not registry.isFrozen(second_wallet)
    assert registry.isVerified(fund_investor)
    qspx.transfer(counterparty, UNIT, sender=second_wallet)
    with ape.reverts(registry.NotFrozen, wallet=fund_investor):
        registry.unfreeze(fund_investor, sender=operator)
