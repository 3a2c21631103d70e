"""SEC-2: fund shares are securities and pass the same compliance as a SecurityToken transfer (issue
15, finding "vault shares skip the rule table").

The attack, as found: a share transfer checked only that the recipient was verified, so shares went
to investors of jurisdictions the fund may not sell to, past holder caps and during lock-ups. Now
the vault's shares have a ComplianceEngine of their own (bound by the governor), consulted on every
mint, transfer and burn, with its identity ledger in step with the shares.
"""

import ape
import pytest

from compliance_fixtures import (
    DE,
    FAR_FUTURE,
    INSTITUTIONAL,
    US,
    compliance_module,
    open_jurisdiction,
)
from isolation import isolated
from risk_fixtures import USDC_UNIT

RECIPIENT_JURISDICTION_BLOCKED, JURISDICTION_HOLDER_CAP, ACQUISITION_LOCKUP = 8, 11, 18
LIMIT_NAMES = [
    "maxBalance",
    "minHolding",
    "maxBalanceBps",
    "lockupAfterAcquisition",
    "dailyLimit",
    "monthlyLimit",
    "transfersOpenAt",
    "totalHolderCap",
    "totalNonAccreditedCap",
]


@pytest.fixture
def shares(chain, risk_stack, project, accounts, operator):
    """The vault's share engine, a German and a second US institutional investor with cash."""
    engine = project.ComplianceEngine.at(risk_stack.vault.shareCompliance())
    with isolated(chain):
        german, american = accounts[14], accounts[15]
        registry = risk_stack.registry
        registry.registerInvestor(
            german, "0x" + "d1" * 20, DE, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
        registry.registerInvestor(
            american, "0x" + "d2" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
        usdc = risk_stack.tokens[0]
        for wallet in (german, american):
            usdc.mint(wallet, 100_000 * USDC_UNIT, sender=operator)
            usdc.approve(risk_stack.vault, 2**256 - 1, sender=wallet)
        yield engine, german, american


def test_shares__every_move_passes_the_rule_table(risk_stack, shares, fund_investor, governor):
    engine, german, american = shares
    vault = risk_stack.vault
    assert engine.getTokenBound() == vault.address
    # Jurisdictions: the fund is open in the US only; a verified German investor gets no shares.
    with ape.reverts(vault.TransferNotCompliant, reasonCode=RECIPIENT_JURISDICTION_BLOCKED):
        vault.transfer(german, 10**12, sender=fund_investor)
    assert (
        vault.detectTransferRestriction(fund_investor, german, 10**12)
        == RECIPIENT_JURISDICTION_BLOCKED
    )
    # Holder caps: one US holder at most; a second one can neither subscribe nor receive.
    engine.setJurisdiction(US, open_jurisdiction(holder_cap=1), sender=governor)
    with ape.reverts(vault.TransferNotCompliant, reasonCode=JURISDICTION_HOLDER_CAP):
        vault.deposit(1_000 * USDC_UNIT, american, sender=american)
    with ape.reverts(vault.TransferNotCompliant, reasonCode=JURISDICTION_HOLDER_CAP):
        vault.transfer(american, 10**12, sender=fund_investor)
    engine.setJurisdiction(US, open_jurisdiction(), sender=governor)
    # Lock-up after acquisition: new shares cannot move for an hour.
    lockup = dict.fromkeys(LIMIT_NAMES, 0) | {"lockupAfterAcquisition": 3_600}
    engine.setLimits(tuple(lockup[n] for n in LIMIT_NAMES), sender=governor)
    vault.deposit(1_000 * USDC_UNIT, american, sender=american)
    with ape.reverts(vault.TransferNotCompliant, reasonCode=ACQUISITION_LOCKUP):
        vault.transfer(fund_investor, 10**12, sender=american)


def test_shares__engine_ledger_follows_mints_transfers_and_burns(risk_stack, shares, fund_investor):
    engine, _, american = shares
    vault = risk_stack.vault
    vault.deposit(5_000 * USDC_UNIT, american, sender=american)
    vault.transfer(fund_investor, vault.balanceOf(american) // 2, sender=american)
    vault.redeem(vault.balanceOf(american) // 2, american, american, sender=american)
    vault.redeemInKind(
        vault.balanceOf(fund_investor) // 10, fund_investor, fund_investor, sender=fund_investor
    )
    holders, _, supply = engine.holderCounts()
    assert (holders, supply) == (2, vault.totalSupply())
    for wallet in (american, fund_investor):
        identity = risk_stack.registry.identity(wallet)
        assert engine.ledgerOf(identity).balance == vault.balanceOf(wallet)


def test_shares__only_the_governor_binds_and_only_an_engine_built_for_the_vault(
    risk_stack, project, deployer, outsider, governor, stack, stack_deployment
):
    vault, manager, registry, token = risk_stack.vault, stack[0], stack[1], stack[3]
    with ape.reverts(vault.AccessManagedUnauthorized):
        vault.setShareCompliance(vault.shareCompliance(), sender=outsider)
    foreign = deployer.deploy(
        project.ComplianceEngine, manager, registry, token, compliance_module(stack_deployment)
    )
    with ape.reverts(foreign.OnlyBoundToken):
        vault.setShareCompliance(foreign, sender=governor)
