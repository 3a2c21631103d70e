"""Sending a keeper's transaction so that a restart finds it: signed (its nonce fixed), recorded in
the keeper store with its hash and raw bytes, then broadcast (`record_then_broadcast`); after a
restart, `follow_sent` says what became of it (mined, in flight, replaced) and broadcasts the same
bytes again when the node lost them (the same hash: it lands at most once). Shared by every keeper
that must never apply a transaction twice (the NAV agent, the fee keeper, the margin keeper)."""

from __future__ import annotations

import time
from typing import Any

from ape import chain
from ape.logging import logger
from eth_utils import to_hex

from keepers.core import metrics
from keepers.core.ape_config import cache_network_config
from keepers.core.faults import crash_point
from keepers.core.retries import TRANSPORT_ERRORS, with_retries

cache_network_config()


def hex_of(value: Any) -> str:
    return value if isinstance(value, str) else to_hex(value)


def tx_state(tx_hash: str) -> tuple[str, dict | None]:
    """ "mined" (with the receipt), "in flight" (known, not mined) or "unknown" to the node."""
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [tx_hash])
    if receipt and receipt.get("blockNumber") is not None:
        return "mined", receipt
    known = chain.provider.make_request("eth_getTransactionByHash", [tx_hash])
    return ("in flight" if known else "unknown"), None


def wait_mined(tx_hash: str, timeout_s: float, what: str, poll_s: float = 0.5) -> bool:
    """Waits until the node has mined `tx_hash` (its receipt), at most `timeout_s` seconds;
    returns whether it did. A deadline passed is logged with what was waited for (the caller's
    reconciliation then follows the transaction)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if tx_state(tx_hash)[0] == "mined":
            return True
        if time.monotonic() >= deadline:
            logger.warning(f"{what} {tx_hash} not mined after {timeout_s:g} s")
            return False
        time.sleep(poll_s)


def int_of(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


# A node's refusals of signed bytes that say the transaction, or another of its nonce, is known.
KNOWN_REFUSALS = (
    "already known",
    "known transaction",
    "nonce too low",
    "replacement transaction underpriced",
)


def next_nonce(signer) -> int:
    """The signer's next nonce after its transactions still in the node's pool. Ape's default
    (the `latest` count) gave a keeper's second transaction of a cycle the nonce of its first
    while that one was in flight (a strike broadcast, not yet mined, then the declaration): the
    node refused it as an underpriced replacement and the cycle died with it — at a restart, the
    whole keeper (found by the lifecycle kill drill, LCY-91)."""
    return int(chain.provider.get_nonce(signer.address, "pending"))


def broadcast(raw: str) -> None:
    """Sends signed bytes; a node that already has them, has mined their nonce or holds another
    transaction of their nonce is not an error: the reconciliation reads what became of them."""
    try:
        chain.provider.make_request("eth_sendRawTransaction", [raw])
    except TRANSPORT_ERRORS:
        raise
    except Exception as err:  # noqa: BLE001 - the node's refusal, whatever its client type
        message = str(err).lower()
        if not any(s in message for s in KNOWN_REFUSALS):
            raise


def refusal(err: Exception) -> str:
    """A transaction refused before it was sent (its estimate reverted), as a row's note."""
    return f"refused before sending: {str(err).splitlines()[0]}"[:256]


def follow_sent(row, what: str) -> tuple[str, dict | None]:
    """What became of a signed transaction a keeper-store row says was sent (`row.tx_hash`,
    `raw_tx`, `nonce`, `inputs["signer"]`): "mined" with its receipt (whose status says whether it
    reverted), "in flight" (known to the node, not mined), "replaced" (unknown to the node and its
    nonce used by another transaction: it can never land) or "resent" (unknown to the node: its
    raw bytes broadcast again, the same hash, so it lands at most once)."""
    state, receipt = tx_state(row.tx_hash)
    if state != "unknown":
        return state, receipt
    signer = row.inputs.get("signer")
    if signer and chain.provider.get_nonce(signer) > (row.nonce or 0):
        return "replaced", None
    logger.warning(f"{what} {row.tx_hash} unknown to the node: resent")
    with_retries(lambda: broadcast(row.raw_tx))
    return "resent", None


def record_then_broadcast(txn, record_sent, crash_at: str, send=None) -> str:
    """Records a signed transaction (`record_sent(nonce, raw, tx_hash)`) before broadcasting it
    (`send`, `broadcast` by default), the crash point `crash_at` between the two; returns its
    hash."""
    raw, tx_hash = to_hex(txn.serialize_transaction()), hex_of(txn.txn_hash)
    record_sent(int(txn.nonce), raw, tx_hash)
    crash_point(crash_at)
    with_retries(lambda: (send or broadcast)(raw))
    metrics.sent()
    return tx_hash
