"""The console's reads of views: the one read protocol (keepers.core.reads) over the console's
web3. A page reads tens of values per block, and one round trip per batch instead of one per call
keeps it within its load-time budget on a busy machine.

Results are decoded by the functions' ABIs (a single output unwrapped, several as a tuple, structs
as tuples, addresses checksummed); a call that reverts (or answers what its ABI does not decode)
raises ConsoleError naming it, unless the caller allows failures: then its result is the reason,
a CallFailure (a str).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keepers.console.source import ChainSource, ConsoleError
from keepers.core.reads import (
    NODE_ERRORS,
    ReadError,
    ReadFailure,
    ViewCall,
    Web3Reads,
    first_line,
)
from keepers.core.redact import redact_urls

# Calls one page asks for in one read (a page that needs more reads them in parts).
MAX_BATCH_CALLS = 500
CallFailure = ReadFailure

__all__ = ["MAX_BATCH_CALLS", "CallFailure", "ConsoleReads", "ViewCall", "batch_call"]


class ConsoleReads(Web3Reads):
    """The read protocol over the console's web3, a failed read said as the console says it (a
    ConsoleError, one line): what the domains' readers are given (keepers.prime.read_book)."""

    def views(self, calls, block="latest", blocks=None, allow_failure=False) -> list[Any]:
        try:
            return super().views(calls, block, blocks, allow_failure)
        except ReadError as err:  # an error may quote the node's URL: its key is never shown
            raise ConsoleError(redact_urls(str(err))) from None
        except NODE_ERRORS as err:
            reason = redact_urls(first_line(err))
            raise ConsoleError(f"the node did not answer a read: {reason}") from None

    def codes(self, addresses, block="latest") -> list[bytes]:
        try:
            return super().codes(addresses, block)
        except NODE_ERRORS as err:
            reason = redact_urls(first_line(err))
            raise ConsoleError(f"the node did not answer a read: {reason}") from None


def batch_call(
    source: ChainSource,
    calls: Sequence[ViewCall],
    block: int | str = "latest",
    blocks: Sequence[int | str] | None = None,
    allow_failure: bool = False,
    limit: int | None = MAX_BATCH_CALLS,
) -> list[Any]:
    """The results of `calls`, in order, all read at `block` (or each at its entry of `blocks`:
    historical reads of the same batch). One failing call fails the read (ConsoleError), unless
    `allow_failure`: then the calls of its batch are made again one by one and a failed one's
    result is its one-line reason (a CallFailure), e.g. a node that no longer holds an old block's
    state. More than `limit` calls is refused (None: a read over every holder, in batches)."""
    if limit is not None and len(calls) > limit:
        raise ConsoleError(f"{len(calls)} calls in one batch: at most {limit}")
    return ConsoleReads(source.w3).views(calls, block, blocks, allow_failure)
