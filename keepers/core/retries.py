"""Retrying a transaction's transport failures; a revert is an answer, never retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ape.exceptions import ContractLogicError

RETRIES = 3
T = TypeVar("T")


def with_retries(send: Callable[[], T], attempts: int = RETRIES, base_delay: float = 0.5) -> T:
    """Retries transport failures with exponential back-off; a revert is an answer, not retried."""
    for attempt in range(attempts):
        try:
            return send()
        except ContractLogicError:
            raise
        except (ConnectionError, TimeoutError, OSError):
            if attempt == attempts - 1:
                raise
            time.sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")
