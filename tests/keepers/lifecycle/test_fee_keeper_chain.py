"""LCY-58 and LCY-59 on a real local chain (anvil), the real contracts built by the domains' deploy
steps (test_nav_agent_chain.build_fund) with a second fund: the fee keeper crystallises the
management fee and collects what each FundVault holds for its fee recipient once, never twice —
not when run again, not after a crash between broadcasting and recording (the restart reads the
receipt), not after a crash between signing and broadcasting (the restart re-sends the same
bytes) — at most its bound of collections a cycle; `quantera fund fees|fees-collect` with --json
and one-line errors; and the NAV agent counts the fee shares owed in shares outstanding."""

import pytest

from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.core.units import WAD
from keepers.lifecycle import is_valid_isin
from keepers.lifecycle import store as lifecycle_store
from test_nav_agent_chain import (
    AGENT,
    GOVERNOR,
    INVESTOR,
    ISSUER,
    NAV_AGENT,
    OPERATOR,
    Crash,
    chain_with_fund,
    fresh_usdc_price,
    register_fund,
    run,
    set_time,
)

DAY = 86_400
USDC = 10**6
US, INSTITUTIONAL, FAR_FUTURE = 840, 4, 2**40 - 1
COLLECTOR, RECIPIENT = 5, 8  # the fee keeper's key (no role) and the fee schedule's recipient
SECOND_ISIN = "US4592001014"
SUBSCRIPTION_BPS, MANAGEMENT_BPS = 50, 100


def _later(c, timestamp: int) -> int:
    """`timestamp`, or the next second after the head when a loaded machine's 1 s blocks already
    passed it (a timestamp below the head's is refused)."""
    from ape import chain

    with c.net:
        return max(timestamp, int(chain.blocks.head.timestamp) + 1)


def second_fund(d, acct, registry, usdc):
    """A second money-market fund over the note's share class (`SecurityToken.QTN28`), its vault
    `FundVault.2` the registry's fund of instrument 2."""
    share = d.at("SecurityToken.QTN28")
    share.unpause(sender=acct[AGENT])
    instrument, vault = register_fund(
        d, acct, registry, share, usdc, SECOND_ISIN, identity="0x" + "f7" * 20, name="FundVault.2"
    )
    registry.setFund(instrument, vault, sender=acct[ISSUER])


FUND_NAMES = ("FundVault", "FundVault.2")


class FeeChain:
    """Funds charging fees to one recipient: fund 1 a subscription fee (its investor's claim paid
    it in shares) and a management fee, fund 2 (when built) a management fee on shares its agent
    minted."""

    def __init__(self, network, record, db_url, funds: int = 2):
        from ape import accounts, networks, project

        self.network, self.record, self.db_url = network, record, db_url
        self.db = store.open_store(db_url)
        self.net = networks.parse_network_choice(network)
        with self.net:
            self.acct = {i: accounts.test_accounts[i] for i in range(12)}
            self.vaults = [
                project.FundVault.at(record.address_of(name)) for name in FUND_NAMES[:funds]
            ]
            self.shares = [project.SecurityToken.at(v.share()) for v in self.vaults]
            self.schedule = project_at("FeeSchedule", record.address_of("FeeSchedule"))
            self.usdc = project.LocalStablecoin.at(self.vaults[0].asset())

    @property
    def recipient(self) -> str:
        return self.acct[RECIPIENT].address

    def head(self):
        from ape import chain

        from keepers.lifecycle.striking import Head

        block = chain.blocks.head
        return Head(int(block.number), int(block.timestamp))

    def keeper(self, **kwargs):
        """A fee keeper as a (re)started process makes it: nothing in memory, the store on disk."""
        from keepers.lifecycle.collecting import FeeKeeper
        from keepers.lifecycle.funds import registry_of

        kwargs.setdefault("min_interval_seconds", DAY)
        return FeeKeeper(self.db, registry_of(self.record), self.acct[COLLECTOR], **kwargs)

    def cycle(self, keeper):
        """One cycle, the collections it broadcast waited for and recorded (as the CLI does)."""
        head = self.head()
        return keeper.settle(keeper.cycle(head), head)

    def nonce(self) -> int:
        from ape import chain

        return chain.provider.get_nonce(self.acct[COLLECTOR].address)

    def collected_logs(self, vault):
        from ape import chain

        return list(vault.FeesCollected.range(0, chain.blocks.head.number + 1))


def build_fee_chain(
    anvil, directory, monkeypatch, share_class=None, funds=2, extra=None
) -> FeeChain:
    """The fee schedules set, the recipient verified; fund 1's investor subscribed 100,000 USDC,
    struck at $1.00 and claimed (its subscription fee: 500 shares owed); fund 2's investor holds
    50,000 shares; then 30 days pass (the management fee accrues). `share_class` makes fund 1's
    share token and `extra` deploys more (test_nav_agent_chain.build_fund); `funds=1` builds fund 1
    only."""
    from ape import chain, project

    from keepers.lifecycle import french_rf
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper

    assert is_valid_isin(SECOND_ISIN)

    def more(d, acct, registry, usdc):
        if funds == 2:
            second_fund(d, acct, registry, usdc)
        if extra is not None:
            extra(d, acct, registry, usdc)

    network, record, _, db_url = chain_with_fund(anvil, directory, monkeypatch, share_class, more)
    c = FeeChain(network, record, db_url, funds)
    investor = c.acct[INVESTOR]
    with c.net:
        project.IdentityRegistry.at(record.address_of("IdentityRegistry")).registerInvestor(
            c.recipient, "0x" + "fe" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=c.acct[OPERATOR]
        )
        for vault in c.vaults:
            terms = (SUBSCRIPTION_BPS, 0, 0, 0, MANAGEMENT_BPS, c.recipient, [])
            c.schedule.setFeeSchedule(vault, terms, sender=c.acct[GOVERNOR])
        vault = c.vaults[0]
        c.usdc.approve(vault, 100_000 * USDC, sender=investor)
        vault.requestDeposit(100_000 * USDC, investor, investor, sender=investor)
        cutoff = int(vault.dealing()[1])
    set_time(network, cutoff + 60)
    fresh_usdc_price(network, record)
    with c.net:
        nav_agent = LifecycleKeeper(
            c.db, record, registry_of(record), french_rf(0), c.acct[NAV_AGENT]
        )
        assert nav_agent.cycle(c.head())["struck"] == 1
        [strike] = lifecycle_store.nav_strikes(c.db, record.chain_id, vault.address)
        chain.provider.web3.eth.wait_for_transaction_receipt(strike.tx_hash, timeout=120)
        vault.deposit(int(vault.maxDeposit(investor)), investor, investor, sender=investor)
        if funds == 2:
            c.shares[1].mint(investor, 50_000 * WAD, sender=c.acct[AGENT])
        assert int(vault.heldFees()[0]) == 500 * WAD  # 50 bps of 100,000 shares at $1.00
        start = int(chain.blocks.head.timestamp)
    set_time(network, start + 30 * DAY)
    return c


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One chain for the file, built once (`build_fee_chain`), its anvil state snapshotted."""
    from keepers.demo.processes import ProcessGroup, rpc, start_anvil

    directory = tmp_path_factory.mktemp("fee-chain")
    group = ProcessGroup(directory)
    try:
        url = start_anvil(group, chain_id=1337)
        with pytest.MonkeyPatch.context() as monkeypatch:
            built = build_fee_chain(url, directory, monkeypatch)
        yield url, built, directory, rpc
    finally:
        group.stop_all()


@pytest.fixture
def fees(built, tmp_path, monkeypatch):
    """The built chain as it was after `build_fee_chain` (anvil reverted to its snapshot), with
    its keeper store as it was then (a copy)."""
    import shutil

    url, c, directory, rpc = built
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(directory))
    monkeypatch.setenv("QUANTERA_NAV_RF_SHIFT_DAYS", "0")
    if not hasattr(c, "snapshot"):
        shutil.copy(directory / "keeper.sqlite", directory / "built.sqlite")
    else:
        assert rpc(url, "evm_revert", [c.snapshot]) is True
    c.snapshot = rpc(url, "evm_snapshot")
    shutil.copy(directory / "built.sqlite", tmp_path / "keeper.sqlite")
    c.db_url = f"sqlite:///{tmp_path / 'keeper.sqlite'}"
    c.db = store.open_store(c.db_url)
    return c


def test_fee_keeper_and_cli__collected_once__fees_shown_nav_counts_fee_shares(fees, capsys):
    """LCY-58 (once; skipped when collected within the interval; the NAV's shares outstanding)
    and LCY-59 (`fund fees`, `fund fees-collect`: --json and one-line errors)."""
    from keepers.lifecycle import french_rf
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper

    c, net = fees, ["--network", fees.network]
    vault, share = c.vaults[0], c.shares[0]

    # The NAV agent's shares outstanding count the fee shares owed and the management fee
    # accruing (the strike crystallises it): 99,500 minted + 500 owed + the accrual.
    fresh_usdc_price(c.network, c.record)
    with c.net:
        nav_agent = LifecycleKeeper(c.db, c.record, registry_of(c.record), french_rf(0))
        striker = nav_agent.striker(nav_agent.funds(c.head().number)[0])
        nav_agent.scan_flows(striker.fund, c.head().number)
        head = c.head()
        _, _, inputs, _ = striker.compute(head)
        accrued_at = int(vault.heldFees()[2])  # the strike's time: the last accrual
        accruing = int(
            c.schedule.managementFeeShares(vault, 100_000 * WAD, head.timestamp - accrued_at)
        )
        assert int(share.totalSupply()) == 99_500 * WAD and accruing > 0
    assert inputs["fee_shares_owed"] == str(500 * WAD)
    assert inputs["fee_shares_accruing"] == str(accruing)
    assert inputs["shares_outstanding"] == str(100_000 * WAD + accruing)

    code, shown = run(capsys, "fund", "fees", *net, "--db-url", c.db_url, "--json")
    assert code == 0 and [f["vault"] for f in shown["funds"]] == [v.address for v in c.vaults]
    first = shown["funds"][0]
    assert first["terms"]["subscription_bps"] == SUBSCRIPTION_BPS
    assert first["terms"]["management_bps"] == MANAGEMENT_BPS
    assert first["terms"]["recipient"] == c.recipient
    assert first["owed_shares"] == str(500 * WAD) and first["held_assets"] == "0"
    assert first["accrued_at"] == accrued_at and first["at"] >= head.timestamp
    with c.net:  # the management fee accruing at the head the command read
        elapsed = first["at"] - accrued_at
        assert int(first["accruing_shares"]) == int(
            c.schedule.managementFeeShares(vault, 100_000 * WAD, elapsed)
        )
    assert first["collections"] == [] and first["keeper_collections"] == []

    as_collector = [*net, "--account", f"TEST::{COLLECTOR}", "--db-url", c.db_url, "--json"]
    code, collected = run(capsys, "fund", "fees-collect", "--fund", "1", *as_collector)
    outcome = collected["outcomes"][vault.address]
    assert code == 0 and collected["collected"] == 1 and outcome["status"] == "confirmed"
    with c.net:
        [log] = c.collected_logs(vault)
        held = vault.heldFees()
        paid = int(share.balanceOf(c.recipient))
    # Crystallised up to the accrueFees block, then paid: what was owed and what accrued.
    assert (log.recipient, int(log.shares), int(log.assets)) == (c.recipient, paid, 0)
    assert outcome["shares"] == str(paid) and paid >= 500 * WAD + accruing
    assert (int(held[0]), int(held[1])) == (0, 0)
    [row] = lifecycle_store.fee_collections(c.db, c.record.chain_id, vault.address)
    assert (row.number, row.status, row.tx_hash, row.accrue_tx is not None) == (
        1,
        "confirmed",
        outcome["tx"],
        True,
    )

    # Eleven minutes later (management fee due: none is minted for less than MIN_BILLED, 10
    # minutes): collected within the interval; nothing sent, one line saying why.
    set_time(c.network, _later(c, row.collected_at + 660))
    with c.net:
        nonce = c.nonce()
    code, line = run(capsys, "fund", "fees-collect", "--fund", "1", *as_collector)
    assert code == 1 and line.startswith(
        f"error: nothing collected: collected at {row.collected_at}, less than {DAY} s before "
    )
    with c.net:
        assert c.nonce() == nonce and len(c.collected_logs(vault)) == 1
    code, line = run(capsys, "fund", "fees", "--fund", "7", *net)
    assert (code, line) == (1, "error: no instrument 7")
    from keepers.cli import main

    assert main(["fund", "fees", *net, "--db-url", c.db_url]) == 0  # a table per fund
    out = capsys.readouterr().out
    assert "fees of fund 1" in out and "fees of fund 2" in out and "owed shares" in out

    code, shown = run(capsys, "fund", "fees", "--fund", "1", *net, "--db-url", c.db_url, "--json")
    [first] = shown["funds"]
    assert first["collections_total"] == 1 and first["collections"][0]["shares"] == str(paid)
    assert first["keeper_collections"][0]["status"] == "confirmed"

    # After the collection the minted fee shares are counted once (in the supply, no longer as
    # owed nor as struck and unclaimed).
    with c.net:
        nav_agent.scan_flows(striker.fund, c.head().number)
        head = c.head()
        _, _, inputs, _ = striker.compute(head)
        supply = int(share.totalSupply())
        accruing = int(c.schedule.managementFeeShares(vault, supply, head.timestamp - int(held[2])))
    assert supply == 100_000 * WAD + paid - 500 * WAD
    assert inputs["shares_outstanding"] == str(supply + accruing)


def test_fee_keeper__crashes_around_the_broadcast__reconciled_never_reapplied_bounded_per_cycle(
    fees, monkeypatch
):
    """LCY-58: a crash after broadcasting, before recording: the restart reads the receipt and
    sends nothing; a crash after signing, before broadcasting: the restart sends the same bytes,
    which collect once; at most `max_per_cycle` collections a cycle, the least recently collected
    fund first."""
    from ape import chain

    from keepers.lifecycle import collecting
    from keepers.lifecycle.fees import MAX_COLLECTIONS_PER_CYCLE
    from keepers.lifecycle.striking import _hex

    c = fees
    first, second = (v.address for v in c.vaults)
    real_broadcast = collecting.broadcast

    with c.net:
        assert MAX_COLLECTIONS_PER_CYCLE == 8 and c.keeper().max_per_cycle == 8

        # Bound 1: the two funds are due; one is collected, the other deferred.
        def sent_then_crash(raw):
            real_broadcast(raw)
            raise Crash(raw)

        monkeypatch.setattr(collecting, "broadcast", sent_then_crash)
        with pytest.raises(Crash):
            c.keeper(max_per_cycle=1).cycle(c.head())
        monkeypatch.setattr(collecting, "broadcast", real_broadcast)
        [row] = lifecycle_store.fee_collections(c.db, c.record.chain_id)
        # Broadcast (and mined), never recorded as such: the row still says sent.
        assert (row.vault, row.status) == (first, "sent")
        chain.provider.web3.eth.wait_for_transaction_receipt(row.tx_hash, timeout=120)
        assert len(c.collected_logs(c.vaults[0])) == 1
        paid = int(c.shares[0].balanceOf(c.recipient))
        crashed_at = int(chain.blocks.head.timestamp)

    # The restart, eleven minutes later (management fee due on fund 1: 10 minutes at least).
    set_time(c.network, _later(c, crashed_at + 660))
    with c.net:
        nonce = c.nonce()
        result = c.cycle(c.keeper(max_per_cycle=1))
        # The restart reconciled fund 1 by its receipt (nothing sent for it), so fund 2, never
        # collected, came first and took the cycle's one collection.
        assert result["outcomes"][second]["action"] == "collected"
        assert result["outcomes"][first] == {
            "action": "deferred",
            "reason": "this cycle's 1 collection(s) made",
        }
        [row, other] = (
            lifecycle_store.fee_collections(c.db, c.record.chain_id, v)[0] for v in (first, second)
        )
        [log] = c.collected_logs(c.vaults[0])
        assert row.status == "confirmed" and _hex(log.transaction_hash) == row.tx_hash
        assert row.shares == str(int(log.shares)) == str(paid)
        assert int(c.shares[0].balanceOf(c.recipient)) == paid  # paid once
        assert c.nonce() == nonce + 2  # fund 2's accrueFees and collectFees only
        assert other.status == "confirmed" and int(other.shares) > 0

        # Within the interval: nothing due; nothing sent, whatever the cycles.
        nonce = c.nonce()
        for _ in range(2):
            result = c.cycle(c.keeper())
            assert result["collected"] == 0
            # Just collected: nothing accrued yet in this block, or within the interval.
            reasons = [o["reason"] for o in result["outcomes"].values()]
            assert all(r == "nothing due" or r.startswith("collected at") for r in reasons)
        assert c.nonce() == nonce
        later = int(chain.blocks.head.timestamp) + DAY + 1

    # A day later both are due again; bound 1 takes the least recently collected (fund 1).
    set_time(c.network, later)
    with c.net:

        def crash(raw):
            raise Crash(raw)

        monkeypatch.setattr(collecting, "broadcast", crash)
        with pytest.raises(Crash):
            c.keeper(max_per_cycle=1).cycle(c.head())
        monkeypatch.setattr(collecting, "broadcast", real_broadcast)
        rows = lifecycle_store.fee_collections(c.db, c.record.chain_id, first)
        signed = rows[-1]
        # Signed and recorded, never broadcast: the vault still holds the fees.
        assert (signed.number, signed.status) == (2, "sent") and signed.raw_tx
        owed = int(c.vaults[0].heldFees()[0])
        assert owed > 0 and len(c.collected_logs(c.vaults[0])) == 1

        restarted = c.keeper(max_per_cycle=1)
        result = c.cycle(restarted)
        # The restart re-sends the same bytes (waiting on them) and, bound 1, collects fund 2.
        assert result["outcomes"][first]["action"] == "waiting"
        assert result["outcomes"][second]["action"] == "collected"
        chain.provider.web3.eth.wait_for_transaction_receipt(signed.tx_hash, timeout=120)
        restarted.cycle(c.head())
        signed = lifecycle_store.fee_collections(c.db, c.record.chain_id, first)[-1]
        logs = c.collected_logs(c.vaults[0])
        assert signed.status == "confirmed" and len(logs) == 2
        assert _hex(logs[-1].transaction_hash) == signed.tx_hash
        assert int(logs[-1].shares) == owed == int(signed.shares)
        assert [int(v) for v in c.vaults[0].heldFees()[:2]] == [0, 0]


def test_fee_keeper__collection_dropped_by_a_reorganisation__marked_reorged_and_collected_again(
    fees, built
):
    """LCY-58: a confirmed collection whose transaction a reorganisation dropped (anvil reverted
    to before it) is marked `reorged`; the fees are held again on the canonical chain and the next
    cycle collects them, once."""
    from ape import chain

    from keepers.lifecycle.striking import _hex

    c, (url, _, _, rpc) = fees, built
    vault = c.vaults[0]
    with c.net:
        before = rpc(url, "evm_snapshot")
        result = c.cycle(c.keeper(max_per_cycle=1))
        assert result["outcomes"][vault.address]["status"] == "confirmed"
        assert len(c.collected_logs(vault)) == 1
        assert rpc(url, "evm_revert", [before]) is True  # the collection's blocks orphaned
        assert c.collected_logs(vault) == [] and int(vault.heldFees()[0]) > 0
        # Bound 1: reconciled first, fund 1 is never collected again (its one collection
        # orphaned) and is tried before fund 2.
        result = c.cycle(c.keeper(max_per_cycle=1))
        assert result["outcomes"][vault.address]["action"] == "collected"
        assert result["outcomes"][c.vaults[1].address]["action"] == "deferred"
        rows = lifecycle_store.fee_collections(c.db, c.record.chain_id, vault.address)
        assert [(r.number, r.status) for r in rows] == [(1, "reorged"), (2, "confirmed")]
        assert rows[0].note == f"orphaned ({rows[0].tx_hash})"
        [log] = c.collected_logs(vault)
        assert _hex(log.transaction_hash) == rows[1].tx_hash
        assert int(c.shares[0].balanceOf(c.recipient)) == int(log.shares) == int(rows[1].shares)
        assert chain.blocks.head.number >= int(log.block_number)


def test_rpt_8__report_client__fund_shares_fees_and_management_rate_from_the_chain(
    fees, tmp_path, capsys
):
    """RPT-8 on this module's chain (no deployment of its own; the funds have no PortfolioVault):
    `quantera report client --investor` lists the investor's shares of each fund at its last
    struck NAV, the subscription fee it paid (its FeeCharged events) and each fund's management
    fee rate, in the JSON and the PDF."""
    from ape import chain

    from keepers.cli import main
    from keepers.reports.pdf import pct, usd
    from pdf_text import flat, pdf_pages

    c = fees
    investor = c.acct[INVESTOR].address
    args = ["report", "client", "--network", c.network, "--investor", investor]
    code, data = run(capsys, *args, "--json")
    assert code == 0, data
    pdf = tmp_path / "client.pdf"
    assert main([*args, "--pdf", str(pdf)]) == 0
    text = flat(pdf_pages(pdf.read_bytes()))
    with c.net:
        registry = c.vaults[0].navSource()[0]
        charged = [
            log
            for log in c.schedule.FeeCharged.range(0, chain.blocks.head.number + 1)
            if log.investor == investor
        ]
        held = {}
        for number, share in enumerate(c.shares, start=1):
            nav18 = int(project_registry(registry).latestNav(number)[0])
            held[share.symbol()] = (int(share.balanceOf(investor)) / WAD, nav18 / WAD)
    assert held["QMMF"][0] == 99_500  # 100,000 USDC at $1.00 less the 50 bps fee's shares
    assert [(int(log.kind), int(log.fee)) for log in charged] == [(0, 500 * USDC)]
    rows = {h["symbol"]: h for h in data["holdings"]}
    total = sum(q * p for q, p in held.values())
    for symbol, (quantity, price) in held.items():
        assert (rows[symbol]["quantity"], rows[symbol]["price_usd"]) == (quantity, price)
        assert rows[symbol]["asset_class"] == "money_market_fund"
        if quantity * price > 0:
            weight = pct(quantity * price / total)
            cells = f"{quantity:,.4f} {usd(price)} {usd(quantity * price)} {weight}"
            assert f"{symbol} money_market_fund {cells}" in text
    assert data["total_value_usd"] == total
    assert "QMMF: subscription fees paid 500.00 USDC 1 charge" in text
    for symbol in held:
        assert f"{symbol}: management fee {MANAGEMENT_BPS} bps" in text
    assert "fund QMMF (instrument 1, money_market_fund)" in text
    # A fund that has struck no NAV yet is said to be valued at 0, not silently.
    unpriced = [symbol for symbol, (_, price) in held.items() if price == 0]
    for symbol in unpriced:
        note = f"{symbol}: the fund has struck no NAV yet; its shares are valued at 0."
        assert f"Note: {note}" in text and note in data["notes"]
    assert len(data["notes"]) == len(unpriced)
    lines = {(f["item"], f["amount"], f["unit"]) for f in data["fees_income"]}
    assert ("QMMF: subscription fees paid", 500.0, "USDC") in lines
    # No income line: this share class is a plain SecurityToken (no income accounts).
    assert not [f for f in data["fees_income"] if "income" in f["item"]]


def project_registry(address):
    from ape import project

    return project.InstrumentRegistry.at(address)
