"""SEC-65, SEC-66, SEC-68: the red team's attacks on the token (registry migration, an agent's
forced transfer used as an unfreeze, credits into frozen wallets), each performed on the deployed
stack, and what now holds."""

import ape
import pytest
from token_helpers import bare_token

from compliance_fixtures import ACCREDITED, DE, FORCE, UNIT, US, admin_module, compliance_module
from fast_reverts import assert_reverts
from keepers.compliance.deploy import deploy_registry

ZERO = "0x0000000000000000000000000000000000000000"
RECIPIENT_FROZEN, RECIPIENT_NOT_VERIFIED = 3, 6


@pytest.fixture
def funded(onboard, investors, token, agent):
    alice, bob, carol = investors
    onboard(alice, US, ACCREDITED)
    onboard(bob, DE, ACCREDITED)
    token.mint(alice, 100 * UNIT, sender=agent)
    return alice, bob, carol


# ==================================================================== SEC-65 registry migration


def test_sec_65__registry_migrated__engine_judges_with_the_new_registry__unknown_wallet_refused(
    funded, stack_deployment, token, engine, registry, governor, operator, agent, onboard
):
    """Attack (red team, medium): after `setIdentityRegistry`, the engine still judged with the old
    registry, and a wallet the new registry does not know received 20 tokens."""
    alice, bob, carol = funded
    onboard(carol, US, ACCREDITED)  # known to the old registry only
    migrated = deploy_registry(stack_deployment.scoped("QuanteraAccessManager"))
    for wallet in (alice, bob):
        profile = registry.profileOf(registry.identity(wallet))
        migrated.registerInvestor(
            wallet,
            registry.identity(wallet),
            profile.country,
            profile.investorClass,
            profile.kycExpiry,
            sender=operator,
        )
    receipt = token.setIdentityRegistry(migrated, sender=governor)

    with ape.reverts(token.TransferNotCompliant, to=carol, reasonCode=RECIPIENT_NOT_VERIFIED):
        token.mint(carol, 20 * UNIT, sender=agent)
    assert token.detectTransferRestriction(alice, carol, 20 * UNIT) == RECIPIENT_NOT_VERIFIED
    with ape.reverts(token.TransferNotCompliant, reasonCode=RECIPIENT_NOT_VERIFIED):
        token.transfer(carol, 20 * UNIT, sender=alice)
    assert token.balanceOf(carol) == 0
    assert token.identityRegistry() == engine.identityRegistry() == migrated.address
    [log] = receipt.decode_logs(engine.IdentityRegistrySet)
    assert (log.previous, log.next) == (registry.address, migrated.address)
    # The wallets the new registry knows keep trading, on the identity ledger they had.
    token.transfer(bob, 20 * UNIT, sender=alice)
    assert engine.ledgerOf(registry.identity(bob)).balance == 20 * UNIT


def test_sec_65__engine_registry__only_its_token_sets_it__a_new_engine_takes_the_tokens(
    funded, project, deployer, stack, stack_deployment, token, engine, governor, outsider
):
    manager, registry, _, _ = stack
    with ape.reverts(engine.OnlyBoundToken, caller=outsider):
        engine.setIdentityRegistry(outsider, sender=outsider)
    # A token switched to an engine built on another registry hands it the token's own.
    other = deploy_registry(stack_deployment.scoped("QuanteraAccessManager"))
    bare = bare_token(project, deployer, stack, admin_module(stack_deployment))
    fresh = deployer.deploy(
        project.ComplianceEngine, manager, other, bare, compliance_module(stack_deployment)
    )
    bare.setCompliance(fresh, sender=deployer)  # unwired: ADMIN's (the deployer's)
    assert fresh.identityRegistry() == registry.address == bare.identityRegistry()


# ==================================================================== SEC-66 forced transfer


def test_sec_66__force_transfer_only_agent__forced_transfer_to_itself__refused_freeze_kept(
    funded, chain, token, engine, freezer, governor, outsider
):
    """Attack (red team, low): an agent holding only FORCE_TRANSFER called
    `forcedTransfer(w, w, balance)`: nothing moved, but the 60 frozen tokens became 0."""
    alice, _, _ = funded
    token.setAgentCapabilities(outsider, FORCE, sender=governor)
    token.freezePartialTokens(alice, 60 * UNIT, sender=freezer)
    with ape.reverts():
        token.forcedTransfer(alice, alice, 100 * UNIT, sender=outsider)
    assert token.getFrozenTokens(alice) == 60 * UNIT
    assert_reverts(
        chain,
        token.forcedTransfer,
        alice,
        alice,
        100 * UNIT,
        sender=outsider,
        error=(engine, "ForcedTransferWithinIdentity"),
        **{"from": alice.address, "to": alice.address},
    )


def test_sec_66__forced_transfer_between_wallets_of_one_identity__refused_recovery_is_the_path(
    funded, chain, token, engine, freezer, governor, outsider, onboard, registry, accounts, agent
):
    """The same unfreeze through a second wallet of the holder's identity: refused too. Moving a
    holding between one identity's wallets is a recovery (RECOVERY), which keeps the freeze; a
    forced transfer to another identity (a seizure) still unfreezes what it takes."""
    alice, bob, _ = funded
    alice_cold = accounts[9]
    onboard(alice_cold, US, ACCREDITED, identity=registry.identity(alice))
    token.setAgentCapabilities(outsider, FORCE, sender=governor)
    token.freezePartialTokens(alice, 60 * UNIT, sender=freezer)
    with ape.reverts():
        token.forcedTransfer(alice, alice_cold, 100 * UNIT, sender=outsider)
    assert token.balanceOf(alice_cold) == 0 and token.getFrozenTokens(alice) == 60 * UNIT
    assert_reverts(
        chain,
        token.forcedTransfer,
        alice,
        alice_cold,
        UNIT,
        sender=outsider,
        error=(engine, "ForcedTransferWithinIdentity"),
        **{"from": alice.address, "to": alice_cold.address},
    )
    token.recoveryAddress(alice, alice_cold, registry.identity(alice), sender=agent)
    assert token.getFrozenTokens(alice_cold) == 60 * UNIT
    token.forcedTransfer(alice_cold, bob, 100 * UNIT, sender=outsider)
    assert token.balanceOf(bob) == 100 * UNIT and token.getFrozenTokens(alice_cold) == 0


# ==================================================================== SEC-68 freeze semantics


def test_sec_68__mint_and_forced_transfer__to_a_wallet_frozen_on_the_token__refused_code_3(
    funded, token, freezer, agent, engine, registry
):
    """Attack (red team, low): `mint` and `forcedTransfer` credited a wallet frozen on the token,
    which `transfer` refuses (code 3). A frozen wallet is now credited by nothing."""
    alice, bob, _ = funded
    token.mint(bob, 10 * UNIT, sender=agent)
    token.setAddressFrozen(bob, True, sender=freezer)
    with ape.reverts(
        token.TransferNotCompliant,
        **{"from": ZERO, "to": bob, "amount": 20 * UNIT, "reasonCode": RECIPIENT_FROZEN},
    ):
        token.mint(bob, 20 * UNIT, sender=agent)
    with ape.reverts(
        token.TransferNotCompliant,
        **{"from": alice, "to": bob, "amount": 20 * UNIT, "reasonCode": RECIPIENT_FROZEN},
    ):
        token.forcedTransfer(alice, bob, 20 * UNIT, sender=agent)
    assert token.balanceOf(bob) == 10 * UNIT
    assert engine.ledgerOf(registry.identity(bob)).balance == 10 * UNIT
    # The holding of a frozen wallet still leaves by an agent's seizure or burn.
    token.forcedTransfer(bob, alice, 5 * UNIT, sender=agent)
    token.burn(bob, 5 * UNIT, sender=agent)
    assert token.balanceOf(bob) == 0


def test_sec_68__forced_transfer__to_a_wallet_under_a_sanctions_freeze__refused_code_3(
    funded, token, registry, freezer, agent
):
    """The registry's sanctions freeze reads the same: refused as frozen, not as unverified."""
    alice, bob, _ = funded
    registry.freeze(bob, sender=freezer)
    with ape.reverts(token.TransferNotCompliant, reasonCode=RECIPIENT_FROZEN):
        token.forcedTransfer(alice, bob, UNIT, sender=agent)
    with ape.reverts(token.TransferNotCompliant, reasonCode=RECIPIENT_FROZEN):
        token.mint(bob, UNIT, sender=agent)


def test_sec_68__fund_share_claim__controller_frozen_on_the_share__mint_refused_until_unfrozen(
    chain, fund_stack
):
    """Vault shares: a FundVault's shares are a SecurityToken minted at the claim; a controller
    frozen on the share token by its agent (not in the registry) was minted its shares."""
    fund = fund_stack
    vault, share, alice = fund.vault, fund.share, fund.investors["alice"]
    vault.requestDeposit(10**9, alice, alice, sender=alice)
    fund.strike(chain, 1)
    share.setAddressFrozen(alice, True, sender=fund.agent)
    # The vault refuses the frozen controller's claim first (SEC-123): nothing claimable meanwhile.
    with ape.reverts(vault.WalletFrozen, wallet=alice):
        vault.deposit(10**9, alice, sender=alice)
    assert share.balanceOf(alice) == 0 and vault.maxMint(alice) == 0
    share.setAddressFrozen(alice, False, sender=fund.agent)
    claimable = vault.maxMint(alice)
    vault.deposit(10**9, alice, sender=alice)
    assert share.balanceOf(alice) == claimable


def test_deploy_security__one_account_agent_and_freezer__every_capability_and_a_rerun_sends_nothing(
    stack_deployment, agent
):
    """helper-113 (pre-existing): `deploy_security` with one account as `agent` and `freezer`
    computed both capability steps before sending either, so the first run left the account with
    FREEZE only (the freezer's step last) and a rerun gave it every capability (its FREEZE then
    matched the freezer's step, and the agent's step alone was sent): the token's agents depended
    on how often the deployment ran. An account named in several roles holds the union, at once,
    and a rerun sends nothing."""
    from keepers.compliance import deploy_security
    from keepers.compliance.deploy import ALL_CAPABILITIES

    d = stack_deployment.scoped("QuanteraAccessManager", "UpgradeAuthority", "IdentityRegistry")

    def deploy():
        return deploy_security(
            d, ".BOTH", "Quantera Both 2030", "QB30", agent=agent.address, freezer=agent.address
        )

    token = deploy()
    assert token.agentCapabilities(agent) == ALL_CAPABILITIES
    sent = d.sender.nonce
    assert deploy().address == token.address
    assert token.agentCapabilities(agent) == ALL_CAPABILITIES and d.sender.nonce == sent
