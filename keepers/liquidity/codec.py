"""The aggregator's packed route (contracts/liquidity/RouteCodec.sol, ILiquidityAggregator
"Route encoding"): encoded here for `swap`, `revealSwap`, `quoteRoute` and `commitmentOf`, and
its legs alone for `AutoRebalancer.rebalance`.

    header  tokenIn 20 | tokenOut 20 | recipient 20 | minAmountOut 16 | deadline 5 |
            maxSlippageBps 2 | legCount 1
    leg     amountIn 16 | hopCount 1
    hop     venue 20 | tokenOut 20 (omitted on a leg's last hop) | dataLength 2 | data
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from eth_utils import to_canonical_address, to_checksum_address

HEADER_BYTES = 84
MIN_OUT_AT = 60

HopSpec = tuple[str, str, bytes]  # (venue, tokenOut, data)
LegSpec = tuple[int, Sequence[HopSpec]]  # (amountIn, hops)


class RouteError(ValueError):
    """A route that cannot be encoded (the aggregator would refuse it anyway)."""


class DecodedRoute(NamedTuple):
    token_in: str
    token_out: str
    recipient: str
    min_amount_out: int
    deadline: int
    max_slippage_bps: int
    legs: list[tuple[int, list[HopSpec]]]

    @property
    def amount_in(self) -> int:
        return sum(amount for amount, _ in self.legs)


def _uint(value: int, size: int, what: str) -> bytes:
    value = int(value)
    if not 0 <= value < 1 << (8 * size):
        raise RouteError(f"{what} {value} does not fit in {size} bytes")
    return value.to_bytes(size, "big")


def _address(value) -> bytes:
    return to_canonical_address(str(getattr(value, "address", value)))


def encode_route(
    token_in,
    token_out,
    amount_in: int,
    min_out: int,
    recipient,
    deadline: int,
    max_slippage_bps: int,
    legs: Sequence[LegSpec],
) -> bytes:
    """Packs a route. `amount_in` is not encoded (the aggregator sums the legs): it must equal
    that sum, every leg's last hop must buy `token_out` (the encoding omits it), and no other hop
    may buy `token_in` or `token_out` (the aggregator's `IntermediateIsRouteToken`, SEC-143)."""
    legs_total = sum(int(amount) for amount, _ in legs)
    if legs_total != int(amount_in):
        raise RouteError(f"legs sum to {legs_total}, not the order's {int(amount_in)}")
    own = {_address(token_in), _address(token_out)}
    for index, (_, hops) in enumerate(legs):
        for position, (_, hop_token_out, _) in enumerate(hops[:-1]):
            if _address(hop_token_out) in own:
                raise RouteError(
                    f"leg {index} hop {position} buys {hop_token_out}, one of the route's own "
                    "tokens: a leg's intermediate tokens are other tokens"
                )
    return (
        _address(token_in)
        + _address(token_out)
        + _address(recipient)
        + _uint(min_out, 16, "minAmountOut")
        + _uint(deadline, 5, "deadline")
        + _uint(max_slippage_bps, 2, "maxSlippageBps")
        + _uint(len(legs), 1, "leg count")
        + encode_legs(legs, token_out)
    )


def encode_legs(legs: Sequence[LegSpec], token_out=None) -> bytes:
    """The legs of a route without its header, back to back: what `AutoRebalancer.rebalance` takes
    per planned trade (`routes[k]`, the amounts read as weights). With `token_out`, every leg's last
    hop must buy it (the encoding omits a leg's last token: it is the route's)."""
    out = bytearray()
    for index, (amount, hops) in enumerate(legs):
        out += _uint(amount, 16, "leg amountIn") + _uint(len(hops), 1, "hop count")
        for position, (venue, hop_token_out, data) in enumerate(hops):
            out += _address(venue)
            if position + 1 < len(hops):
                out += _address(hop_token_out)
            elif token_out is not None and _address(hop_token_out) != _address(token_out):
                raise RouteError(
                    f"leg {index} ends in {hop_token_out}, not the route's {token_out}"
                )
            data = bytes.fromhex(data[2:]) if isinstance(data, str) else bytes(data)
            out += _uint(len(data), 2, "hop data length") + data
    return bytes(out)


def with_min_out(route: bytes, min_out: int) -> bytes:
    """The same route with another minimum output."""
    route = bytes(route)
    return route[:MIN_OUT_AT] + _uint(min_out, 16, "minAmountOut") + route[MIN_OUT_AT + 16 :]


def decode_route(route: bytes) -> DecodedRoute:
    """The struct form of a packed route (for display and checks); raises RouteError if
    malformed."""
    data = bytes(route)
    if len(data) < HEADER_BYTES:
        raise RouteError(f"a route has at least {HEADER_BYTES} bytes, this one {len(data)}")

    def take(at: int, size: int) -> bytes:
        if at + size > len(data):
            raise RouteError(f"route ends at byte {len(data)}, reading {size} bytes at {at}")
        return data[at : at + size]

    token_out = to_checksum_address(data[20:40])
    legs, at = [], HEADER_BYTES
    for _ in range(data[83]):
        amount, hop_count = int.from_bytes(take(at, 16), "big"), take(at + 16, 1)[0]
        at += 17
        hops = []
        for position in range(hop_count):
            venue = to_checksum_address(take(at, 20))
            at += 20
            hop_token_out = token_out
            if position + 1 < hop_count:
                hop_token_out = to_checksum_address(take(at, 20))
                at += 20
            length = int.from_bytes(take(at, 2), "big")
            hops.append((venue, hop_token_out, take(at + 2, length)))
            at += 2 + length
        legs.append((amount, hops))
    if at != len(data):
        raise RouteError(f"{len(data) - at} bytes left over after the last leg")
    return DecodedRoute(
        to_checksum_address(data[0:20]),
        token_out,
        to_checksum_address(data[40:60]),
        int.from_bytes(data[60:76], "big"),
        int.from_bytes(data[76:81], "big"),
        int.from_bytes(data[81:83], "big"),
        legs,
    )
