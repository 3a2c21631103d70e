"""Waiting made explicit: on a condition, with a deadline, saying what was waited for.

Everything that waits on a chain, a process or a file goes through `wait_until`; every log query
over "the blocks since B" goes through `blocks_after`, which never forms an empty or inverted
range. A deadline here is a guard against a real hang, never a guess at how long something takes:
on a busy machine the condition is simply met later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from keepers.core.errors import QuanteraError

T = TypeVar("T")

POLL_SECONDS = 0.3


class WaitTimeout(QuanteraError):
    """A condition was not met before its deadline; the message names the condition."""


def wait_until(
    condition: Callable[[], T],
    what: str,
    timeout: float,
    poll: float = POLL_SECONDS,
    on_poll: Callable[[], None] | None = None,
    progress: Callable[[], object] | None = None,
) -> T:
    """Polls `condition` until it returns a truthy value, which is returned. `on_poll` runs before
    each poll (a supervisor's health check, say; its exception ends the wait). Raises
    `WaitTimeout("timed out after Ns waiting for <what>")` once `timeout` seconds have passed
    without the condition being met; the last poll starts after the deadline, so a slow poll never
    turns a condition met in time into a timeout.

    `progress`, when given, is read at each poll: each change of its value starts the `timeout`
    again, so a long task that keeps moving (a demo going from one step to the next, however busy
    the machine) is never cut short, and only `timeout` seconds on one value end the wait (the
    message then names that value)."""
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    deadline = time.monotonic() + timeout
    seen = progress() if progress is not None else None
    while True:
        if on_poll is not None:
            on_poll()
        if progress is not None:
            now = progress()
            if now != seen:
                seen, deadline = now, time.monotonic() + timeout
        # read before the poll: the last poll is after the deadline
        expired = time.monotonic() >= deadline
        value = condition()
        if value:
            return value
        if expired:
            stalled = f" (no progress from {seen!r})" if progress is not None else ""
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what}{stalled}")
        time.sleep(poll)


def blocks_after(block: int, head: int) -> tuple[int, int] | None:
    """The inclusive block range (block + 1, head) of the blocks mined after `block`, or None when
    there are none yet (head <= block): a caller never asks a node for an empty or inverted
    range."""
    if block < 0 or head < 0:
        raise ValueError(f"block numbers must be non-negative, got {block} and {head}")
    return (block + 1, head) if head > block else None
