"""Every event the deployment's contracts emitted, decoded and kept in the keeper store
(keepers.console.store): the audit log, the governance page's role holders and operations, and
what the live feed pushes. A restarted console reads the store instead of the chain, and the
consoles sharing a store (PostgreSQL: on several machines) share one index: one of them at a time
indexes new blocks into it (`keeper_lock`), every one loads what was stored into a copy of its
own, which the pages read. A console without a keeper store keeps one in its own memory.

The writer walks forward from the scope's cursor (at first the record's first block) in
`eth_getLogs` windows of at most LOG_WINDOW_BLOCKS; a window the provider refuses for holding too
many logs ("query returned more than 10000 results", "response size exceeded"...) is halved and
asked again, down to one block, and the window grows back (doubling) once windows pass again. A
log whose topic the contract's ABI does not know is skipped. Each window is stored with its last
block's hash (checked again after the logs were read); when the cursor's block is no longer
canonical (a reorganisation), the events above the newest block the chain still has are taken
back first, and the copies reload.

What it holds:
- the newest MAX_EVENTS events (the history: the audit log, the newest routes, commitments...).
  Older ones are dropped first, and `first_block` moves to the first block the index still holds
  in full (`dropped` counts what went): anything permissionless (an aggregator commitment, a
  claims check) can fill it, so a page never claims more than that.
- besides them, never dropped, the latest event of each key of the events pages fold into state
  (KEPT_EVENTS: who holds a role, which operations are scheduled, which margin accounts are open,
  which wallets are frozen, which identities are registered...). Each key is state a role of the
  protocol wrote (a grant, a scheduled operation, an account, an identity, a wallet, a market, a
  portfolio, a jurisdiction), so these grow with the deployment's state, not with traffic anyone
  can send; an event that closes a key (a revocation, an executed or cancelled operation) drops
  it. `events()` answers from both, so a fold over them is complete however old its events are.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3._utils.events import get_event_data
from web3.exceptions import BlockNotFound

from keepers.console import store as console_store
from keepers.console.keeper_store import store_of
from keepers.console.source import ChainSource, ConsoleError, abi_name
from keepers.core import store as core_store
from keepers.core.deploying import is_implementation
from keepers.core.jsonable import to_jsonable
from keepers.core.reads import settled_block
from keepers.core.store import REORG_WINDOW, keeper_lock

LOG_WINDOW_BLOCKS = 2_000
# The index stops SETTLE_BLOCKS (keepers.core.reads) below the chain's head, so every page, export
# and GraphQL query reads the chain at a block that is no longer the head (CON-96).
MAX_EVENTS = 200_000
# A copy reloads at most this often in one refresh when the store takes events back meanwhile.
MAX_RELOADS = 3
# A window short of the head remembers the hashes of its last blocks (up to this many; the one
# reaching the head, REORG_WINDOW): a reorganisation finds its ancestor among them instead of
# rescanning from the first block.
CHECKPOINT_BLOCKS = 16
# A writer looks for its family's stale scopes (keepers.console.store.forget_stale) this often.
SWEEP_SECONDS = 3_600
# What providers answer for a window holding too many logs or blocks (Infura's "more than 10000
# results", Alchemy's "Log response size exceeded", Ankr's "block range is too wide"...): the
# window is split, not asked again as it was.
TOO_MANY_LOGS = re.compile(
    r"more than \d+ results|too many (results|logs)|response size|too large|block range|"
    r"range (is )?too (large|wide)|range limit|is limited to",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Kept:
    """Events folded into state: the latest of each `key` (those arguments' values) is kept
    whatever the history bound drops; one of `closing` drops its key (nothing left to fold)."""

    events: tuple[str, ...]
    key: tuple[str, ...]
    closing: tuple[str, ...] = ()


# Per contract type: the events pages fold into state, kept whole (see the module docstring).
KEPT_EVENTS: dict[str, tuple[Kept, ...]] = {
    "QuanteraAccessManager": (
        Kept(("RoleGranted", "RoleRevoked"), ("roleId", "account"), ("RoleRevoked",)),
        Kept(
            ("OperationScheduled", "OperationExecuted", "OperationCanceled"),
            ("operationId", "nonce"),
            ("OperationExecuted", "OperationCanceled"),
        ),
    ),
    # Proposed upgrades (the governance page): the latest event of each id, closed once it ran
    # or was vetoed.
    "UpgradeAuthority": (
        Kept(
            ("UpgradeProposed", "ProxyUpgraded", "UpgradeVetoedBy"),
            ("id",),
            ("ProxyUpgraded", "UpgradeVetoedBy"),
        ),
    ),
    "PrimeBroker": (Kept(("AccountOpened",), ("account",)), Kept(("MarginCalled",), ("account",))),
    "IdentityRegistry": (
        Kept(("IdentityRegistered", "InvestorProfileSet"), ("identity",)),
        Kept(("WalletFrozen",), ("wallet",)),
    ),
    "ComplianceEngine": (Kept(("JurisdictionSet",), ("country",)),),
    # A token's own freezes (the compliance page's): the last wallet freeze of each wallet, and
    # the last change of its frozen part (the page reads the part itself from the token).
    **{
        token: (
            Kept(("AddressFrozen",), ("userAddress",)),
            Kept(("TokensFrozen", "TokensUnfrozen"), ("userAddress",)),
        )
        for token in ("SecurityToken", "IncomeShareToken", "BondShareToken")
    },
    "NavVenue": (Kept(("MarketSet",), ("token",)),),
    "RiskEngine": (
        Kept(("PortfolioConfigured",), ("portfolio",)),
        Kept(("Synced",), ("portfolio",)),
        Kept(("Halted", "Resumed"), ("portfolio",)),
    ),
}


def too_many_logs(err: BaseException) -> bool:
    """Whether a provider refused an `eth_getLogs` for the size of its answer (or range)."""
    return bool(TOO_MANY_LOGS.search(str(err)))


# Business flow, not administration: left out of the audit log (the pages show them otherwise).
FLOW_EVENTS = frozenset(
    {
        "Transfer",
        "Approval",
        "Deposit",
        "Withdraw",
        "Swap",
        "Sync",
        "Mint",
        "Burn",
        "Filled",
        "AnswerUpdated",
        "NewRound",
    }
)


@dataclass(frozen=True)
class ChainEvent:
    block_number: int
    log_index: int
    block_time: int
    tx_hash: str
    contract: str
    address: str
    event: str
    args: dict[str, Any]

    @property
    def administrative(self) -> bool:
        return self.event not in FLOW_EVENTS

    def to_json(self) -> dict[str, Any]:
        return {
            "block": self.block_number,
            "log_index": self.log_index,
            "time": self.block_time,
            "tx": self.tx_hash,
            "contract": self.contract,
            "address": self.address,
            "event": self.event,
            "args": self.args,
        }


def settled_head(chain_head: int) -> int:
    """The last block the index takes from a chain whose head is `chain_head` (SETTLE_BLOCKS)."""
    return settled_block(chain_head)


class EventIndex:
    """Thread-safe: `sync` (one caller at a time) indexes and refreshes; readers take snapshots
    of this process's copy. `first_block`: the first block whose events the index holds in full
    (the record's first block until something was dropped); `dropped`: how many events the bound
    dropped; both the store's figures.

    `engine`: the keeper store holding the index (default: the console's, `source.db_url`; without
    one, a store in this process's memory). `family`: what the index is for (the funds page's
    indexes, whose contracts change as funds appear, are "funds": a family's scope no console
    synced for a day is deleted)."""

    def __init__(
        self,
        source: ChainSource,
        max_events: int = MAX_EVENTS,
        window: int = LOG_WINDOW_BLOCKS,
        engine: Any = None,
        family: str = "deployment",
    ):
        self.source = source
        self.family = family
        self.max_events = max_events
        self.max_window = window
        self.window = window
        self.engine = engine if engine is not None else _engine_of(source)
        self._events: deque[ChainEvent] = deque()
        self._kept: dict[tuple[str, str, tuple[Any, ...]], ChainEvent] = {}
        self.dropped = 0
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.record_block = int(source.record.block or 0)
        self.next_block = self.record_block
        self.first_block = self.record_block
        self._scope: str | None = None
        self._chain_id = 0
        # The (born, generation) of the store's index the copy holds (None: load it whole).
        self._generation: tuple[int, int] | None = None
        self._swept_at = -SWEEP_SECONDS
        self._last: tuple[int, int] = (-1, -1)  # the position of the newest event loaded
        self._topics: dict[tuple[str, bytes], tuple[str, dict]] = {}
        self._addresses: list[str] = []
        self._keeps: dict[tuple[str, str], tuple[str, Kept]] = {}  # (contract, event) -> group
        for name, address in source.record.contracts.items():
            abi = source.abis.get(abi_name(name))
            # A proxy's code emits nothing the protocol does (its events are the proxy's): what
            # comes from its own address is an outsider calling it directly, never shown.
            if not abi or is_implementation(name):
                continue
            checksummed = to_checksum_address(address)
            self._addresses.append(checksummed)
            for item in abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    topic = event_abi_to_log_topic(item)
                    self._topics[(checksummed, topic)] = (name, item)
            for group in KEPT_EVENTS.get(abi_name(name), ()):
                for event in group.events:
                    self._keeps[(name, event)] = (group.events[0], group)

    @property
    def head(self) -> int:
        """The last block indexed."""
        return self.next_block - 1

    @property
    def store_kind(self) -> str:
        """ "memory" for a store of this process's own, else the keeper store's database kind."""
        return "memory" if self.engine.url.database is None else self.engine.dialect.name

    @property
    def scope(self) -> str:
        """The index's name in the store: its chain, its family, its contracts with the events
        their ABIs decode, the events it keeps by key, its first block and its bound."""
        if self._scope is None:
            self._chain_id = int(self.source.chain_id)
            decoded = sorted(
                (address, topic.hex(), name) for (address, topic), (name, _) in self._topics.items()
            )
            kept = sorted((c, e, g, ",".join(k.key)) for (c, e), (g, k) in self._keeps.items())
            config = json.dumps([self.family, decoded, kept])
            self._scope = console_store.index_scope(
                self._chain_id, config, self.record_block, self.max_events
            )
        return self._scope

    def events(
        self,
        contract: str | None = None,
        names: Iterable[str] | None = None,
        administrative: bool | None = None,
        until_block: int | None = None,
    ) -> list[ChainEvent]:
        """The indexed events, filtered; `until_block`: none after it (a page reading the chain at
        a block keeps the events the live feed indexes meanwhile out of that page)."""
        wanted = set(names) if names is not None else None
        with self._lock:
            snapshot = list(self._events)
            if self.dropped:  # kept events the history no longer holds, oldest first
                oldest = (snapshot[0].block_number, snapshot[0].log_index) if snapshot else None
                older = sorted(
                    (
                        e
                        for e in self._kept.values()
                        if oldest is None or (e.block_number, e.log_index) < oldest
                    ),
                    key=lambda e: (e.block_number, e.log_index),
                )
                snapshot = older + snapshot
        return [
            e
            for e in snapshot
            if (contract is None or e.contract == contract)
            and (wanted is None or e.event in wanted)
            and (administrative is None or e.administrative == administrative)
            and (until_block is None or e.block_number <= until_block)
        ]

    def sync(self, to_block: int | None = None) -> list[ChainEvent]:
        """Indexes every block up to `to_block` (default: the settled head, the block before the
        chain's: SETTLE_BLOCKS) into the store, unless another process (or thread) is indexing this
        scope now; then loads what the store holds that this copy does not. Returns the events new
        to this copy."""
        with self._sync_lock:
            scope = self.scope
            # At each sync (the state is made here): a scope no writer synced for a day may have
            # been deleted (forget_stale) while this index was kept; it starts again then.
            console_store.ensure_state(
                self.engine, scope, self._chain_id, self.record_block, self.family
            )
            with keeper_lock(self.engine, scope) as writer:
                if writer:
                    self._index_chain(to_block)
            return self._refresh()

    # ------------------------------------------------------------------ the writer

    def _index_chain(self, to_block: int | None) -> None:
        """The chain's events after the scope's cursor up to `to_block` or the head, window by
        window, each stored with its cursor and the hashes of its last blocks (`_checkpoints`),
        once the window's last block and the block before the window are checked to be the ones
        they were (neither replaced while the logs were read). A cursor whose block was replaced
        (a reorganisation) first takes the orphaned events back to the newest checkpoint the
        chain still has; a provider behind the cursor is waited for when it still has the newest
        checkpoint below its head (a lagging node), not when it does not (another chain)."""
        w3, engine, scope, chain_id = self.source.w3, self.engine, self._scope, self._chain_id
        assert scope is not None
        head = settled_head(int(w3.eth.block_number)) if to_block is None else to_block
        cursor = core_store.get_cursor(engine, scope, chain_id)
        before: str | None = None  # the hash the block before the next window must have
        if cursor is not None:
            remembered = core_store.checkpoints(engine, scope, chain_id)
            current = self._hash(cursor) if head >= cursor else None
            if current is None:
                # The provider has no block at the cursor: a lagging node, or a chain replaced by
                # a shorter one (another chain wrote the scope, a dev chain made anew). The newest
                # checkpoint it does have tells which; none within REORG_WINDOW: replaced.
                below = [(n, h) for n, h in remembered if n <= head]
                if below:
                    if self._hash(below[0][0]) in (None, below[0][1]):
                        return  # behind what was indexed: nothing to do until it is not
                elif cursor - head <= REORG_WINDOW:
                    return
                replaced = True
            else:
                replaced = bool(remembered) and remembered[0][0] == cursor
                replaced = replaced and current != remembered[0][1]
                if not replaced and remembered and remembered[0][0] == cursor:
                    before = current
            if replaced:
                ancestor, before = next(
                    ((n, h) for n, h in remembered if n < cursor and self._hash(n) == h),
                    (self.record_block - 1, None),
                )
                console_store.take_back(engine, scope, chain_id, ancestor, self.record_block)
                cursor = ancestor
        next_block = self.record_block if cursor is None else max(self.record_block, cursor + 1)
        times: dict[int, int] = {}
        while next_block <= head:
            end = min(head, next_block + self.window - 1)
            end_hash = self._hash(end)
            if end_hash is None:
                return  # the chain is shorter than asked (a reorganisation to a shorter branch)
            logs: list = []
            if self._addresses:
                try:
                    logs = w3.eth.get_logs(
                        {"fromBlock": next_block, "toBlock": end, "address": self._addresses}
                    )
                except Exception as err:  # noqa: BLE001 - too many logs: a smaller window
                    if not too_many_logs(err):
                        raise
                    if end == next_block:
                        raise ConsoleError(
                            f"block {end} alone holds more logs of the deployment than the "
                            f"provider answers at once: {str(err).splitlines()[0]}"
                        ) from None
                    self.window = max(1, (end - next_block + 1) // 2)
                    continue
            window = [e for e in (self._decode(log, times) for log in logs) if e is not None]
            tail = [
                (n, self._hash(n))
                for n in range(max(next_block, end - self._checkpoints(end, head) + 1), end)
            ]
            if self._hash(end) != end_hash or (
                before is not None and self._hash(next_block - 1) != before
            ):
                return  # replaced while read: the next sync finds the cursor's block changed
            hashes = [(n, h) for n, h in tail if h is not None] + [(end, end_hash)]
            console_store.store_window(
                engine,
                scope,
                chain_id,
                [self._to_store(e) for e in window],
                self.max_events,
                end,
                hashes,
            )
            before, next_block = end_hash, end + 1
            self.window = min(self.max_window, self.window * 2)
        now = int(time.time())
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            console_store.forget_stale(engine, chain_id, self.family, scope, now)

    @staticmethod
    def _checkpoints(end: int, head: int) -> int:
        """How many of a window's last blocks get a checkpoint: the window reaching the head (the
        last of a catch-up, or a poll's) as many as a reorganisation is looked for in (so that one
        up to REORG_WINDOW deep right after a catch-up finds its ancestor), the others a few."""
        return REORG_WINDOW if end == head else CHECKPOINT_BLOCKS

    def _hash(self, number: int) -> str | None:
        """Block `number`'s hash on the chain now, or None when the chain is shorter."""
        try:
            block = self.source.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        value = block["hash"]
        return value if isinstance(value, str) else "0x" + bytes(value).hex().removeprefix("0x")

    def _key_of(self, e: ChainEvent) -> tuple[tuple[str, str, tuple[Any, ...]], bool] | None:
        """The kept key `e` holds or closes (and whether it closes it), or None."""
        kept = self._keeps.get((e.contract, e.event))
        if kept is None:
            return None
        group_name, group = kept
        key = (e.contract, group_name, tuple(str(e.args.get(a)) for a in group.key))
        return key, e.event in group.closing

    def _to_store(self, e: ChainEvent) -> console_store.NewEvent:
        row = {
            "block_number": e.block_number,
            "log_index": e.log_index,
            "block_time": e.block_time,
            "tx_hash": e.tx_hash,
            "contract": e.contract,
            "address": e.address,
            "event": e.event,
            "args": e.args,
        }
        keyed = self._key_of(e)
        if keyed is None:
            return console_store.NewEvent(row)
        key, closing = keyed
        return console_store.NewEvent(row, json.dumps(key), closing)

    # ------------------------------------------------------------------ the reader

    def _refresh(self) -> list[ChainEvent]:
        """Brings this copy up to the store (read in one view of it): the events after the newest
        held, folded as the store folded them; the whole index again after the store took events
        back (a reorganisation) or dropped ones this copy never saw. Returns the events new to
        it."""
        engine, scope = self.engine, self.scope
        for _attempt in range(MAX_RELOADS):
            whole = self._generation is None
            snap = console_store.load(engine, scope, None if whole else self._last)
            if snap is None:
                return []
            generation = snap.version[:2]
            if not whole and generation != self._generation:
                self._generation = None  # taken back since the last read: load it whole
                continue
            events = [_from_row(r) for r in snap.rows]
            before = self._last
            with self._lock:
                if whole:
                    self._events = deque(e for r, e in zip(snap.rows, events) if r.in_history)
                    self._kept = {}
                    self._fold(events)
                elif self._append(events) != snap.dropped:
                    # The store dropped events this copy never saw: load it whole (what was
                    # appended is replaced then).
                    self._generation = None
                    continue
                self.dropped, self.first_block = snap.dropped, snap.first_block
                if events:
                    self._last = (events[-1].block_number, events[-1].log_index)
                elif whole:
                    self._last = (-1, -1)
                self._generation = generation
                self.next_block = self.record_block if snap.cursor is None else snap.cursor + 1
            return [e for e in events if (e.block_number, e.log_index) > before]
        raise ConsoleError(
            f"the event index {scope} was taken back {MAX_RELOADS} times while read: "
            "the chain reorganises faster than the console reads"
        )

    def _fold(self, window: list[ChainEvent]) -> None:
        """Folds events into the kept keys (the caller holds the lock)."""
        for e in window:
            keyed = self._key_of(e)
            if keyed is None:
                continue
            key, closing = keyed
            if closing:
                self._kept.pop(key, None)
            else:
                self._kept[key] = e

    def _append(self, window: list[ChainEvent]) -> int:
        """Adds events after the newest held: the kept ones to their keys, all to the history,
        dropping the oldest past `max_events` (the caller holds the lock). Returns what this copy
        has dropped in all, the store's rule applied to what it saw."""
        self._fold(window)
        self._events.extend(window)
        dropped = self.dropped
        while len(self._events) > self.max_events:
            self._events.popleft()
            dropped += 1
        return dropped

    def _decode(self, log: Any, times: dict[int, int]) -> ChainEvent | None:
        if not log["topics"]:
            return None
        address = to_checksum_address(log["address"])
        known = self._topics.get((address, bytes(log["topics"][0])))
        if known is None:
            return None
        name, abi = known
        try:
            data = get_event_data(self.source.w3.codec, abi, log)
        except Exception:  # noqa: BLE001 - a log that does not decode is not ours to show
            return None
        block = int(log["blockNumber"])
        if block not in times:
            times[block] = self.source.block_time(block)
        return ChainEvent(
            block_number=block,
            log_index=int(log["logIndex"]),
            block_time=times[block],
            tx_hash="0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
            contract=name,
            address=address,
            event=str(data["event"]),
            args=to_jsonable(dict(data["args"])),
        )


def _from_row(row: console_store.IndexedEvent) -> ChainEvent:
    return ChainEvent(
        block_number=int(row.block_number),
        log_index=int(row.log_index),
        block_time=int(row.block_time),
        tx_hash=row.tx_hash,
        contract=row.contract,
        address=row.address,
        event=row.event,
        args=dict(row.args),
    )


def _engine_of(source: ChainSource) -> Any:
    """The console's keeper store, or (started without one) a store of the index's own in this
    process's memory."""
    engine = store_of(source)
    return engine if engine is not None else core_store.open_store(core_store.MEMORY_URL)
