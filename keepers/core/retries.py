"""Retrying a transaction's transport failures; a revert is an answer, never retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ape.exceptions import ContractLogicError
from web3.exceptions import CannotHandleRequest

RETRIES = 3
# A transport's failure: the socket's, or web3's CannotHandleRequest — how ape's node provider (a
# web3 AutoProvider) reports an endpoint that stopped answering: it catches the OSError and, finding
# no provider connected, raises that instead (so a lost endpoint was never retried).
TRANSPORT_ERRORS = (ConnectionError, TimeoutError, OSError, CannotHandleRequest)
T = TypeVar("T")


def with_retries(send: Callable[[], T], attempts: int = RETRIES, base_delay: float = 0.5) -> T:
    """Retries transport failures with exponential back-off; a revert is an answer, not retried."""
    for attempt in range(attempts):
        try:
            return send()
        except ContractLogicError:
            raise
        except TRANSPORT_ERRORS:
            if attempt == attempts - 1:
                raise
            time.sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")
