"""Every list the API serves is a page of a connection: at most MAX_PAGE_SIZE nodes per request
(`first`), continued with `after: pageInfo.endCursor`. Asking for more is an error, not a silent
cut, so a client knows it must page.

A cursor is the position of a node in the list's fixed order (its sort key, base64url JSON), not an
offset: a client paging the audit log while new events arrive neither skips nor repeats a row.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

import strawberry

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")
First = Annotated[
    int,
    strawberry.argument(
        description=f"Page size: at most MAX_PAGE_SIZE ({MAX_PAGE_SIZE}), "
        f"default {DEFAULT_PAGE_SIZE}."
    ),
]
After = Annotated[
    str | None, strawberry.argument(description="The previous page's `pageInfo.endCursor`.")
]
Key = tuple[int | str, ...]


class QueryInputError(ValueError):
    """A query argument out of bounds or malformed (one line, returned as a GraphQL error)."""


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page (null on an empty page)."
    )
    has_next_page: bool


@strawberry.type(description="One page of a list, in the list's documented order.")
class Connection(Generic[T]):
    total_count: int = strawberry.field(description="Nodes in the whole list (after filters).")
    page_info: PageInfo
    nodes: list[T]


def check_first(first: int) -> None:
    """The page size bound, checked before any work is done for the list."""
    if first < 0:
        raise QueryInputError(f"first: {first} is negative")
    if first > MAX_PAGE_SIZE:
        raise QueryInputError(
            f"first: {first} is above MAX_PAGE_SIZE ({MAX_PAGE_SIZE}); page with "
            "`after: pageInfo.endCursor`"
        )


def encode_cursor(key: Key) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str, like: Key) -> Key:
    """The sort key in `cursor`, shaped like `like` (the key of any node of the list)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        key = None
    if (
        not isinstance(key, list)
        or len(key) != len(like)
        or any(type(k) is not type(ref) for k, ref in zip(key, like, strict=True))
    ):
        raise QueryInputError(f"after: {cursor!r} is not a cursor of this list")
    return tuple(key)


def paginate(
    nodes: Sequence[T], first: int, after: str | None, key: Callable[[T], Key]
) -> Connection[T]:
    """The page of `nodes` after the cursor `after`. `nodes` are sorted by `key`, ascending (the
    list's documented order; a newest-first list negates its numbers)."""
    check_first(first)
    keys = [key(n) for n in nodes]
    start = 0
    if after is not None and keys:  # after anything, an empty list stays empty
        start = bisect.bisect_right(keys, decode_cursor(after, keys[0]))
    page = list(nodes[start : start + first])
    end = start + len(page)
    return Connection(
        total_count=len(nodes),
        page_info=PageInfo(
            end_cursor=encode_cursor(keys[end - 1]) if page else None,
            has_next_page=end < len(nodes),
        ),
        nodes=page,
    )


def paginate_listed(nodes: Sequence[T], first: int, after: str | None) -> Connection[T]:
    """A list in the reader's own stable order (positions in a vault, scenarios in their file):
    the cursor is the position."""
    page = paginate(list(enumerate(nodes)), first, after, lambda pair: (pair[0],))
    return Connection(
        total_count=page.total_count,
        page_info=page.page_info,
        nodes=[node for _, node in page.nodes],
    )
