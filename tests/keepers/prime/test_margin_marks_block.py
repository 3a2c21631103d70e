"""The margin keeper marks every account at its cycle's head block (store-reads.md L-3): a read
at "latest" could take one account's health and its liquidation count from two blocks (across a
batch boundary, or when a failed batch is read again call by call) and liquidate on a stale
health."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace
from unittest import mock

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


def test_helper_117_m2__top_up_and_health_read_every_figure_at_the_head():
    """helper-117 M2: `margin top-up` took the health of the block before the head and the holding
    at `latest`: a price drop in the head block was not counted, and the amount to deposit came
    out too small. Every command reads every figure at the head, one block, its halt included
    (`margin health` at the block before the head showed no debt right after a borrow)."""
    from click.testing import CliRunner

    from keepers.prime import cli, model
    from keepers.prime.margin import Health, Mark, Tier

    usdc = "0x" + "15" * 20
    reads: list[tuple[str, object]] = []
    health = Health(150 * 10**18, 120 * 10**18, 100 * 10**18, 100 * 10**18, 12_000, 0, 0, False)

    class FakeBook:
        view = SimpleNamespace(head=lambda: (100, 0), settled=lambda: (99, 0))
        broker = SimpleNamespace(
            isOpen=lambda account: True,
            isHalted=lambda account, block_id="latest": reads.append(("halted", block_id)),
        )

        def listing(self, asset):
            return SimpleNamespace(asset=usdc, symbol="USDC", decimals=6, risk_weight_bps=0)

        def mark(self, account, block):
            reads.append(("mark", block))
            return Mark(account, health, Tier(15_000, 12_500, 11_000, 5_000, 500, 86_400), 0)

        def holdings(self, account, block="latest"):
            reads.append(("holdings", block))
            return {usdc: model.Holding(0, 0, 10**18, 6, 0)}

    def fake_session(*args, **kwargs):
        record = SimpleNamespace(accounts={})
        return contextlib.nullcontext(cli.Session(FakeBook(), None, "0x" + "ac" * 20, record))

    runner, me = CliRunner(), ["--identity", "0x" + "ac" * 20, "--network", "local", "--json"]
    with (
        mock.patch.object(cli, "session", fake_session),
        mock.patch.object(cli, "reading_session", fake_session),
    ):
        topped = runner.invoke(cli.margin, ["top-up", "USDC", *me])
        assert topped.exit_code == 0, topped.output
        assert reads == [("mark", 100), ("halted", 100), ("holdings", 100)]
        reads.clear()
        shown = runner.invoke(cli.margin, ["health", *me])
        assert shown.exit_code == 0, shown.output
        assert reads == [("mark", 100), ("halted", 100)]
