"""What every resolver reaches through `info.context`: the console's chain source, its event
index and the pages' data, read once per indexed head by the same cache the HTML pages use; a
cache of in-memory walks (the audit log's filters: walks.py) shared with the REST audit routes;
and what this request has spent of its per-query budgets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from keepers.console.graphql.paging import QueryInputError
from keepers.console.index import EventIndex
from keepers.console.pages import Page
from keepers.console.source import ChainSource
from keepers.console.walks import WalkCache

__all__ = ["ConsoleContext", "PageData", "WalkCache"]


class PageData(Protocol):
    def get(self, page: Page, source: ChainSource, index: EventIndex) -> dict[str, Any]: ...


@dataclass
class ConsoleContext:
    source: ChainSource
    index: EventIndex
    cache: PageData
    pages: Mapping[str, Page]
    walks: WalkCache = field(default_factory=WalkCache)
    request: Any = None
    response: Any = None
    spent: Counter[str] = field(default_factory=Counter)  # per request (see graphql_app)

    async def page_data(self, slug: str) -> dict[str, Any]:
        """The page's reader output (with `head`, the block it is as of), off the event loop."""
        page = self.pages.get(slug)
        if page is None:
            raise QueryInputError(f"this console serves no {slug} page")
        return await run_in_threadpool(self.cache.get, page, self.source, self.index)

    def spend(self, what: str, bound: str, limit: int) -> None:
        """Counts one `what` against this query's `limit` (named `bound` in the refusal)."""
        self.spent[what] += 1
        if self.spent[what] > limit:
            raise QueryInputError(f"{what}: at most {bound} ({limit}) per query")
