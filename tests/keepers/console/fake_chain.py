"""A chain in memory for the event index's store tests: blocks with hashes and times, logs of two
contracts (the AccessManager's role grants and revocations, which the index keeps by key, and the
aggregator's commitments, which it does not), reorganisations that replace the blocks above a
number, and a count of what the index asked (`eth_getLogs` windows). Deterministic from a seed, so
that separate processes build the same chain."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from eth_abi import encode
from eth_utils import event_abi_to_log_topic, keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound

from keepers.console.source import ChainSource
from keepers.core.deployments import DeploymentRecord

MANAGER = to_checksum_address("0x" + "a1" * 20)
AGGREGATOR = to_checksum_address("0x" + "b2" * 20)
ROLE_GRANTED = {
    "type": "event",
    "name": "RoleGranted",
    "anonymous": False,
    "inputs": [
        {"name": "roleId", "type": "uint64", "indexed": True},
        {"name": "account", "type": "address", "indexed": True},
        {"name": "delay", "type": "uint32", "indexed": False},
        {"name": "since", "type": "uint48", "indexed": False},
        {"name": "newMember", "type": "bool", "indexed": False},
    ],
}
ROLE_REVOKED = {
    "type": "event",
    "name": "RoleRevoked",
    "anonymous": False,
    "inputs": [
        {"name": "roleId", "type": "uint64", "indexed": True},
        {"name": "account", "type": "address", "indexed": True},
    ],
}
COMMITTED = {
    "type": "event",
    "name": "Committed",
    "anonymous": False,
    "inputs": [
        {"name": "sender", "type": "address", "indexed": True},
        {"name": "commitment", "type": "bytes32", "indexed": False},
        {"name": "blockNumber", "type": "uint256", "indexed": False},
    ],
}
ABIS = {
    "QuanteraAccessManager": [ROLE_GRANTED, ROLE_REVOKED],
    "LiquidityAggregator": [COMMITTED],
}
FIRST_BLOCK = 10
CHAIN_ID = 31_337
HOLDERS = [to_checksum_address("0x" + f"{k:02x}" * 20) for k in range(1, 7)]


def _word(value: int | str) -> bytes:
    if isinstance(value, str):
        return bytes(12) + bytes.fromhex(value[2:])
    return value.to_bytes(32, "big")


@dataclass
class FakeEth:
    """`asked`: the log windows asked. `behind`: blocks the node answering lags by (a load
    balancer's lagging backend: its head is lower and newer blocks are not found). `after_block`:
    (n, action) runs `action` once, right after block n's header was answered."""

    chain: FakeChain
    asked: list[tuple[int, int]] = field(default_factory=list)
    behind: int = 0
    after_block: tuple[int, Any] | None = None
    twice: bool = False  # every log answered twice (a provider's duplicate)

    @property
    def block_number(self) -> int:
        return len(self.chain.blocks) - 1 - self.behind

    @property
    def chain_id(self) -> int:
        return CHAIN_ID

    def get_block(self, number: int | str) -> dict[str, Any]:
        n = self.block_number if number == "latest" else int(number)
        if n > self.block_number:
            raise BlockNotFound(f"block {n} not found")
        block = self.chain.blocks[n]
        if self.after_block is not None and self.after_block[0] == n:
            action, self.after_block = self.after_block[1], None
            action()
        return block

    def get_logs(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        start, end = int(params["fromBlock"]), int(params["toBlock"])
        self.asked.append((start, end))
        wanted = set(params["address"])
        return [
            log
            for n in range(start, min(end, self.block_number) + 1)
            for log in self.chain.logs[n]
            if log["address"] in wanted
            for _ in range(2 if self.twice else 1)
        ]


class FakeChain:
    """Blocks 0..head; `grow(n)` mines n blocks of random events, `reorg(depth, n)` replaces the
    top `depth` blocks with `n` others (other hashes, other events)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.blocks: list[dict[str, Any]] = []
        self.logs: list[list[dict[str, Any]]] = []
        self.branch = 0
        self.eth = FakeEth(self)
        self.w3 = _W3(self.eth)
        for _ in range(FIRST_BLOCK):
            self._mine([])

    def source(self, db_url: str | None = None) -> ChainSource:
        record = DeploymentRecord(
            "ethereum:local",
            CHAIN_ID,
            FIRST_BLOCK,
            {"QuanteraAccessManager": MANAGER, "LiquidityAggregator": AGGREGATOR},
        )
        return ChainSource(self.w3, record, ABIS, db_url)

    def _mine(self, events: list[tuple[dict, str, list, list]]) -> None:
        n = len(self.blocks)
        block_hash = keccak(f"{self.branch}:{n}".encode())
        self.blocks.append({"hash": block_hash, "timestamp": 1_700_000_000 + 12 * n})
        logs = []
        for i, (abi, address, topics, data) in enumerate(events):
            logs.append(
                {
                    "address": address,
                    "topics": [event_abi_to_log_topic(abi), *topics],
                    "data": data,
                    "blockNumber": n,
                    "blockHash": block_hash,
                    "logIndex": i,
                    "transactionIndex": 0,
                    "transactionHash": keccak(f"{self.branch}:{n}:{i}".encode()),
                }
            )
        self.logs.append(logs)

    def _random_event(self) -> tuple[dict, str, list, list]:
        kind = self.rng.random()
        role, holder = self.rng.randrange(3), self.rng.choice(HOLDERS)
        if kind < 0.35:
            data = encode(["uint32", "uint48", "bool"], [0, len(self.blocks), True])
            return ROLE_GRANTED, MANAGER, [_word(role), _word(holder)], data
        if kind < 0.5:
            return ROLE_REVOKED, MANAGER, [_word(role), _word(holder)], b""
        data = encode(["bytes32", "uint256"], [self.rng.randbytes(32), len(self.blocks)])
        return COMMITTED, AGGREGATOR, [_word(holder)], data

    def grow(self, blocks: int, most: int = 4) -> None:
        for _ in range(blocks):
            self._mine([self._random_event() for _ in range(self.rng.randrange(most + 1))])

    def reorg(self, depth: int, blocks: int) -> None:
        self.branch += 1
        del self.blocks[len(self.blocks) - depth :]
        del self.logs[len(self.logs) - depth :]
        self.grow(blocks)

    def mine_commits(self, blocks: int, per_block: int = 3) -> None:
        """Blocks of aggregator commitments only (nothing the index keeps by key)."""
        for _ in range(blocks):
            self._mine(
                [
                    (
                        COMMITTED,
                        AGGREGATOR,
                        [_word(HOLDERS[-1])],
                        encode(["bytes32", "uint256"], [self.rng.randbytes(32), len(self.blocks)]),
                    )
                    for _ in range(per_block)
                ]
            )

    def mine_event(self, abi: dict, role: int, holder: str) -> None:
        """One block holding one role event (`abi`: ROLE_GRANTED or ROLE_REVOKED)."""
        data = encode(["uint32", "uint48", "bool"], [0, 0, True]) if abi is ROLE_GRANTED else b""
        self._mine([(abi, MANAGER, [_word(role), _word(holder)], data)])


class _W3:
    def __init__(self, eth: FakeEth):
        self.eth = eth
        self.codec = Web3().codec
