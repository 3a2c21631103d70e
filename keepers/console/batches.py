"""The operators' `ape run` commands that prepare Safe batches (`scripts/upgrade.py`,
`scripts/migrate_token.py`): the connected chain as the console reads it, a batch written as the
console's forms write it, and any failure answered in one line.

Nothing here signs or sends: a batch is the Safe Transaction Builder's JSON, to import into the
multisig or to sign with `quantera console sign`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from keepers.core.errors import QuanteraError

T = TypeVar("T")

safe_option = click.option("--safe", required=True, help="The multisig that signs the batch.")
out_option = click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the batch here."
)


def from_block_option(what: str):
    """`--from-block`: the first block whose events the command reads (`what`), the deployment
    record's block by default."""
    return click.option(
        "--from-block",
        type=click.IntRange(min=0),
        default=None,
        help=f"First block to read {what} from (default: the record's).",
    )


def connected_source():
    """The connected network (inside `ape run`) as a ChainSource on its deployment record."""
    from ape import chain

    from keepers.console.source import ChainSource, load_abis
    from keepers.core.record import connected_record

    network = chain.provider.network
    return ChainSource(
        chain.provider.web3,
        connected_record(),
        load_abis(),
        None,
        f"{network.ecosystem.name}:{network.name}",
    )


def write_batch(source, safe: str, calls: Sequence[Any], title: str, out: Path | None) -> None:
    """`calls` routed as `safe` must make them (refused in one line if it may not), written as a
    Safe batch to `out`, or to stdout."""
    from keepers.console.actions import SAFE_FIELD, parse_field, prepare, safe_batch

    safe = parse_field(SAFE_FIELD, safe)
    prepared = prepare(source, safe, calls)
    batch = safe_batch(
        source.chain_id, safe, prepared, title, "; ".join(p.summary for p in prepared)
    )
    text = json.dumps(batch, indent=1)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n")
        routes = ", ".join(f"{p.summary}: {p.route}" for p in prepared)
        click.echo(f"{title}: batch written to {out} ({routes})", err=True)


def one_line(run: Callable[[], T]) -> T:
    """`run()`, any failure one line (a node's error, a missing tool, a record for another chain
    included): never a traceback."""
    try:
        return run()
    except click.ClickException:
        raise
    except QuanteraError as err:
        raise click.ClickException(str(err).splitlines()[0]) from None
    except Exception as err:  # noqa: BLE001 - the operator reads one line, not a traceback
        text = str(err).splitlines()[0] if str(err) else ""
        raise click.ClickException(f"{type(err).__name__}: {text}") from None
