"""DEMO-1: waits are on conditions with deadlines that say what they waited for; log ranges over
"the blocks since B" are never empty or inverted (the quick-start race of issue 15)."""

import itertools
import time

import pytest

from keepers.core.waiting import WaitTimeout, blocks_after, wait_until


def test_blocks_after__no_block_since__none_instead_of_an_inverted_range():
    # The race that failed `make demo`: no block mined since the last report (head == block).
    assert blocks_after(1_260, 1_260) is None
    assert blocks_after(1_261, 1_260) is None
    assert blocks_after(1_260, 1_261) == (1_261, 1_261)
    assert blocks_after(0, 5) == (1, 5)
    with pytest.raises(ValueError, match="non-negative"):
        blocks_after(-1, 5)


def test_wait_until__condition_met_late__returns_its_value():
    calls = itertools.count()
    assert (
        wait_until(lambda: next(calls) >= 3 and "ready", "the third poll", timeout=60, poll=0.001)
        == "ready"
    )


def test_wait_until__never_met__times_out_naming_what_it_waited_for():
    with pytest.raises(WaitTimeout, match="timed out after 0s waiting for the keeper's sync"):
        wait_until(lambda: False, "the keeper's sync", timeout=0.05, poll=0.01)


def test_wait_until__on_poll_error__ends_the_wait_with_that_error():
    def keeper_gave_up():
        raise RuntimeError("keeper exited after 3 restarts")

    with pytest.raises(RuntimeError, match="after 3 restarts"):
        wait_until(lambda: False, "anything", timeout=60, on_poll=keeper_gave_up)


def test_wait_until__met_at_the_deadline__is_not_a_timeout():
    # The last poll starts after the deadline: a condition that holds from the deadline on is met,
    # however slowly the polls run.
    start = time.monotonic()
    assert wait_until(
        lambda: time.monotonic() >= start + 0.05, "the deadline", timeout=0.05, poll=0.02
    )


def test_wait_until__progress_moving__outlives_the_timeout_then_a_stall_ends_it():
    # A task that keeps moving is waited for past `timeout` in all; `timeout` on one value ends it,
    # naming that value (the served demo's step: a slow machine is no hang).
    start = time.monotonic()
    step = lambda: min(int((time.monotonic() - start) / 0.04), 5)  # noqa: E731 - moves 5 times
    done = lambda: time.monotonic() >= start + 0.2 and "served"  # noqa: E731
    assert wait_until(done, "the demo", timeout=0.08, poll=0.005, progress=step) == "served"
    assert time.monotonic() - start >= 0.2  # past 0.08 in all: each move restarted the timeout

    start = time.monotonic()
    with pytest.raises(WaitTimeout, match=r"waiting for the demo \(no progress from 5\)"):
        wait_until(lambda: False, "the demo", timeout=0.08, poll=0.005, progress=step)
    assert time.monotonic() - start >= 0.2 + 0.08
