"""Every event the deployment's contracts emitted, decoded and kept in memory: the audit log,
the governance page's role holders and operations, and what the live feed pushes.

The index walks forward from the record's first block in bounded `eth_getLogs` windows
(LOG_WINDOW_BLOCKS) and keeps at most MAX_EVENTS events (the oldest are dropped first, and the
audit page says from which block it is complete). A log whose topic the contract's ABI does not
know is skipped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3._utils.events import get_event_data

from keepers.console.source import ChainSource, abi_name
from keepers.core.jsonable import to_jsonable

LOG_WINDOW_BLOCKS = 2_000
MAX_EVENTS = 200_000
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
    """Thread-safe: `sync` (one caller at a time) appends; readers take snapshots."""

    def __init__(self, source: ChainSource, max_events: int = MAX_EVENTS):
        self.source = source
        self._events: deque[ChainEvent] = deque(maxlen=max_events)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.next_block = int(source.record.block or 0)
        self.first_block = self.next_block
        self._topics: dict[tuple[str, bytes], tuple[str, dict]] = {}
        self._addresses: list[str] = []
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
                end = min(head, self.next_block + LOG_WINDOW_BLOCKS - 1)
                logs = w3.eth.get_logs(
                    {"fromBlock": self.next_block, "toBlock": end, "address": self._addresses}
                )
                window = [e for e in (self._decode(log, times) for log in logs) if e is not None]
                with self._lock:
                    self._events.extend(window)
                new.extend(window)
                self.next_block = end + 1
            if not self._addresses:
                self.next_block = head + 1
            return new

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
