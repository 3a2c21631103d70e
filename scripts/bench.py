"""`make bench` / `ape run bench`: full transaction gas (21,000 base included) from real receipts
on a fresh anvil, written to benchmarks/gas.json (scenario name -> gas). Scenarios of other
domains already in the file are kept; the ones measured here are replaced.
"""

import json
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

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


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure gas scenarios and merge them into benchmarks/gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    measured = measure_access()
    current = json.loads(GAS_FILE.read_text()) if GAS_FILE.is_file() else {}
    current.update(measured)
    GAS_FILE.parent.mkdir(parents=True, exist_ok=True)
    GAS_FILE.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")
    for name, gas in sorted(measured.items()):
        click.echo(f"{name:45} {gas:>10,}")
    click.echo(f"written to {GAS_FILE}")
