"""Governance and audit: roles and their holders, pending timelocked operations with their ETA,
proposed upgrades with the time each may run, and the audit log of every administrative event of
the deployment's contracts.

Token migrations (UPG-10) are every `TokenMigrator` the record names, read by the compliance
domain's one reader of a migration (`keepers.compliance.read_migration`, the operators' `ape run
migrate_token status` reads the same) at the page's block: both tokens, the old one paused or not,
each supply, the migrator's capabilities, and the holdings left on the old token — found from the
index's `Transfer` events of the old token, so what the index does not hold (before its first
block, or dropped past its bound) shows as supply no listed holding accounts for: the migration is
done only when no holding is listed and that is 0.

Proposed upgrades are the UpgradeAuthority's events folded (`pending_upgrades`), confirmed by its
`proposal` view in the same batch: shown while the chain says pending, at the chain's ETA, with
the window's close (ETA + `GRACE`) and whether it has closed.

Roles and operations are the AccessManager's events folded (the index keeps every one they need,
whatever its history bound drops: index.KEPT_EVENTS), then confirmed by the chain's own views in
one batch: a holder is shown while `hasRole` says it is a member, an operation while its
`getSchedule` is set (not executed, cancelled or expired) with that nonce, at that ETA. A view
that reverts leaves the event's word standing (OZ's `getSchedule` overflows, and reverts, for an
ETA within a week of 2^48: such an operation shows with its scheduled ETA). An ETA more than
FAR_ETA_SECONDS ahead is flagged: no timelock delay is that long, so it is someone's choice worth
a look. The audit log is the index's history: complete from
`audit_complete_from_block`."""

from __future__ import annotations

from typing import Any

from keepers.access import (
    OPERATION_EVENTS,
    ROLE_NAMES,
    UPGRADE_AUTHORITY,
    StoredEvent,
    pending_operations,
    role_holders,
)
from keepers.compliance import read_migration
from keepers.console import describe
from keepers.console.actions import Action, ActionInputError, Call, Field, json_array
from keepers.console.calls import CallFailure, ConsoleReads, batch_call
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.pages import Page
from keepers.console.source import ChainSource, abi_name
from keepers.console.upgrades import propose_calls, run_calls, upgrade_rows, veto_calls
from keepers.console.walks import WalkCache
from keepers.core.reads import first_line
from keepers.core.redact import redact_urls
from keepers.core.units import format_amount

MANAGER = "QuanteraAccessManager"
AUDIT_ROWS_SHOWN = 50  # the newest; the filter and the CSV export reach every row
FAR_ETA_SECONDS = 365 * 86_400  # an ETA further ahead than this is flagged
MIGRATOR = "TokenMigrator"
MIGRATION_HOLDERS_SHOWN = 20  # per migration, the largest; `ape run migrate_token status` has all
# Wallets a migration's row reads at most (three calls each, every indexed block while the page is
# open): the rest are said, and what they hold counts as supply not listed (helper-117 L1).
MIGRATION_WALLETS_READ = 1_000
ZERO = "0x0000000000000000000000000000000000000000"


def _stored(events: list[ChainEvent]) -> list[StoredEvent]:
    return [StoredEvent(e.event, e.block_number, e.log_index, e.args) for e in events]


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    block = index.head
    manager_events = index.events(contract=MANAGER, until_block=block)
    now = source.block_time(block)
    folded = role_holders(_stored(manager_events))
    scheduled = pending_operations(
        _stored([e for e in manager_events if e.event in OPERATION_EVENTS]), now
    )
    members, schedules = _confirmed(source, folded, scheduled, block)
    describer = describe.for_source(source).with_roles(members)
    records = describe.for_source(source)  # a holder's name: the record's, not its roles again
    roles = [
        {
            "role_id": role,
            "role": ROLE_NAMES.get(role, str(role)),
            "holders": sorted(accounts),
            "holder_names": [records.name(a) or "" for a in sorted(accounts)],
        }
        for role, accounts in sorted(members.items())
        if accounts
    ]
    pending = []
    for op in scheduled:
        eta = schedules.get((op.operation_id, op.nonce))
        if eta is None:
            continue
        row = {**op.to_json(), "ready_at": eta, "ready_in_seconds": max(eta - now, 0)}
        shown = {
            "call": describer.call(op.target, op.data),
            "caller_shown": describer.address(op.caller),
            "target_shown": describer.address(op.target),
        }
        pending.append({**row, **shown, "eta": eta, "eta_far_future": eta - now > FAR_ETA_SECONDS})
    pending.sort(key=lambda op: (op["eta"], op["scheduled_block"]))
    events = index.events(administrative=True, until_block=block)
    return {
        "chain_time": now,
        "roles": roles,
        "pending": pending,
        "upgrades": upgrade_rows(
            source,
            _stored(index.events(contract=UPGRADE_AUTHORITY, until_block=block)),
            block,
            now,
            records,
        ),
        "migrations": token_migrations(source, index, block, records),
        "audit": [audit_row(e, describer) for e in events[-AUDIT_ROWS_SHOWN:][::-1]],
        "audit_total": len(events),
        "audit_complete_from_block": index.first_block,
        "index_dropped": index.dropped,
        "contracts": sorted({e.contract for e in events}),
    }


def token_migrations(
    source: ChainSource, index: EventIndex, block: int, records: describe.Describer
) -> list[dict[str, Any]]:
    """Every recorded TokenMigrator's migration at `block` (see the module notice), amounts in
    whole units with the token's symbol; a migration that cannot be read is a row with its
    one-line `error`, not a failed page."""
    reads = ConsoleReads(source.w3)

    def contract_at(type_name: str, address: str) -> Any:
        return source.contract(type_name, address, abi_of=type_name)

    def credited(old: Any, stop: int) -> list[str]:
        wallets: dict[str, None] = {}
        for e in index.events(names=("Transfer",), until_block=stop):
            if e.address.lower() == old.address.lower() and e.args.get("to") not in (None, ZERO):
                wallets.setdefault(str(e.args["to"]), None)
        return list(wallets)

    rows: list[dict[str, Any]] = []
    for name in sorted(n for n in source.record.contracts if abi_name(n) == MIGRATOR):
        try:
            st = read_migration(
                reads,
                source.contract(name),
                contract_at,
                credited,
                block,
                max_wallets=MIGRATION_WALLETS_READ,
            )
        except Exception as err:  # noqa: BLE001 - one migration unread is its row, not the page
            line = redact_urls(first_line(err)) if str(err) else type(err).__name__
            rows.append({"name": name, "address": source.address(name), "error": line})
            continue

        def amount(units: int, st: Any = st, symbol: str | None = None) -> str:
            return format_amount(units, st.decimals, symbol or st.symbol)

        largest = sorted(st.holders, key=lambda h: (-h.amount, h.holder))
        rows.append(
            {
                "name": name,
                "address": st.migrator,
                "old_token": st.old_token,
                "old_token_shown": records.address(st.old_token),
                "new_token": st.new_token,
                "new_token_shown": records.address(st.new_token),
                "old_paused": st.old_paused,
                "old_supply": amount(st.old_supply),
                "new_supply": amount(st.new_supply, symbol=st.new_symbol),
                "can_burn_old": st.can_burn_old,
                "can_mint_new": st.can_mint_new,
                "balance_hooked": st.balance_hooked,
                "holders_left": len(st.holders),
                "contracts_left": sum(1 for h in st.holders if h.contract),
                "unlisted": amount(st.unlisted) if st.unlisted else None,
                "wallets_unread": st.wallets_unread,
                "done": not st.holders and st.unlisted == 0,
                "holders": [
                    {
                        "holder": h.holder,
                        "amount": amount(h.amount),
                        "frozen": amount(h.frozen_tokens) if h.frozen_tokens else None,
                        "wallet_frozen": h.wallet_frozen,
                        "contract": h.contract,
                    }
                    for h in largest[:MIGRATION_HOLDERS_SHOWN]
                ],
            }
        )
    return rows


def audit_row(event: ChainEvent, describer: describe.Describer) -> dict[str, Any]:
    """An audit log row: the event's raw fields and arguments (`args`, exact), and `shown`, its
    arguments as a person reads them (names, roles, ISO times, countries, whole units, decoded
    calldata: keepers.console.describe)."""
    shown = describer.event_safely(event.address, event.event, event.args)
    return {**event.to_json(), "shown": shown}


def _confirmed(
    source: ChainSource,
    folded: dict[int, set[str]],
    scheduled: list[Any],
    block: int,
) -> tuple[dict[int, set[str]], dict[tuple[str, int], int]]:
    """The folded holders the chain says are members (`hasRole`), and the folded operations the
    chain still has scheduled with that nonce (`getSchedule`, `getNonce`): their ETA. One batch."""
    if not source.has(MANAGER) or not (folded or scheduled):
        return {}, {}
    manager = source.contract(MANAGER)
    pairs = [(role, account) for role, accounts in folded.items() for account in sorted(accounts)]
    calls = [(manager, "hasRole", (role, account)) for role, account in pairs]
    for op in scheduled:
        operation = bytes.fromhex(op.operation_id.removeprefix("0x"))
        calls += [(manager, "getSchedule", (operation,)), (manager, "getNonce", (operation,))]
    results = batch_call(source, calls, block, allow_failure=True, limit=None)
    members: dict[int, set[str]] = {}
    for (role, account), answer in zip(pairs, results, strict=False):
        if isinstance(answer, CallFailure) or answer[0]:
            members.setdefault(role, set()).add(account)
    schedules = {}
    answers = results[len(pairs) :]
    for k, op in enumerate(scheduled):
        eta, nonce = answers[2 * k], answers[2 * k + 1]
        if isinstance(eta, CallFailure) or isinstance(nonce, CallFailure):
            schedules[(op.operation_id, op.nonce)] = op.ready_at  # the event's word
        elif int(eta) and int(nonce) == op.nonce:
            schedules[(op.operation_id, op.nonce)] = int(eta)
    return members, schedules


def filter_audit(
    index: EventIndex,
    contract: str | None,
    event: str | None,
    text: str | None,
    until_block: int | None = None,
) -> list[ChainEvent]:
    """The administrative events matching every filter given (case-insensitive substring of the
    raw row, or of a name among its arguments: a record name, a called function's name), up to
    `until_block`, oldest first."""
    needle = (text or "").lower()
    describer = describe.for_source(index.source) if needle else None

    def matches(e: ChainEvent) -> bool:
        if not needle or needle in str(e.to_json()).lower():
            return True
        assert describer is not None  # names and function names from tables, nothing decoded
        return needle in describer.keywords(e.address, e.event, e.args).lower()

    return [
        e
        for e in index.events(administrative=True, until_block=until_block)
        if (not contract or e.contract == contract)
        and (not event or e.event == event)
        and matches(e)
    ]


def audit_walk(
    walks: WalkCache,
    index: EventIndex,
    head: int,
    contract: str | None,
    event: str | None,
    text: str | None,
    low: int = 0,
    high: int | None = None,
) -> list[ChainEvent]:
    """The audit log filtered (blocks `low`..`high`, inclusive, at most `head`), newest first,
    through the shared walk cache (walks.py: one walk per filter and head, whoever asks; at most
    MAX_RUNNING_WALKS at once, else WalksBusy). Call it off the event loop."""
    high = head if high is None else min(high, head)

    def walk() -> list[ChainEvent]:
        rows = filter_audit(index, contract, event, text, until_block=high)
        return [e for e in rows if low <= e.block_number][::-1]

    key = ("audit", head, contract or None, event or None, (text or "").lower(), low, high)
    return walks.get(key, walk)


def _schedule(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """Any restricted call, routed through the AccessManager (timelocked per the Safe's role)."""
    args = json_array("Arguments", form["args"])
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


def _propose(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    args = json_array("Constructor arguments", form["constructor_args"])
    return propose_calls(
        source, form["proxy"], form["new_type"], form["implementation"], args, form["data"]
    )


PROPOSE_UPGRADE = Action(
    name="upgrade-propose",
    title="Propose an upgrade",
    fields=(
        Field("proxy", "Proxy", "text", "the record's name of a proxy, e.g. BondServicer.X"),
        Field("new_type", "New contract", "text", "the build's contract, e.g. BondServicer"),
        Field("implementation", "Implementation", "address", "where that build is deployed"),
        Field(
            "constructor_args",
            "Constructor arguments",
            "text",
            "JSON array it was deployed with",
            default="[]",
        ),
        Field("data", "Call after", "text", "hex calldata run on the new code", default="0x"),
    ),
    build=_propose,
    help="Checked first: the new storage layout against the deployed version's, and the code at "
    "the implementation against this build's. Runs after the UpgradeAuthority's notice.",
    calls=(("UpgradeAuthority", "propose"),),
)
UPGRADE_ID = Field("upgrade_id", "Upgrade id", "text", "0x… (the Proposed upgrades table)")
RUN_UPGRADE = Action(
    name="upgrade-run",
    title="Run a proposed upgrade",
    fields=(UPGRADE_ID,),
    build=lambda source, form: run_calls(source, form["upgrade_id"]),
    help="Exactly the proposal's arguments, read from its UpgradeProposed event.",
    calls=(("UpgradeAuthority", "upgrade"),),
)
VETO_UPGRADE = Action(
    name="upgrade-veto",
    title="Veto a proposed upgrade",
    fields=(UPGRADE_ID,),
    build=lambda source, form: veto_calls(source, form["upgrade_id"]),
    help="GUARDIAN: bars this code for this proxy for good.",
    who=lambda source: [
        "UpgradeAuthority.veto: any GUARDIAN (2) member of its AccessManager, checked by the "
        "authority itself (hasRole), whatever the wiring"
    ],
)

PAGE = Page(
    "governance",
    "Governance & audit",
    read,
    (SCHEDULE, PROPOSE_UPGRADE, RUN_UPGRADE, VETO_UPGRADE),
)
