"""`quantera console`: serve the operator console over a deployment; `quantera console sign`: send
a prepared batch from a local Ape account."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from keepers.console.source import ChainSource, ConsoleError, load_abis, redact_urls
from keepers.core.jsonable import echo_json
from keepers.core.redact import redact_logs
from keepers.core.terminal import printable_line


@contextmanager
def open_source(network_choice: str | None, db_url: str | None = None) -> Iterator[ChainSource]:
    """The deployment on `network_choice`, or the running local demo's when it is None."""
    from keepers.core.chain import connected, resolve_network

    # The one resolution every chain command shares: None is the running demo, whose records
    # folder and keeper store come with it (QuanteraError, one line, when none runs).
    network_choice = resolve_network(network_choice)
    # The keepers' store when one is named (the event index lives there: a restart reads it back,
    # and the consoles sharing it share one index); otherwise the index is this process's own.
    from keepers.core.store import DB_URL_ENV

    db_url = db_url or os.environ.get(DB_URL_ENV) or None
    abis = load_abis()
    with connected(network_choice) as record:
        from ape import chain

        yield ChainSource(chain.provider.web3, record, abis, db_url, network_choice)


LISTEN_BACKLOG = 128


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening now: a browser that connects while the app starts (the event index's first
        # sync) waits in the backlog instead of being refused.
        sock.listen(LISTEN_BACKLOG)
    except OSError as err:
        raise ConsoleError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    return sock


network_option = click.option(
    "--network",
    "network_choice",
    default=None,
    help="ecosystem:network[:provider] (default: the running local demo, `make demo SERVE=1`).",
)


@click.group(invoke_without_command=True)
@network_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; requests must name it (or a loopback name) as their Host.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--safe",
    default=None,
    help="The multisig that prepared batches are for (else each form asks for it).",
)
@click.option(
    "--db-url",
    default=None,
    help="Keeper store, which also holds the console's event index (default: the demo's when "
    "serving it, else $QUANTERA_DB_URL; without one the index is kept in memory).",
)
@click.option(
    "--signer",
    "signer_alias",
    default=None,
    help="Opt in: the Ape account (TEST::n locally) that signs bulk rebalance intents.",
)
@click.option(
    "--relayer",
    "relayer_alias",
    default=None,
    help="Opt in: the Ape account that relays them (with --signer).",
)
@click.pass_context
def console(
    ctx: click.Context,
    network_choice: str | None,
    host: str,
    port: int,
    safe: str | None,
    db_url: str | None,
    signer_alias: str | None,
    relayer_alias: str | None,
) -> None:
    """Serve the operator console (read-only; actions are prepared as Safe batches, except the
    bulk rebalance with --signer and --relayer). Prints its URL, then serves until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    if (signer_alias is None) != (relayer_alias is None):
        raise ConsoleError("give both --signer and --relayer, or neither")
    import uvicorn

    from keepers.console.actions import SAFE_FIELD, parse_field
    from keepers.console.app import create_app

    if safe is not None:
        safe = parse_field(SAFE_FIELD, safe)
    with open_source(network_choice, db_url) as source:
        sock = _bind(host, port)
        operator = {}
        if signer_alias and relayer_alias:
            from keepers.core.chain import load_account, unlock_account

            for alias in dict.fromkeys((signer_alias, relayer_alias)):
                unlock_account(load_account(alias))  # asks a passphrase now, not mid-run
            operator = {"signer": signer_alias, "relayer": relayer_alias}
        app = create_app(source, safe=safe, operator=operator, host=host)
        bound_host, bound_port = sock.getsockname()[:2]
        network = redact_urls(source.network)
        click.echo(f"console: http://{bound_host}:{bound_port}/ ({network})", err=False)
        sys.stdout.flush()
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        redact_logs("uvicorn", "uvicorn.access")  # uvicorn's handlers exist once configured
        uvicorn.Server(config).run(sockets=[sock])


NOT_ATOMIC = (
    "These calls are sent one by one, each its own transaction from {account}: NOT atomic (the "
    "Safe sends a batch as one MultiSend transaction). If one fails, the ones before it stay "
    "done and the rest are not sent."
)


@console.command("sign")
@click.argument("batch_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--account", "alias", required=True, help="Ape account alias (TEST::n locally).")
@network_option
@click.option(
    "--yes",
    "assume_yes",
    is_flag=True,
    help="Send without asking (unattended use): the decoded calls are still printed first.",
)
@click.option(
    "--checksum",
    "expected_checksum",
    default=None,
    help="The batch's meta.checksum as reviewed: refused if the file's differs.",
)
@click.option(
    "--allow-target",
    "allowed",
    multiple=True,
    help="A target outside the deployment record that may be called (a fund's own contracts); "
    "repeatable.",
)
@click.option("--json", "as_json", is_flag=True)
def sign(
    batch_file: Path,
    alias: str,
    network_choice: str | None,
    assume_yes: bool,
    expected_checksum: str | None,
    allowed: tuple[str, ...],
    as_json: bool,
) -> None:
    """Send a prepared batch's transactions, in order, from a local Ape account: each call is
    first decoded and printed (target, function, arguments) and sent only once confirmed
    (--yes: without asking). Refused before anything is sent: a file changed after it was made
    (meta.checksum), an entry whose `data` and method differ (the Safe app sends the data), a
    target outside the deployment record, a batch made for another Safe or chain."""
    from eth_utils import is_address, to_checksum_address

    from keepers.console.actions import ActionInputError, signable_calls
    from keepers.core.chain import load_account, unlock_account
    from keepers.core.errors import revert_line

    try:
        batch = json.loads(batch_file.read_text())
    except ValueError as err:
        raise ActionInputError(f"{batch_file}: not JSON ({err})") from None
    if not isinstance(batch, dict):
        raise ActionInputError(f"{batch_file}: not a Safe Transaction Builder batch")
    for address in allowed:
        if not is_address(address):
            raise ActionInputError(f"--allow-target: {address!r} is not an address")
    if expected_checksum is not None:
        stated = str((batch.get("meta") or {}).get("checksum"))
        if stated.lower() != expected_checksum.lower():
            raise ActionInputError(
                f"the batch's checksum is {stated}, not {expected_checksum} as given: refused"
            )
    with open_source(network_choice) as source:
        if str(batch.get("chainId")) != str(source.chain_id):
            raise ConsoleError(
                f"the batch is for chain {batch.get('chainId')}, {redact_urls(source.network)} "
                f"is chain {source.chain_id}"
            )
        calls = signable_calls(source, batch, allowed)
        from ape import chain
        from hexbytes import HexBytes

        account = load_account(alias)
        safe = str((batch.get("meta") or {}).get("createdFromSafeAddress") or "")
        if not is_address(safe) or to_checksum_address(safe) != account.address:
            raise ActionInputError(
                f"the batch was prepared for {safe or 'no Safe'}, not for {account.address} "
                f"({alias}): the AccessManager routed its calls for that caller; refused"
            )
        out = sys.stderr if as_json else sys.stdout
        click.echo(
            f"{len(calls)} call(s) of {batch_file.name} (checksum {batch['meta']['checksum']}), "
            f"from {account.address} on chain {source.chain_id}:",
            file=out,
        )
        for k, call in enumerate(calls):
            # Chain text is shown, never obeyed: a control character in it (a newline, an escape
            # sequence) is printed as its escape, so nothing can fake or hide a line.
            click.echo(printable_line(f"  {k + 1}. {call.target} {call.to}"), file=out)
            click.echo(printable_line(f"     {call.text}"), file=out)
        click.echo(NOT_ATOMIC.format(account=account.address), file=out)
        if not assume_yes:
            click.confirm(f"Send these {len(calls)} transaction(s)?", abort=True, err=as_json)
        unlock_account(account)
        sent = []
        for k, call in enumerate(calls):
            txn = chain.provider.network.ecosystem.create_transaction(
                receiver=call.to, data=HexBytes(call.data), value=0
            )
            try:
                receipt = account.call(txn)
            except Exception as err:  # noqa: BLE001 - ape raises many types; one line each
                # A custom error by name and arguments (found among every project contract's,
                # as the manager's own is not the called target's ABI), never raw revert data.
                raise ConsoleError(
                    f"transaction {k + 1}/{len(calls)} to {call.to} failed after {len(sent)} "
                    f"sent (those stay done: the batch is not atomic): {revert_line(err)}"
                ) from None
            sent.append({"to": call.to, "tx": receipt.txn_hash, "gas_used": receipt.gas_used})
        if as_json:
            echo_json(sent, sort_keys=False)
        else:
            for row in sent:
                click.echo(f"sent {row['tx']} to {row['to']} (gas {row['gas_used']:,})")
