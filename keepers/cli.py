"""`quantera`: the operators' command line for everything off-chain.

Every command that returns data takes `--json`, printed by one emitter as strict JSON
(keepers.core.jsonable.echo_json: NaN and infinities are null). Operators' files are read by one
strict reader (keepers.core.tables). Failures print one line to stderr and exit 1 (2 for usage
errors); `--debug` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click
from click.utils import make_default_short_help
from rich.table import Table

from keepers import __version__
from keepers.core.cli_options import chain_id_option, network_option
from keepers.core.deployments import (
    DeploymentError,
    deployments_dir,
    load,
    record_path,
)
from keepers.core.deployments import account_address as address_of
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json
from keepers.core.redact import redact_urls
from keepers.core.terminal import print_table

#: Each domain's command group, imported when it is invoked, not when the CLI starts: `quantera
#: fund status` loads no risk model (scipy), no console and no reports, and `quantera --help`
#: lists them from the one-line help below without importing any (each line is its group's help
#: as it begins, checked by tests/keepers/core/test_cli.py).
LAZY_GROUPS: dict[str, tuple[str, str]] = {
    "instrument": (
        "keepers.lifecycle.cli:instrument",
        "Instruments in the InstrumentRegistry: register, list, show, schedule, activate, suspend.",
    ),
    "fund": (
        "keepers.lifecycle.cli:fund",
        "A fund's dealing: requests, claims, the NAV strike, positions, status, fees.",
    ),
    "risk": (
        "keepers.risk.cli:risk",
        "Portfolio risk from return histories: VaR/ES, stress scenarios, VaR backtests.",
    ),
    "analytics": (
        "keepers.analytics.cli:analytics",
        "Performance analytics of return histories: returns, risk-adjusted ratios, drawdowns.",
    ),
    "console": (
        "keepers.console.cli:console",
        "Serve the operator console (read-only; actions are prepared as Safe batches, except the "
        "bulk rebalance with --signer and --relayer).",
    ),
    "route": (
        "keepers.liquidity.cli:route",
        "Smart order routing through the LiquidityAggregator.",
    ),
    "signal": (
        "keepers.rebalancing.cli:signal",
        "Strategy selection: train the model on real history, predict today's strategy and "
        "weights.",
    ),
    "report": ("keepers.reports.cli:report", "Client and compliance reports as PDF (or JSON)."),
    "manager": (
        "keepers.rebalancing.manager_cli:manager",
        "Asset manager: model portfolios, client assignments, drift and bulk rebalancing.",
    ),
    "margin": (
        "keepers.prime.cli:margin",
        "Prime-brokerage margin accounts: open, collateral, borrowing, health, liquidation "
        "preview, and the margin keeper's cycle.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose domain subgroups (LAZY_GROUPS) are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_GROUPS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY_GROUPS and name not in self.commands:
            from importlib import import_module

            module, attr = LAZY_GROUPS[name][0].split(":")
            self.add_command(getattr(import_module(module), attr), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's, with a lazy group's one-line help read from LAZY_GROUPS (not imported)."""
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            if name in LAZY_GROUPS and name not in self.commands:
                text = LAZY_GROUPS[name][1]
                rows.append((name, make_default_short_help(text, limit)))
            elif (command := self.commands.get(name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def emit(data: Any, as_json: bool, table: Table | None = None) -> None:
    if as_json:
        echo_json(data)
    elif table is not None:
        print_table(table)
    else:
        click.echo(data)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="quantera")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option(
    "--verbose", is_flag=True, help="Show ape's notices (connecting, transactions) on stderr."
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """Quantera operator tools: deployments, keepers' store, and (as they land) compliance, risk,
    routing, signals, instruments and funds."""
    ctx.ensure_object(dict)["debug"] = debug


@cli.group()
def deployments() -> None:
    """Read deployment records written by `ape run deploy`."""


def _record_options(command: Any) -> Any:
    """`--network` and `--dir`: which deployment record a `deployments` command reads."""
    command = click.option(
        "--dir",
        "directory",
        type=click.Path(path_type=Path),
        default=None,
        help="Folder of the records (default: $QUANTERA_DEPLOYMENTS_DIR, else the running demo's "
        "(`make demo SERVE=1`), else deployments/).",
    )(command)
    return click.option(
        "--network",
        "network_key",
        default="ethereum:local",
        show_default=True,
        help="ecosystem:network of the record.",
    )(command)


@deployments.command("show")
@_record_options
@click.option("--json", "as_json", is_flag=True)
def deployments_show(network_key: str, directory: Path | None, as_json: bool) -> None:
    """Contract addresses of one network."""
    record = load(record_path(network_key, directory or _records_dir()))
    table = Table(title=f"{record.network} (chain {record.chain_id}, from block {record.block})")
    table.add_column("contract")
    table.add_column("address")
    for name, address in sorted(record.contracts.items()):
        table.add_row(name, address)
    for address, name in sorted(record.accounts.items(), key=lambda kv: kv[1]):
        table.add_row(f"{name} (account)", address)
    emit(record.to_json(), as_json, table)


@deployments.command("name")
@click.argument("address")
@click.argument("name")
@_record_options
@click.option("--json", "as_json", is_flag=True)
def deployments_name(
    address: str, name: str, network_key: str, directory: Path | None, as_json: bool
) -> None:
    """Name an account that is not a contract of the record (a client, desk or keeper wallet) in
    its address book: the console, the audit log and the reports then show the name beside the
    address. Naming it again replaces the name."""
    from keepers.core.deployments import name_accounts

    path = record_path(network_key, directory or _records_dir())
    record = name_accounts(path, {address: name})
    named = {"address": address_of(address), "name": record.accounts[address_of(address)]}
    if as_json:
        echo_json(named)
    else:
        click.echo(f"{named['address']} is {named['name']} in {path}")


@deployments.command("unname")
@click.argument("address")
@_record_options
def deployments_unname(address: str, network_key: str, directory: Path | None) -> None:
    """Remove an account's name from the record's address book (a name given by mistake, or an
    account no longer the deployment's)."""
    from keepers.core.deployments import forget_accounts

    path = record_path(network_key, directory or _records_dir())
    forget_accounts(path, [address])
    click.echo(f"{address_of(address)} has no name in {path} now")


def _records_dir() -> Path:
    """Where deployment records are read by default: $QUANTERA_DEPLOYMENTS_DIR, else the running
    demo's folder (the console's default deployment), else deployments/."""
    from keepers.core.deployments import DEPLOYMENTS_DIR_ENV
    from keepers.core.running_demo import trusted_running_demo

    if DEPLOYMENTS_DIR_ENV in os.environ:
        return deployments_dir()
    demo = trusted_running_demo()
    return Path(demo.deployments_dir) if demo is not None else deployments_dir()


def _store_chain(db_url: str | None, chain_id: int | None) -> tuple[str | None, int]:
    """(store URL, chain id) a store command reads: as given, the running demo's where one is
    left out (its keeper store, its record's chain), else a one-line error naming the option."""
    from keepers.core.running_demo import trusted_running_demo

    if chain_id is not None:
        return db_url, chain_id
    demo = trusted_running_demo()
    if demo is None:
        raise click.UsageError(
            "Missing option '--chain-id' (no local demo is running to read it from: "
            "`make demo SERVE=1`)."
        )
    record = load(record_path("ethereum:local", Path(demo.deployments_dir)))
    # Said on stderr (the answer, JSON with --json, stays alone on stdout): an empty answer must
    # not read as "nothing pending" on a chain the operator did not mean.
    click.echo(
        f"reading the local demo's keeper store (chain {record.chain_id}); --chain-id and "
        "--db-url name another",
        err=True,
    )
    return db_url or demo.db_url, record.chain_id


def _store_describer(db_url: str | None, chain_id: int):
    """Names and decoded calls for a store command (keepers.console.describe): the deployment
    record of the chain read — the running demo's when the store and the chain are its, else the
    one record of that chain id among the deployment records (`_records_dir`; said on stderr) —
    with the compiled ABIs. None when no record, or more than one, is of that chain (addresses and
    calldata then show as they are)."""
    from keepers.console import ConsoleError, for_record, load_abis
    from keepers.core.deployments import DeploymentError
    from keepers.core.running_demo import trusted_running_demo

    demo = trusted_running_demo()
    record = None
    if demo is not None and db_url == demo.db_url:
        record = load(record_path("ethereum:local", Path(demo.deployments_dir)))
        if record.chain_id != chain_id:
            return None
    else:
        # Not the demo's store: the records named by $QUANTERA_DEPLOYMENTS_DIR or deployments/,
        # never the demo's folder (a store of another chain with the demo's chain id).
        found = []
        for path in sorted(deployments_dir().glob("*.json")):
            try:
                candidate = load(path)
            except (DeploymentError, OSError, ValueError, RecursionError):
                continue  # an unreadable file is no record, not a failed command
            if candidate.chain_id == chain_id:
                found.append((path, candidate))
        if len(found) != 1:
            return None
        path, record = found[0]
        click.echo(f"names from the deployment record {path}", err=True)
    try:
        return for_record(record.contracts, load_abis(), accounts=record.accounts)
    except ConsoleError:
        return None


def _stored_events(db_url: str | None, chain_id: int, names: tuple[str, ...] | None = None):
    """The governance keeper's events (keepers.access.StoredEvent), oldest first."""
    from keepers.access import StoredEvent, governance_events
    from keepers.core import store

    engine = store.open_store(db_url)
    return [
        StoredEvent(e.event, e.block_number, e.log_index, e.args)
        for e in governance_events(engine, chain_id, names)
    ]


def store_read_options(command):
    """`--chain-id`, `--db-url`, `--now` and `--json`: a governance listing read from the store."""
    for option in reversed(
        (
            chain_id_option,
            click.option(
                "--db-url",
                default=None,
                help="Keeper store URL (default: $QUANTERA_DB_URL or SQLite).",
            ),
            click.option(
                "--now",
                type=click.IntRange(min=0),
                default=None,
                help="Unix time to evaluate readiness at (default: now).",
            ),
            click.option("--json", "as_json", is_flag=True),
        )
    ):
        command = option(command)
    return command


@cli.group()
def governance() -> None:
    """What the governance keeper recorded: role holders, pending timelocked operations and
    proposed upgrades."""


@governance.command("pending")
@store_read_options
def governance_pending(
    chain_id: int | None, db_url: str | None, now: int | None, as_json: bool
) -> None:
    """Scheduled operations not yet executed or cancelled, each call decoded (names and decoded
    calls when the store is the running demo's: its deployment record names them)."""
    from rich.markup import escape

    from keepers.access import OPERATION_EVENTS, pending_operations
    from keepers.console import duration
    from keepers.core.units import iso_utc

    db_url, chain_id = _store_chain(db_url, chain_id)
    pending = pending_operations(
        _stored_events(db_url, chain_id, OPERATION_EVENTS), now or int(time.time())
    )
    describer = _store_describer(db_url, chain_id)
    table = Table(title=f"Pending operations on chain {chain_id}")
    for col in ("operation", "caller", "target", "call", "ready at (UTC)", "ready in"):
        table.add_column(col, overflow="fold")
    rows = []
    for op in pending:
        shown = {
            "caller_shown": describer.address(op.caller) if describer else op.caller,
            "target_shown": describer.address(op.target) if describer else op.target,
            "call": describer.call(op.target, op.data) if describer else op.data,
        }
        rows.append({**op.to_json(), **shown})
        table.add_row(  # chain text as text: a `[` in a decoded string is not markup
            *map(
                escape,
                (
                    op.operation_id,
                    shown["caller_shown"],
                    shown["target_shown"],
                    shown["call"],
                    iso_utc(op.ready_at),
                    duration(op.ready_in_seconds),
                ),
            )
        )
    emit(rows, as_json, table)


@governance.command("upgrades")
@store_read_options
def governance_upgrades(
    chain_id: int | None, db_url: str | None, now: int | None, as_json: bool
) -> None:
    """Upgrades proposed to the UpgradeAuthority, neither run nor vetoed (as the governance
    keeper recorded them; the console's governance page and `ape run upgrade status` add the
    chain's word on each: its window, the new code's warnings)."""
    from rich.markup import escape

    from keepers.access import UPGRADE_EVENTS, pending_upgrades
    from keepers.console import duration
    from keepers.core.units import iso_utc

    db_url, chain_id = _store_chain(db_url, chain_id)
    pending = pending_upgrades(
        _stored_events(db_url, chain_id, UPGRADE_EVENTS), now or int(time.time())
    )
    describer = _store_describer(db_url, chain_id)
    table = Table(title=f"Proposed upgrades on chain {chain_id}")
    for col in ("upgrade", "proxy", "new code", "call", "ETA (UTC)", "ready in"):
        table.add_column(col, overflow="fold")
    rows = []
    for up in pending:
        shown = {
            "proxy_shown": describer.address(up.proxy) if describer else up.proxy,
            "implementation_shown": (
                describer.address(up.implementation) if describer else up.implementation
            ),
            "call": describer.call(up.proxy, up.data) if describer and up.data != "0x" else up.data,
        }
        rows.append({**up.to_json(), **shown})
        table.add_row(
            *map(
                escape,
                (
                    up.upgrade_id,
                    shown["proxy_shown"],
                    shown["implementation_shown"],
                    shown["call"],
                    iso_utc(up.eta),
                    duration(up.ready_in_seconds),
                ),
            )
        )
    emit(rows, as_json, table)


@governance.command("roles")
@chain_id_option
@click.option("--db-url", default=None)
@click.option("--json", "as_json", is_flag=True)
def governance_roles(chain_id: int | None, db_url: str | None, as_json: bool) -> None:
    """Current holders of each role."""
    from rich.markup import escape

    from keepers.access import ROLE_NAMES, role_holders

    db_url, chain_id = _store_chain(db_url, chain_id)
    holders = role_holders(_stored_events(db_url, chain_id))
    data = {
        ROLE_NAMES.get(role, str(role)): sorted(accts) for role, accts in sorted(holders.items())
    }
    describer = _store_describer(db_url, chain_id)
    table = Table(title=f"Role holders on chain {chain_id}")
    table.add_column("role")
    table.add_column("accounts", overflow="fold")
    for role, accts in data.items():
        shown = [describer.address(a) if describer else a for a in accts]
        table.add_row(escape(role), escape("\n".join(shown)))
    emit(data, as_json, table)


@cli.group()
def compliance() -> None:
    """Investor onboarding, sanctions screening and regulatory reports."""


@compliance.command("onboard")
@click.option(
    "--file",
    "kyc_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="JSON lines of KYC results (wallet, country, investor_class, expiry, provider_reference).",
)
@network_option
@click.option(
    "--account", "account_alias", required=True, help="OPERATOR account: Ape alias or TEST::<n>."
)
@click.option("--json", "as_json", is_flag=True)
def compliance_onboard(
    kyc_file: Path, network_choice: str, account_alias: str, as_json: bool
) -> None:
    """Register KYC'd investors (idempotent). Bad rows are reported by line and skipped; the others
    go through; the exit code is 1 if any row was rejected."""
    from keepers.compliance import onboard

    result = onboard(kyc_file, network_choice, account_alias)
    table = Table(title=f"Onboarding from {kyc_file}")
    for col in ("line", "wallet", "outcome"):
        table.add_column(col)
    for row in result["rows"]:
        table.add_row(str(row["line"]), row.get("wallet", ""), row["outcome"])
    emit(result, as_json, table)
    rejected = [row["line"] for row in result["rows"] if row["outcome"].startswith("error")]
    if rejected:
        raise QuanteraError(
            f"{len(rejected)} row(s) rejected: line(s) {', '.join(map(str, rejected))}"
        )


@compliance.command("report")
@click.option(
    "--from", "period_from", required=True, help="Period start: YYYY-MM-DD (UTC) or unix time."
)
@click.option(
    "--to",
    "period_to",
    required=True,
    help="Period end (inclusive): YYYY-MM-DD (UTC) or unix time.",
)
@click.option(
    "--jurisdiction", type=click.IntRange(1, 999), default=None, help="ISO 3166-1 numeric code."
)
@network_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write transactions.csv, freezes.csv, holders.csv and report.json here.",
)
@click.option("--json", "as_json", is_flag=True)
def compliance_report(
    period_from: str,
    period_to: str,
    jurisdiction: int | None,
    network_choice: str,
    out_dir: Path | None,
    as_json: bool,
) -> None:
    """Transactions (mints, burns, transfers, forced transfers, recoveries), freezes, and holder
    counts per jurisdiction at period end, rebuilt from chain events."""
    from keepers.compliance import build_chain_report, parse_time

    report, written = build_chain_report(
        network_choice, parse_time(period_from), parse_time(period_to, True), jurisdiction, out_dir
    )
    from keepers.compliance import load_jurisdictions
    from keepers.core.units import format_amount

    countries = {j.iso: j.name for j in load_jurisdictions()}
    table = Table(title=f"Holders per jurisdiction at {period_to}")
    for col in ("country", "holders", "balance"):
        table.add_column(col)
    for row in report.holders:
        code = row["country"]
        country = "unregistered wallets" if code is None else f"{code} {countries.get(code, '')}"
        holders = "—" if row["holders"] is None else f"{row['holders']:,}"
        balance = format_amount(row["balance"], report.token_decimals, report.token_symbol)
        table.add_row(country.strip(), holders, balance)
    emit(report.to_json(), as_json, table)
    if not as_json:
        click.echo(
            f"{len(report.transactions)} transactions, {len(report.freezes)} freeze events"
            + (f"; written: {', '.join(str(p) for p in written)}" if written else "")
        )


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: one-line errors, never a traceback unless --debug; an RPC URL
    in an error is cut to its scheme and host (keepers.core.redact)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    from keepers.core import chain

    chain.QUIET = not debug
    chain.VERBOSE = "--verbose" in args
    try:
        cli.main(args=args, prog_name="quantera", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 1
    except click.ClickException as err:
        if debug:
            raise
        click.echo(f"error: {redact_urls(err.format_message())}", err=True)
        return err.exit_code
    except (QuanteraError, DeploymentError) as err:
        if debug:
            raise
        click.echo(f"error: {redact_urls(str(err))}", err=True)
        return 1
    except Exception as err:  # last resort: operators get one line, --debug gives the traceback
        if debug:
            raise
        # One line: some carry many (web3's CannotHandleRequest: the request's whole parameters).
        lines = str(err).splitlines()
        more = " (more with --debug)" if len(lines) > 1 else ""
        line = redact_urls(lines[0] if lines else "")
        click.echo(f"error: {type(err).__name__}: {line}{more}", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
