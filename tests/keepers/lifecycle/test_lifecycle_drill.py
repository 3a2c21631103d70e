"""LCY-91: the lifecycle keepers' kill drill (KPR-4's drill for keepers/lifecycle). The NAV agent
(keepers/lifecycle/bot.py: strikes and daily dividends) and the fee keeper (fee_bot.py) run as
real silverback processes against anvil, over a FundVault whose share class is an
IncomeShareToken (test_fee_keeper_chain.build_fee_chain with test_dividend_chain's share class:
a struck first period, fees owed, a period and a dividend due). Each cycle the driver requests a
deposit (a pending request), moves the chain's clock an hour past the open period's cut-off (a
strike, a dividend and a fee collection due) in a block that also reports a fresh settlement
asset price; each keeper dies by `kill -9` at a seeded crash point of its cycle
(keepers/core/faults.py: every point of each keeper once, in a seeded order) or is killed from
outside once, the supervisor restarts it, and the driver waits on the chain and the store (never
on a sleep) until the work is done. Then, against the canonical chain: every period struck once,
every dividend declared once, one fee collection per due window, and the keeper store agreeing.

`QUANTERA_DRILL_SEED` replays a seed (printed)."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from drills import (
    CHAIN_ID,
    calldata,
    check_checkpoints,
    fault_schedule,
    keeper_env,
    silverback_argv,
    wait_with_logs,
)
from keepers.core.faults import POINTS
from keepers.core.units import FEED_DECIMALS
from keepers.demo.processes import KeeperSupervisor, ProcessGroup, rpc, start_anvil
from keepers.lifecycle import store as lifecycle_store
from test_dividend_chain import income_share_class
from test_fee_keeper_chain import COLLECTOR, USDC, build_fee_chain
from test_nav_agent_chain import INVESTOR, NAV_AGENT, fresh_usdc_price

SEED = int(os.environ.get("QUANTERA_DRILL_SEED", "17"))
BOTS = ("lifecycle", "fees")
SIGNERS = {"lifecycle": NAV_AGENT, "fees": COLLECTOR}
REPORTER = 7  # the driver's price reporter (not the NAV agent: its nonces are the keeper's)
HOUR, DAY = 3_600, 86_400
# Two collections of a vault at least this far apart: the due window (the cycles are a day apart).
COLLECT_INTERVAL = 12 * HOUR
# Every crash point of the NAV agent once and a kill from outside: the schedule's length.
CYCLES = len(POINTS["lifecycle"]) + 1


def grant_reporter(d, acct, registry, usdc):
    from keepers.access import grant_calls, send_to_manager

    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", acct[REPORTER].address))


class LifecycleDrill:
    """The chain, the store and the two keepers' processes of the drill."""

    def __init__(self, c, url: str, folder, group: ProcessGroup):
        from ape import project

        self.c, self.url, self.folder, self.group = c, url, folder, group
        self.vault = c.vaults[0]
        self.token = project.IncomeShareToken.at(self.vault.share())
        self.crash_files = {bot: folder / f"crash-point.{bot}" for bot in BOTS}
        self.supervisor = KeeperSupervisor(group, max_restarts=4 * CYCLES)

    def start(self) -> None:
        from ape import chain

        self._started_at = self._scanned = int(self.head().number)
        self._sent: list[dict] = []
        self._nonces = {
            bot: chain.provider.get_nonce(self.c.acct[SIGNERS[bot]].address) for bot in BOTS
        }
        for bot in BOTS:
            env = keeper_env(
                self.c.record_dir,
                self.c.db_url,
                self.crash_files[bot],
                SIGNERS[bot],
                QUANTERA_NAV_RF_SHIFT_DAYS="0",
                QUANTERA_FEE_COLLECT_INTERVAL=str(COLLECT_INTERVAL),
            )
            self.supervisor.start(bot, silverback_argv(bot, self.url), env)

    # ---------------------------------------------------------------- the driver

    def request_deposit(self, amount: int) -> None:
        investor = self.c.acct[INVESTOR]
        self.c.usdc.approve(self.vault, amount, sender=investor)
        self.vault.requestDeposit(amount, investor, investor, sender=investor)

    def jump_past_cutoff(self) -> int:
        """The clock an hour past the open period's cut-off, in a block whose transaction reports
        the settlement asset's price (fresh at the strike). Returns the block's timestamp."""
        from ape import project

        at = int(self.vault.dealing()[1]) + HOUR
        feed = project.ReporterPriceFeed.at(self.c.record.address_of("PriceFeed.USDC"))
        # No interval block may take the timestamp before the report: the chain stands still while
        # the report waits in the pool, then one block at `at` holds it, then a block a second.
        rpc(self.url, "evm_setIntervalMining", [0])
        try:
            tx_hash = rpc(
                self.url,
                "eth_sendTransaction",
                [
                    {
                        "from": self.c.acct[REPORTER].address,
                        "to": feed.address,
                        "data": calldata(feed, "report", 10**FEED_DECIMALS),
                    }
                ],
            )
            rpc(self.url, "evm_setNextBlockTimestamp", [at])
            rpc(self.url, "evm_mine", [])
        finally:
            rpc(self.url, "evm_setIntervalMining", [1])
        receipt = rpc(self.url, "eth_getTransactionReceipt", [tx_hash])
        assert int(receipt["status"], 16) == 1
        assert self.block_time(int(receipt["blockNumber"], 16)) == at
        return at

    # ---------------------------------------------------------------- state

    def head(self):
        from ape import chain

        return chain.blocks.head

    @staticmethod
    def block_time(number: int) -> int:
        from ape import chain

        return int(chain.provider.get_block(number).timestamp)

    def declarations(self) -> int:
        return int(self.token.incomeIndex()[1])

    def collections(self) -> list:
        return self.c.collected_logs(self.vault)

    def done(self, declarations: int, collections: int) -> bool:
        """What the chain needs is done: no period past its cut-off unstruck, `declarations`
        declared, `collections` collected, and nothing open in the store."""
        db, address = self.c.db, self.vault.address
        if int(self.vault.dealing()[1]) <= int(self.head().timestamp):
            return False
        if self.declarations() < declarations or len(self.collections()) < collections:
            return False
        rows = [
            *lifecycle_store.nav_strikes(db, CHAIN_ID, address),
            *lifecycle_store.income_declarations(db, CHAIN_ID, self.token.address),
            *lifecycle_store.fee_collections(db, CHAIN_ID, address),
        ]
        return not [r for r in rows if r.status in ("pending", "sent")]

    def wait_done(self, what: str, declarations: int, collections: int) -> None:
        wait_with_logs(
            self.folder, lambda: self.done(declarations, collections), what, self.supervisor
        )

    def check_invariants(self) -> dict:
        """Against the canonical chain: every period struck once, by the transaction the store
        holds; every declaration number once (1..n), by the store's transaction, one a UTC day;
        the fee collections at least the due window apart, each the store's confirmed row."""
        import datetime as dt

        from keepers.core.logs import fetch_logs
        from keepers.lifecycle.keeper import flows_keeper
        from keepers.lifecycle.striking import _hex

        db, vault, token = self.c.db, self.vault, self.token
        head = int(self.head().number)
        struck = list(fetch_logs(vault.address, [vault.PeriodStruck.abi], 0, head))
        periods = [int(log.period) for log in struck]
        assert periods == list(range(1, int(vault.dealing()[0]))), f"periods struck: {periods}"
        confirmed = {
            r.period: (r.tx_hash.lower(), int(r.nav18))
            for r in lifecycle_store.nav_strikes(db, CHAIN_ID, vault.address)
            if r.status == "confirmed"
        }
        assert confirmed == {
            int(log.period): (_hex(log.transaction_hash), int(log.nav18)) for log in struck
        }, "strikes disagree with the chain"
        declared = list(fetch_logs(token.address, [token.IncomeDeclared.abi], 0, head))
        numbers = [int(log.number) for log in declared]
        assert numbers == list(range(1, self.declarations() + 1)), f"declarations: {numbers}"
        days = [
            dt.datetime.fromtimestamp(self.block_time(log.block_number), dt.UTC).date()
            for log in declared
        ]
        assert len(set(days)) == len(days), f"two declarations on one UTC day: {days}"
        rows_declared = lifecycle_store.income_declarations(db, CHAIN_ID, token.address)
        assert {
            r.number: ((r.tx_hash or "").lower(), int(r.shares))
            for r in rows_declared
            if r.status == "confirmed"
        } == {int(log.number): (_hex(log.transaction_hash), int(log.shares)) for log in declared}, (
            f"declarations disagree with the chain: {[(r.number, r.status) for r in rows_declared]}"
        )
        collected = self.collections()
        times = [self.block_time(log.block_number) for log in collected]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(g >= COLLECT_INTERVAL for g in gaps), f"collections {gaps} s apart"
        rows = lifecycle_store.fee_collections(db, CHAIN_ID, vault.address)
        assert {
            r.tx_hash.lower(): (int(r.shares), int(r.assets))
            for r in rows
            if r.status == "confirmed"
        } == {
            _hex(log.transaction_hash): (int(log.shares), int(log.assets)) for log in collected
        }, f"collections disagree with the chain: {[(r.number, r.status) for r in rows]}"
        # The dividends' windows end to end: no gap, no day paid twice.
        windows = [(r.start, r.end) for r in rows_declared if r.status == "confirmed"]
        assert all(b[0] == a[1] for a, b in zip(windows, windows[1:])), f"windows {windows}"
        check_checkpoints(db, [flows_keeper(vault.address)])
        sent = self.check_keeper_transactions(struck, declared, collected)
        return {
            "periods": len(periods),
            "declarations": len(numbers),
            "collections": len(times),
            "sent": sent,
        }

    def check_keeper_transactions(self, struck, declared, collected) -> dict:
        """Every transaction the keepers' keys sent since they started (the blocks read one by
        one): none reverted — a strike, declaration or collection sent twice would be refused —
        each a call the keeper makes, as many strikes, declarations and collections as the chain
        holds from then on, and each key's nonce accounted for."""
        from ape import chain
        from eth_utils import function_signature_to_4byte_selector, to_hex

        head = int(self.head().number)
        keys = {self.c.acct[SIGNERS[bot]].address.lower(): bot for bot in BOTS}
        for number in range(self._scanned + 1, head + 1):
            block = rpc(self.url, "eth_getBlockByNumber", [hex(number), True])
            for tx in block["transactions"]:
                if tx["from"].lower() in keys:
                    self._sent.append(tx)
        self._scanned = head
        selector = {
            to_hex(function_signature_to_4byte_selector(s)): s.split("(")[0]
            for s in (
                "strike(uint256)",  # the NAV agent strikes bound to a count (SEC-183)
                "report(int256)",
                "declareIncome(uint256,uint256)",
                "accrueFees()",
                "collectFees()",
            )
        }
        calls = {bot: {} for bot in BOTS}
        for tx in self._sent:
            receipt = rpc(self.url, "eth_getTransactionReceipt", [tx["hash"]])
            name = selector.get(tx["input"][:10], tx["input"][:10])
            assert int(receipt["status"], 16) == 1, f"{name} {tx['hash']} reverted"
            bot = keys[tx["from"].lower()]
            calls[bot][name] = calls[bot].get(name, 0) + 1
        after = self._started_at
        assert calls["lifecycle"].get("strike", 0) == sum(
            1 for log in struck if log.block_number > after
        )
        assert calls["lifecycle"].get("declareIncome", 0) == sum(
            1 for log in declared if log.block_number > after
        )
        assert calls["fees"].get("collectFees", 0) == sum(
            1 for log in collected if log.block_number > after
        )
        assert set(calls["lifecycle"]) <= {"strike", "report", "declareIncome"}, calls
        assert set(calls["fees"]) <= {"accrueFees", "collectFees"}, calls
        for bot in BOTS:
            nonce = chain.provider.get_nonce(self.c.acct[SIGNERS[bot]].address) - self._nonces[bot]
            assert nonce == sum(calls[bot].values()), f"{bot}: nonce moved {nonce}, {calls[bot]}"
        return calls


@pytest.fixture
def drill(tmp_path, monkeypatch):
    """The fund's chain (build_fee_chain, one fund over an income share class) on an anvil of its
    own; the keepers' processes stopped at the end."""
    from ape import networks

    group = ProcessGroup(tmp_path)
    try:
        url = start_anvil(group, CHAIN_ID)
        c = build_fee_chain(
            url, tmp_path, monkeypatch, income_share_class, funds=1, extra=grant_reporter
        )
        c.record_dir = tmp_path
        # From here a transaction waits for its block (a block a second), as on a live chain: a
        # keeper's transaction is in flight while its cycle goes on.
        assert rpc(url, "evm_setAutomine", [False]) is None
        with networks.parse_network_choice(c.network):
            drill = LifecycleDrill(c, url, tmp_path, group)
            try:
                yield drill
            finally:
                drill.supervisor.stop_all()
    finally:
        group.stop_all()


@pytest.mark.parametrize("seed", [SEED])
def test_kill_9__lifecycle_keepers_across_cutoffs__struck_declared_collected_once_store_canonical(
    drill, seed
):
    rng = np.random.default_rng(seed)
    schedules = {bot: fault_schedule(rng, CYCLES, (bot,)) for bot in BOTS}
    print(f"\nlifecycle kill drill: seed {seed} (replay: QUANTERA_DRILL_SEED={seed}); {schedules}")
    # A fresh price and a pending request: the period the build left open is due at once, as is
    # the first dividend and the first collection. The price first: the vault takes a request
    # only in an asset priced at par now (SEC-120; the build's report is stale by then).
    fresh_usdc_price(drill.c.network, drill.c.record, REPORTER)
    drill.request_deposit(1_000 * USDC)
    drill.start()
    drill.wait_done("the keepers' first cycle", 1, 1)
    print(f"first cycle: {drill.check_invariants()}")
    for cycle in range(CYCLES):
        declarations, collections = drill.declarations() + 1, len(drill.collections()) + 1
        kills = []
        for bot in BOTS:
            kind, target = schedules[bot][cycle]
            if kind == "point":
                drill.crash_files[bot].write_text(target)
            else:
                kills.append(bot)
        drill.request_deposit(1_000 * USDC)
        drill.jump_past_cutoff()
        for bot in kills:  # from outside, as the cut-off's block arrives
            proc = drill.supervisor.check(bot).proc
            os.killpg(proc.pid, signal.SIGKILL)
        drill.wait_done(
            f"cycle {cycle}: {[schedules[b][cycle] for b in BOTS]}", declarations, collections
        )
        armed = [b for b in BOTS if drill.crash_files[b].exists()]
        assert not armed, f"cycle {cycle}: the armed point of {armed} was never reached"
        counts = drill.check_invariants()
        restarts = [drill.supervisor.keepers[b].restarts for b in BOTS]
        print(
            f"cycle {cycle}: {[schedules[b][cycle] for b in BOTS]}; restarts {restarts}; {counts}"
        )
    counts = drill.check_invariants()
    assert counts["declarations"] == CYCLES + 1 and counts["collections"] == CYCLES + 1
    # Each keeper restarted once per fault and never died of an error of its own: no cycle raised
    # (one did when a cycle's second transaction took the nonce of its first, in flight).
    for bot in BOTS:
        assert drill.supervisor.keepers[bot].restarts == CYCLES, f"{bot} exited on its own"
        log = (drill.folder / f"{bot}.log").read_text()
        assert "Traceback" not in log, (
            f"{bot}: a cycle raised\n{log[log.index('Traceback') :][:3000]}"
        )
