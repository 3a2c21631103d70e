"""Reading return histories and weights from operators' files, with one clear error per problem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from keepers.risk.models import RiskInputError

WEIGHT_TOLERANCE = 1e-6


def load_returns(path: Path) -> pd.DataFrame:
    """Daily returns, one column per asset; a first column named date (or unnamed) is the index."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError as err:
        raise RiskInputError(f"{path}: no such file") from err
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise RiskInputError(f"{path}: not a CSV file ({err})") from err
    first = frame.columns[0]
    if str(first).lower() in ("date", "time", "timestamp") or str(first).startswith("Unnamed"):
        frame = frame.set_index(first)
    if frame.shape[1] == 0 or frame.shape[0] < 2:
        raise RiskInputError(f"{path}: need at least one asset column and two rows of returns")
    numeric = frame.apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & ~frame.isna()
    if bad.any().any():
        column = bad.any()[bad.any()].index[0]
        row = int(np.argmax(bad[column].to_numpy()))
        raise RiskInputError(f"{path}: non-numeric value in column {column!r}, data row {row + 1}")
    if numeric.isna().any().any():
        column = numeric.isna().any()[numeric.isna().any()].index[0]
        row = int(np.argmax(numeric[column].isna().to_numpy()))
        raise RiskInputError(
            f"{path}: missing value (NaN) in column {column!r}, data row {row + 1}"
        )
    return numeric.astype(float)


def load_mapping(path: Path, value_name: str) -> dict[str, str]:
    """asset -> value from JSON ({"asset": value}) or CSV (columns asset,<value_name>)."""
    try:
        text = path.read_text()
    except FileNotFoundError as err:
        raise RiskInputError(f"{path}: no such file") from err
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise RiskInputError(f"{path}: invalid JSON ({err.msg}, line {err.lineno})") from err
        if not isinstance(data, dict):
            raise RiskInputError(f"{path}: expected a JSON object of asset -> {value_name}")
        return {str(k): v for k, v in data.items()}
    frame = pd.read_csv(path)
    if "asset" not in frame.columns or value_name not in frame.columns:
        raise RiskInputError(
            f"{path}: CSV needs columns 'asset' and '{value_name}', found {list(frame.columns)}"
        )
    return dict(zip(frame["asset"].astype(str), frame[value_name]))


def load_weights(path: Path, assets: list[str] | None = None) -> pd.Series:
    """Portfolio weights by asset; they must be numbers summing to 1 and, when `assets` is given,
    name only assets present (absent assets get weight 0)."""
    raw = load_mapping(path, "weight")
    try:
        weights = pd.Series({k: float(v) for k, v in raw.items()})
    except (TypeError, ValueError) as err:
        raise RiskInputError(f"{path}: every weight must be a number ({err})") from err
    if weights.isna().any() or not np.all(np.isfinite(weights.to_numpy())):
        raise RiskInputError(f"{path}: weights contain NaN or infinite values")
    if abs(weights.sum() - 1.0) > WEIGHT_TOLERANCE:
        raise RiskInputError(f"{path}: weights sum to {weights.sum():.6f}, not 1")
    if assets is not None:
        missing = sorted(set(weights.index) - set(assets))
        if missing:
            raise RiskInputError(
                f"{path}: weights name assets missing from the returns: {', '.join(missing)}"
            )
        weights = weights.reindex(assets, fill_value=0.0)
    return weights
