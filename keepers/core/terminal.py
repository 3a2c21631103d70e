"""Tables for a person to read, never cut short.

rich lays a table out to the console's width: 80 columns when stdout is not a terminal (piped to a
file, `less` or another program), where it ends long cells with "…" ("Shar…", "0x4162…"). An
address, an amount or a name cut that way is wrong. So piped output gets an unbounded width (each
column as wide as its widest cell), and a terminal's narrow columns wrap their cells onto further
lines instead of cutting them."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: The width a table is laid out to when stdout is not a terminal: wider than any table.
PIPED_WIDTH = 100_000


def print_table(table: Table) -> None:
    """Prints `table` to stdout with every cell whole (see the module notice)."""
    for column in table.columns:
        column.overflow = "fold"
    console = Console() if sys.stdout.isatty() else Console(width=PIPED_WIDTH)
    console.print(table)


def printable_line(text: str) -> str:
    """`text` with every control character (C0, DEL, C1: newlines, escape sequences, carriage
    returns) written as its Python escape, so that a line printed before a signature prompt is
    one line, and all of it shows (chain text is shown, never obeyed)."""
    return "".join(
        c.encode("unicode_escape").decode() if (ord(c) < 32 or 127 <= ord(c) < 160) else c
        for c in text
    )


def plain(text: object) -> Text:
    """`text` as a table cell or title shows it literally: never read as rich markup (`[/x]` in a
    token's symbol neither fails the table nor styles it) and with control characters written
    out (`printable_line`). Chain text (symbols, names, strings) goes into tables this way."""
    return Text(printable_line(str(text)))
