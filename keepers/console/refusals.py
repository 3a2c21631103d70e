"""Transfer refusals as the chain holds them: a refused transfer reverts, so it leaves no event;
what it leaves is a mined transaction with status 0 (a wallet or an agent sent it anyway). The
scanner reads every block's receipts (`eth_getBlockReceipts`, batched), keeps the failed
transactions sent straight to a watched contract (each security token, the vault's shares), and
reads each one's revert data from its trace (`trace_transaction`), or, on a node without traces,
by replaying it at the block before its own (`eth_call`): `TransferNotCompliant(from, to, amount,
reasonCode)` gives the ERC-1404 code, any other custom error its name.

Not seen: a transfer refused inside another contract's call (a router, a fund vault) counts
under that contract if it is watched, else not at all; and a transaction a wallet refused to
send (`eth_estimateGas` failed first) never reached the chain. A replay at the previous block is
exact when the transaction was its block's first (anvil's automine) and a close reading
otherwise; a node that pruned that state answers neither (the refusal is counted, reason
unknown).

Bounded, since anyone can send a failing transaction to a token (a `transfer` without balance
costs about 28k gas): at most SCAN_MAX_BLOCKS back from the head on the first scan,
RECEIPT_BATCH blocks per request, the newest MAX_REFUSALS kept; each block is read once (the
scanner resumes after the last one read). A refusal is counted as soon as its receipt is read
(the receipt names its sender; its block's time comes in one batch per window), and its reason is
read afterwards, at most MAX_REASONS_PER_SYNC per sync, newest first, in one JSON-RPC batch of
traces (and one of transactions plus one of replays for those a trace does not explain): a page
read makes a bounded number of requests however many failed transactions a block holds, and the
rest are shown as REASON_NOT_READ until later reads reach them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from eth_abi import decode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address

from keepers.console.source import ChainSource, abi_name
from keepers.core.deploying import is_implementation
from keepers.core.jsonable import to_jsonable

SCAN_MAX_BLOCKS = 100_000
RECEIPT_BATCH = 1_000
MAX_REFUSALS = 5_000
MAX_REASONS_PER_SYNC = 50  # revert reasons read per sync (per page read): one batch of traces
REASON_NOT_READ = "(reason not read yet)"
WATCHED_TYPES = ("SecurityToken", "PortfolioVault")
NOT_COMPLIANT = "TransferNotCompliant"


@dataclass(frozen=True)
class Refusal:
    block: int
    time: int
    tx: str
    contract: str
    sender: str
    error: str  # the custom error's name ("" when the revert carried none; REASON_NOT_READ)
    code: int | None  # the ERC-1404 reason code of a TransferNotCompliant
    args: dict[str, Any]
    read: bool = True  # whether its reason was read (else `error` is REASON_NOT_READ)

    def to_json(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "time": self.time,
            "tx": self.tx,
            "contract": self.contract,
            "sender": self.sender,
            "error": self.error,
            "code": self.code,
            "args": self.args,
        }


class RefusalScanner:
    """Thread-safe: `sync` (one caller at a time) appends; `refusals` takes a snapshot."""

    def __init__(self, source: ChainSource):
        self.source = source
        self.watched = {
            to_checksum_address(address).lower(): name
            for name, address in source.record.contracts.items()
            if abi_name(name) in WATCHED_TYPES
            and abi_name(name) in source.abis
            and not is_implementation(name)  # a proxy's code: never called as the contract
        }
        self._errors: dict[bytes, dict[str, Any]] = {}
        for name in self.watched.values():
            for item in source.abis[abi_name(name)]:
                if item.get("type") == "error":
                    selector = function_abi_to_4byte_selector({**item, "type": "function"})
                    self._errors[selector] = item
        self.next_block = int(source.record.block or 0)
        self._refusals: OrderedDict[str, Refusal] = OrderedDict()  # tx -> refusal, oldest first
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()

    def refusals(self) -> list[Refusal]:
        with self._lock:
            return list(self._refusals.values())

    def sync(self, head: int) -> int:
        """Reads the receipts of every block up to `head`, then the reasons of at most
        MAX_REASONS_PER_SYNC refusals not read yet; returns how many refusals were new."""
        with self._sync_lock:
            self.next_block = max(self.next_block, head - SCAN_MAX_BLOCKS + 1)
            found = 0
            provider = self.source.w3.provider
            while self.next_block <= head and self.watched:
                end = min(head, self.next_block + RECEIPT_BATCH - 1)
                answers = provider.make_batch_request(
                    [("eth_getBlockReceipts", [hex(b)]) for b in range(self.next_block, end + 1)]
                )
                failed = [
                    receipt
                    for answer in answers
                    for receipt in answer.get("result") or []
                    if self._watched_failure(receipt)
                ]
                times = self._block_times({int(r["blockNumber"], 16) for r in failed})
                with self._lock:
                    for receipt in failed:
                        block = int(receipt["blockNumber"], 16)
                        tx = str(receipt["transactionHash"])
                        self._refusals[tx] = Refusal(
                            block=block,
                            time=times.get(block, 0),
                            tx=tx,
                            contract=self.watched[str(receipt["to"]).lower()],
                            sender=to_checksum_address(receipt["from"]),
                            error=REASON_NOT_READ,
                            code=None,
                            args={},
                            read=False,
                        )
                        while len(self._refusals) > MAX_REFUSALS:
                            self._refusals.popitem(last=False)
                found += len(failed)
                self.next_block = end + 1
            if not self.watched:
                self.next_block = head + 1
            self._read_reasons()
            return found

    def unread(self) -> int:
        with self._lock:
            return sum(1 for r in self._refusals.values() if not r.read)

    def _watched_failure(self, receipt: dict[str, Any]) -> bool:
        return int(receipt["status"], 16) == 0 and str(receipt.get("to") or "").lower() in (
            self.watched
        )

    def _block_times(self, blocks: set[int]) -> dict[int, int]:
        """Each block's time, in one batch."""
        if not blocks:
            return {}
        ordered = sorted(blocks)
        answers = self.source.w3.provider.make_batch_request(
            [("eth_getBlockByNumber", [hex(b), False]) for b in ordered]
        )
        return {
            b: int((a.get("result") or {}).get("timestamp", "0x0"), 16)
            for b, a in zip(ordered, answers, strict=True)
        }

    def _read_reasons(self) -> None:
        """The revert data of the newest MAX_REASONS_PER_SYNC refusals not read yet: their traces
        in one batch (`trace_transaction`, kept by anvil, reth, erigon, nethermind); for those a
        trace does not explain, the transactions and their replays at the block before
        (`eth_call`) in one batch each. A node that pruned that state answers neither: the
        refusal is then shown without its reason ("")."""
        with self._lock:
            todo = [r for r in reversed(self._refusals.values()) if not r.read]
        todo = todo[:MAX_REASONS_PER_SYNC]
        if not todo:
            return
        provider = self.source.w3.provider
        traces = provider.make_batch_request([("trace_transaction", [r.tx]) for r in todo])
        data: dict[str, str] = {}
        for r, answer in zip(todo, traces, strict=True):
            for frame in answer.get("result") or []:
                if not frame.get("traceAddress"):
                    output = (frame.get("result") or {}).get("output")
                    if isinstance(output, str) and len(output) >= 10:
                        data[r.tx] = output
        replay = [r for r in todo if r.tx not in data]
        if replay:
            txs = provider.make_batch_request(
                [("eth_getTransactionByHash", [r.tx]) for r in replay]
            )
            calls = []
            for r, answer in zip(replay, txs, strict=True):
                tx = answer.get("result") or {}
                call = {k: tx.get(k) for k in ("from", "to", "gas")}
                calls.append((r, {**call, "data": tx.get("input", "0x")}))
            answers = provider.make_batch_request(
                [("eth_call", [call, hex(r.block - 1)]) for r, call in calls]
            )
            for (r, _), answer in zip(calls, answers, strict=True):
                error = answer.get("error") if isinstance(answer, dict) else None
                revert = error.get("data") if isinstance(error, dict) else None
                data[r.tx] = revert if isinstance(revert, str) else ""
        with self._lock:
            for r in todo:
                name, code, args = self._decode(data.get(r.tx, ""))
                if r.tx in self._refusals:
                    self._refusals[r.tx] = replace(r, error=name, code=code, args=args, read=True)

    def _decode(self, data: str) -> tuple[str, int | None, dict[str, Any]]:
        try:
            raw = bytes.fromhex(data.removeprefix("0x"))
        except ValueError:
            return "", None, {}
        item = self._errors.get(raw[:4])
        if item is None:
            return "", None, {}
        types = [i["type"] for i in item.get("inputs", [])]
        try:
            values = decode(types, raw[4:])
        except Exception:  # noqa: BLE001 - malformed revert data: name only
            return item["name"], None, {}
        args = {
            (i["name"] or f"arg{k}"): (to_checksum_address(v) if i["type"] == "address" else v)
            for k, (i, v) in enumerate(zip(item["inputs"], values, strict=True))
        }
        code = int(args["reasonCode"]) if item["name"] == NOT_COMPLIANT else None
        return item["name"], code, to_jsonable(args)
