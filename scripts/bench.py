"""`make bench` / `ape run bench`: full transaction gas (21,000 base included) from real receipts
on a fresh anvil, written to benchmarks/gas.json (scenario name -> gas). Scenarios of other
domains already in the file are kept; the ones measured here are replaced.
"""

import json
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.protocol import wiring
from keepers.roles import ROLE_IDS

GAS_FILE = Path("benchmarks") / "gas.json"
GOVERNOR, GUARDIAN = ROLE_IDS["GOVERNOR"], ROLE_IDS["GUARDIAN"]
DELAY = 3600


def measure_access() -> dict[str, int]:
    """Timelocked governance through the protocol authority, on a managed target (the shape every
    GOVERNOR-restricted protocol setter has)."""
    deployer, guardian, governor = (accounts.test_accounts[i] for i in (0, 1, 2))
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    gas = {"access.deploy_manager": chain.get_receipt(manager.txn_hash).gas_used}
    gas["access.grant_role"] = manager.grantRole(GUARDIAN, guardian, 0, sender=deployer).gas_used
    manager.grantRole(GOVERNOR, governor, DELAY, sender=deployer)
    target = deployer.deploy(project.ManagedTarget, manager)
    manager.setTargetFunctionRole(target, [target.setParameter.encode_input(0)[:4]], GOVERNOR, sender=deployer)
    data = target.setParameter.encode_input(42)
    gas["access.schedule_delayed_operation"] = manager.schedule(target, data, 0, sender=governor).gas_used
    chain.pending_timestamp += DELAY
    gas["access.execute_delayed_operation"] = manager.execute(target, data, sender=governor).gas_used
    other = target.setParameter.encode_input(7)
    manager.schedule(target, other, 0, sender=governor)
    gas["access.guardian_cancel_operation"] = manager.cancel(governor, target, other, sender=guardian).gas_used
    return gas


US, DE, ACCREDITED, FAR_FUTURE, UNIT = 840, 276, 2, 2**40 - 1, 10**18


def measure_compliance() -> dict[str, int]:
    """Security-token transfers with jurisdiction, holder-cap, max-balance and rolling-limit rules
    all active (the issue's scenario), plus mint, first transfer to a new holder and a 50-mint batch."""
    deployer, governor, operator, agent = (accounts.test_accounts[i] for i in (0, 2, 3, 4))
    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    manager.grantRole(ROLE_IDS["GOVERNOR"], governor, 0, sender=deployer)
    manager.grantRole(ROLE_IDS["OPERATOR"], operator, 0, sender=deployer)
    registry = deployer.deploy(project.IdentityRegistry, manager, 86400)
    token = deployer.deploy(project.SecurityToken, manager, "Bench T-Bill", "BTB", 18, registry, ZERO, ZERO)
    engine = deployer.deploy(project.ComplianceEngine, manager, registry, token)
    for contract, name in ((registry, "IdentityRegistry"), (engine, "ComplianceEngine"), (token, "SecurityToken")):
        for role_id, sels in wiring(name, contract.contract_type):
            manager.setTargetFunctionRole(contract, sels, role_id, sender=deployer)
    token.setCompliance(engine, sender=governor)
    token.addAgent(agent, sender=governor)
    token.unpause(sender=agent)
    for country in (US, DE):
        engine.setJurisdiction(country, (True, 1, 2_000, 500, 0), sender=governor)
    # maxBalance, minHolding, maxBalanceBps, lockup, daily, monthly, transfersOpenAt, totalCap, totalRetailCap
    engine.setLimits((10**9 * UNIT, 0, 0, 0, 10**7 * UNIT, 10**8 * UNIT, 0, 10_000, 0), sender=governor)
    holders = [accounts.test_accounts[i] for i in (5, 6, 7)]
    for i, (wallet, country) in enumerate(zip(holders, (US, DE, US))):
        registry.registerInvestor(wallet, f"0x{i + 1:040x}", country, ACCREDITED, FAR_FUTURE, sender=operator)
    alice, bob, carol = holders
    gas = {"compliance.mint_new_holder": token.mint(alice, 1_000 * UNIT, sender=agent).gas_used}
    gas["compliance.transfer_to_new_holder"] = token.transfer(bob, 10 * UNIT, sender=alice).gas_used
    gas["compliance.transfer_to_existing_holder"] = token.transfer(bob, 10 * UNIT, sender=alice).gas_used
    batch = [accounts.test_accounts[8 + (i % 2)] for i in range(50)]
    for i, wallet in enumerate(batch[:2]):
        registry.registerInvestor(wallet, f"0x{i + 100:040x}", US, ACCREDITED, FAR_FUTURE, sender=operator)
    gas["compliance.batch_mint_50"] = token.batchMint(batch, [UNIT] * 50, sender=agent).gas_used
    return gas


ZERO = "0x0000000000000000000000000000000000000000"


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure gas scenarios and merge them into benchmarks/gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    measured = measure_access()
    measured.update(measure_compliance())
    current = json.loads(GAS_FILE.read_text()) if GAS_FILE.is_file() else {}
    current.update(measured)
    GAS_FILE.parent.mkdir(parents=True, exist_ok=True)
    GAS_FILE.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")
    for name, gas in sorted(measured.items()):
        click.echo(f"{name:45} {gas:>10,}")
    click.echo(f"written to {GAS_FILE}")
