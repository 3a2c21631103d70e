"""Decoding of `RouteExecuted.fills` (contracts/liquidity/FillLog.sol): 72 bytes per hop."""

from __future__ import annotations

from typing import NamedTuple

from eth_utils import to_checksum_address

FILL_BYTES = 72


class Fill(NamedTuple):
    """What one hop of an executed route took and gave (amountOut as the venue reported it)."""

    venue: str
    token_out: str
    amount_in: int
    amount_out: int


def decode_fills(packed: bytes) -> list[Fill]:
    """The fills of one RouteExecuted log, in execution order."""
    data = bytes(packed)
    if len(data) % FILL_BYTES:
        raise ValueError(
            f"fills of {len(data)} bytes are not a whole number of {FILL_BYTES}-byte fills"
        )
    return [
        Fill(
            to_checksum_address(data[i : i + 20]),
            to_checksum_address(data[i + 20 : i + 40]),
            int.from_bytes(data[i + 40 : i + 56], "big"),
            int.from_bytes(data[i + 56 : i + 72], "big"),
        )
        for i in range(0, len(data), FILL_BYTES)
    ]
