"""What a person reads for a command's figures (issue 33 §2): the `quantera` tables show each field
of a command's answer in its unit — a token amount in whole units with its symbol, USD as money,
a time in ISO 8601 UTC, a duration in days and hours, basis points as a percentage, an address with
the name the deployment record gives it. `--json` keeps the exact values (base units, seconds,
checksummed addresses): a program reads those.

A field's kind is named by the command (`Amount(decimals, symbol)`, `USD18`, `TIME`, ...); a field
without one is shown as it is."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from rich.table import Table

from keepers.core.units import BPS, format_amount, human_duration, iso_utc


@dataclass(frozen=True)
class Amount:
    """A token amount in base units of a token with `decimals` and `symbol`."""

    decimals: int
    symbol: str


@dataclass(frozen=True)
class Money:
    """USD scaled by 10**decimals (the protocol's 18), shown to `places` cents' digits."""

    decimals: int = 18
    places: int = 2


@dataclass(frozen=True)
class Price:
    """A price in USD scaled by 10**decimals per one `unit` (a NAV per share), shown exact."""

    unit: str
    decimals: int = 18


TIME = "time"  # unix seconds; 0 is "never"
DURATION = "duration"  # seconds
ADDRESS = "address"
BPS_KIND = "bps"
USD18 = Money()
USD = Money(decimals=0)  # a decimal string of whole dollars ("1234.5")
Kind = Amount | Money | Price | str


def money(
    amount: int | str | Decimal, decimals: int = 18, places: int = 2, exact: bool = False
) -> str:
    """USD as money: `$1,234.56`, `-$12.00`, rounded half to even at the cent; `amount` scaled by
    10**decimals (an integer, or a decimal string with `decimals` 0). A figure that is not zero
    but rounds to it reads `<$0.01` (a shortfall of $0.004 is still one). `exact`: every digit
    past the cents too (`$100.004`: a refusal's figures, where the part under a cent decides)."""
    value = Decimal(str(amount)) / (Decimal(10) ** decimals)
    sign = "-" if value < 0 else ""
    cents = abs(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if exact and abs(value) != cents:
        digits = f"{abs(value):,f}".rstrip("0")
        return f"{sign}${digits}"
    if cents == 0 and value != 0:
        return f"{sign}<${Decimal(1).scaleb(-places):f}"
    return f"{sign}${cents:,.{places}f}" if cents else f"${cents:,.{places}f}"


def grouped(whole_units: str | Decimal) -> str:
    """A decimal amount in whole units, grouped and exact: `1234.5` -> `1,234.5`."""
    return f"{Decimal(str(whole_units)):,f}"


def shown(value: Any, kind: Kind | None, names: Mapping[str, str] | None = None) -> str:
    """`value` as a person reads it in its `kind`; None is "—"."""
    if value is None:
        return "—"
    if isinstance(kind, Amount):
        return format_amount(int(value), kind.decimals, kind.symbol)
    if isinstance(kind, Money):
        return money(value, kind.decimals, kind.places)
    if isinstance(kind, Price):
        whole = format_amount(int(value), kind.decimals, None).removesuffix(" base units")
        return f"${whole} per {kind.unit}"
    if kind == TIME:
        return iso_utc(int(value)) if int(value) else "never"
    if kind == DURATION:
        return human_duration(int(value))
    if kind == BPS_KIND:
        return f"{Decimal(int(value)) * 100 / BPS:f}% ({int(value):,} bps)"
    if kind == ADDRESS:
        return named(str(value), names or {})
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def named(address: str, names: Mapping[str, str]) -> str:
    """An address with its name in the record (`0x… (FundVault)`), else as it is."""
    name = names.get(address.lower())
    return f"{address} ({name})" if name else address


def record_names(record: Any) -> dict[str, str]:
    """Lower-case address -> the name the deployment record gives it: its contracts' record names
    (the last name of an address), then its address book's accounts (CON-88)."""
    names = {str(a).lower(): n for n, a in getattr(record, "contracts", {}).items()}
    names.update({str(a).lower(): n for a, n in getattr(record, "accounts", {}).items()})
    return names


def shown_table(
    title: str,
    data: Mapping[str, Any],
    kinds: Mapping[str, Kind],
    names: Mapping[str, str] | None = None,
) -> Table:
    """A two-column table of `data`, each field shown in its kind (its label with `_` as spaces)."""
    from keepers.core.terminal import plain

    table = Table(title=plain(title))
    table.add_column("field")
    table.add_column("value", overflow="fold")
    for key, value in data.items():
        table.add_row(plain(key.replace("_", " ")), plain(shown(value, kinds.get(key), names)))
    return table
