"""Retrying a transaction's transport failures; a revert is an answer, never retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ape.exceptions import ContractLogicError

from keepers.core import metrics
from keepers.core.reads import TRANSPORT_ERRORS

RETRIES = 3
T = TypeVar("T")


def with_retries(
    send: Callable[[], T],
    attempts: int = RETRIES,
    base_delay: float = 0.5,
    retry_on: tuple[type[BaseException], ...] = TRANSPORT_ERRORS,
) -> T:
    """Retries transport failures (`retry_on`) with exponential back-off; a revert is an answer,
    not retried. Counted in the keeper's metrics: a mined transaction as sent, a revert or the last
    transport failure as failed, by reason."""
    for attempt in range(attempts):
        try:
            return metrics.counted(send)
        except ContractLogicError:
            raise
        except retry_on as err:
            if attempt == attempts - 1:
                metrics.failed(f"transport: {type(err).__name__}")
                raise
            time.sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")
