"""`quantera report client|compliance`: the client report and the regulator-facing compliance
report, read from a deployment (`--network`), written as a PDF (`--pdf FILE`) or printed as JSON
(`--json`, the same data). Libraries load when a command runs, not when the CLI starts."""

from __future__ import annotations

from pathlib import Path

import click

from keepers.core.cli_options import network_option
from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json

pdf_file = click.Path(dir_okay=False, writable=True, path_type=Path)


def _output(pdf: Path | None, as_json: bool) -> None:
    if (pdf is None) == (not as_json):
        raise QuanteraError("give one of --pdf FILE or --json")
    if pdf is not None and not pdf.parent.is_dir():
        raise QuanteraError(f"--pdf {pdf}: no folder {pdf.parent}")


@click.group()
def report() -> None:
    """Client and compliance reports as PDF (or JSON)."""


@report.command("client")
@network_option
@click.option(
    "--vault",
    "vault_ref",
    default=None,
    help="The client's PortfolioVault: a record name or an address (default: PortfolioVault).",
)
@click.option(
    "--investor",
    default=None,
    help="The client's wallet: its share of the vault is reported (default: the whole vault).",
)
@click.option(
    "--benchmark",
    default="QSPX=60,QTF=40",
    show_default=True,
    help="Benchmark weights over the vault's assets, SYMBOL=PERCENT,... summing to 100.",
)
@click.option(
    "--from", "start", default="2014-01-01", show_default=True, help="Return history start."
)
@click.option("--to", "end", default="2018-12-31", show_default=True, help="Return history end.")
@click.option("--pdf", type=pdf_file, default=None, help="Write the report to this PDF file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report's data as JSON.")
def report_client(
    network_choice: str,
    vault_ref: str | None,
    investor: str | None,
    benchmark: str,
    start: str,
    end: str,
    pdf: Path | None,
    as_json: bool,
) -> None:
    """Holdings at oracle prices, performance against the benchmark, attribution by asset class,
    VaR and ES, fees and income of a client's portfolio."""
    _output(pdf, as_json)
    from keepers.core.chain import connected
    from keepers.reports import client_report_at_head, render_client

    with connected(network_choice) as record:
        data = client_report_at_head(
            network_choice, record, vault_ref, investor, benchmark, start, end
        )
    if as_json:
        echo_json(data.to_json())
        return
    assert pdf is not None
    render_client(data, pdf)
    click.echo(f"{pdf}: client report of {data.client}, {data.stamp.text()}")


@report.command("compliance")
@click.option(
    "--from", "period_from", required=True, help="Period start: YYYY-MM-DD (UTC) or unix time."
)
@click.option(
    "--to", "period_to", required=True, help="Period end (inclusive): YYYY-MM-DD or unix time."
)
@click.option(
    "--jurisdiction", type=click.IntRange(1, 999), default=None, help="ISO 3166-1 numeric code."
)
@network_option
@click.option("--pdf", type=pdf_file, default=None, help="Write the report to this PDF file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report's data as JSON.")
def report_compliance(
    period_from: str,
    period_to: str,
    jurisdiction: int | None,
    network_choice: str,
    pdf: Path | None,
    as_json: bool,
) -> None:
    """The regulatory report of `quantera compliance report` (transactions, freezes, holders per
    jurisdiction at the period's end) as a PDF."""
    _output(pdf, as_json)
    from keepers.compliance import build_chain_report, load_jurisdictions, parse_time
    from keepers.reports import DataStamp, render_compliance

    start, end = parse_time(period_from), parse_time(period_to, True)
    built, _ = build_chain_report(network_choice, start, end, jurisdiction, None)
    data = built.to_json()
    if as_json:
        echo_json(data)
        return
    assert pdf is not None
    names = {j.iso: j.name for j in load_jurisdictions()}
    stamp = DataStamp(network_choice, data["block"], data["block_timestamp"])
    render_compliance(data, stamp, pdf, names)
    click.echo(
        f"{pdf}: {len(data['transactions'])} transactions, {len(data['freezes'])} freeze events, "
        f"{len(data['holders'])} jurisdictions; {stamp.text()}"
    )
