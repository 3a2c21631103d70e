"""Governance and audit: roles and their holders, pending timelocked operations with their ETA,
and the audit log of every administrative event of the deployment's contracts."""

from __future__ import annotations

import json
from typing import Any

from keepers.access import (
    OPERATION_EVENTS,
    ROLE_NAMES,
    StoredEvent,
    pending_operations,
    role_holders,
)
from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.pages import Page
from keepers.console.source import ChainSource

MANAGER = "QuanteraAccessManager"
AUDIT_ROWS_SHOWN = 50  # the newest; the filter and the CSV export reach every row


def _stored(events: list[ChainEvent]) -> list[StoredEvent]:
    return [StoredEvent(e.event, e.block_number, e.log_index, e.args) for e in events]


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    manager_events = index.events(contract=MANAGER)
    now = source.block_time()
    holders = role_holders(_stored(manager_events))
    roles = [
        {"role_id": role, "role": ROLE_NAMES.get(role, str(role)), "holders": sorted(accounts)}
        for role, accounts in sorted(holders.items())
    ]
    pending = [
        {**op.to_json(), "eta": op.ready_at}
        for op in pending_operations(
            _stored([e for e in manager_events if e.event in OPERATION_EVENTS]), now
        )
    ]
    audit = [e.to_json() for e in index.events(administrative=True)]
    return {
        "chain_time": now,
        "roles": roles,
        "pending": pending,
        "audit": audit[-AUDIT_ROWS_SHOWN:][::-1],
        "audit_total": len(audit),
        "audit_complete_from_block": index.first_block,
        "contracts": sorted({e["contract"] for e in audit}),
    }


def filter_audit(
    index: EventIndex, contract: str | None, event: str | None, text: str | None
) -> list[ChainEvent]:
    """The administrative events matching every filter given (case-insensitive substring)."""
    needle = (text or "").lower()
    return [
        e
        for e in index.events(administrative=True)
        if (not contract or e.contract == contract)
        and (not event or e.event == event)
        and (not needle or needle in str(e.to_json()).lower())
    ]


def _schedule(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """Any restricted call, routed through the AccessManager (timelocked per the Safe's role)."""
    try:
        args = json.loads(form["args"] or "[]")
    except ValueError:
        raise ActionInputError("Arguments: not a JSON array") from None
    if not isinstance(args, list):
        raise ActionInputError("Arguments: not a JSON array")
    if not source.has(form["contract"]):
        raise ActionInputError(f"Contract: the deployment has no {form['contract']}")
    return [Call(form["contract"], form["function"], tuple(args))]


SCHEDULE = Action(
    name="governance-call",
    title="Prepare a governance operation",
    fields=(
        Field("contract", "Contract", "text", "a contract of the deployment record"),
        Field("function", "Function", "text", "e.g. setLimits"),
        Field("args", "Arguments", "text", 'JSON array, e.g. ["0xabc…", 5]', default="[]"),
    ),
    build=_schedule,
    help="Direct when the Safe's role may call at once, else scheduled behind its delay.",
)

PAGE = Page("governance", "Governance & audit", read, (SCHEDULE,))
