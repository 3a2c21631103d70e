"""Log arguments and chain values as JSON."""

from __future__ import annotations

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
