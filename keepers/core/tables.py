"""Operators' input files, read one way by every command: a CSV table is rectangular (every row
has as many fields as its header: a row with one field too many is refused, never read shifted
under the wrong columns), and a number is a finite decimal number (never a boolean, never NaN or
infinity). Each problem is one QuanteraError naming the file, the line and the column."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keepers.core.errors import QuanteraError


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and rows (text cells, stripped), each row with its line number."""

    path: Path
    header: list[str]
    rows: list[tuple[int, list[str]]]

    def column(self, name: str) -> list[tuple[int, str]]:
        k = self.header.index(name)
        return [(line, cells[k]) for line, cells in self.rows]


def read_csv_table(path: Path, error: type[QuanteraError] = QuanteraError) -> CsvTable:
    """The table of `path` (a header line, then rows; blank lines skipped), refused with
    `error` when it is not UTF-8 text, has no header, names a column twice, or has a row of
    another width than its header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: not a CSV text file ({err})") from None
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            cells = [c.strip() for c in cells]
            if header is None:
                header = cells
                seen = [h for h in header if h and header.count(h) > 1]
                if seen:
                    raise error(f"{path}: column {seen[0]!r} named twice in the header")
                continue
            if len(cells) != len(header):
                raise error(
                    f"{path}: line {reader.line_num} has {len(cells)} fields, the header has "
                    f"{len(header)}"
                )
            rows.append((reader.line_num, cells))
    except csv.Error as err:
        raise error(f"{path}: not a CSV file (line {reader.line_num}: {err})") from None
    if header is None:
        raise error(f"{path}: empty file (no header line)")
    return CsvTable(path, header, rows)


def finite_number(value: Any, where: str, error: type[QuanteraError] = QuanteraError) -> float:
    """`value` (a JSON number, or the text of a CSV cell) as a float; a boolean (`true` is not
    1), a text that is no decimal number, NaN and infinities are refused, naming `where`."""
    if isinstance(value, bool) or value is None:
        raise error(f"{where}: {json_text(value)} is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise error(f"{where}: {value!r} is not a number") from None
    else:
        raise error(f"{where}: {value!r} is not a number")
    if not math.isfinite(number):
        raise error(f"{where}: {value!r} is not a finite number")
    return number


def json_text(value: Any) -> str:
    return {True: "true", False: "false", None: "null"}.get(value, repr(value))  # type: ignore[arg-type]
