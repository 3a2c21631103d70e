"""The console's Prometheus metrics (issue 33 §5): requests by route and status, and the transfer
refusals the compliance page reads from the chain, by code (keepers/core/metrics.py defines them).

Route labels are bounded: a request is counted under its first path segment when that names one
of the console's routes or pages, else under `other` (a client asking for random paths cannot grow
the label set)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keepers.core import metrics

METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"})


def method_label(method: str) -> str:
    """The request's method when HTTP names it, else `other` (any token is a valid method)."""
    upper = method.upper()
    return upper if upper in METHODS else "other"


def route_label(path: str, known: frozenset[str]) -> str:
    """`/risk/…` -> `/risk` when `risk` is a known route or page; `/` for the home page; else
    `other`."""
    segment = path.strip("/").split("/", 1)[0]
    if not segment:
        return "/"
    return f"/{segment}" if segment in known else "other"


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request (`quantera_console_requests`,
    `quantera_console_request_seconds`)."""

    def __init__(self, app: ASGIApp, known: Iterable[str] = ()) -> None:
        self.app = app
        self.known = frozenset(known)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        label = route_label(scope["path"], self.known)
        status = {"code": 500}
        started = time.monotonic()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics.REQUESTS.labels(label, method_label(scope["method"]), str(status["code"])).inc()
            metrics.REQUEST_SECONDS.labels(label).observe(time.monotonic() - started)


def set_refusals(by_code: Iterable[dict[str, Any]]) -> None:
    """The refusal gauge from the compliance page's grouping (`pages.compliance.refusals`): one
    series per ERC-1404 code, or per custom error for refusals without one. Series are set, never
    cleared first (a scrape at the same moment sees each series, old or new, not none); a code no
    longer read is removed after."""
    seen = set()
    for group in by_code:
        code = str(group["code"]) if group["code"] is not None else group["error"]
        label = code[: metrics.MAX_REASON]
        seen.add(label)
        metrics.REFUSALS.labels(label).set(group["count"])
    for (label,) in [key for key in metrics.REFUSALS._metrics if key[0] not in seen]:
        metrics.REFUSALS.remove(label)
