"""Every event the deployment's contracts emitted, decoded and kept in memory: the audit log,
the governance page's role holders and operations, and what the live feed pushes.

The index walks forward from the record's first block in `eth_getLogs` windows of at most
LOG_WINDOW_BLOCKS; a window the provider refuses for holding too many logs ("query returned more
than 10000 results", "response size exceeded"...) is halved and asked again, down to one block,
and the window grows back (doubling) once windows pass again. A log whose topic the contract's
ABI does not know is skipped.

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

import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3._utils.events import get_event_data

from keepers.console.source import ChainSource, ConsoleError, abi_name
from keepers.core.jsonable import to_jsonable

LOG_WINDOW_BLOCKS = 2_000
MAX_EVENTS = 200_000
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
    "PrimeBroker": (Kept(("AccountOpened",), ("account",)), Kept(("MarginCalled",), ("account",))),
    "IdentityRegistry": (
        Kept(("IdentityRegistered", "InvestorProfileSet"), ("identity",)),
        Kept(("WalletFrozen",), ("wallet",)),
    ),
    "ComplianceEngine": (Kept(("JurisdictionSet",), ("country",)),),
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


class EventIndex:
    """Thread-safe: `sync` (one caller at a time) appends; readers take snapshots.
    `first_block`: the first block whose events the index holds in full (the record's first
    block until something was dropped); `dropped`: how many events the bound dropped."""

    def __init__(
        self, source: ChainSource, max_events: int = MAX_EVENTS, window: int = LOG_WINDOW_BLOCKS
    ):
        self.source = source
        self.max_events = max_events
        self.max_window = window
        self.window = window
        self._events: deque[ChainEvent] = deque()
        self._kept: dict[tuple[str, str, tuple[Any, ...]], ChainEvent] = {}
        self.dropped = 0
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.next_block = int(source.record.block or 0)
        self.first_block = self.next_block
        self._topics: dict[tuple[str, bytes], tuple[str, dict]] = {}
        self._addresses: list[str] = []
        self._keeps: dict[tuple[str, str], tuple[str, Kept]] = {}  # (contract, event) -> group
        for name, address in source.record.contracts.items():
            abi = source.abis.get(abi_name(name))
            if not abi:
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
        """Indexes every block up to `to_block` (default: the head); returns the new events."""
        with self._sync_lock:
            w3 = self.source.w3
            head = int(w3.eth.block_number) if to_block is None else to_block
            new: list[ChainEvent] = []
            times: dict[int, int] = {}
            while self.next_block <= head and self._addresses:
                end = min(head, self.next_block + self.window - 1)
                try:
                    logs = w3.eth.get_logs(
                        {"fromBlock": self.next_block, "toBlock": end, "address": self._addresses}
                    )
                except Exception as err:  # noqa: BLE001 - too many logs: a smaller window
                    if not too_many_logs(err):
                        raise
                    if end == self.next_block:
                        raise ConsoleError(
                            f"block {end} alone holds more logs of the deployment than the "
                            f"provider answers at once: {str(err).splitlines()[0]}"
                        ) from None
                    self.window = max(1, (end - self.next_block + 1) // 2)
                    continue
                window = [e for e in (self._decode(log, times) for log in logs) if e is not None]
                self._append(window)
                new.extend(window)
                self.next_block = end + 1
                self.window = min(self.max_window, self.window * 2)
            if not self._addresses:
                self.next_block = head + 1
            return new

    def _append(self, window: list[ChainEvent]) -> None:
        """Adds a window's events: the kept ones to their keys, all to the history, dropping the
        oldest past `max_events` (and moving `first_block` past them)."""
        with self._lock:
            for e in window:
                kept = self._keeps.get((e.contract, e.event))
                if kept is not None:
                    group_name, group = kept
                    key = (e.contract, group_name, tuple(str(e.args.get(a)) for a in group.key))
                    if e.event in group.closing:
                        self._kept.pop(key, None)
                    else:
                        self._kept[key] = e
            self._events.extend(window)
            while len(self._events) > self.max_events:
                gone = self._events.popleft()
                self.dropped += 1
                self.first_block = max(self.first_block, gone.block_number + 1)

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
