"""What every resolver reaches through `info.context`: the console's chain source, its event
index and the pages' data, read once per indexed head by the same cache the HTML pages use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from keepers.console.graphql.paging import QueryInputError
from keepers.console.index import EventIndex
from keepers.console.pages import Page
from keepers.console.source import ChainSource


class PageData(Protocol):
    def get(self, page: Page, source: ChainSource, index: EventIndex) -> dict[str, Any]: ...


@dataclass
class ConsoleContext:
    source: ChainSource
    index: EventIndex
    cache: PageData
    pages: Mapping[str, Page]
    request: Any = None
    response: Any = None

    async def page_data(self, slug: str) -> dict[str, Any]:
        """The page's reader output (with `head`, the block it is as of), off the event loop."""
        page = self.pages.get(slug)
        if page is None:
            raise QueryInputError(f"this console serves no {slug} page")
        return await run_in_threadpool(self.cache.get, page, self.source, self.index)
