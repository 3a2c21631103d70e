"""The console's pages: each a `Page` with a reader (chain and index -> a JSON-able dict, the same
data the page, `/api/<slug>` and GraphQL serve), a template, and its actions.

A page module defines `PAGE`; PAGES lists them in menu order. Adding a page: a module here, a
template `templates/<slug>.html`, a line below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keepers.console.actions import Action
from keepers.console.index import EventIndex
from keepers.console.source import ChainSource

Reader = Callable[[ChainSource, EventIndex], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    read: Reader
    actions: tuple[Action, ...] = ()
    # Whether the page draws charts: only then does it load Plotly (4.6 MB of script to parse).
    charts: bool = False
    # Extra routes of the page's own (forms that write the keeper store, downloads...):
    # `routes(app_context) -> [starlette Route]`, mounted before the `/<slug>` route.
    routes: Callable[[Any], list] | None = None

    @property
    def template(self) -> str:
        return f"{self.slug}.html"


def all_pages() -> tuple[Page, ...]:
    from keepers.console.pages import compliance, funds, governance, liquidity, manager, prime, risk

    return (
        risk.PAGE,
        liquidity.PAGE,
        compliance.PAGE,
        funds.PAGE,
        manager.PAGE,
        prime.PAGE,
        governance.PAGE,
    )
