"""The live feed: one task follows the chain head, indexes each new block's events and pushes a
message to every open page (server-sent events), which then refreshes what it shows.

Pages never poll the chain themselves: one poll per POLL_SECONDS serves every client. A slow
client's queue holds at most QUEUE_SIZE messages; older ones are dropped (each message carries the
head, so a client that missed some only refreshes once). At most MAX_STREAMS clients are served at
once (each holds a connection, a queue and a task for as long as it stays): the next is refused
(the app answers 503; one that slipped in between is sent an `error` message and closed), so no
client can hold the server's memory or sockets without bound. A closed page frees its stream at
the next ping (15 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from keepers.console.index import EventIndex
from keepers.console.source import redact_urls

POLL_SECONDS = 0.5
QUEUE_SIZE = 16
MAX_STREAMS = 32  # open pages at once: an operator's tabs, not a crowd
MAX_EVENTS_PER_MESSAGE = 50

log = logging.getLogger("quantera.console")


class LiveFeed:
    def __init__(self, index: EventIndex, poll_seconds: float = POLL_SECONDS):
        self.index = index
        self.poll_seconds = poll_seconds
        self.head = index.head
        self.error: str | None = None
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                new = await asyncio.to_thread(self.index.sync)
                self.error = None
            except Exception as err:  # noqa: BLE001 - an RPC failure is shown, then retried
                line = str(err).splitlines()[0] if str(err) else type(err).__name__
                self.error = redact_urls(line)  # an RPC error may quote its URL (and key)
                log.warning("live feed: %s", self.error)
                self._publish({"type": "error", "head": self.head, "error": self.error})
            else:
                if self.index.head != self.head or new:
                    self.head = self.index.head
                    self._publish(
                        {
                            "type": "block",
                            "head": self.head,
                            "events": [e.to_json() for e in new[-MAX_EVENTS_PER_MESSAGE:]],
                        }
                    )
            await asyncio.sleep(self.poll_seconds)

    @property
    def streams(self) -> int:
        """The event streams open now."""
        return len(self._subscribers)

    def publish(self, message: dict[str, Any]) -> None:
        """Pushes `message` (a dict with a `type`) to every open page; call it on the loop."""
        self._publish(message)

    def _publish(self, message: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """This client's messages, starting with the current head."""
        if self.streams >= MAX_STREAMS:
            yield {"type": "error", "head": self.head, "error": "too many event streams open"}
            return
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            yield {"type": "hello", "head": self.head, "error": self.error}
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)
