"""The margin keeper and `quantera margin` on a real local chain: the session's saved deployment
(`ape run deploy all`, venues seeded, the prime brokerage its step 7) loaded into one anvil for the
module, a lender funding the USDC pool, and two institutions (one for the CLI, one the keeper
liquidates); the keeper signs with the deployment's LIQUIDATOR. PRM-33 to PRM-39."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from conftest import BIN, run_quantera, run_quantera_watching_imports, wait_for
from drills import RpcProxy
from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.core.deployments import load
from keepers.core.sending import hex_of
from keepers.demo.processes import ProcessGroup, start_anvil
from keepers.prime import store as prime_store

US, INSTITUTIONAL, NEVER = 840, 4, 2**40 - 1
DEPLOYER, OPERATOR, AGENT, PRICE_REPORTER = 0, 3, 5, 8
# The deployment's LIQUIDATOR (`deploy all --liquidator`'s local default) is the keeper's key.
KEEPER, LENDER, CLI_CLIENT, BOOK_CLIENT = 4, 15, 16, 17
CLI_ID, BOOK_ID, LENDER_ID = ("0x" + c * 20 for c in ("c1", "b2", "1e"))
USDC = 10**6
WHOLE = 10**18
ZERO = "0x" + "00" * 20


@dataclass
class PrimeChain:
    url: str
    network: str
    folder: Path
    db_url: str
    record: object
    broker: object
    margin: object
    pool: object
    tokens: dict
    feeds: dict
    acct: dict
    deployment: object

    def credit(self, identity: str) -> None:
        """A credit line for the (open) account, set as GOVERNOR without its delay (test set-up:
        the deploy steps' own way to act as a role)."""
        from keepers.access import as_role, renounce_temporary_roles

        d = self.deployment
        line = (10**27, 0, 0)
        as_role(
            d,
            "GOVERNOR",
            [("credit line", lambda: self.broker.setCreditLine(identity, line, sender=d.sender))],
        )
        renounce_temporary_roles(d)

    def report(self, symbol: str, usd: float) -> None:
        self.feeds[symbol].report(int(round(usd * 10**8)), sender=self.acct[PRICE_REPORTER])

    def price(self, symbol: str) -> float:
        return int(self.record_oracle.price(self.tokens[symbol])) / WHOLE

    @property
    def record_oracle(self):
        from ape import project

        return project.OracleRouter.at(self.broker.oracle())


def _fund_prime(record_file: Path) -> dict:
    """The deployment's prime brokerage (`deploy all` step 7: the broker, its pools and listings,
    LIQUIDATOR for test account 4), its USDC pool funded by a verified lender, two institutions'
    wallets registered and funded. Returns the contracts."""
    from ape import accounts

    from keepers.core.deploying import Deployment

    acct = {i: accounts.test_accounts[i] for i in range(24)}
    d = Deployment(sender=acct[DEPLOYER], record=load(record_file), path=record_file)
    tokens = {
        "USDC": d.at("LocalStablecoin", "LocalStablecoin.USDC"),
        "QSPX": d.at("SecurityToken", "SecurityToken.QSPX"),
        "QNDX": d.at("SecurityToken", "SecurityToken.QNDX"),
    }
    for symbol in ("QSPX", "QNDX"):  # the deploy script leaves its fund tokens paused
        if tokens[symbol].paused():
            tokens[symbol].unpause(sender=acct[AGENT])
    broker = d.at("PrimeBroker")
    pool = d.at("LendingPool", "LendingPool.USDC")
    registry = d.at("IdentityRegistry")
    for index, identity in ((LENDER, LENDER_ID), (CLI_CLIENT, CLI_ID), (BOOK_CLIENT, BOOK_ID)):
        registry.registerInvestor(
            acct[index], identity, US, INSTITUTIONAL, NEVER, sender=acct[OPERATOR]
        )
    lent = 20_000_000 * USDC
    tokens["USDC"].mint(acct[LENDER], lent, sender=acct[OPERATOR])
    tokens["USDC"].approve(pool, lent, sender=acct[LENDER])
    pool.deposit(lent, acct[LENDER], sender=acct[LENDER])
    for client in (CLI_CLIENT, BOOK_CLIENT):
        for symbol in ("QSPX", "QNDX"):
            tokens[symbol].mint(acct[client], 5_000 * WHOLE, sender=acct[AGENT])
        tokens["USDC"].mint(acct[client], 1_000_000 * USDC, sender=acct[OPERATOR])
    feeds = {s: d.at("ReporterPriceFeed", f"PriceFeed.{s}") for s in ("QSPX", "QNDX")}
    return {
        "broker": broker,
        "margin": project_at("PrimeViews", broker.address),
        "pool": pool,
        "tokens": tokens,
        "feeds": feeds,
        "acct": acct,
        "deployment": d,
    }


@pytest.fixture(scope="module")
def prime_chain(deployment_state, tmp_path_factory):
    from ape import networks

    state, record = deployment_state
    folder = tmp_path_factory.mktemp("prime-chain")
    group = ProcessGroup(folder)
    previous = os.environ.get("QUANTERA_DEPLOYMENTS_DIR")
    os.environ["QUANTERA_DEPLOYMENTS_DIR"] = str(folder)
    try:
        url = start_anvil(group, chain_id=1337, extra_args=("--load-state", str(state)))
        record_file = folder / record.name
        shutil.copy(record, record_file)
        network = f"ethereum:local:{url}"
        with networks.parse_network_choice(network):
            parts = _fund_prime(record_file)
            yield PrimeChain(
                url,
                network,
                folder,
                f"sqlite:///{folder / 'keeper.sqlite'}",
                load(record_file),
                **parts,
            )
    finally:
        group.stop_all()
        if previous is None:
            os.environ.pop("QUANTERA_DEPLOYMENTS_DIR", None)
        else:
            os.environ["QUANTERA_DEPLOYMENTS_DIR"] = previous


def margin(capsys, *args):
    """`quantera margin ...` in process (keepers.cli.main): (exit code, JSON or the error line)."""
    from keepers.cli import main

    code = main(["margin", *args])
    captured = capsys.readouterr()
    SENT[:] = sent_lines(captured.err)
    if code == 0 and "--json" in args:
        return 0, json.loads(captured.out[captured.out.index("{") :])
    assert "Traceback" not in captured.err
    # A refusal prints nothing on stdout (ape printed a reverted call's trace there: issue 33 §4).
    assert code == 0 or captured.out == "", captured.out
    lines = captured.err.strip().splitlines()[len(SENT) :]
    assert len(lines) <= 1, captured.err
    return code, (lines or [""])[-1]


#: The `sent:` lines of the last `margin` command (what it sent, in order).
SENT: list[str] = []


def sent_lines(stderr: str) -> list[str]:
    """L-4: a command names each transaction it sent on stderr, one `sent: WHAT: 0xHASH (block N,
    gas G)` line each, before anything else it says there (a refusal stays the last line)."""
    lines = stderr.strip().splitlines()
    sent = [line for line in lines if line.startswith("sent: ")]
    assert lines[: len(sent)] == sent, stderr
    assert all(re.search(r": 0x[0-9a-f]{64} \(block \d+, gas [\d,]+\)$", line) for line in sent)
    return sent


def ok(capsys, *args) -> dict:
    """`quantera margin ARGS` that must succeed: its JSON."""
    code, out = margin(capsys, *args)
    assert code == 0, out
    return out


def test_prm_35__cli__open_deposit_borrow_positions_health_repay_withdraw(prime_chain, capsys):
    """PRM-35: the account's life from the command line, each figure the chain's."""
    c = prime_chain
    me = ["--network", c.network, "--account", f"TEST::{CLI_CLIENT}", "--json"]
    opened = ok(capsys, "open", *me)
    assert opened["account"].lower() == CLI_ID
    # L-4: the command named the transaction it sent, and the chain has it from the client.
    [line] = SENT
    assert line.startswith("sent: opening the account: 0x")
    from ape import chain

    tx = chain.provider.web3.eth.get_transaction(line.split(": ")[2].split()[0])
    assert tx["from"] == c.acct[CLI_CLIENT].address and tx["to"] == c.broker.address
    c.credit(CLI_ID)
    deposited = ok(capsys, "deposit", "QNDX", "1000", *me)
    assert deposited["ratio_bps"] is None  # no debt yet
    price = c.price("QNDX")
    # 1,000 QNDX at 92% against a loan at 160%: ratio 9,200 x p / (16 x loan) = 15,000 + a bit.
    loan = int(1_000 * price * 0.92 / 1.6)
    borrowed = ok(capsys, "borrow", "USDC", str(loan), *me)
    assert borrowed["ratio_bps"] == c.margin.health(CLI_ID, block_id=borrowed["block"]).ratioBps
    assert borrowed["ratio_bps"] >= 15_000
    positions = ok(capsys, "positions", *me)
    by_asset = {p["asset"]: p for p in positions["positions"]}
    assert by_asset["QNDX"]["balance"] == "1000"
    # The loan and the interest of the seconds since (far under 0.01% of it).
    assert loan <= Decimal(by_asset["USDC"]["debt"]) < loan * Decimal("1.0001")
    read = ok(capsys, "health", "--network", c.network, "--identity", CLI_ID, "--json")
    # Every figure of the head it names; a loaded anvil may answer a read at its head from the
    # block it is mining (one more second of interest): the figures are that block's or the next
    # one's, all of one of them (helper-115).
    health = next(
        h
        for h in _healths_of(c, read["block"])
        if Decimal(read["adjusted_debt_usd"]) == Decimal(h.adjustedDebtUsd) / 10**18
    )
    assert (read["ratio_bps"], read["liquidatable"], read["margin_call_at"]) == (
        health.ratioBps,
        False,
        0,
    )
    assert read["initial_bps"] == 15_000 and read["maintenance_bps"] == 12_500
    # Repay half from the wallet, withdraw some collateral to it.
    repaid = ok(capsys, "repay", "USDC", str(loan // 2), *me)
    assert repaid["ratio_bps"] > borrowed["ratio_bps"]
    qndx = c.tokens["QNDX"]
    before = qndx.balanceOf(c.acct[CLI_CLIENT])
    _ = ok(capsys, "withdraw", "QNDX", "100", *me)
    assert qndx.balanceOf(c.acct[CLI_CLIENT]) - before == 100 * WHOLE
    _ = ok(capsys, "repay", "USDC", "all", *me)
    assert c.pool.debtOf(CLI_ID, 0) == 0


def test_prm_36__cli__top_up_back_to_initial_margin__preview_liquidation(prime_chain, capsys):
    """PRM-36: after a price fall the top-up of USDC, deposited, brings the account back to
    initial margin (what is left to top up is the interest of the seconds in between); the
    preview names the broker's refusal while the account is not liquidatable."""
    c = prime_chain
    me = ["--network", c.network, "--account", f"TEST::{CLI_CLIENT}", "--json"]
    if not c.broker.isOpen(CLI_ID):
        ok(capsys, "open", *me)
        c.credit(CLI_ID)
    price = c.price("QNDX")
    if c.margin.health(CLI_ID).collateralUsd == 0:
        ok(capsys, "deposit", "QNDX", "500", *me)
    health = c.margin.health(CLI_ID)
    loan = int((health.adjustedCollateralUsd / 1.55 - health.adjustedDebtUsd) / 10**18)
    ok(capsys, "borrow", "USDC", str(loan), *me)
    c.report("QNDX", price * 0.9)  # ratio about 139.5%: below initial, above maintenance
    try:
        top_up = ok(capsys, "top-up", "USDC", *me)
        assert top_up["target_bps"] == 15_000 and top_up["ratio_bps"] < 15_000
        # The broker's own view agrees (within a block's interest: it is read a moment later).
        chain_units, _ = c.margin.topUp(CLI_ID, c.tokens["USDC"])
        assert abs(int(top_up["units"]) - int(chain_units)) <= int(chain_units) // 10**6 + 1
        after = ok(capsys, "deposit", "USDC", top_up["amount"], *me)
        # The top-up is the minimum at the block it was read at; the debt accrues interest per
        # second until the deposit lands (under 1 bp of ratio within an hour at these rates).
        assert after["ratio_bps"] >= 14_999
        again = ok(capsys, "top-up", "USDC", *me)
        assert int(again["units"]) * 10_000 < int(top_up["units"])
        code, line = margin(capsys, "preview-liquidation", *me)
        assert code == 1 and "NotLiquidatable" in line and CLI_ID[2:10] in line.lower()
    finally:
        c.report("QNDX", price)


def test_prm_37__cli__errors_are_one_line_naming_the_brokers_error(prime_chain, capsys):
    """PRM-37: a refused action exits 1 with one line naming the broker's custom error and its
    arguments; bad input fails before anything is sent."""
    c = prime_chain
    me = ["--network", c.network, "--account", f"TEST::{CLI_CLIENT}", "--json"]
    if not c.broker.isOpen(CLI_ID):
        ok(capsys, "open", *me)
        c.credit(CLI_ID)
    code, line = margin(capsys, "open", *me)
    assert code == 1 and "AccountExists" in line
    code, line = margin(capsys, "borrow", "USDC", "1000000", *me)
    assert code == 1 and "InitialMarginBreached" in line and "initialBps=15000" in line
    code, line = margin(capsys, "deposit", "QFOO", "1", *me)
    assert code == 1 and "not listed" in line and "QSPX" in line
    code, line = margin(capsys, "deposit", "QNDX", "0", *me)
    assert code == 2 and "positive" in line  # a usage error, before connecting
    # A revert raised by another contract than the broker (the token refusing the transfer: it
    # is paused) is decoded from the project's errors too.
    c.tokens["QNDX"].pause(sender=c.acct[AGENT])
    try:
        code, line = margin(capsys, "deposit", "QNDX", "1", *me)
    finally:
        c.tokens["QNDX"].unpause(sender=c.acct[AGENT])
    assert code == 1 and "TransferNotCompliant(" in line and "reasonCode=1" in line
    stranger = ["--network", c.network, "--account", "TEST::23", "--json"]
    code, line = margin(capsys, "health", *stranger)
    assert code == 1 and "not a registered wallet" in line


def keep(c: PrimeChain, crash_at: str | None = None, network: str | None = None):
    """`quantera margin keep` as a process of its own (a crash point kills it as kill -9 would),
    on the module's chain or through another endpoint to it (`network`)."""
    env = dict(os.environ)
    crash_file = c.folder / "crash"
    if crash_at:
        crash_file.write_text(crash_at)
        env["QUANTERA_CRASH_FILE"] = str(crash_file)
    network = network or c.network
    args = ["margin", "keep", "--network", network, "--account", f"TEST::{KEEPER}", "--json"]
    return run_quantera(args, deployments_dir=c.folder, db_url=c.db_url, env=env)


def test_prm_33__keeper__a_price_fall__margin_call_and_one_liquidation__even_across_a_kill(
    prime_chain,
):
    """PRM-33 and PRM-34: a price report makes an account liquidatable; the keeper margin-calls
    it and liquidates it once, selling the seized collateral through the smart order router into
    the broker — killed right after broadcasting the liquidation, the restarted keeper confirms it
    against the chain and sends nothing again; the account, back above the liquidation ratio but
    still under its margin call, is left alone."""
    from ape import chain

    c = prime_chain
    qspx, usdc = c.tokens["QSPX"], c.tokens["USDC"]
    make_liquidatable(c)
    debt = c.pool.debtOf(BOOK_ID, 0)
    keeper_usdc = usdc.balanceOf(c.acct[KEEPER])

    killed = keep(c, crash_at="prime.after_liquidate")
    assert killed.returncode == -9, killed.stderr[-2000:]
    db = store.open_store(c.db_url)
    [row] = prime_store.prime_liquidations(db, 1337, c.broker.address, to_checksum_address(BOOK_ID))
    # Recorded and broadcast (mined at once on this chain), never confirmed by the dead keeper.
    assert (row.status, row.count, row.method) == ("sent", 0, "sell") and row.tx_hash

    restarted = keep(c)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    cycle = json.loads(restarted.stdout[restarted.stdout.index("{") :])
    assert cycle["confirmed"] == 1 and cycle["liquidations"] == 0
    [row] = prime_store.prime_liquidations(db, 1337, c.broker.address, to_checksum_address(BOOK_ID))
    assert row.status == "confirmed" and row.note is None and row.mined_block

    again = keep(c)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout[again.stdout.index("{") :])["liquidations"] == 0

    head = chain.blocks.head.number
    liquidated = [
        log for log in c.broker.Liquidated.range(0, head + 1) if str(log.account).lower() == BOOK_ID
    ]
    called = [
        log
        for log in c.broker.MarginCalled.range(0, head + 1)
        if str(log.account).lower() == BOOK_ID
    ]
    assert len(liquidated) == 1 and len(called) == 1
    assert c.broker.liquidationCount(BOOK_ID) == 1
    done = liquidated[0]
    assert hex_of(done.transaction_hash).lower() == row.tx_hash.lower()
    # Sold through the router: the keeper holds the proceeds above the repayment, no collateral.
    assert done.proceeds > done.repaid > 0
    assert usdc.balanceOf(c.acct[KEEPER]) - keeper_usdc == done.proceeds - done.repaid
    assert qspx.balanceOf(c.acct[KEEPER]) == 0
    # 50% of the debt repaid (the close factor), the ratio back above 110%, the call still open.
    assert debt // 2 <= done.repaid <= debt // 2 + debt // 10**4
    health = c.margin.health(BOOK_ID)
    assert 11_000 <= health.ratioBps < 12_500 and health.marginCallAt != 0
    assert not health.liquidatable


def open_at_155(c: PrimeChain, client, identity: str) -> None:
    """`client`'s account opened (a credit line set), 100 QSPX of its wallet posted against a USDC
    loan at about 155%."""
    qspx, usdc = c.tokens["QSPX"], c.tokens["USDC"]
    c.broker.openAccount(sender=client)
    c.credit(identity)
    qspx.approve(c.broker, 100 * WHOLE, sender=client)
    loan = int(100 * c.price("QSPX") * 0.92 / 1.55) * USDC
    c.broker.execute(
        identity,
        [(0, qspx.address, 100 * WHOLE, ZERO, b""), (2, usdc.address, loan, client, b"")],
        sender=client,
    )


def make_liquidatable(c: PrimeChain) -> None:
    """The book client's account (opened with 100 QSPX against a loan at 155% if it is not open)
    brought to about 104% by a QSPX price report: below the liquidation ratio."""
    if not c.broker.isOpen(BOOK_ID):
        open_at_155(c, c.acct[BOOK_CLIENT], BOOK_ID)
    ratio = c.margin.health(BOOK_ID).ratioBps
    if ratio >= 10_600:
        c.report("QSPX", c.price("QSPX") * 10_400 / ratio)
    assert c.margin.health(BOOK_ID).liquidatable


def test_prm_38__keeper__no_liquidator_role__margin_calls_only__no_signer__observes(prime_chain):
    """PRM-38: a keeper whose key lacks LIQUIDATOR records and sends no liquidation and says why;
    without a signer it marks the accounts and sends nothing."""
    from ape import chain

    from keepers.prime.keeper import Head, MarginKeeper

    c = prime_chain
    make_liquidatable(c)
    stranger = c.acct[23]
    db = store.open_store(f"sqlite:///{c.folder / 'no-role.sqlite'}")
    nonce = chain.provider.get_nonce(stranger.address)
    head = chain.blocks.head
    observer = MarginKeeper(db, c.record)
    seen = observer.cycle(Head(head.number, head.timestamp))
    assert seen["reason"] == "no signer: observing only"
    assert seen["liquidatable"] >= 1 and seen["accounts"] >= 2 and seen["outcomes"] == {}
    keeper = MarginKeeper(db, c.record, stranger)
    cycle = keeper.cycle(Head(head.number, head.timestamp))
    outcome = cycle["outcomes"][to_checksum_address(BOOK_ID)]["liquidation"]
    assert outcome["action"] == "none" and "needs LIQUIDATOR" in outcome["reason"]
    assert cycle["liquidations"] == 0
    assert prime_store.prime_liquidations(db, 1337, c.broker.address) == []
    # It sent nothing but margin calls, confirmations and clears (the book client's call is open
    # already: none at all here).
    sent = cycle["margin_calls"] + cycle["confirmations"] + cycle["clears"]
    assert chain.provider.get_nonce(stranger.address) == nonce + sent


def test_prm_39__keeper__killed_between_signing_and_broadcast__restart_sends_the_same_bytes(
    prime_chain,
):
    """PRM-39: killed after recording the signed liquidation and before broadcasting it, the
    restarted keeper finds it unknown to the node and broadcasts the same bytes (the same hash):
    the account is liquidated once for this count."""
    from ape import chain

    c = prime_chain
    make_liquidatable(c)
    count = int(c.broker.liquidationCount(BOOK_ID))
    account = to_checksum_address(BOOK_ID)
    killed = keep(c, crash_at="prime.after_sign")
    assert killed.returncode == -9, killed.stderr[-2000:]
    db = store.open_store(c.db_url)
    row = prime_store.prime_liquidations(db, 1337, c.broker.address, account)[-1]
    assert (row.status, row.count) == ("sent", count) and row.raw_tx
    assert c.broker.liquidationCount(BOOK_ID) == count  # signed, never broadcast

    restarted = keep(c)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    assert c.broker.liquidationCount(BOOK_ID) == count + 1
    # The next cycle confirms it (the resent bytes were in flight when the restart reconciled).
    settled = keep(c)
    assert settled.returncode == 0, settled.stderr[-2000:]
    assert json.loads(settled.stdout[settled.stdout.index("{") :])["liquidations"] == 0
    resent = prime_store.prime_liquidations(db, 1337, c.broker.address, account)
    assert [r.count for r in resent].count(count) == 1
    row = next(r for r in resent if r.count == count)
    assert row.status == "confirmed" and row.note is None
    [done] = [
        log
        for log in c.broker.Liquidated.range(0, chain.blocks.head.number + 1)
        if str(log.account).lower() == BOOK_ID and hex_of(log.transaction_hash) == row.tx_hash
    ]
    assert done.repaid > 0


def test_prm_34__keeper__takes_the_collateral_when_no_sale_covers_the_repayment(
    prime_chain, monkeypatch
):
    """PRM-34: configured to take (`--take`), a keeper that finds no sale covering the repayment
    repays from its own balance and receives the seized collateral (a verified wallet may hold
    it)."""
    from ape import chain

    from keepers.prime.keeper import Head, MarginKeeper

    c = prime_chain
    make_liquidatable(c)
    wallet, usdc, qspx = c.acct[KEEPER], c.tokens["USDC"], c.tokens["QSPX"]
    usdc.mint(wallet, 2_000_000 * USDC, sender=c.acct[OPERATOR])
    account = to_checksum_address(BOOK_ID)
    count = int(c.broker.liquidationCount(BOOK_ID))
    before = (usdc.balanceOf(wallet), qspx.balanceOf(wallet))
    keeper = MarginKeeper(
        store.open_store(f"sqlite:///{c.folder / 'take.sqlite'}"), c.record, wallet, take=True
    )
    monkeypatch.setattr(keeper, "_sale", lambda *args: "no sale route: the venues are dry")
    head = chain.blocks.head
    cycle = keeper.cycle(Head(head.number, head.timestamp))
    outcome = cycle["outcomes"][account]["liquidation"]
    assert (outcome["action"], outcome["method"]) == ("liquidated", "take")
    # Confirmed at once, or in flight until the node mines it (a loaded machine: the keeper
    # reconciles right after the broadcast).
    assert outcome["status"] in ("confirmed", "in flight"), outcome
    wait_for(
        lambda: keeper.reconcile(account).get(account, "confirmed") == "confirmed",
        "the take confirmed",
    )
    assert c.broker.liquidationCount(BOOK_ID) == count + 1
    done = [
        log
        for log in c.broker.Liquidated.range(head.number, chain.blocks.head.number + 1)
        if str(log.account).lower() == BOOK_ID
    ][-1]
    assert done.proceeds == 0 and done.seized > 0
    assert before[0] - usdc.balanceOf(wallet) == done.repaid
    assert qspx.balanceOf(wallet) - before[1] == done.seized


def test_prm_33__bot__on_silverback__liquidates_a_liquidatable_account(prime_chain):
    """PRM-33: the silverback bot (keepers/prime/bot.py) runs the same keeper each block: an
    account made liquidatable is liquidated once, recorded and confirmed in the keeper store."""
    c = prime_chain
    make_liquidatable(c)
    account = to_checksum_address(BOOK_ID)
    count = int(c.broker.liquidationCount(BOOK_ID))
    db = store.open_store(c.db_url)
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(c.folder),
        QUANTERA_DB_URL=c.db_url,
        SILVERBACK_SIGNER_ALIAS=f"TEST::{KEEPER}",
    )
    env.pop("QUANTERA_CRASH_FILE", None)
    group = ProcessGroup(c.folder)

    def confirmed() -> bool:
        rows = prime_store.prime_liquidations(db, 1337, c.broker.address, account)
        return any(r.count == count and r.status == "confirmed" for r in rows)

    try:
        argv = [str(BIN / "silverback"), "run", "keepers.prime.bot:bot", "--network", c.network]
        group.start("prime-bot", argv, env)
        wait_for(confirmed, "the bot's liquidation confirmed", c.folder / "prime-bot.log")
    finally:
        group.stop_all()
    assert c.broker.liquidationCount(BOOK_ID) == count + 1


def one_line_error(done) -> str:
    """The error line of a `quantera` process that failed: exit 1, no traceback, one line (after
    the `sent:` lines of what it sent before the refusal, if any)."""
    assert done.returncode == 1, (done.returncode, done.stdout[-1000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()[len(sent_lines(done.stderr)) :]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr[-2000:]
    return lines[0]


def stored(c: PrimeChain, db) -> tuple:
    """What the keeper store holds for the book client's account: its liquidations and the
    keeper's cursor."""
    rows = prime_store.prime_liquidations(db, 1337, c.broker.address, to_checksum_address(BOOK_ID))
    return (
        [(r.count, r.status, r.tx_hash, r.nonce, r.raw_tx) for r in rows],
        store.get_cursor(db, "prime.margin", 1337),
    )


def row_of(c: PrimeChain, db, count: int):
    """The keeper store's liquidation of the book client's account for `count` (one at most)."""
    account = to_checksum_address(BOOK_ID)
    [row] = [
        r
        for r in prime_store.prime_liquidations(db, 1337, c.broker.address, account)
        if r.count == count
    ]
    return row


def liquidated(c: PrimeChain) -> list:
    """The book client's Liquidated events on the canonical chain, oldest first: the n-th is its
    liquidation for count n."""
    from ape import chain

    head = chain.blocks.head.number
    return [
        log for log in c.broker.Liquidated.range(0, head + 1) if str(log.account).lower() == BOOK_ID
    ]


def test_prm_53__keeper__rpc_endpoint_away__one_line_error__the_signed_liquidation_lands_once(
    prime_chain,
):
    """PRM-53: the keeper's RPC endpoint (a proxy to the chain) goes away. Away from the start,
    `quantera margin keep` exits 1 with one line and records nothing; gone as the keeper broadcasts
    its signed liquidation, the row stays `sent` with its bytes; back, the next cycle broadcasts
    the same bytes and the one after confirms them: the account is liquidated once for its count."""
    from ape import chain

    from keepers.core.retries import RETRIES
    from keepers.prime.keeper import LIQUIDATE_SELECTOR, MarginKeeper

    c = prime_chain
    make_liquidatable(c)
    account = to_checksum_address(BOOK_ID)
    count = int(c.broker.liquidationCount(BOOK_ID))
    assert len(liquidated(c)) == count
    db = store.open_store(c.db_url)
    proxy = RpcProxy(c.url)
    through = f"ethereum:local:{proxy.url}"
    try:
        before = stored(c, db)
        proxy.cut()
        line = one_line_error(keep(c, network=through))
        assert line.endswith(f"cannot connect to {through}: no node answers there"), line
        assert proxy.refused >= 1 and stored(c, db) == before

        proxy.restore()
        # Gone as the signed liquidation goes out (not a margin call, say).
        proxy.cut_on("eth_sendRawTransaction", LIQUIDATE_SELECTOR.hex())
        refused = proxy.refused
        line = one_line_error(keep(c, network=through))
        # Retried before giving up: each attempt finds the endpoint refusing (a single refusal
        # when web3's CannotHandleRequest was not taken for the transport failure it is).
        assert proxy.refused - refused >= RETRIES
        assert "stopped answering during the cycle" in line, line
        row = prime_store.prime_liquidations(db, 1337, c.broker.address, account)[-1]
        assert (row.count, row.status) == (count, "sent") and row.raw_tx and row.tx_hash
        assert chain.provider.make_request("eth_getTransactionByHash", [row.tx_hash]) is None
        assert c.broker.liquidationCount(BOOK_ID) == count

        proxy.restore()
        back = keep(c, network=through)
        assert back.returncode == 0, back.stderr[-2000:]
        cycle = json.loads(back.stdout[back.stdout.index("{") :])
        assert (cycle["in_flight"], cycle["liquidations"]) == (1, 0)  # resent, nothing new
        assert c.broker.liquidationCount(BOOK_ID) == count + 1
    finally:
        proxy.close()
    # The next cycle's reconciliation (in process: the module's own connection) confirms it.
    keeper = MarginKeeper(db, c.record, c.acct[KEEPER])
    assert keeper.reconcile(account) == {account: "confirmed"}
    done = row_of(c, db, count)
    assert (done.status, done.tx_hash, done.note) == ("confirmed", row.tx_hash, None)
    events = liquidated(c)
    assert len(events) == count + 1 == c.broker.liquidationCount(BOOK_ID)
    assert hex_of(events[count].transaction_hash).lower() == row.tx_hash.lower()


def test_prm_54__keeper__a_reorg_orphans_its_liquidation__marked_reorged__liquidated_again_once(
    prime_chain,
):
    """PRM-54: the keeper liquidates an account and confirms it; a reorganisation orphans the
    blocks after the price report (the account still liquidatable on the new branch, its count
    back). The next cycle marks the row `reorged` and liquidates the account again, once: one
    Liquidated event for that count on the canonical chain, by the transaction the store's confirmed
    row carries. Last in the module: the chain mines a block a second afterwards (no longer each
    transaction at once)."""
    from ape import chain

    from keepers.core.scan import block_hash
    from keepers.core.sending import int_of
    from keepers.demo.processes import rpc, stop_mining
    from keepers.prime.keeper import MarginKeeper

    c = prime_chain
    make_liquidatable(c)
    account = to_checksum_address(BOOK_ID)
    count = int(c.broker.liquidationCount(BOOK_ID))
    db = store.open_store(c.db_url)
    fork = chain.blocks.head.number  # the common ancestor: the price report stands
    fork_hash = block_hash(fork)
    first = keep(c)
    assert first.returncode == 0, first.stderr[-2000:]
    outcome = json.loads(first.stdout[first.stdout.index("{") :])["outcomes"][account]
    assert (outcome["liquidation"]["action"], outcome["liquidation"]["status"]) == (
        "liquidated",
        "confirmed",
    )
    orphan = row_of(c, db, count)
    assert orphan.status == "confirmed" and orphan.mined_block > fork
    assert c.broker.liquidationCount(BOOK_ID) == count + 1

    # The chain stands still from here to the reorganisation (a block mined in between would make
    # it one block shallower than `depth`), then mines a block a second again.
    stopped_at = stop_mining(c.url)
    try:
        depth = stopped_at - fork
        rpc(c.url, "anvil_reorg", [depth, []])
    finally:
        rpc(c.url, "evm_setIntervalMining", [1])
    assert block_hash(fork) == fork_hash
    assert chain.provider.make_request("eth_getTransactionReceipt", [orphan.tx_hash]) is None
    assert c.broker.liquidationCount(BOOK_ID) == count and c.margin.health(BOOK_ID).liquidatable

    # The cycle's first step, reconciling, finds the confirmed liquidation gone.
    keeper = MarginKeeper(db, c.record, c.acct[KEEPER])
    keeper.reconcile(account)
    reorged = row_of(c, db, count)
    assert reorged.status == "reorged" and orphan.tx_hash in reorged.note
    again = keep(c)
    assert again.returncode == 0, again.stderr[-2000:]
    cycle = json.loads(again.stdout[again.stdout.index("{") :])
    assert cycle["liquidations"] == 1
    row = row_of(c, db, count)
    # Signed anew: the same hash as the orphan's when the new head's timestamp (the route's
    # deadline) and the nonce came out the same — the same liquidation, landing once either way.
    assert row.status in prime_store.LIQUIDATION_OPEN + ("confirmed",) and row.tx_hash
    wait_for(
        lambda: chain.provider.make_request("eth_getTransactionReceipt", [row.tx_hash]),
        "the new liquidation mined",
    )
    assert keeper.reconcile(account).get(account, "confirmed") == "confirmed"
    row = row_of(c, db, count)
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [row.tx_hash])
    assert row.status == "confirmed" and row.note is None
    assert int_of(receipt["blockNumber"]) == row.mined_block > fork
    events = liquidated(c)
    assert len(events) == count + 1 == c.broker.liquidationCount(BOOK_ID)
    assert hex_of(events[count].transaction_hash).lower() == row.tx_hash.lower()


def _replayed_revert(tx_hash: str, block: int) -> str:
    """A mined transaction's revert reason, from an eth_call of it on the state before its block
    (PRM-54 failed twice under load with the orphaned liquidation reverting when mined again)."""
    from ape import chain

    w3 = chain.provider.web3
    tx = w3.eth.get_transaction(tx_hash)
    try:
        w3.eth.call({"from": tx["from"], "to": tx["to"], "data": tx["input"]}, block - 1)
    except Exception as err:  # noqa: BLE001 - the reason is what is wanted
        return f"replayed at {block - 1}: {str(err)[:300]}"
    return f"replayed at {block - 1}: no revert"


def test_prm_54__keeper__an_orphaned_liquidation_back_in_the_pool__awaited_not_signed_again(
    prime_chain,
):
    """PRM-54: a reorganisation orphans the keeper's confirmed liquidation and the node puts the
    transaction back in its pool (as geth does; here the drill sends its bytes back): the next
    cycle finds it there, reopens the row (`sent`, in flight) and signs nothing — no second
    transaction for the count to revert StaleLiquidation once the first lands — and the row is
    confirmed with the transaction that stands on the new branch."""
    from ape import chain

    from keepers.core.sending import int_of
    from keepers.demo.processes import rpc, stop_mining
    from keepers.prime.keeper import MarginKeeper

    c = prime_chain
    make_liquidatable(c)
    account = to_checksum_address(BOOK_ID)
    count = int(c.broker.liquidationCount(BOOK_ID))
    db = store.open_store(c.db_url)
    keeper = MarginKeeper(db, c.record, c.acct[KEEPER])
    signer = c.acct[KEEPER].address
    fork = chain.blocks.head.number
    first = keep(c)
    assert first.returncode == 0, first.stderr[-2000:]
    orphan = row_of(c, db, count)
    wait_for(
        lambda: chain.provider.make_request("eth_getTransactionReceipt", [orphan.tx_hash]),
        "the liquidation mined",
    )
    keeper.reconcile(account)
    assert row_of(c, db, count).status == "confirmed"
    first_mined_at = chain.provider.get_block(row_of(c, db, count).mined_block).timestamp
    nonces = chain.provider.get_nonce(signer)

    stopped_at = stop_mining(c.url)  # still from here until the keeper's cycle is done
    try:
        rpc(c.url, "anvil_reorg", [stopped_at - fork, []])
        assert chain.provider.make_request("eth_getTransactionReceipt", [orphan.tx_hash]) is None
        rpc(c.url, "eth_sendRawTransaction", [orphan.raw_tx])  # back in the node's pool
        cycle = keep(c)
        assert cycle.returncode == 0, cycle.stderr[-2000:]
        result = json.loads(cycle.stdout[cycle.stdout.index("{") :])
        assert (result["in_flight"], result["liquidations"]) == (1, 0)
        row = row_of(c, db, count)
        assert (row.status, row.tx_hash, row.mined_block) == ("sent", orphan.tx_hash, None)
        assert int(rpc(c.url, "eth_getTransactionCount", [signer, "pending"]), 16) == nonces
    finally:
        # anvil_reorg puts the chain's clock back to the fork (measured: behind the wall by every
        # pause so far), so the liquidation, sized at the close factor of the debt when it was
        # decided, was mined again before that time, on less accrued debt, and reverted
        # RepayAboveCloseFactor (two fresh-machine runs; the third's message showed it). On a
        # chain the new branch's next block comes after the orphaned head: so here.
        head = int(rpc(c.url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        rpc(c.url, "evm_setNextBlockTimestamp", [max(head, first_mined_at) + 1])
        rpc(c.url, "evm_setIntervalMining", [1])
    wait_for(
        lambda: chain.provider.make_request("eth_getTransactionReceipt", [orphan.tx_hash]),
        "the orphaned liquidation mined again",
    )
    settled = keeper.reconcile(account)
    # (On failure, the row's note says why: reverted, or its nonce used by another transaction;
    # with the receipt's status and block, and the head.)
    row = row_of(c, db, count)
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [orphan.tx_hash])
    why = (
        row.status,
        row.note,
        row.nonce,
        row.tx_hash,
        row.mined_block,
        receipt and (receipt.get("status"), receipt.get("blockNumber")),
        chain.blocks.head.number,
    )
    if settled != {account: "confirmed"} and receipt:  # the revert, replayed where it was mined
        mined = int(receipt["blockNumber"], 16)
        why += (
            f"mined again at t={chain.provider.get_block(mined).timestamp}, first mined at "
            f"t={first_mined_at}, decided at t={orphan.decided_at}",
            _replayed_revert(orphan.tx_hash, mined),
        )
    # A string, printed whole (pytest shortens a tuple's repr).
    assert settled == {account: "confirmed"}, " | ".join(map(str, why))
    row = row_of(c, db, count)
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [row.tx_hash])
    assert (row.status, row.tx_hash, row.note) == ("confirmed", orphan.tx_hash, None)
    assert int_of(receipt["blockNumber"]) == row.mined_block > fork
    assert chain.provider.get_nonce(signer) == nonces  # one transaction for the count, no replay
    events = liquidated(c)
    assert len(events) == count + 1 == c.broker.liquidationCount(BOOK_ID)
    assert hex_of(events[count].transaction_hash).lower() == row.tx_hash.lower()


def refresh_feeds(c: PrimeChain) -> None:
    """Every price feed of the deployment reports its last answer again (after a jump in time)."""
    for name in c.record.contracts:
        if name.startswith("PriceFeed."):
            feed = c.deployment.at("ReporterPriceFeed", name)
            feed.report(feed.latestRoundData()[1], sender=c.acct[PRICE_REPORTER])


def test_sec_24__keeper__confirms_an_open_call__clears_it_once_the_account_recovers(prime_chain):
    """SEC-24: the broker lets a margin call lapse unless it is seen below maintenance again within
    its heartbeat, so that a call the account recovered from does not shorten a later breach's
    grace. The keeper calls an account below maintenance, confirms its call half a heartbeat later
    while it is still below, and clears it once the account is back at maintenance (the
    production keeper never cleared a call: the red team's early liquidation)."""
    from ape import accounts, chain

    from keepers.demo.processes import rpc
    from keepers.prime.keeper import Head, MarginKeeper

    c = prime_chain
    client, identity = accounts.test_accounts.generate_test_account(), "0x" + "c5" * 20
    rpc(c.url, "anvil_setBalance", [client.address, hex(10**21)])
    qspx, usdc = c.tokens["QSPX"], c.tokens["USDC"]
    c.deployment.at("IdentityRegistry").registerInvestor(
        client, identity, US, INSTITUTIONAL, NEVER, sender=c.acct[OPERATOR]
    )
    refresh_feeds(c)
    qspx.mint(client, 100 * WHOLE, sender=c.acct[AGENT])
    c.broker.openAccount(sender=client)
    c.credit(identity)
    qspx.approve(c.broker, 100 * WHOLE, sender=client)
    price = c.price("QSPX")
    loan = int(100 * price * 0.92 / 1.55) * USDC
    c.broker.execute(
        identity,
        [(0, qspx.address, 100 * WHOLE, ZERO, b""), (2, usdc.address, loan, client, b"")],
        sender=client,
    )
    c.report("QSPX", price * 12_000 / 15_500)  # about 120%: below maintenance, above 110%
    keeper = MarginKeeper(
        store.open_store(f"sqlite:///{c.folder / 'sec-24.sqlite'}"), c.record, c.acct[KEEPER]
    )
    account = to_checksum_address(identity)

    def cycle() -> dict:
        head = chain.blocks.head
        return keeper.cycle(Head(head.number, head.timestamp))["outcomes"].get(account, {})

    assert cycle()["margin_call"]["action"] == "called"
    seen = c.margin.health(identity).marginCallSeenAt
    assert seen != 0 and "margin_call" not in cycle()  # not due for a confirmation yet
    rpc(c.url, "evm_increaseTime", [43_200])  # half a heartbeat (a day)
    refresh_feeds(c)
    assert cycle()["margin_call"]["action"] == "confirmed"
    assert c.margin.health(identity).marginCallSeenAt > seen
    c.report("QSPX", price)  # back at about 155%
    assert cycle()["clear"]["action"] == "cleared"
    health = c.margin.health(identity)
    assert (health.marginCallAt, health.marginCallSeenAt) == (0, 0)


def test_con_89__the_book_read_directly__the_same_figures_as_through_ape(prime_chain, capsys):
    """CON-89: `quantera margin health` reads a node named by its URL with web3 and the compiled
    ABIs (keepers.core.views.DirectView), not through ape: the broker's listings, an account's
    holdings and its mark are what the keepers' ape reads give at the same block, a revert is
    the broker's custom error in one line, and the command itself never imports ape."""
    from web3 import Web3

    from keepers.core.artifacts import project_abis
    from keepers.core.reads import settled_block
    from keepers.core.views import DirectView, ViewReverted
    from keepers.prime.book import PrimeBook

    c = prime_chain
    me = ["--network", c.network, "--account", f"TEST::{CLI_CLIENT}", "--json"]
    if not c.broker.isOpen(CLI_ID):
        ok(capsys, "open", *me)
        c.credit(CLI_ID)
    if c.margin.health(CLI_ID).collateralUsd == 0:
        ok(capsys, "deposit", "QNDX", "10", *me)
    direct = PrimeBook(c.broker.address, DirectView(Web3(Web3.HTTPProvider(c.url)), project_abis()))
    through_ape = PrimeBook(c.broker.address)
    block = settled_block(direct.view.head()[0])  # a block the chain moved past (helper-115)
    assert [vars(x) | {"pool": None} for x in direct.listings()] == [
        vars(x) | {"pool": None} for x in through_ape.listings()
    ]
    assert [x.pool is None for x in direct.listings()] == [
        x.pool is None for x in through_ape.listings()
    ]
    # Pinned to one block: a read at "latest" runs on anvil's pending block, whose clock is the
    # wall clock, so debt accrues between two unpinned reads (seen in CI: 2,136 units apart).
    assert direct.holdings(CLI_ID, block) == through_ape.holdings(CLI_ID, block)
    assert direct.mark(CLI_ID, block) == through_ape.mark(CLI_ID, block)
    # A struct answered by name, as ape answers it.
    wallet = c.acct[CLI_CLIENT].address
    assert str(direct.registry.investorOf(wallet).identity).lower() == CLI_ID
    # A healthy account is not liquidatable: the margin module's error, decoded, in one line.
    with pytest.raises(ViewReverted, match=r"NotLiquidatable\(") as refused:
        usdc, qndx = c.tokens["USDC"].address, c.tokens["QNDX"].address
        direct.margin.previewLiquidation(CLI_ID, usdc, 1, qndx)
    assert "\n" not in str(refused.value)
    # The command itself: the same health, and ape never imported.
    run, imported_ape = run_quantera_watching_imports(
        ["margin", "health", "--network", c.network, "--identity", CLI_ID, "--json"],
        {**os.environ, "QUANTERA_DEPLOYMENTS_DIR": str(c.folder)},
    )
    assert run.returncode == 0, run.stderr
    assert not imported_ape
    shown = json.loads(run.stdout)
    _healths_of(c, shown["block"])  # the chain past the block and the next
    assert shown["ratio_bps"] in [_ratio_at(c, b) for b in (shown["block"], shown["block"] + 1)]
    # What a person reads (issue 33 §2): USD as money, ratios as percentages, times as dates.
    run, _ = run_quantera_watching_imports(
        ["margin", "health", "--network", c.network, "--identity", CLI_ID],
        {**os.environ, "QUANTERA_DEPLOYMENTS_DIR": str(c.folder)},
    )
    table = " ".join(run.stdout.replace("│", " ").split())
    assert run.returncode == 0, run.stderr
    assert "initial bps 150% (15,000 bps)" in table and "margin call at never" in table
    money = re.search(r"collateral usd (\S+)", table)
    assert money and money[1].startswith("$") and re.fullmatch(r"\$[\d,]+\.\d\d", money[1])
    # A debt whose price cannot be read (every feed stale a month on): one line naming the
    # oracle's error, from a fresh process as in this one.
    from ape import chain

    ok(capsys, "borrow", "USDC", "1", *me)
    snapshot = chain.provider.make_request("evm_snapshot", [])
    try:
        chain.provider.make_request("evm_increaseTime", [30 * 86_400])
        chain.provider.make_request("evm_mine", [])
        positions = ["margin", "positions", "--network", c.network, "--identity", CLI_ID]
        run, imported_ape = run_quantera_watching_imports(
            positions, {**os.environ, "QUANTERA_DEPLOYMENTS_DIR": str(c.folder)}
        )
        code, line = margin(capsys, *positions[1:])
    finally:
        chain.provider.make_request("evm_revert", [snapshot])
    assert run.returncode == 1 and not imported_ape
    assert run.stderr.startswith("error: cannot value the account: price at ")
    assert run.stderr.count("\n") == 1 and "(" in run.stderr.split(": ", 3)[3]
    assert code == 1 and line == run.stderr.strip()


def _healths_of(c: PrimeChain, block: int) -> list:
    """The account's health at `block` and at the next one, once the chain moved past both: what a
    read at `block` while it was the head may have answered (anvil answers such a read from the
    block it is mining)."""
    from keepers.prime.stress_replay import wait_past

    wait_past(block + 1)
    return [c.margin.health(CLI_ID, block_id=b) for b in (block, block + 1)]


def _ratio_at(c: PrimeChain, block: int) -> int | None:
    from keepers.prime.model import NO_DEBT_RATIO

    ratio = int(c.margin.health(CLI_ID, block_id=block).ratioBps)
    return None if ratio == NO_DEBT_RATIO else ratio


def test_verbose__ape_s_notices_on_stderr__stdout_still_the_answer(prime_chain, capsys):
    """Issue 33 §4: `quantera --verbose` shows ape's own notices (a sent transaction's) on stderr;
    stdout stays the command's JSON; without it, stderr holds the command's `sent:` lines only."""
    from keepers.cli import main

    c = prime_chain
    me = ["--network", c.network, "--account", f"TEST::{CLI_CLIENT}", "--json"]
    if not c.broker.isOpen(CLI_ID):
        ok(capsys, "open", *me)
        c.credit(CLI_ID)
    assert main(["--verbose", "margin", "deposit", "QNDX", "1", *me]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["account"].lower() == CLI_ID
    notices = [line for line in err.splitlines() if line and not line.startswith("sent: ")]
    assert any("Confirmed" in line or "INFO" in line for line in notices), err
    assert main(["margin", "deposit", "QNDX", "1", *me]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) and all(line.startswith("sent: ") for line in err.splitlines() if line)
