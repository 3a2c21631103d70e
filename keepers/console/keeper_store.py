"""The keeper store as the console reads it (`source.db_url`): one SQLAlchemy engine per URL, and
the per-deployment state a page keeps between reads (a scanner's position), one per source."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from keepers.console.source import ChainSource

T = TypeVar("T")
_engines: dict[str, Any] = {}
_state: dict[tuple[int, str], Any] = {}
# Re-entrant: `kept` makes an object under it that may open the store (an event index does).
_guard = threading.RLock()


def store_of(source: ChainSource) -> Any | None:
    """The keeper store's engine, or None when the console was started without one."""
    if not source.db_url:
        return None
    with _guard:
        if source.db_url not in _engines:
            from keepers.core.store import open_store

            _engines[source.db_url] = open_store(source.db_url)
        return _engines[source.db_url]


def kept(source: ChainSource, name: str, make: Callable[[], T]) -> T:
    """The object `name` a page keeps for `source` between reads (made on first use)."""
    key = (id(source), name)
    with _guard:
        if key not in _state:
            _state[key] = make()
        return _state[key]
