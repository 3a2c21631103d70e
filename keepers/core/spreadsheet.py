"""Cells of a CSV that people open in a spreadsheet, written so that none is a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage
return) as a formula: a value that reaches a CSV from the chain or a user (an event's string
argument, a name) could then compute, fetch a URL or run a command on the reader's machine (CSV
injection, OWASP). Such a text cell gets a leading `'`, which spreadsheets show as text and do not
run; numbers are written as they are (a negative number is a number, not a formula)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as a CSV cell no spreadsheet runs: text starting like a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
