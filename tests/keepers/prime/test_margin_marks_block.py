"""The margin keeper marks every account at its cycle's head block (store-reads.md L-3): a read
at "latest" could take one account's health and its liquidation count from two blocks (across a
batch boundary, or when a failed batch is read again call by call) and liquidate on a stale
health."""

from __future__ import annotations

from types import SimpleNamespace

from keepers.core.store import open_store
from keepers.prime.keeper import Head, MarginKeeper


class Book:
    def __init__(self):
        self.blocks: list = []

    def marks(self, accounts, block="latest"):
        self.blocks.append(block)
        return [], {}


def test_cycle__marks_read_at_the_cycle_s_head_block_not_latest():
    keeper = MarginKeeper.__new__(MarginKeeper)
    keeper.db, keeper.chain_id, keeper.signer = open_store("sqlite://"), 1337, None
    keeper.broker = SimpleNamespace(address="0x" + "b0" * 20)
    keeper.book, keeper.max_liquidations, keeper._idle = Book(), 3, {}
    keeper.discover = lambda head: 0
    keeper.reconcile = lambda only=None: {}
    result = keeper._cycle(Head(number=4_321, timestamp=1_800_000_000))
    assert keeper.book.blocks == [4_321]
    assert result["reason"] == "no signer: observing only"
