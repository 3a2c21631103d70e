"""Walks of the in-memory event index (the audit log's filters), shared by every route that
walks it — the audit CSV, `/api/governance/audit` and GraphQL's `auditEvents` — so no client can
make the console walk it without bound:

- a walk runs in a worker thread (its callers use `run_in_threadpool`), never on the event loop;
- its result is kept (the last WALKS_KEPT, by a key naming the head walked to): the same filter
  asked again, by any route or client, is not walked again;
- the same walk asked while it runs waits for that run (single flight), not a second run;
- at most MAX_RUNNING_WALKS different walks run at once: the next is refused at once
  (`WalksBusy`: 429 on REST, an error in GraphQL) rather than queued behind them. A text search
  over a full index (200,000 events) takes about 2 s of CPU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from keepers.console.source import ConsoleError

WALKS_KEPT = 16
MAX_RUNNING_WALKS = 2
WAIT_FOR_RUNNING_SECONDS = 120.0  # a guard against a hung walk, not a guess at its speed
T = TypeVar("T")


class WalksBusy(ConsoleError):
    """MAX_RUNNING_WALKS walks are running: this one is refused, not queued."""


class WalkCache:
    """The last `kept` results of in-memory walks, by key (which names the head walked to), at
    most `running` walks at once (see the module's docstring). Thread-safe."""

    def __init__(self, kept: int = WALKS_KEPT, running: int = MAX_RUNNING_WALKS) -> None:
        self._kept = kept
        self._running = running
        self._lock = threading.Lock()
        self._results: OrderedDict[Hashable, Any] = OrderedDict()
        self._inflight: dict[Hashable, threading.Event] = {}

    def get(self, key: Hashable, walk: Callable[[], T]) -> T:
        while True:
            with self._lock:
                if key in self._results:
                    self._results.move_to_end(key)
                    return self._results[key]
                running = self._inflight.get(key)
                if running is None:
                    if len(self._inflight) >= self._running:
                        raise WalksBusy(
                            f"refused: {self._running} audit walks are running, the most at once; "
                            "ask again when one ends"
                        )
                    done = self._inflight[key] = threading.Event()
                    break
            if not running.wait(WAIT_FOR_RUNNING_SECONDS):
                raise WalksBusy("refused: the same audit walk has been running for too long")
            with self._lock:
                if key in self._results:
                    self._results.move_to_end(key)
                    return self._results[key]
            # the run failed: walk it here (within the bound)
        try:
            result = walk()
            with self._lock:
                self._results[key] = result
                while len(self._results) > self._kept:
                    self._results.popitem(last=False)
            return result
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            done.set()
