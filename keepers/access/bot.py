"""Governance watch keeper: mirrors the QuanteraAccessManager's role and timelock events into the
keeper store and reports pending (scheduled, not yet executed) operations every block.

Run: `silverback run keepers.access.bot:bot --network <choice>`.
Read-only on chain: it needs no signer and can change nothing.

One handler per block fetches every watched log from the stored cursor to that block with a single
`eth_getLogs`, stores them (unique per log), then advances the cursor: after a restart it resumes
exactly where it stopped, with nothing repeated or lost. After a chain reorganisation it drops
the events of the orphaned blocks and stores the canonical ones (`keepers.core.scan.scan_range`).
"""

from __future__ import annotations

from ape import chain, project
from silverback import StateSnapshot

from keepers.access import store as access_store
from keepers.access.operations import (
    OPERATION_EVENTS,
    WATCHED_EVENTS,
    StoredEvent,
    event_row,
    pending_operations,
)
from keepers.core import store
from keepers.core.bot import keeper_bot
from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.metrics import observed
from keepers.core.record import connected_record
from keepers.core.scan import finish_scan, scan_range

KEEPER_NAME = "governance"

bot = keeper_bot("governance")
record = connected_record()
manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
engine = store.open_store()
_event_abis = [getattr(manager, name).abi for name in WATCHED_EVENTS]


def _row(log, timestamps: dict[int, int]) -> dict:
    if log.block_number not in timestamps:
        timestamps[log.block_number] = chain.blocks[log.block_number].timestamp
    return event_row(
        chain.chain_id,
        event=log.event_name,
        block_number=log.block_number,
        block_timestamp=timestamps[log.block_number],
        tx_hash=log.transaction_hash,
        log_index=log.log_index,
        contract=log.contract_address,
        args=log.event_arguments,
    )


def sync_to(block_number: int) -> int:
    """Stores every watched log after the cursor up to `block_number`; returns how many were new."""
    scan = scan_range(
        engine,
        KEEPER_NAME,
        record,
        block_number,
        lambda ancestor: access_store.forget_governance_events_after(
            engine, chain.chain_id, ancestor
        ),
    )
    if scan is None:
        return 0
    timestamps: dict[int, int] = {}
    rows = [
        _row(log, timestamps)
        for log in fetch_logs(manager.address, _event_abis, scan.start, scan.stop)
    ]
    inserted = access_store.insert_governance_events(engine, rows)
    crash_point("governance.after_store")
    finish_scan(engine, KEEPER_NAME, scan)
    return inserted


@bot.on_startup()
def catch_up(startup_state: StateSnapshot) -> dict:
    """Stores what happened while the keeper was down."""
    head = chain.blocks.head.number
    with store.keeper_lock(engine, KEEPER_NAME) as mine:
        return {"head": head, "new_events": sync_to(head) if mine else 0}


@bot.on_(chain.blocks)
@observed("governance")
def on_block(block) -> dict:
    """Stores the block's governance logs and reports pending timelocked operations."""
    with store.keeper_lock(engine, KEEPER_NAME) as mine:
        if not mine:
            return {"skipped": True}  # another cycle is running; the next block catches up
        inserted = sync_to(block.number)
    events = [
        StoredEvent(e.event, e.block_number, e.log_index, e.args)
        for e in access_store.governance_events(engine, chain.chain_id, OPERATION_EVENTS)
    ]
    pending = pending_operations(events, now=block.timestamp)
    ready = sum(1 for op in pending if op.ready_in_seconds == 0)
    return {"new_events": inserted, "pending_operations": len(pending), "ready_operations": ready}
