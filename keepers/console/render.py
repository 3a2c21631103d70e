"""How the console's pages turn values into HTML: the template filters and the `guard` tag.

A page shows what the chain holds, and chain actors choose much of it (a timelock ETA up to
2^48 - 1, a maturity date, a token's symbol, an amount up to 2^256 - 1). So:

- every filter is total: it answers for any value. A time outside what a calendar can write
  (before year 1, after year 9999) is written as such with its raw number
  (`281474976710655 (after year 9999)`); a number that is not one is written as it is.
- `{% guard "row" %}...{% endguard %}` renders its body, or, if rendering it raises, one row
  saying it could not be shown (`{% guard %}`: a paragraph): each table row of chain data is
  guarded, so one bad value costs its row, never the page. What failed is logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from eth_utils import is_hex_address, to_checksum_address
from jinja2 import nodes, pass_context
from jinja2.ext import Extension
from markupsafe import Markup, escape

log = logging.getLogger("quantera.console")
_MONEY = re.compile(r"-?[0-9][0-9,]*(\.[0-9]+)?")

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FIRST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
MIN_TIME = int((_FIRST - _EPOCH).total_seconds())
MAX_TIME = int((_LAST - _EPOCH).total_seconds())


def fmt_time(value: Any) -> str:
    """A unix time as `YYYY-MM-DD HH:MM:SS UTC`; one a calendar cannot write as its number and
    why; anything else as it is."""
    try:
        seconds = int(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if seconds > MAX_TIME:
        return f"{seconds} (after year 9999)"
    if seconds < MIN_TIME:
        return f"{seconds} (before year 1)"
    return (_EPOCH + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_num(value: Any, places: int = 2) -> str:
    """`value` with thousands separators and `places` decimals; as it is when it is no finite
    number (None, text, an int beyond a float)."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return "—" if value is None else str(value)
    if number != number or number in (float("inf"), float("-inf")):
        return str(value)
    return f"{number:,.{int(places)}f}"


def fmt_short(value: Any, keep: int = 10) -> str:
    text = str(value)
    return text if len(text) <= keep + 4 else f"{text[:keep]}…{text[-4:]}"


def fmt_usd(value: Any, places: int = 2) -> str:
    """A USD amount as money: `$1,234.56` (`-$12.00`); anything `num` does not write as a number
    (None, text, nan) as `num` writes it."""
    text = fmt_num(value, places)
    if not _MONEY.fullmatch(text):
        return text
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


@pass_context
def fmt_named(ctx: Any, value: Any, keep: int | None = None) -> str:
    """An address with the name the deployment gives it (`0x9F2c…a1B3 (Harbor pension plan)`: a
    contract's record name, or the record's address book for a client, desk or keeper wallet;
    the context's `names`), shortened to `keep` characters when asked; anything else as it is."""
    text = str(value)
    shown = text if keep is None else fmt_short(text, keep)
    if not is_hex_address(text):
        return shown
    name = (ctx.get("names") or {}).get(to_checksum_address(text))
    return f"{shown} ({name})" if name else shown


def fmt_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def fmt_country(value: Any) -> str:
    """An ISO 3166-1 numeric code with its name (`826 United Kingdom`); a code the jurisdiction
    table does not name, as it is."""
    from keepers.console.describe import country_names

    try:
        code = int(value)
    except (TypeError, ValueError):
        return str(value)
    name = country_names().get(code)
    return f"{code} {name}" if name else str(code)


def fmt_rule_key(key: Any) -> str:
    """A rule change's key (`country=826`, as the API keeps it) with its country named."""
    text = str(key)
    if text.startswith("country="):
        return f"country={fmt_country(text.removeprefix('country='))}"
    return text


FILTERS = {
    "time": fmt_time,
    "short": fmt_short,
    "named": fmt_named,
    "tojson_attr": fmt_json,
    "num": fmt_num,
    "usd": fmt_usd,
    "country": fmt_country,
    "rule_key": fmt_rule_key,
}


class GuardExtension(Extension):
    """`{% guard "row" %}<tr>...</tr>{% endguard %}`: the body, or a row saying it could not be
    shown when rendering it raises (`{% guard %}`: a paragraph)."""

    tags = {"guard"}

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        kind: nodes.Expr = nodes.Const("block")
        if parser.stream.current.type != "block_end":
            kind = parser.parse_expression()
        body = parser.parse_statements(("name:endguard",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", [kind]), [], [], body).set_lineno(lineno)

    @staticmethod
    def _render(kind: str, caller: Any) -> Markup:
        try:
            return Markup(caller())
        except Exception as err:  # noqa: BLE001 - one bad value costs its row, not the page
            log.warning("a %s could not be rendered: %s: %s", kind, type(err).__name__, err)
            why = escape(f"{type(err).__name__}: {str(err)[:200]}")
            if kind == "row":
                return Markup(
                    f'<tr class="bad" data-unrendered="row"><td colspan="99">this row could not '
                    f"be shown ({why})</td></tr>"
                )
            return Markup(
                f'<p class="error" data-unrendered="block">this part could not be shown ({why})</p>'
            )
