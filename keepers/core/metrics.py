"""Prometheus metrics of the keepers and the console (issue 33 §5), and structured logs.

Every metric is defined here, once, on the project's own registry (`REGISTRY`), and named
`quantera_*`. A keeper serves them when `$QUANTERA_METRICS_PORT` is set (`serve_from_env`, called
by `keeper_bot`): `http://$QUANTERA_METRICS_ADDR:$QUANTERA_METRICS_PORT/metrics`, loopback unless
the address says otherwise. The console serves the same registry at its own `/metrics`.

What each process fills:
- every keeper, each cycle (`observed`): cycles, failed cycles by exception, the block processed,
  blocks behind the head when the cycle ended, the cycle's wall-clock end and duration;
- every transaction sent through `keepers.core.retries.with_retries` (`sent`, `failed`): sent, and
  failed by reason (the custom error's name, or the revert's first words; transport failures as
  `transport: <error>`);
- the risk keeper: each feed's age, last move and router status (`observe_feeds`);
- the margin keeper: open margin calls, accounts below maintenance, liquidations by outcome;
- the NAV agent: pending requests per fund vault, in whole units;
- the screening keeper: the sanctions list's size and load time, matches by decision;
- the console: requests by route and status, and the transfer refusals it has read, by code.

Label values are bounded: keeper names, asset symbols, fund vault addresses, route templates,
ERC-1404 codes and error names (cut to `MAX_REASON` characters). Nothing here sends a transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

from keepers.core.redact import redact_urls

PORT_ENV = "QUANTERA_METRICS_PORT"
ADDR_ENV = "QUANTERA_METRICS_ADDR"
LOG_FORMAT_ENV = "QUANTERA_LOG_FORMAT"
HOSTS_ENV = "QUANTERA_METRICS_HOSTS"  # more Host names a scraper may use (comma-separated)
MAX_REASON = 60
SCRAPE_TIMEOUT = 5.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REGISTRY = CollectorRegistry(auto_describe=True)

# ------------------------------------------------------------------ every keeper
CYCLES = Counter(
    "quantera_keeper_cycles", "Keeper cycles completed.", ["keeper"], registry=REGISTRY
)
CYCLES_SKIPPED = Counter(
    "quantera_keeper_cycles_skipped",
    "Cycles skipped because another worker held the keeper's lock.",
    ["keeper"],
    registry=REGISTRY,
)
CYCLE_ERRORS = Counter(
    "quantera_keeper_cycle_errors",
    "Keeper cycles that raised, by exception type.",
    ["keeper", "error"],
    registry=REGISTRY,
)
CYCLE_SECONDS = Histogram(
    "quantera_keeper_cycle_seconds",
    "Wall-clock duration of a keeper cycle.",
    ["keeper"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
    registry=REGISTRY,
)
LAST_BLOCK = Gauge(
    "quantera_keeper_last_block",
    "The block the keeper's last cycle processed.",
    ["keeper"],
    registry=REGISTRY,
)
BLOCKS_BEHIND = Gauge(
    "quantera_keeper_blocks_behind",
    "The chain's head when the last cycle ended, less the block that cycle processed.",
    ["keeper"],
    registry=REGISTRY,
)
LAST_CYCLE = Gauge(
    "quantera_keeper_last_cycle_timestamp_seconds",
    "Unix time at which the keeper's last cycle ended (a stalled keeper stops moving it).",
    ["keeper"],
    registry=REGISTRY,
)
TX_SENT = Counter(
    "quantera_keeper_transactions_sent",
    "Transactions a keeper sent (broadcast, or sent and mined).",
    ["keeper"],
    registry=REGISTRY,
)
TX_FAILED = Counter(
    "quantera_keeper_transactions_failed",
    "Transactions a keeper could not send or that reverted, by reason (error name or transport).",
    ["keeper", "reason"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ risk: feeds
FEED_AGE = Gauge(
    "quantera_feed_age_seconds",
    "Block time less the feed's last update, per asset.",
    ["asset"],
    registry=REGISTRY,
)
FEED_MOVE = Gauge(
    "quantera_feed_last_move_bps",
    "The feed's last report against the one before it, in basis points (absolute).",
    ["asset"],
    registry=REGISTRY,
)
FEED_DEVIATION = Gauge(
    "quantera_feed_deviation_bps",
    "The primary feed's answer against the router's secondary feed, in basis points of the smaller "
    "(the router refuses the price past the feed's max deviation); only assets with a secondary.",
    ["asset"],
    registry=REGISTRY,
)
FEED_MAX_DEVIATION = Gauge(
    "quantera_feed_max_deviation_bps",
    "The oracle router's largest accepted primary/secondary gap for the asset, in basis points.",
    ["asset"],
    registry=REGISTRY,
)
FEED_STATUS = Gauge(
    "quantera_feed_status",
    "The oracle router's PriceStatus for the asset (0 Ok, 1 PrimaryOnly, 2 Fallback, 3+ no price).",
    ["asset"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ liquidity: arbitrage
POOL_GAP = Gauge(
    "quantera_pool_gap_bps",
    "A Uniswap pool's price against the oracle's after the arbitrage keeper's cycle, in basis "
    "points (signed; its fee band is inside).",
    ["keeper", "pool"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ prime
# Domain gauges carry the keeper's name: a process that does not fill one exports no series of it
# (an unlabelled gauge reads 0 in every process, and its alerts would fire on every other keeper).
MARGIN_CALLS_OPEN = Gauge(
    "quantera_prime_margin_calls_open",
    "Prime accounts with a margin call open.",
    ["keeper"],
    registry=REGISTRY,
)
BELOW_MAINTENANCE = Gauge(
    "quantera_prime_accounts_below_maintenance",
    "Prime accounts below maintenance margin.",
    ["keeper"],
    registry=REGISTRY,
)
LIQUIDATABLE = Gauge(
    "quantera_prime_accounts_liquidatable",
    "Prime accounts the broker would liquidate now.",
    ["keeper"],
    registry=REGISTRY,
)
LIQUIDATIONS = Counter(
    "quantera_prime_liquidations",
    "Liquidations by outcome: sent, refused (not sent: its estimate reverted), confirmed (mined "
    "and counted by the broker), reverted (mined and failed, or lost).",
    ["keeper", "outcome"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ access (governance)
UPGRADES_PENDING = Gauge(
    "quantera_governance_upgrades_pending",
    "Upgrades proposed to the UpgradeAuthority, neither run nor vetoed, whose window is open.",
    ["keeper"],
    registry=REGISTRY,
)
GUARD_OPERATIONS_PENDING = Gauge(
    "quantera_governance_guard_operations_pending",
    "Scheduled AccessManager operations that change who vetoes or runs upgrades (ADMIN, "
    "GUARDIAN or UPGRADER granted, revoked or re-administered; the UpgradeAuthority re-pointed "
    "or closed).",
    ["keeper"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ lifecycle
PENDING_DEPOSITS = Gauge(
    "quantera_fund_pending_deposit_assets",
    "Assets in pending deposit requests of the fund vault's open period, in whole units.",
    ["vault"],
    registry=REGISTRY,
)
PENDING_REDEMPTIONS = Gauge(
    "quantera_fund_pending_redeem_shares",
    "Shares in pending redeem requests of the fund vault's open period, in whole units.",
    ["vault"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ compliance
SANCTIONS_LOADED = Gauge(
    "quantera_sanctions_list_loaded_timestamp_seconds",
    "Unix time at which the screening keeper last read its sanctions list.",
    ["keeper"],
    registry=REGISTRY,
)
SANCTIONS_INTERVAL = Gauge(
    "quantera_sanctions_list_refresh_interval_seconds",
    "How often the screening keeper reads its sanctions list again.",
    ["keeper"],
    registry=REGISTRY,
)
SANCTIONS_ENTRIES = Gauge(
    "quantera_sanctions_list_entries",
    "Addresses on the sanctions list in hand.",
    ["keeper"],
    registry=REGISTRY,
)
SANCTIONS_DECISIONS = Counter(
    "quantera_sanctions_decisions",
    "Sanctions matches the screening keeper decided on.",
    ["keeper"],
    registry=REGISTRY,
)
METRIC_ERRORS = Counter(
    "quantera_keeper_metric_read_errors",
    "Chain reads for metrics that failed (the cycle went on; the gauges keep their last value).",
    ["keeper"],
    registry=REGISTRY,
)
REFUSALS = Gauge(
    "quantera_compliance_refusals",
    "Refused transfers the console has read from the chain (security tokens and vault shares), by "
    "ERC-1404 code, or by custom error name for a refusal that carries no code.",
    ["code"],
    registry=REGISTRY,
)

# ------------------------------------------------------------------ console
REQUESTS = Counter(
    "quantera_console_requests",
    "Console HTTP requests by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "quantera_console_request_seconds",
    "Console request duration by route template.",
    ["route"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
    registry=REGISTRY,
)

_state: dict[str, Any] = {"keeper": "cli", "served": None}


def keeper_name() -> str:
    """The name metrics label this process's keeper with (`cli` outside a keeper)."""
    return _state["keeper"]


def reason_of(error: BaseException) -> str:
    """A bounded label for a failed transaction: the revert's custom error name (ape names the
    exception class after it) or its message's first words up to a parenthesis or a colon, with
    numbers and hex cut to `#` (an amount or an address in a revert string is no new series)."""
    name = type(error).__name__
    if name not in ("ContractLogicError", "VirtualMachineError", "TransactionError"):
        return name[:MAX_REASON]
    message = str(getattr(error, "revert_message", None) or error).strip().splitlines()
    text = re.split(r"[(:]", message[0], maxsplit=1)[0].strip() if message else ""
    return re.sub(r"0x[0-9a-fA-F]*|\d+", "#", text or name)[:MAX_REASON]


def serve_from_env(keeper: str) -> int | None:
    """Names this process's keeper and, when $QUANTERA_METRICS_PORT is set, serves `/metrics` on it
    (once per process; the address is $QUANTERA_METRICS_ADDR, loopback by default). Returns the
    port served, or None. A port another process holds is a one-line warning, not a crash: the
    keeper runs on, unobserved. Serving starts the keeper's last-cycle clock: a keeper that never
    finishes a cycle after its start is reported stalled, not absent."""
    _state["keeper"] = keeper
    configure_logging()
    port = os.environ.get(PORT_ENV)
    if not port or _state["served"] is not None:
        return _state["served"]
    address = os.environ.get(ADDR_ENV, "127.0.0.1")
    try:
        number = int(port)
        server = make_server(address, number, _scrape_app(address), ScrapeServer, _QuietHandler)
    except (OSError, ValueError, OverflowError) as err:
        logging.getLogger("quantera").warning(f"metrics not served on {PORT_ENV}={port}: {err}")
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    LAST_CYCLE.labels(keeper).set(time.time())
    _state["served"] = number
    return number


class ScrapeServer(WSGIServer):
    """One scrape at a time (no thread per connection), each connection given SCRAPE_TIMEOUT
    seconds: a local client holding connections open cannot grow the keeper's threads."""

    timeout = SCRAPE_TIMEOUT

    def get_request(self):
        conn, address = super().get_request()
        conn.settimeout(SCRAPE_TIMEOUT)
        return conn, address


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # scrapes every 15 s are not log lines


def _scrape_app(address: str) -> Callable:
    """The WSGI app: `/metrics` to a request naming a loopback host or the served address (a
    DNS-rebinding page names its own: refused 400), nothing else."""
    allowed = {"127.0.0.1", "localhost", "::1", address.lower()}
    allowed |= {h.strip().lower() for h in os.environ.get(HOSTS_ENV, "").split(",") if h.strip()}

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        host = environ.get("HTTP_HOST", "").lower()
        name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if name not in allowed:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"refused: unknown Host\n"]
        if environ.get("PATH_INFO") not in ("/metrics", "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: /metrics\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [exposition()]

    return app


def serving() -> bool:
    """Whether this process serves metrics (the domain gauges cost chain reads: only then)."""
    return _state["served"] is not None


def exposition() -> bytes:
    """The registry in Prometheus' text format (the console's `/metrics`)."""
    return generate_latest(REGISTRY)


def observed(keeper: str, head: Callable[[], int] | None = None) -> Callable:
    """Decorates a keeper's block handler (`handler(block) -> dict`) or cron task (given the time:
    no block): each call counted, timed and, for a block, placed against the head (`head()`, by
    default ape's `chain.blocks.height`: one eth_blockNumber, read after the cycle). One that
    raises is counted by its exception and raised again; one that answers `{"skipped": True}`
    (another worker held the lock) is counted as skipped."""

    def decorate(handler: Callable[[Any], dict]) -> Callable[[Any], dict]:
        @functools.wraps(handler)
        def run(block: Any) -> dict:
            started = time.monotonic()
            try:
                result = handler(block)
            except Exception as err:
                CYCLE_ERRORS.labels(keeper, type(err).__name__[:MAX_REASON]).inc()
                raise
            finally:
                CYCLE_SECONDS.labels(keeper).observe(time.monotonic() - started)
            if isinstance(result, dict) and result.get("skipped"):
                CYCLES_SKIPPED.labels(keeper).inc()
                return result
            CYCLES.labels(keeper).inc()
            LAST_CYCLE.labels(keeper).set(time.time())
            if getattr(block, "number", None) is None:
                return result  # a cron task (given the time): no block processed
            number = int(block.number)
            LAST_BLOCK.labels(keeper).set(number)
            try:
                BLOCKS_BEHIND.labels(keeper).set(max(0, int((head or _head)()) - number))
            except Exception as err:  # noqa: BLE001 - a metric never fails the keeper's cycle
                logging.getLogger("quantera").debug(f"head unreadable for metrics: {err}")
            return result

        return run

    return decorate


def _head() -> int:
    from ape import chain

    return chain.blocks.height


def counted(send: Callable[[], Any]) -> Any:
    """`send()` counted: a receipt (it has a `txn_hash`) as sent, a revert as failed by its reason
    (raised again). A result without a receipt (a read) is not counted."""
    from ape.exceptions import ContractLogicError

    try:
        result = send()
    except ContractLogicError as err:
        failed(reason_of(err))
        raise
    if hasattr(result, "txn_hash"):
        sent()
    return result


def sent() -> None:
    TX_SENT.labels(keeper_name()).inc()


def failed(reason: str) -> None:
    TX_FAILED.labels(keeper_name(), reason[:MAX_REASON]).inc()


def guarded(keeper: str, read: Callable[[], None]) -> None:
    """Runs a metrics read (`read`: chain reads that set gauges); a failure is counted and logged,
    never raised: a metric never fails the keeper's cycle."""
    try:
        read()
    except Exception as err:  # noqa: BLE001 - whatever a node or a feed answers
        METRIC_ERRORS.labels(keeper).inc()
        logging.getLogger("quantera").warning(
            redact_urls(f"metrics read failed: {type(err).__name__}: {err}")
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 UTC), level, logger, message, and the keeper."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "keeper": keeper_name(),
            "message": redact_urls(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact_urls(self.formatException(record.exc_info))
        return json.dumps(entry)


def configure_logging() -> bool:
    """With $QUANTERA_LOG_FORMAT=json, every handler of the root and ape loggers writes JSON lines
    (`JsonFormatter`). Returns whether it did."""
    if os.environ.get(LOG_FORMAT_ENV, "").lower() != "json":
        return False
    formatter = JsonFormatter()
    loggers = [logging.getLogger(), logging.getLogger("ape"), logging.getLogger("quantera")]
    for log in loggers:
        for handler in log.handlers:
            handler.setFormatter(formatter)
    if not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        logging.getLogger().addHandler(handler)
    return True
