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
from keepers.core.deployments import DEPLOYMENTS_DIR_ENV
from keepers.core.jsonable import echo_json
from keepers.core.running_demo import read_running_demo


@contextmanager
def open_source(network_choice: str | None, db_url: str | None = None) -> Iterator[ChainSource]:
    """The deployment on `network_choice`, or the running local demo's when it is None."""
    from keepers.core.chain import connected

    if network_choice is None:
        demo = read_running_demo()
        if demo is None:
            raise ConsoleError(
                "no local demo deployment is running: start one with `make demo SERVE=1`, "
                "or pass --network"
            )
        os.environ[DEPLOYMENTS_DIR_ENV] = demo.deployments_dir
        network_choice, db_url = demo.network_choice, db_url or demo.db_url
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
@click.option("--db-url", default=None, help="Keeper store (default: the demo's, if any).")
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
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        server.run(sockets=[sock])


@console.command("sign")
@click.argument("batch_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--account", "alias", required=True, help="Ape account alias (TEST::n locally).")
@network_option
@click.option("--json", "as_json", is_flag=True)
def sign(batch_file: Path, alias: str, network_choice: str | None, as_json: bool) -> None:
    """Send a prepared batch's transactions, in order, from a local Ape account."""
    from keepers.console.actions import ActionInputError, batch_calldata
    from keepers.core.chain import load_account, unlock_account

    try:
        batch = json.loads(batch_file.read_text())
    except ValueError as err:
        raise ActionInputError(f"{batch_file}: not JSON ({err})") from None
    calls = batch_calldata(batch)
    with open_source(network_choice) as source:
        if str(batch.get("chainId")) != str(source.chain_id):
            raise ConsoleError(
                f"the batch is for chain {batch.get('chainId')}, {source.network} is chain "
                f"{source.chain_id}"
            )
        from ape import chain
        from hexbytes import HexBytes

        account = load_account(alias)
        unlock_account(account)
        sent = []
        for k, (to, data) in enumerate(calls):
            txn = chain.provider.network.ecosystem.create_transaction(
                receiver=to, data=HexBytes(data), value=0
            )
            try:
                receipt = account.call(txn)
            except Exception as err:  # noqa: BLE001 - ape raises many types; one line each
                raise ConsoleError(
                    f"transaction {k + 1}/{len(calls)} to {to} failed after {len(sent)} sent: "
                    f"{str(err).splitlines()[0] if str(err) else type(err).__name__}"
                ) from None
            sent.append({"to": to, "tx": receipt.txn_hash, "gas_used": receipt.gas_used})
        if as_json:
            echo_json(sent, sort_keys=False)
        else:
            for row in sent:
                click.echo(f"sent {row['tx']} to {row['to']} (gas {row['gas_used']:,})")
