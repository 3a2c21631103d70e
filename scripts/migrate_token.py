"""A security token's migration to its fix (UPG-10, ITokenMigrator), for the issuer's operators:
`ape run migrate_token <status|batch> OLD_TOKEN ... --network <ecosystem:network:provider>`.

OLD_TOKEN is the old token's name in the deployment record (`SecurityToken`,
`SecurityToken.QSPX`); its migrator is recorded as `TokenMigrator.<OLD_TOKEN>`
(`keepers.compliance.deploy_token_migration`).

- `status OLD_TOKEN`: the migrator, both tokens (the old one paused or not, each supply), the
  capabilities the migrator holds, and every holding left on the old token with its freezes,
  contracts marked (they move with their own fix); `--json` for a machine.
- `batch OLD_TOKEN --safe SAFE`: the OPERATOR's `migrate` calls that move the wallets left, each
  of up to the migrator's MAX_HOLDERS holders, `--calls` of them (default 1: one Safe transaction
  within a block's gas), as a Safe batch (written to `--out` or stdout; nothing is signed or sent
  here); once it ran, `status` and `batch` again take the rest. `--keep ADDR` leaves a holder
  out; `--move-contract ADDR` moves a contract holder whose own fix is done (each must be a
  holder: a typo is refused). Refused, in one line, while the old token is not paused or the
  migrator lacks its capabilities (every call would revert), or if the Safe may not call `migrate`,
  or for an income or coupon class (IncomeShareToken, BondShareToken: they move with their
  servicer's fix, ITokenMigrator). Every figure is read at one block, in JSON-RPC batches.
- `status` says how much of the old token's supply no listed holding accounts for (holders
  credited before `--from-block`): until that is 0 and no holder is listed, it is not done.

A holding the new token refuses stays whole on the old one (`MigrationRefused` in the receipt);
`status` shows it again after the batch, to move once its holder is eligible.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

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

from_option = from_block_option("the old token's Transfer log")


def _status(old_token: str, from_block: int | None):
    from keepers.compliance.migration import migration_status, migrator_name
    from keepers.core.artifacts import project_at

    source = connected_source()
    name = migrator_name(old_token)
    if not source.has(name):
        raise click.ClickException(
            f"no {name} in the deployment record: deploy the migration first "
            "(keepers.compliance.deploy_token_migration)"
        )
    migrator = project_at("TokenMigrator", source.address(name))
    start = source.record.block if from_block is None else from_block
    return source, name, migration_status(migrator, start or 0)


@click.group()
def cli():
    """A security token's holdings moved to its fix (TokenMigrator), prepared as Safe batches."""


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("old_token")
@from_option
@click.option("--json", "as_json", is_flag=True)
def status(old_token: str, from_block: int | None, as_json: bool) -> None:
    """Where the migration of OLD_TOKEN stands, and every holding left on it."""
    from keepers.core.units import format_amount

    _, name, st = one_line(lambda: _status(old_token, from_block))
    if as_json:
        click.echo(
            json.dumps({"record_name": name, **asdict(st), "unlisted": st.unlisted}, indent=1)
        )
        return

    def amount(value: int) -> str:
        return format_amount(value, st.decimals, st.symbol)

    click.echo(
        f"{name} {st.migrator}: {old_token} {st.old_token} "
        f"({'paused' if st.old_paused else 'NOT paused'}, supply {amount(st.old_supply)}) -> "
        f"{st.new_token} (supply {format_amount(st.new_supply, st.decimals, st.new_symbol)}); "
        "the migrator may burn the old: "
        f"{'yes' if st.can_burn_old else 'no'}, mint and freeze the new: "
        f"{'yes' if st.can_mint_new else 'no'}"
    )
    if st.balance_hooked:
        click.echo(
            f"the old token is a {st.balance_hooked}: its holdings move with its servicer's and "
            "vault's fix, not by `batch`"
        )
    if st.unlisted:
        click.echo(
            f"{amount(st.unlisted)} of the old token's supply is in no holding listed here "
            "(credited before the first block read? try --from-block 0): the migration is not done"
        )
    elif not st.holders:
        click.echo("no holding left on the old token")
    for h in st.holders:
        notes = [
            *(["wallet frozen"] if h.wallet_frozen else []),
            *([f"{amount(h.frozen_tokens)} frozen"] if h.frozen_tokens else []),
            *(["contract: moves with its own fix (--move-contract)"] if h.contract else []),
        ]
        click.echo(f"{h.holder}: {amount(h.amount)}" + (f" ({'; '.join(notes)})" if notes else ""))


@cli.command(cls=ConnectedProviderCommand)
@network_option()
@click.argument("old_token")
@safe_option
@out_option
@from_option
@click.option("--keep", multiple=True, help="A holder left out of the batch (repeatable).")
@click.option(
    "--move-contract",
    "move_contracts",
    multiple=True,
    help="A contract holder moved too, its own fix done (repeatable).",
)
@click.option(
    "--calls",
    type=click.IntRange(min=1),
    default=None,
    help="`migrate` calls in this batch, each of up to the migrator's MAX_HOLDERS holders "
    "(default: 1, within a block's gas); the next batch takes the rest.",
)
def batch(
    old_token: str,
    safe: str,
    out: Path | None,
    from_block: int | None,
    keep: tuple[str, ...],
    move_contracts: tuple[str, ...],
    calls: int | None,
) -> None:
    """Prepare the OPERATOR's `migrate` calls for the holdings left on OLD_TOKEN."""
    from keepers.compliance.migration_view import CALLS_PER_BATCH, migrate_batches

    def build() -> None:
        source, name, st = _status(old_token, from_block)
        every = migrate_batches(st, keep, move_contracts, max_calls=len(st.holders) or 1)
        taken = every[: calls or CALLS_PER_BATCH]
        if not taken:
            from keepers.core.units import format_amount

            rest = [f"{len(st.holders)} holder(s) kept back (contracts, --keep)"] * bool(st.holders)
            if st.unlisted:
                unlisted = format_amount(st.unlisted, st.decimals, st.symbol)
                rest.append(f"{unlisted} in no holding listed (--from-block)")
            said = f" ({'; '.join(rest)}): not done" if rest else ""
            raise click.ClickException(f"nothing to move: no wallet left on {old_token}{said}")
        write_batch(source, safe, migration_calls(name, taken), f"Migrate {old_token}", out)
        moved, left = sum(map(len, taken)), sum(map(len, every))
        if moved < left:
            click.echo(
                f"this batch moves {moved} of the {left} holders left: once it ran, "
                "`status` and `batch` again for the rest",
                err=True,
            )

    one_line(build)


def migration_calls(migrator_record_name: str, batches: list[list[str]]):
    """One `migrate(holders)` call a batch, on the recorded migrator."""
    from keepers.console.actions import Call

    return [Call(migrator_record_name, "migrate", (holders,)) for holders in batches]
