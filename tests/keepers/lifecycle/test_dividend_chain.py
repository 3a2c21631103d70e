"""The daily dividend declared on chain by the NAV agent keeper (LCY-42's computation sent as
`IIncomeShareToken.declareIncome(number, shares)`): one declaration a UTC day, its window starting
where the previous one's ended, each number applied once — also when the keeper is killed between
signing and broadcasting. Needs the IncomeShareToken (issue 17 item 5, branch lifecycle-income):
skipped until it is merged (then it runs as it stands)."""

import pytest

import keepers.lifecycle
from keepers.core import store
from test_nav_agent_chain import (
    INVESTOR,
    NAV_AGENT,
    OPEN_US,
    Crash,
    chain_with_fund,
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
        # The income functions run in IncomeShareLogic (the token's fallback): its ABI.
        token = project.IncomeShareLogic.at(record.address_of("IncomeShareToken.QMMFI"))
        token.mint(accounts.test_accounts[INVESTOR], 100_000 * WAD, sender=nav_agent)
        outcome = keeper().cycle(head())
        [first] = store.income_declarations(db, record.chain_id)
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
        second = store.income_declaration(db, record.chain_id, token.address, 2)
        assert second.status == "sent" and tuple(int(v) for v in token.incomeIndex())[1] == 1
        monkeypatch.setattr(declaring, "broadcast", real_broadcast)
        restarted = keeper()
        restarted.cycle(head())
        chain.provider.make_request("evm_mine", [])
        restarted.cycle(head())
        second = store.income_declaration(db, record.chain_id, token.address, 2)
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
