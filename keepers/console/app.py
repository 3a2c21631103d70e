"""The console's ASGI application (Starlette): server-rendered pages (Jinja2) made live by
server-sent events, the JSON API behind them, the audit export, and prepared actions.

Routes:
    GET  /                      -> the first page
    GET  /<page>                -> the page (`?fragment=1`: only its live part, what a page
                                   fetches again on each new block)
    GET  /api/<page>            -> the page's data as JSON
    GET  /events                -> server-sent events: `hello`, then `block` / `error` messages
    GET  /governance/audit.csv  -> the audit log, filtered (contract, event, q), as CSV
    POST /actions/<name>        -> a Safe Transaction Builder batch (JSON), or 400 {"error": ...}
    POST /graphql               -> the GraphQL API over the pages' data (GET: GraphiQL), bounded
                                   (keepers/console/graphql/; schema in docs/console.graphql)
    GET  /health                -> head block and feed state
Nothing here signs or holds a key.

Every request passes the guard first (guard.py: this console's Host only, nothing from another
site, and a POST only as JSON from this console's own page with its session token); a refusal is
one line of JSON. The event stream holds at most live.MAX_STREAMS clients at once.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import itertools
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from keepers.console import describe
from keepers.console.actions import (
    SAFE_FIELD,
    Action,
    parse_field,
    parse_form,
    prepare,
    safe_batch,
)
from keepers.console.graphql import ConsoleContext, graphql_app
from keepers.console.guard import MAX_GRAPHQL_BODY_BYTES, SCOPE_TOKEN, ConsoleGuard
from keepers.console.index import MAX_EVENTS, ChainEvent, EventIndex
from keepers.console.live import MAX_STREAMS, LiveFeed
from keepers.console.observe import RequestMetrics, set_refusals
from keepers.console.pages import Page, all_pages
from keepers.console.pages.compliance import refusals as compliance_refusals
from keepers.console.pages.governance import audit_row, audit_walk
from keepers.console.render import FILTERS, GuardExtension, fmt_time
from keepers.console.source import ChainSource, ConsoleError, redact_urls
from keepers.console.walks import MAX_RUNNING_WALKS, WalkCache, WalksBusy
from keepers.core.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from keepers.core.metrics import METRIC_ERRORS, exposition
from keepers.core.reads import NODE_ERRORS
from keepers.core.spreadsheet import safe_row

HERE = Path(__file__).parent
# `args`: the event's raw arguments (exact); `shown`: the same as a person reads them (describe.py).
AUDIT_COLUMNS = (
    "block",
    "log_index",
    "time_utc",
    "tx",
    "contract",
    "address",
    "event",
    "args",
    "shown",
)
AUDIT_API_ROWS = 1_000  # newest first; the CSV export has every matching row
CSV_CHUNK_ROWS = 1_000  # the export is written this many rows at a time
# Who may make each action (a role's holders change by governance, rarely): read again every this
# many blocks.
WHO_MAY_ACT_BLOCKS = 50
# Audit CSV exports at once (each describes every row it writes): as many as the walks they read.
MAX_RUNNING_EXPORTS = MAX_RUNNING_WALKS


def _csv_chunks(
    rows: list[ChainEvent], describer: describe.Describer, held: threading.Semaphore | None = None
) -> Iterator[str]:
    """The audit CSV, CSV_CHUNK_ROWS rows at a time (never the whole export in memory); `held`,
    the export slot this export took, is given back when it ends, however it ends."""
    try:
        yield from _csv_rows(rows, describer)
    finally:
        if held is not None:
            held.release()


def _csv_rows(rows: list[ChainEvent], describer: describe.Describer) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    yield out.getvalue()  # the header alone first: the export is started once it is taken
    out.seek(0)
    out.truncate()
    for k, e in enumerate(rows, 1):
        writer.writerow(
            safe_row(
                [
                    e.block_number,
                    e.log_index,
                    fmt_time(e.block_time),
                    e.tx_hash,
                    e.contract,
                    e.address,
                    e.event,
                    json.dumps(e.args, sort_keys=True),
                    describer.event_safely(e.address, e.event, e.args),
                ]
            )
        )
        if k % CSV_CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


# plotly.js's cartesian bundle (bar, heatmap, scatter, box, pie...: every chart the pages draw),
# 1.5 MB of script against the full bundle's 4.8 MB, pinned in package.json and installed by
# `make install` with the rest of node_modules: served by the console itself, no CDN.
PLOTLY_JS = Path("node_modules") / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"
_JS, _CSS = "application/javascript", "text/css"
# Every script and style sheet a page loads, served by the console itself from node_modules (pinned
# in package.json, installed by `make install`): the console works offline, no CDN. GraphiQL 3's
# browser bundle with React 18's (React 19 ships no browser bundle). `/vendor/<name>`, these only.
VENDOR: dict[str, tuple[Path, str]] = {
    "plotly.min.js": (PLOTLY_JS, _JS),
    "react.min.js": (Path("node_modules/react/umd/react.production.min.js"), _JS),
    "react-dom.min.js": (Path("node_modules/react-dom/umd/react-dom.production.min.js"), _JS),
    "graphiql.min.js": (Path("node_modules/graphiql/graphiql.min.js"), _JS),
    "graphiql.min.css": (Path("node_modules/graphiql/graphiql.min.css"), _CSS),
}


def _vendor_file(name: str) -> Path:
    path, _ = VENDOR[name]
    if not path.is_file():
        raise ConsoleError(f"no {path}: run `make install` in the project folder")
    return path


class PageCache:
    """Each page's data computed once per indexed head, whoever asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, dict[str, Any]]] = {}

    def get(self, page: Page, source: ChainSource, index: EventIndex) -> dict[str, Any]:
        head = index.head
        with self._lock:
            cached = self._data.get(page.slug)
        if cached is not None and cached[0] == head:
            return cached[1]
        data = {"head": head, **page.read(source, index)}
        with self._lock:
            self._data[page.slug] = (head, data)
        return data

    def forget(self, slug: str) -> None:
        """Drops a page's data (it changed off chain: the keeper store), read again when asked."""
        with self._lock:
            self._data.pop(slug, None)


_fmt_time = fmt_time  # the pages' time format (tests compare against it)


def templates() -> Environment:
    """The pages' templates: autoescaped, total filters, the `guard` tag (render.py)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=[GuardExtension],
    )
    env.filters.update(FILTERS)
    return env


def create_app(
    source: ChainSource,
    safe: str | None = None,
    pages: tuple[Page, ...] | None = None,
    poll_seconds: float | None = None,
    operator: Mapping[str, str] | None = None,
    host: str | None = None,
    secret: bytes | None = None,
    max_events: int = MAX_EVENTS,
) -> Starlette:
    """`safe`: the multisig the prepared batches are for (the AccessManager routes its calls);
    without it, the operator names one in each form. `operator`: the Ape account aliases
    (`signer`, `relayer`) the operator opted in to sign with (`quantera console --signer
    --relayer`); without them the console sends nothing. `host`: the address the console listens
    on, answered besides the loopback names (guard.py). `secret`: the session tokens' HMAC key
    (random unless given). `max_events`: the event index's history bound (keepers.console.index)."""
    pages = pages or all_pages()
    by_slug = {p.slug: p for p in pages}
    actions: dict[str, tuple[Page, Action]] = {a.name: (p, a) for p in pages for a in p.actions}
    index = EventIndex(source, max_events)
    feed = LiveFeed(index) if poll_seconds is None else LiveFeed(index, poll_seconds)
    cache = PageCache()
    walks = WalkCache()  # the audit log's walks, shared by the REST routes and GraphQL
    exports = threading.BoundedSemaphore(MAX_RUNNING_EXPORTS)  # audit CSV exports at once
    env = templates()

    @asynccontextmanager
    async def lifespan(app: Starlette):
        loop.append(asyncio.get_running_loop())
        await asyncio.to_thread(index.sync)
        feed.head = index.head
        feed.start()
        yield
        await feed.stop()

    def names() -> Mapping[str, str]:
        try:
            return describe.for_source(source).names
        except Exception as err:  # noqa: BLE001 - no names this time: addresses are shown bare
            logging.getLogger("quantera.console").warning(
                "the deployment's names could not be read: %s", redact_urls(str(err))[:200]
            )
            return {}

    def context(page: Page, data: Mapping[str, Any], request: Request) -> dict[str, Any]:
        return {
            "page": page,
            "pages": pages,
            "data": data,
            "network": redact_urls(source.network),
            "chain_id": source.chain_id,
            "head": index.head,
            "index_from": index.first_block,
            "index_dropped": index.dropped,
            "feed_error": feed.error,  # redacted by the feed
            "safe": safe or "",
            "operator": app_context.operator,
            "request": request,
            "token": request.scope.get(SCOPE_TOKEN, ""),
            "names": names(),  # the `named` filter's: contracts and the record's address book
        }

    async def page_data(page: Page) -> dict[str, Any]:
        return await run_in_threadpool(cache.get, page, source, index)

    def acting(page: Page) -> dict[str, list[str]]:
        """Who may make each of the page's actions (keepers.console.actions.who_may_act), read
        again every WHO_MAY_ACT_BLOCKS blocks; an action whose read fails shows no line."""
        from keepers.console.actions import who_may_act
        from keepers.console.keeper_store import kept

        known: dict[str, tuple[int, dict[str, list[str]]]] = kept(source, "who-may-act", dict)
        lock = kept(source, "who-may-act-lock", threading.Lock)
        head = int(index.head or 0)
        entry = known.get(page.slug)
        if entry is not None and 0 <= head - entry[0] < WHO_MAY_ACT_BLOCKS:
            return entry[1]
        # One read at a time: a request arriving while it runs is served what was read before
        # (or nothing yet), never a second read (the pages' thread pool must not fill with them).
        if not lock.acquire(blocking=False):
            return entry[1] if entry is not None else {}
        try:
            lines = {}
            for action in page.actions:
                try:
                    lines[action.name] = who_may_act(source, action)
                except Exception:  # noqa: BLE001 - the form works without the line
                    lines[action.name] = []
            known[page.slug] = (head, lines)
            return lines
        finally:
            lock.release()

    async def home(request: Request) -> Response:
        return RedirectResponse(f"/{pages[0].slug}")

    async def show(request: Request) -> Response:
        page = by_slug.get(request.path_params["slug"])
        if page is None:  # the path is the visitor's: escaped, never markup
            return HTMLResponse(
                f"no page {html.escape(repr(request.path_params['slug']))}", status_code=404
            )
        try:
            data = await page_data(page)
        except ConsoleError as err:
            data = {"error": redact_urls(str(err))}
        except Exception as err:  # noqa: BLE001 - the chain may be away: say so on the page
            line = str(err).splitlines()[0] if str(err) else type(err).__name__
            data = {"error": f"cannot read the chain: {redact_urls(line)}"}
        fragment = bool(request.query_params.get("fragment"))
        ctx = context(page, data, request)
        if not fragment and page.actions:  # the actions are not in the live block
            ctx["acting"] = await run_in_threadpool(acting, page)
        try:
            return HTMLResponse(render(page, ctx, fragment))
        except Exception as err:  # noqa: BLE001 - past every guarded row: still a page, not a 500
            line = str(err).splitlines()[0] if str(err) else type(err).__name__
            error = f"this page could not be rendered: {type(err).__name__}: {redact_urls(line)}"
            return HTMLResponse(render(page, context(page, {"error": error}, request), fragment))

    def render(page: Page, ctx: dict[str, Any], fragment: bool) -> str:
        template = env.get_template(page.template)
        if fragment:
            return "".join(template.blocks["live"](template.new_context(ctx)))
        return template.render(**ctx)

    async def api(request: Request) -> Response:
        page = by_slug.get(request.path_params["slug"])
        if page is None:
            return JSONResponse({"error": "no such page"}, status_code=404)
        try:
            return JSONResponse(await page_data(page))
        except Exception as err:  # noqa: BLE001
            line = str(err).splitlines()[0] if str(err) else type(err).__name__
            return JSONResponse({"error": redact_urls(line)}, status_code=503)

    async def events(request: Request) -> Response:
        if feed.streams >= MAX_STREAMS:
            return JSONResponse(
                {"error": f"refused: {MAX_STREAMS} event streams are open, the most at once"},
                status_code=503,
            )

        async def stream():
            async for message in feed.messages():
                yield {"event": message["type"], "data": json.dumps(message)}

        return EventSourceResponse(stream(), ping=15)

    async def audit_rows(request: Request) -> list[ChainEvent]:
        """The audit log's rows for the request's filters, newest first: walked in a worker
        thread through the walk cache GraphQL shares (walks.py), WalksBusy past its bound."""
        q = request.query_params
        return await run_in_threadpool(
            audit_walk, walks, index, index.head, q.get("contract"), q.get("event"), q.get("q")
        )

    async def audit_csv(request: Request) -> Response:
        # Each row is described (names, decoded calls): MAX_RUNNING_EXPORTS at once, the rest
        # refused. Everything that may fail before the export's iterator exists comes first.
        describer = describe.for_source(source)
        if not exports.acquire(blocking=False):
            return JSONResponse(
                {"error": "refused: an audit export is running; ask again when it ends"},
                status_code=429,
            )
        try:
            rows = await audit_rows(request)
        except WalksBusy as err:
            exports.release()
            return JSONResponse({"error": str(err)}, status_code=429)
        except BaseException:
            exports.release()
            raise
        chunks = _csv_chunks(rows[::-1], describer, exports)
        # Started here (its header row): from now on however the export ends (written, client
        # gone, the iterator collected), its `finally` gives the slot back.
        header = next(chunks)
        return StreamingResponse(
            # a sync iterator: Starlette writes it from a worker thread
            itertools.chain([header], chunks),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="quantera-audit.csv"'},
        )

    async def audit_api(request: Request) -> Response:
        try:
            rows = await audit_rows(request)
        except WalksBusy as err:
            return JSONResponse({"error": str(err)}, status_code=429)
        describer = describe.for_source(source)
        shown = await run_in_threadpool(
            lambda: [audit_row(e, describer) for e in rows[:AUDIT_API_ROWS]]
        )
        return JSONResponse({"total": len(rows), "rows": shown})

    async def act(request: Request) -> Response:
        found = actions.get(request.path_params["name"])
        if found is None:
            return JSONResponse({"error": "no such action"}, status_code=404)
        _, action = found
        try:
            form = await request.json()
        except ValueError:
            return JSONResponse(
                {"error": "the form must be sent as a JSON object"}, status_code=400
            )
        if not isinstance(form, dict):
            return JSONResponse(
                {"error": "the form must be sent as a JSON object"}, status_code=400
            )
        try:
            values = parse_form(action, form)
            signer = parse_field(SAFE_FIELD, safe or form.get("safe"))

            def build() -> dict[str, Any]:
                calls = action.build(source, values)
                prepared = prepare(source, signer, calls)
                batch = safe_batch(
                    source.chain_id,
                    signer,
                    prepared,
                    action.title,
                    "; ".join(p.summary for p in prepared),
                )
                return {
                    "batch": batch,
                    "routes": [
                        {"summary": p.summary, "route": p.route, "notes": p.notes} for p in prepared
                    ],
                }

            return JSONResponse(await run_in_threadpool(build))
        except ConsoleError as err:
            return JSONResponse({"error": str(err)}, status_code=400)

    vendor_bytes: dict[str, bytes] = {}  # read once each, on first use

    async def vendor(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in VENDOR:
            return JSONResponse({"error": "no such file"}, status_code=404)
        if name not in vendor_bytes:
            vendor_bytes[name] = await asyncio.to_thread(_vendor_file(name).read_bytes)
        return Response(
            vendor_bytes[name],
            media_type=VENDOR[name][1],
            headers={"Cache-Control": "max-age=86400"},
        )

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "head": index.head,
                "feed_error": feed.error,
                "index_complete_from_block": index.first_block,
                "index_dropped": index.dropped,
                # Where the index lives: "memory" (this process's, rebuilt at each start) or the
                # keeper store's database kind ("sqlite", "postgresql"), shared by its consoles.
                "index_store": index.store_kind,
            }
        )

    async def metrics_route(request: Request) -> Response:
        """Prometheus' scrape: the refusals read up to the index's head (bounded, as the compliance
        page reads them), then every metric of the process."""

        def refresh() -> None:
            try:
                set_refusals(compliance_refusals(source, index)["by_code"])
            except (ConsoleError, *NODE_ERRORS):
                pass  # no watched token, or the node did not answer: the last counts stay
            except Exception as err:  # noqa: BLE001 - the metrics are served whatever this read met
                METRIC_ERRORS.labels("console").inc()
                logging.getLogger("quantera").warning(
                    redact_urls(f"console metrics: refusals not read: {err!r}")
                )

        await run_in_threadpool(refresh)
        return Response(exposition(), media_type=METRICS_CONTENT_TYPE)

    graphql_context = ConsoleContext(source, index, cache, by_slug, walks)
    graphql = graphql_app(lambda: graphql_context)

    loop: list[asyncio.AbstractEventLoop] = []

    def changed(slug: str) -> None:
        """A page's off-chain data changed: read it again, refresh the open pages (thread-safe)."""
        cache.forget(slug)
        notify({"type": "block", "head": index.head, "events": []})

    def notify(message: dict[str, Any]) -> None:
        """Pushes a message to every open page, from any thread."""
        if loop:
            loop[0].call_soon_threadsafe(feed.publish, message)

    app_context = SimpleNamespace(
        source=source,
        index=index,
        feed=feed,
        operator=dict(operator or {}),
        changed=changed,
        notify=notify,
    )
    page_routes = [r for p in pages if p.routes is not None for r in p.routes(app_context)]

    routes = [
        Route("/", home),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/health", health),
        Route("/metrics", metrics_route),
        Route("/events", events),
        Route("/governance/audit.csv", audit_csv),
        Route("/api/governance/audit", audit_api),
        Route("/api/{slug}", api),
        Route("/actions/{name}", act, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/vendor/{name}", vendor),
        *page_routes,
        Route("/{slug}", show),
    ]
    # GraphQL has queries only (no mutation type): its POSTs change nothing, so an integrator's
    # client needs no session token for them (every other check of the guard applies).
    read_only = ["/graphql"] if graphql.schema._schema.mutation_type is None else []
    guard = Middleware(
        ConsoleGuard,
        hosts=[host] if host else [],
        read_only_posts=read_only,
        body_bytes={"/graphql": MAX_GRAPHQL_BODY_BYTES},
        secret=secret,
    )
    # Route labels: the first segment of every route the app serves, and every page's slug.
    known = {r.path.strip("/").split("/")[0] for r in routes} - {"", "{slug}"} | set(by_slug)
    observe = Middleware(RequestMetrics, known=known)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[observe, guard])
    app.state.index = index
    app.state.feed = feed
    app.state.source = source
    return app
