"""UPG-7 (issue 34 §1, the fund): a fund's vault is fixed in place. The deploy routine puts the
FundVault behind a GovernedProxy that the deployment's UpgradeAuthority administers, its storage
written once by the proxy's constructor (`initialize`, ManagedInit). With holders, a half-filled
redemption gate (part of the queue carried), claims left unclaimed, and deposit and redemption
requests pending in the open period, the UPGRADER moves it to a version that widens a field
(FundVaultNext: the 32-bit dealing interval gets a 64-bit home in an ERC-7201 namespace, filled in
the upgrade's own call). Afterwards every position, claim, balance and the dealing state are what
they were, and the next strike and every claim after it are exactly what the old code would have
produced (the same strike run on the old code, in a snapshot, is the reference)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import ape
import pytest

from compliance_fixtures import extend
from fund_fixtures import INSTRUMENT_ID, SHARE_UNIT, USD_UNIT, instant_of
from isolation import isolated
from keepers.access import (
    UPGRADE_AUTHORITY,
    admin_of,
    grant_calls,
    implementation_of,
    send_to_manager,
    upgrade_arguments,
)
from keepers.access.upgrade_plan import check_layout
from keepers.console.source import ChainSource, load_abis
from keepers.console.upgrades import built_on_changes
from keepers.core.artifacts import project_at
from keepers.lifecycle.fund_deploy import FUND_VAULT

LABELS = ("alice", "bob", "carol", "dave", "erin", "frank")
#: FundVaultNext's namespace: erc7201:quantera.lifecycle.FundVault.next.
NEXT_LOCATION = 0x3DCD264E83B926D3EEBCD4B6CFB67C44A0B3A4B08D1D78E1EDA4ABF184DC3700


def usd(amount) -> int:
    return int(Fraction(amount) * USD_UNIT)


def shares(amount) -> int:
    return int(Fraction(amount) * SHARE_UNIT)


def _state(fund) -> dict:
    """Everything the vault answers about its books and every investor's position."""
    vault, share, usdc = fund.vault, fund.share, fund.usdc
    period = vault.dealing()[0]
    investors = {}
    for label in LABELS:
        w = fund.investors[label]
        investors[label] = (
            vault.pendingDepositRequest(0, w),
            vault.pendingRedeemRequest(0, w),
            vault.claimableDepositRequest(0, w),
            vault.claimableRedeemRequest(0, w),
            vault.maxDeposit(w),
            vault.maxMint(w),
            vault.maxWithdraw(w),
            vault.maxRedeem(w),
            share.balanceOf(w),
            usdc.balanceOf(w),
        )
    return {
        "investors": investors,
        "dealing": tuple(vault.dealing()),
        "strikes": [tuple(vault.strikeOf(p)) for p in range(period)],
        "reserved": vault.reservedAssets(),
        "total_assets": vault.totalAssets(),
        "gate": vault.gateBps(),
        "interval": vault.dealingInterval(),
        "custodian": vault.custodian(),
        "instant": tuple(vault.instantLiquidity()),
        "fees": vault.feeSchedule(),
        "authority": vault.authority(),
        "escrowed_shares": share.balanceOf(vault),
        "cash": usdc.balanceOf(vault),
        "supply": share.totalSupply(),
    }


def _strike_and_claim(chain, fund) -> tuple:
    """The next strike at $1.20, then every investor's claims taken: what each ends with."""
    receipt = fund.strike(chain, Fraction(12, 10))
    [struck] = receipt.decode_logs(fund.vault.PeriodStruck)
    vault = fund.vault
    for label in LABELS:
        w = fund.investors[label]
        if vault.maxRedeem(w):
            vault.redeem(vault.maxRedeem(w), w, w, sender=w)
        if vault.maxMint(w):
            vault.mint(vault.maxMint(w), w, w, sender=w)
    return (dict(struck.event_arguments), _state(fund))


@pytest.fixture
def fund(fund_stack):
    return fund_stack


def test_upg_7__fund_vault__upgraded_mid_gate_with_requests_pending__nothing_moves_strike_exact(
    chain, project, fund, deployer, governor
):
    d, vault = fund.deployment, fund.vault
    inv = fund.investors
    authority = d.at(UPGRADE_AUTHORITY)
    old_code = implementation_of(vault)
    assert old_code == d.address(f"{FUND_VAULT}.implementation") != vault.address
    assert chain.provider.get_code(admin_of(vault))
    send_to_manager(d, grant_calls(d, "UPGRADER", governor.address))

    # Holders; a gate that fills only part of the queue; claims left unclaimed.
    for label, amount in (("alice", 1_000), ("bob", 3_000), ("carol", 6_000)):
        vault.requestDeposit(usd(amount), inv[label], inv[label], sender=inv[label])
    fund.strike(chain, 1)
    for label, amount in (("alice", 1_000), ("bob", 3_000)):
        vault.deposit(usd(amount), inv[label], sender=inv[label])  # carol leaves hers unclaimed
    vault.setGate(1_000, sender=fund.governor)  # 10% of the supply per period
    vault.requestRedeem(shares(600), inv["alice"], inv["alice"], sender=inv["alice"])
    vault.requestRedeem(shares(1_200), inv["bob"], inv["bob"], sender=inv["bob"])
    fund.strike(chain, Fraction(11, 10))  # 1,800 queued, 1,000 redeemed: the rest carried
    assert 0 < vault.pendingRedeemRequest(0, inv["alice"]) < shares(600)
    assert vault.claimableRedeemRequest(0, inv["bob"]) > 0  # struck part, not claimed
    # Requests pending in the open period.
    vault.requestDeposit(usd(2_500), inv["dave"], inv["dave"], sender=inv["dave"])
    vault.requestRedeem(shares(400), inv["bob"], inv["bob"], sender=inv["bob"])
    before = _state(fund)
    assert before["dealing"][3] > 0  # redemptions queued
    with isolated(chain):  # the reference: the next strike and claims on the old code, as late
        chain.pending_timestamp += authority.NOTICE()
        expected = _strike_and_claim(chain, fund)

    # The next version: FundVaultNext, its layout passing upgrades-core against the deployed one.
    check_layout(FUND_VAULT, "FundVaultNext")
    # The next version ships a new admin module (the migration runs there) and keeps the instant
    # module; the modules are immutables of the new code.
    terms = (fund.share, fund.usdc, fund.nav_source, INSTRUMENT_ID, vault.feeSchedule())
    next_admin = deployer.deploy(project.FundAdminNext, *terms)
    modules = (instant_of(d), next_admin.address)
    widened = deployer.deploy(project.FundVaultNext, *terms, *modules)
    # What the new code is built on is what the vault is, but its new admin module, recorded
    # (helper-108: `modules()` was compared as what the vault is built on, refusing this fix).
    record = replace(
        d.record, contracts={**d.record.contracts, "FundAdminNext.fix": next_admin.address}
    )
    source = ChainSource(chain.provider.web3, record, load_abis())
    assert built_on_changes(source, FUND_VAULT, widened.address, old_code, "latest") == []
    migrate = widened.migrate.encode_input()
    arguments = upgrade_arguments(vault, widened, migrate)
    authority.propose(*arguments, sender=governor)
    chain.pending_timestamp += authority.NOTICE()
    receipt = authority.upgrade(*arguments, sender=governor)
    assert len(receipt.decode_logs(authority.ProxyUpgraded)) == 1
    assert implementation_of(vault) == widened.address

    # Every position, claim, balance and the dealing state are what they were; the field is
    # widened, and its migration runs once only, in the upgrade.
    assert _state(fund) == before
    next_vault = project.FundVaultNext.at(vault.address)
    # NextStorage at its ERC-7201 slot: version (64 bits), then the 64-bit interval.
    word = int.from_bytes(bytes(chain.provider.get_storage(vault.address, NEXT_LOCATION)), "big")
    assert (word & (2**64 - 1), word >> 64) == (2, before["interval"])
    with ape.reverts(next_admin.NotUpgrading, caller=governor.address):
        next_vault.migrate(sender=governor)
    # The new code runs the recorded modules (the proposal's code named them; the page reads them).
    assert next_vault.modules() == modules
    # The next strike, and every claim after it, are exactly the old code's.
    assert _strike_and_claim(chain, fund) == expected


def test_upg_7__fund_vault__initialize_runs_only_in_its_proxys_constructor(project, fund, deployer):
    vault, d = fund.vault, fund.deployment
    code = project.FundVault.at(d.address(f"{FUND_VAULT}.implementation"))
    manager, cutoff = d.at("QuanteraAccessManager"), fund.cutoff() + 86_400
    # Neither the deployed proxy nor the implementation can be initialized (again).
    for target in (vault, code):
        with ape.reverts(target.InitializeOutsideConstruction, account=target.address):
            target.initialize(manager, cutoff, 86_400, 10_000, sender=deployer)
    # Likewise every contract the deploy routines put behind a proxy with its authority alone.
    managed = [
        n
        for n in (
            "OracleRouter",
            "RiskEngine",
            "InstrumentRegistry",
            "FundDesk",
            "SettlementAssets",
            "FeeSchedule",
        )
        if d.has(n)
    ]
    assert {"OracleRouter", "FeeSchedule"} <= set(managed)  # SettlementAssets: its deploy test
    for name in managed:
        for address in (d.address(name), d.address(f"{name}.implementation")):
            target = project_at(name, address)
            with ape.reverts(target.InitializeOutsideConstruction, account=address):
                target.initialize(deployer, sender=deployer)
    # The implementation keeps no authority: its restricted functions answer nobody.
    assert code.authority() == "0x" + "00" * 20
    with ape.reverts(code.AccessManagedUnauthorized):
        code.setGate(5_000, sender=fund.governor)
    with ape.reverts(code.AccessManagedUnauthorized):
        code.strike(sender=fund.nav_agent)
    # A proxy's constructor checks what it initializes, as the constructor did.
    proxy = project.GovernedProxy
    for bad, error in (
        ((manager, 1, 86_400, 10_000), code.CutoffPassed),
        ((manager, cutoff, 60, 10_000), code.IntervalOutOfRange),
        ((manager, cutoff, 86_400, 0), code.GateOutOfRange),
        ((deployer, cutoff, 86_400, 10_000), code.AccessManagedInvalidAuthority),
    ):
        with ape.reverts(error):
            deployer.deploy(
                proxy, code, d.address(UPGRADE_AUTHORITY), code.initialize.encode_input(*bad)
            )


def test_upg_7__contract_recorded_before_its_proxy__refused_not_redeployed_beside(
    project, fund, deployer
):
    """An attacker's read of the deploy routines: a record from before a contract ran behind a
    proxy (its name, no `.implementation`) made a rerun deploy new code beside the old contract
    (or, for a vault, revert in the module check). Refused, in one line, before anything is sent."""
    from keepers.core.deployments import DeploymentError
    from keepers.risk import deploy_oracle

    d = extend(fund.deployment)
    old = deployer.deploy(project.OracleRouter)  # a router recorded as the old routine left it
    d.record.contracts["OracleRouter"] = old.address
    nonce = deployer.nonce
    with pytest.raises(DeploymentError, match="with no OracleRouter.implementation"):
        deploy_oracle(d)
    assert deployer.nonce == nonce
    # A second read (helper-105, L4): the same left pending by an interrupted run of the old
    # routine (its nonce used: a rerun would adopt it); and a vault, refused before its modules.
    from keepers.core.deployments import PendingDeployment
    from keepers.lifecycle import deploy_fund_vault

    del d.record.contracts["OracleRouter"]
    d.record.pending["OracleRouter"] = PendingDeployment(nonce - 1, old.address)
    with pytest.raises(DeploymentError, match="with no OracleRouter.implementation"):
        deploy_oracle(d)
    d.record.contracts[FUND_VAULT] = fund.vault.address
    with pytest.raises(DeploymentError, match="with no FundVault.implementation"):
        deploy_fund_vault(d, fund.share, fund.usdc, fund.nav_source, 9, identity="0x" + "ab" * 20)
    assert deployer.nonce == nonce


def test_upg_7__fee_schedule_from_before_the_proxies__code_of_another_share__refused(
    project, fund, deployer
):
    """A third read (helper-107): L-3, a FeeSchedule recorded from before it ran behind a proxy
    was taken by every new vault (for good: the schedule is an immutable of the vault's code);
    L-4, a rerun after an interruption put recorded vault code built for another share behind the
    new proxy. Both refused before anything is sent."""
    from keepers.core.deployments import DeploymentError
    from keepers.lifecycle import deploy_fund_vault

    d = extend(fund.deployment)
    terms = (fund.share, fund.usdc, fund.nav_source, 9)
    old = deployer.deploy(project.FeeSchedule, d.at("IdentityRegistry"))
    d.record.contracts["FeeSchedule"] = old.address
    nonce = deployer.nonce
    with pytest.raises(DeploymentError, match="with no FeeSchedule.implementation"):
        deploy_fund_vault(d, *terms, identity="0x" + "ab" * 20, name="FundVault.L3")
    assert deployer.nonce == nonce
    # Recorded code (the fund's own vault code: its share) under a new vault's name.
    d.record.contracts["FeeSchedule"] = fund.vault.feeSchedule()
    d.record.contracts["FeeSchedule.implementation"] = fund.deployment.address(
        "FeeSchedule.implementation"
    )
    d.record.contracts["FundVault.L4.implementation"] = implementation_of(fund.vault)
    other = deployer.deploy(project.LocalStablecoin, d.at("QuanteraAccessManager"), "Other", "OTH")
    with pytest.raises(DeploymentError, match=r"FundVault.L4.implementation .* asset\(\) 0x"):
        deploy_fund_vault(
            d, fund.share, other, fund.nav_source, 9, identity="0x" + "ac" * 20, name="FundVault.L4"
        )
    assert deployer.nonce == nonce + 1 and not d.has("FundVault.L4")  # the coin alone
