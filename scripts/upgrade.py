"""Prepare an upgrade of a GovernedProxy as a Safe batch:
`ape run upgrade <status|propose|run|veto> ... --network <ecosystem:network:provider>`.

Nothing is signed or sent here: each command writes the batch (the Safe Transaction Builder's JSON,
as the console's governance forms do: keepers/console/upgrades.py) to `--out` or stdout, to import
into the multisig, or to sign with `quantera console sign`.

- `status`: the upgrades pending on the UpgradeAuthority, as the governance page shows them (ETA,
  window, the new code's warnings); `--json` for a machine.
- `propose PROXY NEW_CONTRACT IMPLEMENTATION`: checked first, before anything is prepared: the new
  contract's storage layout against the deployed version's (deployments/storage-layouts.json) and
  the code at IMPLEMENTATION against this build's NEW_CONTRACT built with `--args`. Deploy the
  implementation first (any account may: it holds no rights), in its own transaction.
- `run UPGRADE_ID`: the upgrade with exactly the arguments its `UpgradeProposed` announced, once
  the notice has run out.
- `veto UPGRADE_ID`: for the GUARDIAN's Safe.

Every refusal is one line; nothing is prepared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from keepers.console.batches import (
    connected_source,
    from_block_option,
    one_line,
    out_option,
    safe_option,
    write_batch,
)

from_option = from_block_option("the authority's events")


@click.group()
def cli():
    """Upgrades of the protocol's proxies, prepared as Safe batches (IUpgradeAuthority)."""


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@from_option
@click.option("--json", "as_json", is_flag=True)
def status(from_block: int | None, as_json: bool) -> None:
    """Upgrades pending on the UpgradeAuthority, soonest first."""
    from keepers.console import describe
    from keepers.console.upgrades import authority_events, upgrade_rows

    def read() -> list[dict[str, Any]]:
        source = connected_source()
        head = source.head()
        events = authority_events(source, from_block, head)
        return upgrade_rows(
            source, events, head, source.block_time(head), describe.for_source(source)
        )

    rows = one_line(read)
    if as_json:
        click.echo(json.dumps(rows, indent=1, default=str))
        return
    if not rows:
        click.echo("no upgrade pending")
    for row in rows:
        warnings = "; ".join(row["code_warnings"]) or "none"
        click.echo(
            f"{row['upgrade_id']}: {row['proxy_shown']} -> {row['implementation_shown']}, "
            f"call {row['call'] or 'none'}, ETA {row['eta']} (in {row['ready_in_seconds']} s), "
            f"window closes {row['closes_at']}; look at: {warnings}"
        )


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("proxy")
@click.argument("new_contract")
@click.argument("implementation")
@click.option("--args", "constructor_args", default="[]", help="Constructor arguments, JSON.")
@click.option("--call", "call_data", default="0x", help="Calldata run on the new code, hex.")
@safe_option
@out_option
def propose(
    proxy: str,
    new_contract: str,
    implementation: str,
    constructor_args: str,
    call_data: str,
    safe: str,
    out: Path | None,
) -> None:
    """Check, then prepare the proposal moving PROXY (its record name) to IMPLEMENTATION."""
    from keepers.console.actions import json_array
    from keepers.console.upgrades import propose_calls

    def build() -> None:
        args = json_array("--args", constructor_args)
        source = connected_source()
        calls = propose_calls(source, proxy, new_contract, implementation, args, call_data)
        write_batch(source, safe, calls, f"Propose upgrading {proxy}", out)

    one_line(build)


@cli.command(name="run", cls=ConnectedProviderCommand)
@network_option()
@click.argument("upgrade_id")
@from_option
@safe_option
@out_option
def run_upgrade(upgrade_id: str, from_block: int | None, safe: str, out: Path | None) -> None:
    """Prepare the run of a proposed upgrade whose notice has run out."""
    from keepers.console.upgrades import run_calls

    def build() -> None:
        source = connected_source()
        write_batch(source, safe, run_calls(source, upgrade_id, from_block), "Run upgrade", out)

    one_line(build)


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("upgrade_id")
@safe_option
@out_option
def veto(upgrade_id: str, safe: str, out: Path | None) -> None:
    """Prepare the GUARDIAN's veto of a pending upgrade."""
    from keepers.console.upgrades import veto_calls

    def build() -> None:
        source = connected_source()
        write_batch(source, safe, veto_calls(source, upgrade_id), "Veto upgrade", out)

    one_line(build)
