"""The API's integer scalars. GraphQL's Int is 32-bit: block times pass 2^31 in 2038 and token
amounts are uint256, so integers the chain holds are one of these two (SCALARS: the schema's
scalar_map)."""

from __future__ import annotations

from typing import NewType

import strawberry

MAX_SAFE_INTEGER = 2**53 - 1  # the largest integer a JSON client (JavaScript) holds exactly


def _long(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Long: {value!r} is not an integer")
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"Long: {value} is beyond 2^53 - 1")
    return value


def _big_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"BigInt: {value!r} is not a decimal string")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"BigInt: {value!r} is not a decimal string") from None


Long = NewType("Long", int)
BigInt = NewType("BigInt", int)

SCALARS = {
    Long: strawberry.scalar(
        name="Long",
        description="An integer up to 2^53 - 1, as a JSON number: block numbers, times (Unix "
        "seconds), durations.",
        serialize=_long,
        parse_value=_long,
    ),
    BigInt: strawberry.scalar(
        name="BigInt",
        description="An integer of any size (uint256), as a decimal string: token amounts in "
        "base units, role ids.",
        serialize=lambda value: str(_big_int(value)),
        parse_value=_big_int,
    ),
}
