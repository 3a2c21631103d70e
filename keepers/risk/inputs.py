"""Reading return histories and weights from operators' files, with one clear error per problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from keepers.core.tables import finite_number, read_csv_table
from keepers.risk.models import RiskInputError

WEIGHT_TOLERANCE = 1e-6


MISSING = frozenset({"", "nan", "na", "n/a", "null", "none"})  # cells read as "no value"
INDEX_NAMES = ("date", "time", "timestamp")


def load_returns(path: Path) -> pd.DataFrame:
    """Daily returns, one column per asset; a first column named date (or unnamed) is the index.
    Read by the shared strict reader (keepers.core.tables): a row wider or narrower than the
    header is refused (pandas would take the extra field as an index and read every value one
    column off), and so is a value that is not a finite number."""
    table = read_csv_table(path, RiskInputError)
    first = table.header[0]
    indexed = first.lower() in INDEX_NAMES or first == "" or first.startswith("Unnamed")
    columns = table.header[1:] if indexed else table.header
    if not columns or len(table.rows) < 2:
        raise RiskInputError(f"{path}: need at least one asset column and two rows of returns")
    offset = 1 if indexed else 0
    values = np.empty((len(table.rows), len(columns)))
    for r, (_, cells) in enumerate(table.rows):
        for c, column in enumerate(columns):
            text = cells[c + offset]
            if text.lower() in MISSING:
                raise RiskInputError(
                    f"{path}: missing value (NaN) in column {column!r}, data row {r + 1}"
                )
            try:
                values[r, c] = finite_number(text, "", RiskInputError)
            except RiskInputError:
                raise RiskInputError(
                    f"{path}: non-numeric value in column {column!r}, data row {r + 1}"
                ) from None
    index = pd.Index([cells[0] for _, cells in table.rows], name=first) if indexed else None
    return pd.DataFrame(values, columns=columns, index=index)


def load_mapping(path: Path, value_name: str) -> dict[str, object]:
    """asset -> value from JSON ({"asset": value}) or CSV (columns asset,<value_name>; the
    shared strict reader: values are the cells' text)."""
    if path.suffix.lower() == ".json":
        try:
            text = path.read_text()
        except FileNotFoundError as err:
            raise RiskInputError(f"{path}: no such file") from err
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise RiskInputError(f"{path}: invalid JSON ({err.msg}, line {err.lineno})") from err
        if not isinstance(data, dict):
            raise RiskInputError(f"{path}: expected a JSON object of asset -> {value_name}")
        return {str(k): v for k, v in data.items()}
    table = read_csv_table(path, RiskInputError)
    if "asset" not in table.header or value_name not in table.header:
        raise RiskInputError(
            f"{path}: CSV needs columns 'asset' and '{value_name}', found {table.header}"
        )
    assets = [a for _, a in table.column("asset")]
    twice = sorted({a for a in assets if assets.count(a) > 1})
    if twice:
        raise RiskInputError(f"{path}: asset {twice[0]!r} given twice")
    return dict(zip(assets, (v for _, v in table.column(value_name)), strict=True))


def load_weights(
    path: Path, assets: list[str] | None = None, allow_short: bool = False
) -> pd.Series:
    """Portfolio weights by asset; they must be finite numbers (not booleans) summing to 1, not
    negative unless `allow_short` (the protocol's portfolios are long-only: a short is measured
    only when asked for), and, when `assets` is given, name only assets present (absent assets get
    weight 0)."""
    raw = load_mapping(path, "weight")
    # A weight is a finite number: `true` is not 1 (JSON), nor `True` (pandas read it as one).
    weights = pd.Series(
        {k: finite_number(v, f"{path}: weight of {k!r}", RiskInputError) for k, v in raw.items()},
        dtype=float,
    )
    if abs(weights.sum() - 1.0) > WEIGHT_TOLERANCE:
        raise RiskInputError(f"{path}: weights sum to {weights.sum():.6f}, not 1")
    shorts = weights[weights < 0]
    if len(shorts) and not allow_short:
        raise RiskInputError(
            f"{path}: weight of {shorts.index[0]!r} is {shorts.iloc[0]:g}: short positions are "
            "not allowed (the protocol's portfolios are long-only); --allow-short measures a "
            "long-short portfolio"
        )
    if assets is not None:
        missing = sorted(set(weights.index) - set(assets))
        if missing:
            raise RiskInputError(
                f"{path}: weights name assets missing from the returns: {', '.join(missing)}"
            )
        weights = weights.reindex(assets, fill_value=0.0)
    return weights
