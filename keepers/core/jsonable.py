"""Log arguments and chain values as JSON, and the one way every `--json` output is printed.

`--json` output is strict JSON (RFC 8259): a figure with no finite value (a ratio over a
series with no volatility, a p-value of nothing) is `null`, never `NaN` or `Infinity`, which no
JSON parser but Python's accepts. numpy's scalars are written as the numbers they hold."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def to_jsonable(value: Any) -> Any:
    """Log arguments as JSON: bytes as 0x-hex, ints kept exact, addresses as checksummed str."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return str(value)


def strict_json(value: Any) -> Any:
    """`value` with every non-finite float (NaN, +-inf; numpy's too) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item) and type(value).__module__ == "numpy":
        return strict_json(item())
    return value


def dumps_json(value: Any, indent: int | None = 2, sort_keys: bool = True) -> str:
    """`value` as strict JSON (see the module): `allow_nan=False` after NaN -> null."""
    return json.dumps(strict_json(value), indent=indent, sort_keys=sort_keys, allow_nan=False)


def echo_json(value: Any, sort_keys: bool = True) -> None:
    """Prints a command's `--json` output: the one JSON emitter of the `quantera` CLI."""
    import click

    click.echo(dumps_json(value, sort_keys=sort_keys))
