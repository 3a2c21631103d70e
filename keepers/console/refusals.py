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

Bounded: at most SCAN_MAX_BLOCKS back from the head on the first scan, RECEIPT_BATCH blocks per
request, the newest MAX_REFUSALS kept; each block is read once (the scanner resumes after the
last one read).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from eth_abi import decode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address

from keepers.console.source import ChainSource, abi_name
from keepers.core.jsonable import to_jsonable

SCAN_MAX_BLOCKS = 100_000
RECEIPT_BATCH = 1_000
MAX_REFUSALS = 5_000
WATCHED_TYPES = ("SecurityToken", "PortfolioVault")
NOT_COMPLIANT = "TransferNotCompliant"


@dataclass(frozen=True)
class Refusal:
    block: int
    time: int
    tx: str
    contract: str
    sender: str
    error: str  # the custom error's name ("" when the revert carried none)
    code: int | None  # the ERC-1404 reason code of a TransferNotCompliant
    args: dict[str, Any]

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
            if abi_name(name) in WATCHED_TYPES and abi_name(name) in source.abis
        }
        self._errors: dict[bytes, dict[str, Any]] = {}
        for name in self.watched.values():
            for item in source.abis[abi_name(name)]:
                if item.get("type") == "error":
                    selector = function_abi_to_4byte_selector({**item, "type": "function"})
                    self._errors[selector] = item
        self.next_block = int(source.record.block or 0)
        self._refusals: deque[Refusal] = deque(maxlen=MAX_REFUSALS)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()

    def refusals(self) -> list[Refusal]:
        with self._lock:
            return list(self._refusals)

    def sync(self, head: int) -> int:
        """Reads the receipts of every block up to `head`; returns how many refusals were new."""
        with self._sync_lock:
            self.next_block = max(self.next_block, head - SCAN_MAX_BLOCKS + 1)
            found = 0
            provider = self.source.w3.provider
            while self.next_block <= head and self.watched:
                end = min(head, self.next_block + RECEIPT_BATCH - 1)
                answers = provider.make_batch_request(
                    [("eth_getBlockReceipts", [hex(b)]) for b in range(self.next_block, end + 1)]
                )
                for answer in answers:
                    for receipt in answer.get("result") or []:
                        refusal = self._refusal(receipt)
                        if refusal is not None:
                            with self._lock:
                                self._refusals.append(refusal)
                            found += 1
                self.next_block = end + 1
            if not self.watched:
                self.next_block = head + 1
            return found

    def _refusal(self, receipt: dict[str, Any]) -> Refusal | None:
        if int(receipt["status"], 16) != 0:
            return None
        contract = self.watched.get(str(receipt.get("to") or "").lower())
        if contract is None:
            return None
        w3 = self.source.w3
        tx = w3.eth.get_transaction(receipt["transactionHash"])
        block = int(receipt["blockNumber"], 16)
        data = self._revert_data(str(receipt["transactionHash"]), tx, block)
        name, code, args = self._decode(data)
        return Refusal(
            block=block,
            time=self.source.block_time(block),
            tx=str(receipt["transactionHash"]),
            contract=contract,
            sender=to_checksum_address(tx["from"]),
            error=name,
            code=code,
            args=args,
        )

    def _revert_data(self, tx_hash: str, tx: Any, block: int) -> str:
        """The revert data of a failed transaction: from its trace (`trace_transaction`, kept by
        anvil, reth, erigon, nethermind), else by replaying it at the block before (a node that
        pruned that state answers neither: the refusal is then shown without its reason)."""
        provider = self.source.w3.provider
        answer = provider.make_request("trace_transaction", [tx_hash])
        for frame in answer.get("result") or []:
            if not frame.get("traceAddress"):
                output = (frame.get("result") or {}).get("output")
                if isinstance(output, str) and len(output) >= 10:
                    return output
        call = {
            "from": tx["from"],
            "to": tx["to"],
            "data": "0x" + bytes(tx["input"]).hex(),
            "gas": hex(int(tx["gas"])),
        }
        answer = provider.make_request("eth_call", [call, hex(block - 1)])
        error = answer.get("error") if isinstance(answer, dict) else None
        data = error.get("data") if isinstance(error, dict) else None
        return data if isinstance(data, str) else ""

    def _decode(self, data: str) -> tuple[str, int | None, dict[str, Any]]:
        raw = bytes.fromhex(data.removeprefix("0x"))
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
