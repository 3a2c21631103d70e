"""The asset manager page's own routes: the book's forms (define a model, assign it to clients:
off-chain entries in the keeper store, validated, one-line refusals), the bulk rebalance started
from the page (only with the operator's opt-in `--signer`/`--relayer`; one run at a time, in a
thread, progress pushed to open pages as `progress` messages), and each client's PDF report.

Routes:
    POST /manager/models            {"name", "weights": "USDC=2500,QTF=7500"}
    POST /manager/assign            {"model", "clients": "client-000,client-001"}
    POST /manager/rebalance         {"model"}  -> 202, or 409 while a run is going, 403 without
                                    the opt-in
    GET  /manager/report/<vault>.pdf  -> 429 while MAX_RENDERS reports are being rendered
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from keepers.console.keeper_store import store_of
from keepers.console.pages.manager import (
    client_vaults,
    parse_clients,
    parse_weights,
)
from keepers.console.source import ChainSource, ConsoleError, redact_urls
from keepers.core.artifacts import project_at
from keepers.core.errors import QuanteraError

# Client reports rendered at once: each is 1-2 s of CPU in the thread pool the pages read with,
# so without a bound a client asking for many at once would hold every page's reads behind them.
MAX_RENDERS = 2


def rebalance_command(model: str) -> str:
    """What the operator runs when the console may not sign."""
    return f"quantera manager rebalance --model {model} --signer ALIAS --relayer ALIAS"


class BulkRunner:
    """One bulk rebalance at a time, in a thread; its progress pushed through `notify`."""

    def __init__(self, source: ChainSource, operator: dict[str, str], notify, changed):
        self.source = source
        self.operator = operator
        self.notify = notify
        self.changed = changed
        self._lock = threading.Lock()
        self.running: str | None = None

    def start(self, model: str) -> None:
        if not self.operator:
            raise PermissionError(
                "this console does not sign (no --signer/--relayer): run "
                f"`{rebalance_command(model)}`"
            )
        with self._lock:
            if self.running is not None:
                raise RuntimeError(f"a bulk rebalance of {self.running} is running: wait for it")
            self.running = model
        threading.Thread(target=self._run, args=(model,), daemon=True, name="bulk").start()

    def _run(self, model: str) -> None:
        started = time.perf_counter()
        try:
            report = self._bulk(model).run(model, on_progress=self._progress(model))
            counts = report.counts()
            self.notify(
                {
                    "type": "progress",
                    "model": model,
                    "finished": True,
                    "done": len(report.outcomes),
                    "total": len(report.outcomes),
                    "counts": counts,
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        except Exception as err:  # noqa: BLE001 - shown on the page, one line
            text = str(err).splitlines()[0] if str(err) else ""
            if not isinstance(err, QuanteraError):  # a revert's bare data says little alone
                text = f"{type(err).__name__}: {text}".rstrip(": ")
            self.notify({"type": "progress", "model": model, "finished": True, "error": text})
        finally:
            with self._lock:
                self.running = None
            self.changed("manager")

    def _progress(self, model: str):
        def progress(done: int, total: int, outcome) -> None:
            self.notify(
                {
                    "type": "progress",
                    "model": model,
                    "finished": False,
                    "done": done,
                    "total": total,
                    "portfolio": outcome.portfolio,
                    "status": outcome.status,
                    "reason": outcome.reason,
                }
            )

        return progress

    def _bulk(self, model: str):
        from ape import chain, project

        from keepers.core.chain import load_account
        from keepers.rebalancing import DOMAIN, BulkRebalance, account_signer

        record = self.source.record
        signer = load_account(self.operator["signer"])
        relayer = load_account(self.operator["relayer"])
        rebalancer = project.AutoRebalancer.at(record.address_of("AutoRebalancer"))
        return BulkRebalance(
            chain,
            rebalancer,
            project.RebalancerLens.at(record.address_of("RebalancerLens")),
            project.LiquidityAggregator.at(record.address_of("LiquidityAggregator")),
            project_at("OracleRouter", record.address_of("OracleRouter")),
            _store(self.source),
            partial(project_at, "PortfolioVault"),
            account_signer(signer, DOMAIN, chain.chain_id, rebalancer.address),
            signer.address,
            relayer,
        )


def _store(source: ChainSource):
    db = store_of(source)
    if db is None:
        raise ConsoleError("the console has no keeper store (--db-url)")
    return db


async def _form(request: Request) -> dict[str, Any]:
    try:
        form = await request.json()
    except ValueError:
        form = None
    if not isinstance(form, dict):
        raise ConsoleError("the form must be sent as a JSON object")
    return {k: str(v).strip() for k, v in form.items()}


def write_model(source: ChainSource, form: dict[str, str]) -> dict[str, Any]:
    """Defines (or redefines) the form's model in the book."""
    from keepers.rebalancing import define_model

    weights = parse_weights(source, form.get("weights", ""))
    model = define_model(
        _store(source), source.chain_id, form.get("name", ""), weights, source.block_time()
    )
    message = f"model {model.name} v{model.version} defined"
    return {"name": model.name, "version": model.version, "message": message}


def write_assignment(source: ChainSource, form: dict[str, str]) -> dict[str, Any]:
    """Makes the form's clients follow its model."""
    from keepers.rebalancing import assign_model

    chosen, model = parse_clients(source, form.get("clients", "")), form.get("model", "")
    changed = assign_model(_store(source), source.chain_id, model, chosen, source.block_time())
    message = f"{len(chosen)} client(s) follow {model}"
    return {"model": model, "assigned": len(chosen), "changed": changed, "message": message}


def client_report_pdf(source: ChainSource, vault: str) -> bytes:
    """The client report of `vault` (the whole vault) as PDF bytes, read at the head."""
    import io

    from keepers.reports import client_report_at_head, render_client

    data = client_report_at_head(source.network, source.record, vault, None)
    out = io.BytesIO()
    render_client(data, out)
    return out.getvalue()


def routes(ctx) -> list[Route]:
    source: ChainSource = ctx.source
    runner = BulkRunner(source, ctx.operator, ctx.notify, ctx.changed)

    renders = asyncio.Semaphore(MAX_RENDERS)

    def refused(err: Exception, status: int = 400) -> JSONResponse:
        line = str(err).splitlines()[0] if str(err) else type(err).__name__
        return JSONResponse({"error": redact_urls(line)}, status_code=status)

    def book_route(write: Callable[[ChainSource, dict[str, str]], dict[str, Any]]):
        """A form writing the book: `write(source, form)` in a thread, then the pages refresh."""

        async def route(request: Request) -> Response:
            try:
                form = await _form(request)
                result = await run_in_threadpool(write, source, form)
            except QuanteraError as err:
                return refused(err)
            ctx.changed("manager")
            return JSONResponse(result)

        return route

    async def rebalance(request: Request) -> Response:
        from keepers.rebalancing import clients_of, get_model

        try:
            form = await _form(request)
            model = form.get("model", "")

            def check() -> None:
                db = _store(source)
                get_model(db, source.chain_id, model)
                if not clients_of(db, source.chain_id, model):
                    raise ConsoleError(f"no client portfolio follows model {model!r}")

            await run_in_threadpool(check)
            runner.start(model)
        except QuanteraError as err:
            return refused(err)
        except PermissionError as err:
            return refused(err, 403)
        except RuntimeError as err:
            return refused(err, 409)
        return JSONResponse(
            {"model": model, "message": f"bulk rebalance of {model} started"}, status_code=202
        )

    async def report(request: Request) -> Response:
        vault = request.path_params["vault"]
        known = {a.lower(): a for a in client_vaults(source).values()}
        if vault.lower() not in known:
            return refused(ConsoleError(f"{vault} is not a portfolio of the deployment"), 404)
        if renders.locked():
            busy = f"{MAX_RENDERS} reports are being rendered, the most at once: ask again soon"
            return refused(ConsoleError(busy), 429)
        try:
            async with renders:
                pdf = await run_in_threadpool(client_report_pdf, source, known[vault.lower()])
        except QuanteraError as err:
            return refused(err, 422)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="client-{vault}.pdf"'},
        )

    return [
        Route("/manager/models", book_route(write_model), methods=["POST"]),
        Route("/manager/assign", book_route(write_assignment), methods=["POST"]),
        Route("/manager/rebalance", rebalance, methods=["POST"]),
        Route("/manager/report/{vault}.pdf", report),
    ]
