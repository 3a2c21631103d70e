"""`quantera manager models|define-model|assign|drift|rebalance`: the asset manager's model
portfolios, which client follows which, each client's drift, and the bulk rebalance of every client
of a model (keepers/rebalancing/models.py, bulk.py). Models and assignments live in the keeper store
(`QUANTERA_DB_URL`), per chain; drift and rebalance read the chain."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import click

from keepers.core.artifacts import project_at
from keepers.core.cli_options import network_option
from keepers.core.deploying import is_implementation
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json
from keepers.core.redact import redact_urls

json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@contextmanager
def _session(network_choice: str) -> Iterator[tuple]:
    """(deployment record, chain, keeper store) on the connected network."""
    from ape import chain
    from ape.logging import LogLevel, logger

    from keepers.core import store
    from keepers.core.chain import connected

    logger.set_level(LogLevel.WARNING)  # stdout is the command's output (JSON with --json)
    with connected(network_choice) as record:
        yield record, chain, store.open_store()


def _emit(data, as_json: bool, lines: list[str]) -> None:
    if as_json:
        echo_json(data)
    else:
        for line in lines:
            click.echo(line)


def _portfolios(record, values: tuple[str, ...], all_clients: bool) -> list[str]:
    """Addresses from addresses or record names (`client-007`, `PortfolioVault.client-007`);
    `all_clients`: every client portfolio the record names."""
    from eth_utils import is_address

    # The proxies, never their code (`<name>.implementation`, UPG-9).
    found = [
        a
        for n, a in record.contracts.items()
        if n.startswith("PortfolioVault.client-") and not is_implementation(n)
    ]
    if all_clients:
        if not found:
            raise QuanteraError("the deployment record names no client portfolio")
        return found
    # An address is taken only as a recorded PortfolioVault proxy: never a portfolio's code (its
    # storage empty: helper-109 L2), nor the code an upgrade put behind a proxy, nor an address
    # the deployment never made (helper-110: those passed a refusal of the recorded code alone).
    proxies = {
        a.lower().removeprefix("0x"): a
        for n, a in record.contracts.items()
        if (n == "PortfolioVault" or n.startswith("PortfolioVault.")) and not is_implementation(n)
    }
    codes = {a.lower().removeprefix("0x"): n for n, a in record.contracts.items()}
    out = []
    for value in values:
        if is_address(value):
            key = value.lower().removeprefix("0x")
            if key not in proxies:
                said = f" ({codes[key]})" if key in codes else ""
                raise QuanteraError(
                    f"{value}{said} is no portfolio the deployment records: name a client "
                    "portfolio or give its address"
                )
            out.append(proxies[key])
            continue
        name = value if value.startswith("PortfolioVault.") else f"PortfolioVault.{value}"
        if name not in record.contracts or is_implementation(name):
            raise QuanteraError(f"{value!r} is neither an address nor a recorded portfolio")
        out.append(record.contracts[name])
    if not out:
        raise QuanteraError("name at least one portfolio, or --all-clients")
    return out


@click.group()
def manager() -> None:
    """Asset manager: model portfolios, client assignments, drift and bulk rebalancing."""


@manager.command("models")
@network_option
@json_option
def manager_models(network_choice: str, as_json: bool) -> None:
    """The model portfolios defined on the network, their weights and clients."""
    from keepers.rebalancing.models import clients_of, list_models

    with _session(network_choice) as (_, chain, db):
        models = list_models(db, chain.chain_id)
        data = [
            {
                "name": m.name,
                "version": m.version,
                "weights_bps": m.weights_bps,
                "clients": len(clients_of(db, chain.chain_id, m.name)),
            }
            for m in models
        ]
    lines = [
        f"{d['name']} v{d['version']} ({d['clients']} clients): "
        + ", ".join(f"{a} {w} bps" for a, w in d["weights_bps"].items())
        for d in data
    ] or ["no model portfolio defined"]
    _emit(data, as_json, lines)


@manager.command("define-model")
@click.argument("name")
@click.option(
    "--weight",
    "weights",
    multiple=True,
    required=True,
    help="ASSET=BPS (a token symbol of the record or an address), repeatable; sum 10000.",
)
@network_option
@json_option
def manager_define_model(
    name: str, weights: tuple[str, ...], network_choice: str, as_json: bool
) -> None:
    """Define (or redefine) model portfolio NAME."""
    from keepers.liquidity import token_addresses
    from keepers.rebalancing.models import define_model

    parsed: dict[str, int] = {}
    for weight in weights:
        asset, sep, bps = weight.partition("=")
        if not sep or not bps.strip().isdigit():
            raise QuanteraError(f"--weight {weight!r} is not ASSET=BPS")
        parsed[asset.strip()] = int(bps)
    with _session(network_choice) as (record, chain, db):
        tokens = token_addresses(record)
        by_address = {}
        for asset, bps in parsed.items():
            address = asset if asset.startswith("0x") else tokens.get(asset.upper())
            if address is None:
                known = ", ".join(sorted(tokens))
                raise QuanteraError(f"unknown asset {asset!r} (known: {known})")
            by_address[address] = bps
        model = define_model(db, chain.chain_id, name, by_address, chain.blocks.head.timestamp)
    data = {"name": model.name, "version": model.version, "weights_bps": model.weights_bps}
    _emit(data, as_json, [f"model {model.name} v{model.version} defined"])


@manager.command("assign")
@click.argument("model")
@click.argument("portfolios", nargs=-1)
@click.option("--all-clients", is_flag=True, help="Every client portfolio of the record.")
@network_option
@json_option
def manager_assign(
    model: str, portfolios: tuple[str, ...], all_clients: bool, network_choice: str, as_json: bool
) -> None:
    """Make PORTFOLIOS (addresses or record names such as client-007) follow MODEL."""
    from keepers.rebalancing.models import assign_model, clients_of

    with _session(network_choice) as (record, chain, db):
        chosen = _portfolios(record, portfolios, all_clients)
        changed = assign_model(db, chain.chain_id, model, chosen, chain.blocks.head.timestamp)
        total = len(clients_of(db, chain.chain_id, model))
    data = {"model": model, "assigned": len(chosen), "changed": changed, "clients": total}
    _emit(data, as_json, [f"{changed} of {len(chosen)} assigned to {model} ({total} clients)"])


@manager.command("drift")
@click.option("--model", "model_name", required=True)
@network_option
@json_option
def manager_drift(model_name: str, network_choice: str, as_json: bool) -> None:
    """Each client's drift from MODEL: max |weight - target| in bps, at oracle prices."""

    from keepers.rebalancing.models import (
        client_drifts,
        clients_of,
        get_model,
        read_positions,
        read_prices,
    )

    with _session(network_choice) as (record, chain, db):
        model = get_model(db, chain.chain_id, model_name)
        clients = clients_of(db, chain.chain_id, model_name)
        if not clients:
            raise QuanteraError(f"no client portfolio follows model {model_name!r}")
        positions = read_positions([project_at("PortfolioVault", c) for c in clients])
        router = project_at("OracleRouter", record.address_of("OracleRouter"))
        prices = read_prices(router, [a for listed in positions.assets for a in listed])
        drifts = client_drifts(positions, prices, model, strict=False)
    shown = [None if math.isnan(d) else round(float(d), 2) for d in drifts]
    data = {
        "model": model_name,
        "clients": [{"portfolio": c, "drift_bps": d} for c, d in zip(clients, shown)],
    }
    lines = [
        f"{c}  " + ("model does not fit its assets" if d is None else f"{d:8.1f} bps")
        for c, d in zip(clients, shown)
    ]
    _emit(data, as_json, lines)


@manager.command("rebalance")
@click.option("--model", "model_name", required=True)
@click.option("--signer", "signer_alias", required=True, help="Ape alias (TEST::n locally).")
@click.option("--relayer", "relayer_alias", required=True, help="Ape alias (TEST::n locally).")
@click.option("--batch-size", type=click.IntRange(1, 32), default=32, show_default=True)
@click.option("--venue", default=None, help="Route every trade through this venue address.")
@click.option("--yes", "assume_yes", is_flag=True, help="No confirmation on live networks.")
@network_option
@json_option
def manager_rebalance(
    model_name: str,
    signer_alias: str,
    relayer_alias: str,
    batch_size: int,
    venue: str | None,
    assume_yes: bool,
    network_choice: str,
    as_json: bool,
) -> None:
    """Rebalance every client of MODEL: intents signed by SIGNER, relayed in batches by RELAYER;
    progress on stderr, each client's outcome recorded and printed."""
    from ape import project

    from keepers.core.chain import load_account, unlock_account
    from keepers.rebalancing.bulk import BulkRebalance
    from keepers.rebalancing.cycle import DOMAIN
    from keepers.rebalancing.intent import account_signer

    with _session(network_choice) as (record, chain, db):
        signer, relayer = load_account(signer_alias), load_account(relayer_alias)
        for account in {signer.address: signer, relayer.address: relayer}.values():
            unlock_account(account)
        if not network_choice.startswith("ethereum:local") and not assume_yes:
            click.confirm(
                f"Rebalance every client of {model_name} on {redact_urls(network_choice)}?",
                abort=True,
            )
        rebalancer = project.AutoRebalancer.at(record.address_of("AutoRebalancer"))
        bulk = BulkRebalance(
            chain,
            rebalancer,
            project.RebalancerLens.at(record.address_of("RebalancerLens")),
            project.LiquidityAggregator.at(record.address_of("LiquidityAggregator")),
            project_at("OracleRouter", record.address_of("OracleRouter")),
            db,
            partial(project_at, "PortfolioVault"),
            account_signer(signer, DOMAIN, chain.chain_id, rebalancer.address),
            signer.address,
            relayer,
            venue=venue,
            batch_size=batch_size,
        )

        def progress(done: int, total: int, outcome) -> None:
            click.echo(f"[{done}/{total}] {outcome.portfolio} {outcome.status}", file=sys.stderr)

        report = bulk.run(model_name, on_progress=progress)
    counts = report.counts()
    lines = [
        f"{o.portfolio}  {o.status:10} drift {o.drift_before_bps} -> {o.drift_after_bps} bps"
        + (f"  {o.reason}" if o.reason else "")
        for o in report.outcomes
    ] + [
        f"{model_name}: {counts['rebalanced']} rebalanced, {counts['skipped']} skipped, "
        f"{counts['failed']} failed in {len(report.batches)} batches, {report.seconds:.1f} s"
    ]
    _emit(report.as_dict(), as_json, lines)
