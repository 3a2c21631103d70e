"""The governance page's data as GraphQL: roles and their holders (an account's roles, a role's
accounts), pending timelocked operations with their ETA, and the audit log, filtered then paged.

Everything is as of the block the page's reader last read (`head`); the audit log is read from the
console's event index in memory (at most index.MAX_EVENTS events; never a walk of the chain) and
cut to that same head, so a query's parts agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from eth_utils import is_address, to_checksum_address
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON

from keepers.console import describe
from keepers.console.graphql.context import ConsoleContext
from keepers.console.graphql.paging import (
    DEFAULT_PAGE_SIZE,
    After,
    Connection,
    First,
    QueryInputError,
    check_first,
    paginate,
)
from keepers.console.graphql.scalars import BigInt, Long
from keepers.console.index import ChainEvent
from keepers.console.pages.governance import audit_walk
from keepers.console.walks import WalksBusy

PAGE = "governance"
MAX_AUDIT_WALKS = 2  # auditEvents fields per query (each may walk the whole index once)


@dataclass
class _Roles:
    """The role table every Role and Account of one query reads."""

    roles: list[Role]

    def held_by(self, address: str) -> list[Role]:
        return [r for r in self.roles if address in r.holder_set]


def _role_key(role: Role) -> tuple[int]:
    return (int(role.role_id),)


@strawberry.type(description="An account and the roles it holds.")
class Account:
    address: str
    table: strawberry.Private[_Roles]

    @strawberry.field(description="The roles the account holds, by role id.")
    def roles(
        self,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Role]:
        return paginate(self.table.held_by(self.address), first, after, _role_key)


@strawberry.type(
    description="A role of the AccessManager and its holders, as its events fold them."
)
class Role:
    role_id: BigInt
    name: str = strawberry.field(
        description="The protocol's name for the role (ADMIN, GUARDIAN...)."
    )
    holder_set: strawberry.Private[frozenset[str]]
    table: strawberry.Private[_Roles]

    @strawberry.field(description="The accounts holding the role, by address.")
    def holders(
        self,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Account]:
        accounts = [Account(address=a, table=self.table) for a in sorted(self.holder_set)]
        return paginate(accounts, first, after, lambda a: (a.address,))


@strawberry.type(
    description="An operation scheduled on the AccessManager, neither executed nor cancelled."
)
class PendingOperation:
    operation_id: str
    nonce: Long
    target: str
    target_contract: str | None = strawberry.field(
        description="The deployment record's name for the target (null if not in the record)."
    )
    selector: str
    eta: Long = strawberry.field(
        description="When it may execute (Unix seconds, the chain's `getSchedule`)."
    )
    ready_in_seconds: Long = strawberry.field(
        description="Seconds from the chain time to the ETA (0 when ready)."
    )
    scheduled_block: Long
    call: str = strawberry.field(
        description="The scheduled call decoded with the target's ABI, `function(argument=value, "
        "...)`, addresses named (keepers/console/describe.py); its raw calldata's selector is "
        "`selector`."
    )
    caller_address: strawberry.Private[str]
    table: strawberry.Private[_Roles]

    @strawberry.field(description="The account that scheduled it (and may execute it).")
    def caller(self) -> Account:
        return Account(address=self.caller_address, table=self.table)


@strawberry.type(
    description="An upgrade proposed to the UpgradeAuthority, neither run, vetoed nor expired "
    "(its `proposal` view at `head`): the proxy moves to the new code, then is called with "
    "`data`, from `eta` until `closesAt`."
)
class ProposedUpgrade:
    upgrade_id: str
    proxy: str
    proxy_contract: str | None = strawberry.field(
        description="The deployment record's name for the proxy (null if not in the record)."
    )
    implementation: str
    implementation_contract: str | None = strawberry.field(
        description="The record's name for the new code (null: no deployment recorded it)."
    )
    codehash: str = strawberry.field(description="The new code's hash the proposal names.")
    data: str = strawberry.field(description="Calldata run on the new code after the upgrade.")
    call: str = strawberry.field(
        description="`data` decoded with the proxy's recorded ABI (the new code may not share it)."
    )
    eta: Long = strawberry.field(description="When it may run (Unix seconds, `proposal`).")
    ready_in_seconds: Long
    closes_at: Long = strawberry.field(description="The end of its window: `eta + GRACE`.")
    proposed_block: Long
    code_warnings: str = strawberry.field(
        description="What to read before it runs, `; `-separated (empty: nothing): code no "
        "deployment recorded, recorded for another contract, not the code proposed, or "
        "forwarding elsewhere (CON-94)."
    )


@strawberry.type(description="An administrative event of one of the deployment's contracts.")
class AuditEvent:
    block: Long
    log_index: int
    time: Long = strawberry.field(description="The block's time (Unix seconds).")
    tx: str
    contract: str = strawberry.field(description="The deployment record's name for the emitter.")
    address: str
    event: str
    args: JSON = strawberry.field(
        description="The decoded arguments (bytes as 0x-hex, ints exact)."
    )
    shown: str = strawberry.field(
        description="The arguments as a person reads them: names, roles, ISO 8601 times, "
        "countries, whole units, calldata decoded (keepers/console/describe.py)."
    )

    @classmethod
    def of(cls, e: ChainEvent, describer: describe.Describer) -> AuditEvent:
        return cls(
            shown=describer.event_safely(e.address, e.event, e.args),
            block=e.block_number,
            log_index=e.log_index,
            time=e.block_time,
            tx=e.tx_hash,
            contract=e.contract,
            address=e.address,
            event=e.event,
            args=e.args,
        )


@strawberry.type(description="Governance and audit: the governance page's data.")
class Governance:
    head: Long = strawberry.field(
        description="The last block indexed; everything here is as of it."
    )
    chain_time: Long = strawberry.field(
        description="The time of the latest block read (Unix seconds)."
    )
    audit_complete_from_block: Long = strawberry.field(
        description="The audit log holds every administrative event from this block on."
    )
    table: strawberry.Private[_Roles]
    pending: strawberry.Private[list[PendingOperation]]
    upgrades: strawberry.Private[list[ProposedUpgrade]]

    @classmethod
    def of(cls, data: dict[str, Any], names: dict[str, str]) -> Governance:
        table = _Roles([])
        table.roles = [
            Role(
                role_id=int(r["role_id"]),
                name=str(r["role"]),
                holder_set=frozenset(r["holders"]),
                table=table,
            )
            for r in data["roles"]
        ]
        table.roles.sort(key=_role_key)
        pending = [
            PendingOperation(
                operation_id=p["operation_id"],
                nonce=int(p["nonce"]),
                target=p["target"],
                target_contract=names.get(p["target"]),
                selector=p["selector"],
                eta=int(p["eta"]),
                ready_in_seconds=int(p["ready_in_seconds"]),
                scheduled_block=int(p["scheduled_block"]),
                call=str(p["call"]),
                caller_address=p["caller"],
                table=table,
            )
            for p in data["pending"]
        ]
        pending.sort(key=_pending_key)
        upgrades = [
            ProposedUpgrade(
                upgrade_id=u["upgrade_id"],
                proxy=u["proxy"],
                proxy_contract=names.get(to_checksum_address(u["proxy"])),
                implementation=u["implementation"],
                implementation_contract=names.get(to_checksum_address(u["implementation"])),
                codehash=u.get("codehash", ""),
                data=u["data"],
                call=str(u["call"]),
                eta=int(u["eta"]),
                ready_in_seconds=int(u["ready_in_seconds"]),
                closes_at=int(u["closes_at"]),
                proposed_block=int(u["proposed_block"]),
                code_warnings="; ".join(u["code_warnings"]),
            )
            for u in data.get("upgrades", [])
        ]
        return cls(
            head=int(data["head"]),
            chain_time=int(data["chain_time"]),
            audit_complete_from_block=int(data["audit_complete_from_block"]),
            table=table,
            pending=pending,
            upgrades=upgrades,
        )

    @strawberry.field(description="Roles with at least one holder, by role id.")
    def roles(
        self,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Role]:
        return paginate(self.table.roles, first, after, _role_key)

    @strawberry.field(description="One account (any address; one with no role has none listed).")
    def account(self, address: str) -> Account:
        if not is_address(address):
            raise QueryInputError(f"address: {address!r} is not an address")
        return Account(address=to_checksum_address(address), table=self.table)

    @strawberry.field(description="Pending operations, soonest ETA first.")
    def pending_operations(
        self,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[PendingOperation]:
        return paginate(self.pending, first, after, _pending_key)

    @strawberry.field(description="Proposed upgrades still pending, soonest ETA first.")
    def proposed_upgrades(
        self,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[ProposedUpgrade]:
        return paginate(self.upgrades, first, after, lambda u: (int(u.eta), u.upgrade_id))

    @strawberry.field(
        description="The audit log, newest first: every filter given applies (contract and event "
        "exact, text a case-insensitive substring of the event's JSON, blocks inclusive), then the "
        "page. Read from the console's index in memory, up to `head`; at most MAX_AUDIT_WALKS "
        "per query."
    )
    async def audit_events(
        self,
        info: strawberry.Info,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        contract: str | None = None,
        event: str | None = None,
        text: str | None = None,
        from_block: Long | None = None,
        to_block: Long | None = None,
    ) -> Connection[AuditEvent]:
        check_first(first)  # before the walk
        context: ConsoleContext = info.context
        context.spend("auditEvents", "MAX_AUDIT_WALKS", MAX_AUDIT_WALKS)
        low = 0 if from_block is None else from_block
        try:
            rows = await run_in_threadpool(
                audit_walk,
                context.walks,
                context.index,
                self.head,
                contract,
                event,
                text,
                low,
                to_block,
            )
        except WalksBusy as err:
            raise QueryInputError(str(err)) from None
        page = paginate(rows, first, after, lambda e: (-e.block_number, -e.log_index))
        return Connection[AuditEvent](
            total_count=page.total_count,
            page_info=page.page_info,
            nodes=[AuditEvent.of(e, describe.for_source(context.source)) for e in page.nodes],
        )


def _pending_key(op: PendingOperation) -> tuple[int, str]:
    return (int(op.eta), op.operation_id)


@strawberry.type
class Query:
    @strawberry.field(description="Governance and audit (the console's governance page).")
    async def governance(self, info: strawberry.Info) -> Governance:
        context: ConsoleContext = info.context
        data = await context.page_data(PAGE)
        names = {
            to_checksum_address(address): name
            for name, address in context.source.record.contracts.items()
        }
        return Governance.of(data, names)
