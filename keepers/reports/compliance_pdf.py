"""The regulator-facing compliance report as a PDF: the rows of `quantera compliance report` (its
JSON: the period, the jurisdiction, transactions, freezes and holders per jurisdiction at the
period's end, the total supply; keepers/compliance/report.py), every row and every figure as the
CSV files have them. Pure: renders the report's plain data (`Report.to_json()`)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm

from keepers.core.units import format_amount
from keepers.reports.pdf import DataStamp, heading, paragraph, render, table, utc

TITLE = "Compliance report"
TRANSACTION_COLUMNS = ("block", "time (UTC)", "type", "from\nto", "amount", "country", "tx")
FREEZE_COLUMNS = ("block", "time (UTC)", "type\nfrozen", "wallet\nby", "amount", "country", "tx")
# Column widths (mm) of A4 landscape: an address or a hash in full on one line (Courier 5.5 pt),
# an amount in whole units with every decimal and the symbol (Helvetica 6.5 pt).
TRANSACTION_WIDTHS = (12, 25, 19, 52, 47, 29, 79)
FREEZE_WIDTHS = (12, 25, 21, 52, 47, 29, 79)
MONO_SIZE = 5.5
FONT_SIZE = 6.5


def amount(value: Any, decimals: int | None = None, symbol: str | None = None) -> str:
    """A token amount in whole units with the token's symbol when its decimals are known
    (`250,000 QSPX`), else in base units grouped by thousands ('' when there is none)."""
    if value is None:
        return ""
    if decimals is None:  # the report says its amounts are base units: no suffix per cell
        return f"{int(value):,}"
    return format_amount(int(value), decimals, symbol)


def frozen(value: Any) -> str:
    """A freeze event's new state: frozen (yes), lifted (no), or none stated ('')."""
    return "" if value is None else ("yes" if value else "no")


def country(code: Any, names: Mapping[int, str]) -> str:
    """An ISO 3166-1 numeric code with its name when known; '-' for none."""
    if code is None:
        return "-"
    name = names.get(int(code))
    return f"{int(code)} {name}" if name else str(int(code))


def _unit(data: dict) -> tuple[int | None, str | None]:
    return data.get("token_decimals"), data.get("token_symbol")


def _transactions(data: dict, names: Mapping[int, str]) -> list[list[str]]:
    return [
        [
            str(t["block"]),
            utc(int(t["timestamp"]))[:-4],
            t["type"],
            f"{t['from']}\n{t['to']}",
            amount(t["amount"], *_unit(data)),
            f"{country(t['from_country'], names)}\n{country(t['to_country'], names)}",
            t["tx"],
        ]
        for t in data["transactions"]
    ]


def _freezes(data: dict, names: Mapping[int, str]) -> list[list[str]]:
    return [
        [
            str(f["block"]),
            utc(int(f["timestamp"]))[:-4],
            f"{f['type']}\n{frozen(f['frozen'])}",
            f"{f['wallet']}\n{f['by'] or ''}",
            amount(f["amount"], *_unit(data)),
            country(f["country"], names),
            f["tx"],
        ]
        for f in data["freezes"]
    ]


def _holders(data: dict, names: Mapping[int, str]) -> list[list[str]]:
    rows = [
        [
            "unregistered wallets" if h["country"] is None else country(h["country"], names),
            "" if h["holders"] is None else str(h["holders"]),
            amount(h["balance"], *_unit(data)),
        ]
        for h in data["holders"]
    ]
    return rows


def _wide_table(columns: tuple[str, ...], rows: list[list[str]], widths_mm: tuple[int, ...]):
    """A table of events: the block and the amount right-aligned, the addresses (column 3) and
    the hash (the last) in Courier, at the widths that fit them in full."""
    return table(
        columns,
        rows,
        numeric=(0, 4),
        monospace=(3, len(columns) - 1),
        font_size=FONT_SIZE,
        mono_size=MONO_SIZE,
        widths=[w * mm for w in widths_mm],
    )


def render_compliance(
    data: dict,
    stamp: DataStamp,
    target: Path | io.BytesIO,
    country_names: Mapping[int, str] | None = None,
) -> None:
    """`data`: a `Report.to_json()`; `country_names`: ISO numeric code -> name, to label codes.
    A4 landscape: every address and transaction hash in full."""
    names = country_names or {}
    token = data.get("token")
    scope = (
        "all jurisdictions"
        if data["jurisdiction"] is None
        else f"jurisdiction {escape(country(data['jurisdiction'], names))}"
    )
    summary = (
        f"<b>Period:</b> {utc(data['period_start'])} to {utc(data['period_end'])} "
        f"(inclusive); <b>scope:</b> {scope}."
        + (f" <b>Token:</b> {escape(token)}." if token else "")
        + f"<br/><b>{escape(stamp.text())}</b><br/>"
        f"<b>Transactions:</b> {len(data['transactions'])}; <b>freeze events:</b> "
        f"{len(data['freezes'])}; <b>total supply at period end:</b> "
        f"{escape(amount(data['total_supply'], *_unit(data)))}"
        + (" (token base units)." if data.get("token_decimals") is None else ".")
    )
    units = (
        "in token base units"
        if data.get("token_decimals") is None
        else f"in whole {escape(data.get('token_symbol') or 'token')} "
        f"({data['token_decimals']} decimals; the CSV files keep base units)"
    )
    story = [
        paragraph(summary),
        heading("Holders per jurisdiction at period end", 2),
        paragraph(
            "Investors (identities, across their wallets) holding a positive balance, per "
            f"jurisdiction of their identity; balances {units}.",
            small=True,
            intro=True,
        ),
        table(("jurisdiction", "holders", "balance"), _holders(data, names), numeric=(1, 2)),
        heading("Transactions in the period", 2),
        paragraph(
            "Mints, burns, transfers, forced transfers and recoveries, in chain order: sender "
            f"above recipient, and their jurisdictions likewise; amounts {units}.",
            small=True,
            intro=True,
        ),
        _wide_table(TRANSACTION_COLUMNS, _transactions(data, names), TRANSACTION_WIDTHS),
        heading("Freezes in the period", 2),
        _wide_table(FREEZE_COLUMNS, _freezes(data, names), FREEZE_WIDTHS),
    ]
    if data.get("names"):
        story += [
            heading("Named addresses", 2),
            paragraph(
                "Addresses above that the deployment record names: the protocol's contracts, "
                "and the accounts its address book names (clients, desks).",
                small=True,
                intro=True,
            ),
            table(
                ("address", "name"),
                [[a, n] for a, n in sorted(data["names"].items(), key=lambda kv: kv[1])],
                monospace=(0,),
            ),
        ]
    render(target, TITLE, stamp, story, wide=True)
