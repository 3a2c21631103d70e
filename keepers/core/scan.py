"""The scan of "the blocks since my cursor" that survives chain reorganisations: canonical block
hashes, checkpoints in the keeper store, rewinding to the common ancestor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ape import chain
from ape.exceptions import BlockNotFoundError
from ape.logging import logger
from eth_utils import encode_hex

from keepers.core import store
from keepers.core.deployments import DeploymentRecord


def block_hash(number: int) -> str | None:
    """The canonical hash of block `number` now, or None when the chain is shorter."""
    try:
        block = chain.provider.get_block(number)
    except BlockNotFoundError:
        return None
    value = block.hash
    return value if isinstance(value, str) else encode_hex(value)


def transaction_is_canonical(tx_hash: str | None) -> bool:
    """Whether a transaction is mined in the canonical chain now (a reorganisation drops the
    transactions of the blocks it replaces, unless they are mined again)."""
    if not tx_hash:
        return False
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [tx_hash])
    if not receipt or receipt.get("blockNumber") is None:
        return False
    number, mined_in = receipt["blockNumber"], receipt["blockHash"]
    number = int(number, 16) if isinstance(number, str) else int(number)
    return block_hash(number) == (mined_in if isinstance(mined_in, str) else encode_hex(mined_in))


@dataclass(frozen=True)
class Scan:
    """The inclusive block range a keeper scans now, and the hash its last block had when the range
    was fixed (the checkpoint `finish_scan` records)."""

    start: int
    stop: int
    stop_hash: str


def scan_range(
    engine, keeper: str, record: DeploymentRecord, head: int, on_reorg: Callable[[int], None]
) -> Scan | None:
    """The blocks after the keeper's cursor up to `head`, or None when there are none (never an
    empty or inverted range). When the cursor's block is no longer canonical (a reorganisation), the
    keeper rewinds first: to the newest checkpoint whose hash the chain still has (to the deployment
    block if none is left), calling `on_reorg(ancestor)` so the keeper drops what it derived from
    the orphaned blocks and re-opens what its orphaned transactions did; the scan then covers the
    new canonical blocks."""
    chain_id = chain.chain_id
    cursor = store.get_cursor(engine, keeper, chain_id)
    first = record.block or 0
    if cursor is not None:
        remembered = store.checkpoints(engine, keeper, chain_id)
        if remembered and remembered[0][0] == cursor and block_hash(cursor) != remembered[0][1]:
            ancestor = next((n for n, h in remembered[1:] if block_hash(n) == h), first - 1)
            logger.warning(
                f"{keeper}: chain reorganised above block {ancestor} "
                f"(cursor was {cursor}): rewinding"
            )
            on_reorg(ancestor)
            store.rewind_cursor(engine, keeper, chain_id, ancestor)
            cursor = ancestor
    start = first if cursor is None else cursor + 1
    if start > head:
        return None
    stop_hash = block_hash(head)
    return None if stop_hash is None else Scan(start, head, stop_hash)


def finish_scan(engine, keeper: str, scan: Scan) -> bool:
    """Advances the cursor to the scan's last block with its hash, unless that block was replaced
    while the keeper scanned (then nothing moves, and the next cycle rewinds). Returns whether it
    moved."""
    if block_hash(scan.stop) != scan.stop_hash:
        logger.warning(f"{keeper}: block {scan.stop} replaced during the scan: cursor not advanced")
        return False
    store.advance_cursor(engine, keeper, chain.chain_id, scan.stop, scan.stop_hash)
    return True
