"""The FundVault and the share's ComplianceEngine: subscription minimums per jurisdiction read from
the engine's table (LCY-25), and every share movement passing the engine — the claim's mint, the
redemption escrow, the cancellation's return — with the vault an agent with MINT and BURN only
(LCY-26)."""

import ape
import pytest

from compliance_fixtures import DE, US, extend
from fast_reverts import assert_reverts
from fund_fixtures import INSTRUMENT_ID, SHARE_UNIT, USD_UNIT, VAULT_IDENTITY, fresh_account
from keepers.lifecycle import deploy_fund_vault, set_investment_minimums

ZERO = "0x" + "00" * 20

MINT, BURN = 1, 2
RECIPIENT_FROZEN, RECIPIENT_NOT_VERIFIED = 3, 6
RECIPIENT_JURISDICTION_BLOCKED, JURISDICTION_HOLDER_CAP = 8, 11
ACQUISITION_LOCKUP = 18


def usd18(amount):
    """`amount` dollars in the instrument's currency, 18 decimals (the minimums' unit)."""
    return int(amount * 10**18)


def usd(amount):
    return int(amount * USD_UNIT)


def shares(amount):
    return int(amount * SHARE_UNIT)


@pytest.fixture
def fund(fund_stack):
    return fund_stack


# ==================================================================== LCY-25 minimums


def test_set_investment_minimums__governor_only__logged_with_previous_values(fund):
    engine = fund.engine
    tx = engine.setInvestmentMinimums(US, (usd(100_000), usd(10_000)), sender=fund.governor)
    [log] = tx.decode_logs(engine.InvestmentMinimumsSet)
    assert (log.country, tuple(log.previous), tuple(log.next)) == (
        US,
        (0, 0),
        (usd(100_000), usd(10_000)),
    )
    tx = engine.setInvestmentMinimums(US, (usd(50_000), 0), sender=fund.governor)
    assert tuple(tx.decode_logs(engine.InvestmentMinimumsSet)[0].previous) == (
        usd(100_000),
        usd(10_000),
    )
    with ape.reverts(engine.AccessManagedUnauthorized):
        engine.setInvestmentMinimums(US, (1, 1), sender=fund.investors["alice"])
    with ape.reverts(engine.InvalidCountry, country=0):
        engine.setInvestmentMinimums(0, (1, 1), sender=fund.governor)


def test_request_deposit__below_the_jurisdictions_initial_then_subsequent_minimum__reverts(
    chain, fund, stack_deployment
):
    vault, alice, carol = fund.vault, fund.investors["alice"], fund.investors["carol"]
    # the deploy step (keepers/lifecycle/fund_deploy.py), acting as GOVERNOR; minimums in the
    # instrument's currency, 18 decimals (SEC-126): the 6-decimal asset counts at par
    set_investment_minimums(
        extend(stack_deployment),
        fund.engine,
        {US: (usd18(100_000), usd18(10_000)), DE: (usd18(125_000), usd18(25_000))},
    )
    assert tuple(fund.engine.investmentMinimums(DE)) == (usd18(125_000), usd18(25_000))
    with ape.reverts(
        vault.BelowMinimumInvestment,
        controller=alice.address,
        value18=usd18(99_999),
        minimum18=usd18(100_000),
        initial=True,
    ):
        vault.requestDeposit(usd(99_999), alice, alice, sender=alice)
    with ape.reverts(vault.BelowMinimumInvestment, minimum18=usd18(125_000), initial=True):
        vault.requestDeposit(usd(100_000), carol, carol, sender=carol)  # Germany's minimum
    vault.requestDeposit(usd(100_000), alice, alice, sender=alice)
    # subscribed the initial minimum here: the next request is a subsequent one
    with ape.reverts(vault.BelowMinimumInvestment, minimum18=usd18(10_000), initial=False):
        vault.requestDeposit(usd(9_999), alice, alice, sender=alice)
    vault.requestDeposit(usd(10_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(110_000), alice, sender=alice)
    # claimed: still subsequent (what alice subscribed here, not what she holds, SEC-132)
    vault.requestDeposit(usd(10_000), alice, alice, sender=alice)


def test_request_deposit__unregistered_controller__reverts_not_verified(chain, accounts, fund):
    """For itself: `ControllerNotVerified`; paid by another owner, the owner may not give it shares
    either (`PairNotCompliant`, SEC-33)."""
    vault, alice = fund.vault, fund.investors["alice"]
    stranger = fresh_account(accounts, chain)
    with ape.reverts(vault.ControllerNotVerified, controller=stranger.address):
        vault.requestDeposit(usd(100), stranger, stranger, sender=stranger)
    with ape.reverts(
        vault.PairNotCompliant,
        to=stranger.address,
        reasonCode=RECIPIENT_NOT_VERIFIED,
    ):
        vault.requestDeposit(usd(100), stranger, alice, sender=alice)


# ==================================================================== LCY-26 share movements


def test_vault__agent_with_mint_and_burn_only__and_a_registered_identity(fund):
    assert fund.share.agentCapabilities(fund.vault) == MINT | BURN
    assert fund.registry.investorOf(fund.vault).identity.lower() == VAULT_IDENTITY.lower()


def test_deploy_step__run_again__sends_nothing(chain, fund):
    d, deployer = fund.deployment, fund.deployment.sender
    nonce = deployer.nonce
    vault = deploy_fund_vault(
        d,
        fund.share,
        fund.usdc,
        fund.nav_source,
        INSTRUMENT_ID,
        identity=VAULT_IDENTITY,
        nav_agent=fund.nav_agent.address,
        fund_manager=fund.fund_manager.address,
        custodian=fund.custodian.address,
    )
    assert vault.address == fund.vault.address
    assert deployer.nonce == nonce


def test_claim__controller_frozen_after_its_request__mint_refused_until_unfrozen(
    chain, fund, freezer
):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    fund.registry.freeze(alice, sender=freezer)
    assert fund.engine.detectTransferRestriction(ZERO, alice, shares(1_000)) == (RECIPIENT_FROZEN)
    # The vault refuses the frozen controller's claim first (SEC-123); the engine would the mint.
    assert_reverts(
        chain,
        vault.deposit,
        usd(1_000),
        alice,
        sender=alice,
        error=(vault, "WalletFrozen"),
        wallet=alice.address,
    )
    # the shares wait, claimable
    assert vault.maxMint(alice) == shares(1_000)
    fund.registry.unfreeze(alice, sender=fund.operator)
    vault.deposit(usd(1_000), alice, sender=alice)
    assert fund.share.balanceOf(alice) == shares(1_000)


def test_claim__to_a_receiver_the_engine_refuses__reverts_with_its_reason(chain, accounts, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    unregistered = accounts.generate_test_account()
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    # the controller could not transfer the shares to it: refused before the mint (SEC-33)
    assert_reverts(
        chain,
        vault.deposit,
        usd(1_000),
        unregistered,
        sender=alice,
        error=(vault, "PairNotCompliant"),
        to=unregistered.address,
        reasonCode=RECIPIENT_NOT_VERIFIED,
    )


def test_claim__jurisdiction_closed_or_holder_cap_full__mint_refused(chain, fund):
    vault = fund.vault
    alice, carol, erin = (fund.investors[x] for x in ("alice", "carol", "erin"))
    for wallet in (alice, carol, erin):  # US, Germany, US
        vault.requestDeposit(usd(1_000), wallet, wallet, sender=wallet)
    fund.strike(chain, 1)
    fund.engine.setJurisdiction(DE, (False, 1, 0, 0, 0), sender=fund.governor)
    assert_reverts(
        chain,
        vault.deposit,
        usd(1_000),
        carol,
        sender=carol,
        error=(fund.engine, "TransferNotCompliant"),
        reasonCode=RECIPIENT_JURISDICTION_BLOCKED,
    )
    vault.deposit(usd(1_000), alice, sender=alice)
    holders = fund.engine.jurisdiction(US)[1]
    fund.engine.setJurisdiction(US, (True, 1, holders, 0, 0), sender=fund.governor)  # full
    assert_reverts(
        chain,
        vault.deposit,
        usd(1_000),
        erin,
        sender=erin,
        error=(fund.engine, "TransferNotCompliant"),
        reasonCode=JURISDICTION_HOLDER_CAP,
    )


def test_request_redeem__escrow_refused_by_the_engine__reverts_with_its_reason(chain, fund):
    vault, bob = fund.vault, fund.investors["bob"]
    vault.requestDeposit(usd(1_000), bob, bob, sender=bob)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000), bob, sender=bob)
    # a 30-day lock-up after acquisition: bob cannot send, not even to the vault's escrow
    fund.engine.setLimits((0, 0, 0, 30 * 86_400, 0, 0, 0, 0, 0), sender=fund.governor)
    assert_reverts(
        chain,
        vault.requestRedeem,
        shares(100),
        bob,
        bob,
        sender=bob,
        error=(fund.engine, "TransferNotCompliant"),
        to=vault.address,
        reasonCode=ACQUISITION_LOCKUP,
    )


def test_cancel_redeem__receiver_the_engine_refuses__reverts_and_the_request_stays(
    chain, accounts, fund
):
    vault, bob = fund.vault, fund.investors["bob"]
    vault.requestDeposit(usd(1_000), bob, bob, sender=bob)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000), bob, sender=bob)
    vault.requestRedeem(shares(100), bob, bob, sender=bob)
    unregistered = accounts.generate_test_account()
    assert_reverts(
        chain,
        vault.cancelRedeemRequest,
        bob,
        unregistered,
        sender=bob,
        error=(vault, "PairNotCompliant"),
        reasonCode=RECIPIENT_NOT_VERIFIED,
    )
    assert vault.cancelRedeemRequest(bob, bob, sender=bob).return_value == shares(100)


def test_strike__burn_of_fulfilled_shares__recorded_in_the_engines_ledger(chain, fund):
    vault, alice = fund.vault, fund.investors["alice"]
    vault.requestDeposit(usd(1_000), alice, alice, sender=alice)
    fund.strike(chain, 1)
    vault.deposit(usd(1_000), alice, sender=alice)
    supply = fund.engine.holderCounts()[2]
    vault.requestRedeem(shares(300), alice, alice, sender=alice)
    assert fund.engine.ledgerOf(VAULT_IDENTITY).balance == shares(300)
    fund.strike(chain, 1)
    assert fund.engine.ledgerOf(VAULT_IDENTITY).balance == 0
    assert fund.engine.holderCounts()[2] == supply - shares(300)
    assert fund.share.totalSupply() == supply - shares(300)
