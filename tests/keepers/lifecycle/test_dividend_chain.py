"""The daily dividend declared on chain by the NAV agent keeper (LCY-42's computation sent as
`IIncomeShareToken.declareIncome(number, shares)`): one declaration a UTC day, its window starting
where the previous one's ended, each number applied once — also when the keeper is killed between
signing and broadcasting. Needs the IncomeShareToken (issue 17 item 5, branch lifecycle-income):
skipped until it is merged (then it runs as it stands)."""

import pytest

import keepers.lifecycle
from keepers.core import store
from keepers.lifecycle import store as lifecycle_store
from test_nav_agent_chain import (
    INVESTOR,
    NAV_AGENT,
    OPEN_US,
    Crash,
    chain_with_fund,
    fresh_usdc_price,
    run,
    set_time,
)

pytestmark = pytest.mark.skipif(
    not hasattr(keepers.lifecycle, "deploy_income_share_token"),
    reason="the IncomeShareToken (branch lifecycle-income) is not merged yet",
)
DAY, WAD = 86_400, 10**18


def income_share_class(d, acct):
    """The fund's share class pays income in new shares; the NAV agent is its agent and its
    declarer (SEC-129: the DECLARE capability declares, not MINT)."""
    token = keepers.lifecycle.deploy_income_share_token(
        d,
        "Quantera Money Market (income)",
        "QMMFI",
        agent=acct[NAV_AGENT].address,
        declarer=acct[NAV_AGENT].address,
        jurisdictions=OPEN_US,
    )
    token.unpause(sender=acct[NAV_AGENT])
    return token


def test_keeper__daily_dividends__declared_once_a_day_windows_end_to_end_never_twice(
    anvil, tmp_path, monkeypatch
):
    from ape import accounts, chain, networks, project

    from keepers.lifecycle import compute_dividend, declaring, french_rf
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.striking import Head

    network, record, _, db_url = chain_with_fund(anvil, tmp_path, monkeypatch, income_share_class)
    db, rates = store.open_store(db_url), french_rf(0)
    nav_agent = accounts.test_accounts[NAV_AGENT]

    def keeper():
        return LifecycleKeeper(db, record, registry_of(record), rates, nav_agent)

    def head():
        block = chain.blocks.head
        return Head(int(block.number), int(block.timestamp))

    with networks.parse_network_choice(network):
        token = project.IncomeShareToken.at(record.address_of("IncomeShareToken.QMMFI"))
        token.mint(accounts.test_accounts[INVESTOR], 100_000 * WAD, sender=nav_agent)
        outcome = keeper().cycle(head())
        [first] = lifecycle_store.income_declarations(db, record.chain_id)
        assert outcome["declared"] == 1 and first.status == "confirmed" and first.number == 1
        assert first.end - first.start == DAY  # the first window: one day back
        expected = compute_dividend(
            1, 100_000 * WAD, first.start, first.end, rates, max_declaration_bps=50
        )
        assert int(first.shares) == expected.shares > 0
        assert int(token.totalSupply()) == 100_000 * WAD + expected.shares
        assert tuple(int(v) for v in token.incomeIndex())[1] == 1
        # The same day again, and after a restart: not due, nothing sent.
        nonce = chain.provider.get_nonce(nav_agent.address)
        assert keeper().cycle(head())["declared"] == 0
        assert chain.provider.get_nonce(nav_agent.address) == nonce

    set_time(network, first.end + DAY)
    with networks.parse_network_choice(network):
        real_broadcast = declaring.broadcast

        def crash(raw):
            raise Crash(raw)

        monkeypatch.setattr(declaring, "broadcast", crash)
        with pytest.raises(Crash):
            keeper().cycle(head())
        second = lifecycle_store.income_declaration(db, record.chain_id, token.address, 2)
        assert second.status == "sent" and tuple(int(v) for v in token.incomeIndex())[1] == 1
        monkeypatch.setattr(declaring, "broadcast", real_broadcast)
        restarted = keeper()
        restarted.cycle(head())
        chain.provider.make_request("evm_mine", [])
        restarted.cycle(head())
        second = lifecycle_store.income_declaration(db, record.chain_id, token.address, 2)
        assert second.status == "confirmed" and tuple(int(v) for v in token.incomeIndex())[1] == 2
        # Its window starts where the first ended; declared on the supply the first grew.
        assert second.start == first.end
        assert int(second.supply) == 100_000 * WAD + int(first.shares)
        declared = list(token.IncomeDeclared.range(0, chain.blocks.head.number + 1))
        assert [(int(e.number), int(e.shares)) for e in declared] == [
            (1, int(first.shares)),
            (2, int(second.shares)),
        ]
        # The signed bytes of declaration 2 sent again: the node refuses or the token does;
        # nothing applies twice.
        declaring.broadcast(second.raw_tx)
        chain.provider.make_request("evm_mine", [])
        assert tuple(int(v) for v in token.incomeIndex())[1] == 2


def test_sec_184__declaration_in_flight_when_the_strike_is_due__nav_read_after_it_lands(
    anvil, tmp_path, monkeypatch, capsys
):
    """The keeper's declaration was signed and broadcast without waiting; the next cycle read the
    supply (the declaration still in flight), the declaration landed, and the report and strike
    followed (main: period 2 struck at $1.00 on the 100,000 shares before the declaration, the
    declared shares then diluting the holders who stay). The striker waits while a declaration is
    in flight, re-reads the count after its report, and strikes bound to it (SEC-183)."""
    from ape import accounts, chain, networks, project

    from keepers.core import sending
    from keepers.lifecycle import declaring, french_rf, striking
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.striking import Head

    network, record, _, db_url = chain_with_fund(anvil, tmp_path, monkeypatch, income_share_class)
    db, rates = store.open_store(db_url), french_rf(0)
    nav_agent = accounts.test_accounts[NAV_AGENT]
    net = ["--network", network]
    as_investor = [*net, "--account", f"TEST::{INVESTOR}", "--json"]

    def cycle():
        block = chain.blocks.head
        keeper = LifecycleKeeper(db, record, registry_of(record), rates, nav_agent)
        return keeper.cycle(Head(int(block.number), int(block.timestamp)))

    assert run(capsys, "fund", "subscribe", "--amount", "100000", *as_investor)[0] == 0
    with networks.parse_network_choice(network):
        vault = project.FundVault.at(record.address_of("FundVault"))
        token = project.IncomeShareToken.at(vault.share())
        cutoff = int(vault.dealing()[1])
    set_time(network, cutoff + 60)
    fresh_usdc_price(network, record)
    with networks.parse_network_choice(network):
        assert cycle()["struck"] == 1  # period 1 at the opening $1.00; nothing to declare yet
        cutoff = int(vault.dealing()[1])
    assert run(capsys, "fund", "claim", *as_investor)[0] == 0

    # Before period 2's cut-off the day's declaration is signed and sent; the node has not mined
    # it yet (held here: every broadcast of it kept back), and the keeper goes on.
    set_time(network, cutoff - 3_600)
    fresh_usdc_price(network, record)  # by the NAV agent's key: before its declaration's nonce
    in_flight = []
    real_broadcast = declaring.broadcast
    monkeypatch.setattr(declaring, "broadcast", in_flight.append)
    monkeypatch.setattr(sending, "broadcast", lambda raw: None)
    monkeypatch.setattr(declaring, "DECLARATION_WAIT_SECONDS", 0, raising=False)
    with networks.parse_network_choice(network):
        outcome = cycle()
        assert outcome["declarations"][vault.address]["status"] == "sent" and in_flight
        assert int(token.incomeIndex()[1]) == 0
    monkeypatch.setattr(declaring, "broadcast", real_broadcast)
    monkeypatch.setattr(sending, "broadcast", real_broadcast)

    # Past the cut-off: the declaration lands while the keeper is between its read and its
    # report (its node mines it then).
    real_crash_point = striking.crash_point

    def lands(name):
        if name == "lifecycle.after_record" and in_flight:
            declaring.broadcast(in_flight.pop())  # mined (the node mines every transaction)
            # The report comes a block (12 s) later.
            later = int(chain.blocks.head.timestamp) + 12
            chain.provider.make_request("evm_setNextBlockTimestamp", [later])
        real_crash_point(name)

    set_time(network, cutoff + 60)  # the price reported an hour ago is fresh (a day's heartbeat)
    monkeypatch.setattr(striking, "crash_point", lands)
    with networks.parse_network_choice(network):
        for _ in range(3):
            cycle()
            if int(vault.dealing()[0]) == 3:
                break
        assert int(vault.dealing()[0]) == 3, "period 2 not struck"
        nav18 = int(vault.strikeOf(2)[0])
        supply = int(token.totalSupply())
        declared = int(token.incomeIndex()[1])
    # The value is the vault's 100,000 USDC (free cash earns nothing), over the supply with the
    # declared shares.
    assert declared == 1 and supply > 100_000 * WAD
    assert nav18 * supply <= 100_000 * WAD * WAD, (
        f"struck at {nav18 / WAD:.6f} on {supply / WAD:,.2f} shares: "
        f"{nav18 * supply / WAD / WAD:,.2f} for $100,000"
    )
    assert nav18 * supply >= (100_000 * WAD - supply // 10**6) * WAD  # the feed's 8 decimals
