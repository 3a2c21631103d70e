"""Governance watch keeper: mirrors the QuanteraAccessManager's role and timelock events into the
keeper store and reports pending (scheduled, not yet executed) operations every block.

Run: `silverback run keepers.bots.governance:bot --network <choice>`.
Read-only on chain: it needs no signer and can change nothing.
"""

from __future__ import annotations

from ape import chain, project
from silverback import SilverbackBot, StateSnapshot

from keepers import store
from keepers.bots.common import RESCAN_BLOCKS, connected_record
from keepers.governance.operations import WATCHED_EVENTS, StoredEvent, event_row, pending_operations

KEEPER_NAME = "governance"

bot = SilverbackBot()
record = connected_record()
manager = project.QuanteraAccessManager.at(record.address_of("QuanteraAccessManager"))
engine = store.open_store()


def _row(log) -> dict:
    return event_row(
        chain.chain_id,
        event=log.event_name,
        block_number=log.block_number,
        block_timestamp=log.timestamp,
        tx_hash=log.transaction_hash,
        log_index=log.log_index,
        contract=log.contract_address,
        args=log.event_arguments,
    )


@bot.on_startup()
def backfill(startup_state: StateSnapshot) -> dict:
    """Stores every watched log since the cursor (minus a re-scan margin) up to the head."""
    cursor = store.get_cursor(engine, KEEPER_NAME, chain.chain_id)
    start = max((record.block or 0), (cursor or 0) - RESCAN_BLOCKS)
    head = chain.blocks.head.number
    rows = [
        _row(log)
        for name in WATCHED_EVENTS
        for log in getattr(manager, name).range(start, head + 1)
    ]
    inserted = store.insert_governance_events(engine, rows)
    store.advance_cursor(engine, KEEPER_NAME, chain.chain_id, head)
    return {"backfilled_from": start, "head": head, "new_events": inserted}


def _register(event_name: str) -> None:
    def handler(log) -> dict:
        inserted = store.insert_governance_events(engine, [_row(log)])
        return {"event": event_name, "new": inserted}

    handler.__name__ = f"store_{event_name}"
    bot.on_(getattr(manager, event_name))(handler)


for _event_name in WATCHED_EVENTS:
    _register(_event_name)


@bot.on_(chain.blocks)
def on_block(block) -> dict:
    """Advances the restart cursor and reports how many timelocked operations are pending."""
    store.advance_cursor(engine, KEEPER_NAME, chain.chain_id, block.number)
    events = [
        StoredEvent(e.event, e.block_number, e.log_index, e.args)
        for e in store.governance_events(engine, chain.chain_id)
    ]
    pending = pending_operations(events, now=block.timestamp)
    ready = sum(1 for op in pending if op.ready_in_seconds == 0)
    return {"block": block.number, "pending_operations": len(pending), "ready_operations": ready}
