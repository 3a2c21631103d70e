"""Governance watch keeper: mirrors the QuanteraAccessManager's role and timelock events, and the
UpgradeAuthority's proposals, runs and vetoes, into the keeper store, and reports every block the
pending (scheduled, not yet executed) operations, the upgrades proposed and still pending (their
window open: the authority's `GRACE`, read once), and the scheduled operations that change who
vetoes or runs upgrades (`guard_operations`): the gauges its alerts read
(QuanteraUpgradeProposed, QuanteraUpgradeGuardChangeScheduled).

Run: `silverback run keepers.access.bot:bot --network <choice>`.
Read-only on chain: it needs no signer and can change nothing.

One handler per block fetches every watched log from the stored cursor to that block with a single
`eth_getLogs`, stores them (unique per log), then advances the cursor: after a restart it resumes
exactly where it stopped, with nothing repeated or lost. After a chain reorganisation it drops
the events of the orphaned blocks and stores the canonical ones (`keepers.core.scan.scan_range`).
"""

from __future__ import annotations

from ape import chain, project
from ape.logging import logger
from silverback import StateSnapshot

from keepers.access import store as access_store
from keepers.access.deploy import UPGRADE_AUTHORITY
from keepers.access.operations import (
    OPERATION_EVENTS,
    UPGRADE_EVENTS,
    WATCHED_EVENTS,
    StoredEvent,
    event_row,
    guard_operations,
    pending_operations,
    pending_upgrades,
)
from keepers.core import store
from keepers.core.bot import keeper_bot
from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.metrics import GUARD_OPERATIONS_PENDING, UPGRADES_PENDING, observed
from keepers.core.record import connected_record
from keepers.core.scan import finish_scan, scan_range

KEEPER_NAME = "governance"

bot = keeper_bot("governance")
record = connected_record()
manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
engine = store.open_store()
_event_abis = [getattr(manager, name).abi for name in WATCHED_EVENTS]
_watched = [manager.address]
# A deployment without an UpgradeAuthority (recorded before issue 34) has no upgrades to watch.
authority = None
_grace = 0
if UPGRADE_AUTHORITY in record.contracts:
    authority = project.UpgradeAuthority.at(record.address_of(UPGRADE_AUTHORITY))
    _event_abis += [getattr(authority, name).abi for name in UPGRADE_EVENTS]
    _watched.append(authority.address)
    _grace = int(authority.GRACE())


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
        _row(log, timestamps) for log in fetch_logs(_watched, _event_abis, scan.start, scan.stop)
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


_guards_logged: set[str] = set()


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
        for e in access_store.governance_events(
            engine, chain.chain_id, OPERATION_EVENTS + UPGRADE_EVENTS
        )
    ]
    operations = [e for e in events if e.event in OPERATION_EVENTS]
    pending = pending_operations(operations, now=block.timestamp)
    ready = sum(1 for op in pending if op.ready_in_seconds == 0)
    guards = (
        guard_operations(pending, manager.address, authority.address, block.timestamp)
        if authority
        else []
    )
    upgrades = [
        up
        for up in pending_upgrades(
            [e for e in events if e.event in UPGRADE_EVENTS], block.timestamp
        )
        if block.timestamp <= up.eta + _grace
    ]
    GUARD_OPERATIONS_PENDING.labels(KEEPER_NAME).set(len(guards))
    # A datapoint is a number: the operations are named in the log, once per process each.
    for op in guards:
        if op.operation_id not in _guards_logged:
            _guards_logged.add(op.operation_id)
            logger.warning(f"pending operation on the guard roles: {op.operation_id}")
    UPGRADES_PENDING.labels(KEEPER_NAME).set(len(upgrades))
    return {
        "new_events": inserted,
        "pending_operations": len(pending),
        "ready_operations": ready,
        "upgrades_pending": len(upgrades),
        "guard_operations": len(guards),
    }
