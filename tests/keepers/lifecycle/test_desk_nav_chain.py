"""LCY-76: the NAV agent keeper over a share class dealt in two settlement assets (a FundDesk with
one FundVault per asset, the registry's fund of record), against a real local chain (anvil): the
NAV sums both vaults' cash and the custodian account, each valued at its own asset's oracle price,
over the one share supply; the keeper strikes through the desk, so both vaults are struck at that
one NAV (one registry checkpoint per period), and never twice."""

import pytest

from governed import behind_proxy
from keepers.access import deploy_access, grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_compliance
from keepers.core import store
from keepers.core.deploying import Deployment
from keepers.core.deployments import record_path, save
from keepers.core.units import FEED_DECIMALS, WAD
from keepers.lifecycle import (
    Flow,
    Holdings,
    SettlementAssetType,
    VaultHoldings,
    approve_issuers,
    compute_class_nav,
    deploy_fund_desk,
    deploy_lifecycle,
    french_rf,
    list_settlement_assets,
    next_cutoff,
    set_token_issuer,
)
from keepers.lifecycle import store as lifecycle_store
from keepers.risk import deploy_feeds, feed_config, set_feeds
from keepers.vault import deploy_stablecoin
from test_nav_agent_chain import (
    AGENT,
    CUSTODIAN,
    DAY,
    DEPLOYER,
    FAR_FUTURE,
    GOVERNOR,
    INSTITUTIONAL,
    INVESTOR,
    ISSUER,
    MANAGER,
    NAV_AGENT,
    OPEN_US,
    OPERATOR,
    US,
    default_share_class,
    register_active_fund,
    run,
    set_time,
)

UNIT = 10**6
# vault order: USDC (reserve-backed, rank 3), USDT (stablecoin, rank 5)
COINS = {
    "USDC": (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100),
    "USDT": (SettlementAssetType.STABLECOIN, 125_000, 5, 100),
}


def build_desk_fund(accounts, chain):
    """The stack, a money-market share class registered and active, its FundDesk (two vaults)
    the registry's fund; the investor verified with 1,000,000 of each coin, set up on each vault."""
    acct = {i: accounts.test_accounts[i] for i in range(12)}
    d = Deployment.in_memory(acct[DEPLOYER])
    deploy_access(d, {"GOVERNOR": acct[GOVERNOR].address, "OPERATOR": acct[OPERATOR].address})
    deploy_compliance(d, "Quantera Bill", "QTB", agent=acct[AGENT].address, jurisdictions=OPEN_US)
    share = default_share_class(d, acct)
    coins = {label: deploy_stablecoin(d, label) for label in COINS}
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", acct[NAV_AGENT].address))
    feeds = deploy_feeds(d, {label: 10**FEED_DECIMALS for label in ("QMMF", *COINS)})
    registry = deploy_lifecycle(d)
    router, assets = d.at("OracleRouter"), d.at("SettlementAssets")
    tokens = {"QMMF": share, **coins}
    set_feeds(d, router, {k: (tokens[k], feed_config(feeds[k].address)) for k in tokens})
    list_settlement_assets(d, assets, {k: (coins[k].address, c) for k, c in COINS.items()})
    approve_issuers(d, registry, {"the issuer": acct[ISSUER].address})
    set_token_issuer(d, [share], acct[ISSUER].address)  # it registers the share (SEC-130)
    now = chain.blocks.head.timestamp
    instrument = register_active_fund(
        registry, share, [c.address for c in coins.values()], acct[ISSUER], now
    )
    desk, vaults = deploy_fund_desk(
        d,
        share,
        assets,
        registry,
        instrument,
        coins,
        identities={"USDC": "0x" + "f6" * 20, "USDT": "0x" + "f7" * 20},
        nav_agent=acct[NAV_AGENT].address,
        first_cutoff=next_cutoff(now, DAY) + DAY,
        fund_manager=acct[MANAGER].address,
        custodian=CUSTODIAN,
    )
    renounce_temporary_roles(d)
    registry.setFund(instrument, desk, sender=acct[ISSUER])
    investor = acct[INVESTOR]
    d.at("IdentityRegistry").registerInvestor(
        investor, "0x" + "f5" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=acct[OPERATOR]
    )
    for label, vault in vaults.items():
        coins[label].mint(investor, 1_000_000 * UNIT, sender=acct[OPERATOR])
        coins[label].approve(vault, 2**256 - 1, sender=investor)
        share.approve(vault, 2**256 - 1, sender=investor)
        vault.setOperator(desk, True, sender=investor)
    return d, registry, instrument, desk, vaults, coins, feeds


@pytest.fixture
def desk_chain(anvil, tmp_path, monkeypatch):
    from ape import accounts, chain, networks

    monkeypatch.setenv("QUANTERA_NAV_RF_SHIFT_DAYS", "0")
    with networks.parse_network_choice(f"ethereum:local:{anvil}"):
        yield accounts, chain, build_desk_fund(accounts, chain), tmp_path


def test_desk_keeper__nav_over_both_vaults_at_oracle_prices__both_struck_at_it_once(desk_chain):
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.striking import Head

    accounts, chain, built, tmp_path = desk_chain
    d, registry, instrument, desk, vaults, coins, feeds = built
    investor, agent = accounts.test_accounts[INVESTOR], accounts.test_accounts[NAV_AGENT]
    db = store.open_store(f"sqlite:///{tmp_path / 'keeper.sqlite'}")
    rates = french_rf(shift_days=0)

    def cycle():
        block = chain.blocks.head
        keeper = LifecycleKeeper(db, d.record, registry, rates, agent)  # as a restart makes it
        return keeper.cycle(Head(int(block.number), int(block.timestamp)))

    def past_cutoff(usdt_price=1.0):
        cutoff = int(vaults["USDC"].dealing()[1])
        chain.provider.make_request("evm_setNextBlockTimestamp", [cutoff + 60])
        chain.provider.make_request("evm_mine", [])
        for label, price in (("USDC", 1.0), ("USDT", usdt_price)):
            feeds[label].report(int(price * 10**FEED_DECIMALS), sender=agent)

    desk.requestDeposit(coins["USDC"], 100_000 * UNIT, investor, sender=investor)
    desk.requestDeposit(coins["USDT"], 50_000 * UNIT, investor, sender=investor)
    past_cutoff()
    outcome = cycle()
    assert outcome["struck"] == 1 and outcome["outcomes"][desk.address]["status"] == "confirmed"
    # No share outstanding yet: the opening $1.00, one checkpoint, both vaults at it.
    assert [int(v.strikeOf(1)[0]) for v in vaults.values()] == [WAD, WAD]
    assert int(registry.navCheckpointCount(instrument)) == 1
    for vault in vaults.values():
        vault.deposit(vault.maxDeposit(investor), investor, sender=investor)
    invested = vaults["USDC"].investCash(40_000 * UNIT, sender=accounts.test_accounts[MANAGER])
    invested_at = chain.provider.get_block(invested.block_number).timestamp

    # USDT 20 bps under par (within its 100 bps threshold): the class NAV falls with it.
    past_cutoff(usdt_price=0.998)
    assert cycle()["struck"] == 1
    [first, second] = sorted(
        lifecycle_store.nav_strikes(db, d.record.chain_id), key=lambda r: r.period
    )
    assert (first.vault, second.vault) == (desk.address, desk.address)
    assert (second.period, second.status) == (2, "confirmed")
    inputs = second.inputs
    expected = compute_class_nav(
        Holdings(inputs["valued_at"], 0, 0, 0, 150_000 * WAD, 18, WAD),
        [
            VaultHoldings(
                60_000 * UNIT,
                WAD,
                6,
                (
                    Flow("invested", invested_at, assets=40_000 * UNIT),
                    Flow("struck", 0, shares=100_000 * WAD),
                    Flow("claimed", 1, shares=100_000 * WAD),
                ),
            ),
            VaultHoldings(
                50_000 * UNIT,
                998 * WAD // 1000,
                6,
                (Flow("struck", 0, shares=50_000 * WAD), Flow("claimed", 1, shares=50_000 * WAD)),
            ),
        ],
        rates,
    )
    nav18 = int(second.nav18)
    assert nav18 == expected.nav.nav18 // 10**10 * 10**10  # the feed's 8 decimals
    # $149,900 in the vaults, $40,000 at the custodian earning a day of the short rate
    assert 9_993 * WAD // 10_000 < nav18 < 9_994 * WAD // 10_000
    assert [v["value_usd18"] for v in inputs["vaults"]] == [
        str(value) for _, _, value in expected.vault_values
    ]
    assert [int(v.strikeOf(2)[0]) for v in vaults.values()] == [nav18, nav18]
    assert int(registry.navCheckpointCount(instrument)) == 2
    # Run again: the next cut-off has not come; nothing is sent.
    nonce = chain.provider.get_nonce(agent.address)
    assert cycle()["struck"] == 0
    assert chain.provider.get_nonce(agent.address) == nonce
    # A desk without a vault named as the fund: no fund (found, not mistaken for a vault).
    from ape import project

    from keepers.lifecycle.funds import fund_of

    assert fund_of(registry, instrument).desk.address == desk.address
    empty = behind_proxy(
        accounts.test_accounts[DEPLOYER],
        project.FundDesk,
        desk.share(),
        desk.settlementAssets(),
        registry,
        instrument,
        authority=d.at("QuanteraAccessManager"),
    )
    registry.setFund(instrument, empty, sender=accounts.test_accounts[ISSUER])
    assert fund_of(registry, instrument) is None


@pytest.fixture
def desk_record(anvil, tmp_path, monkeypatch):
    """The desk fund built and its deployment record saved for the CLI."""
    from ape import accounts, chain, networks

    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(tmp_path))
    monkeypatch.setenv("QUANTERA_NAV_RF_SHIFT_DAYS", "0")
    network = f"ethereum:local:{anvil}"
    with networks.parse_network_choice(network):
        built = build_desk_fund(accounts, chain)
        built[0].record.block = 0
        save(built[0].record, record_path("ethereum:local", tmp_path))
    return network, built, f"sqlite:///{tmp_path / 'keeper.sqlite'}"


def test_fund_cli__desk_fund__subscribe_in_each_asset_redeem_routed_to_the_accepted_one(
    desk_record, capsys
):
    """LCY-77: `quantera fund subscribe --asset` and `fund redeem --accept` on a fund in several
    settlement assets go through its desk; the strike through the keeper strikes both vaults;
    `fund claim` and `fund cancel` act at every vault; `fund status|position|history` show every
    vault."""
    from ape import accounts, networks

    network, built, db_url = desk_record
    _, _, _, desk, vaults, coins, feeds = built
    investor = accounts.test_accounts[INVESTOR]
    as_investor = ["--network", network, "--account", f"TEST::{INVESTOR}", "--json"]
    as_agent = ["--network", network, "--account", f"TEST::{NAV_AGENT}", "--db-url", db_url]

    code, usdc = run(capsys, "fund", "subscribe", "--amount", "1000", *as_investor)
    assert code == 0 and usdc["vault"] == vaults["USDC"].address  # the first asset by default
    code, usdt = run(
        capsys, "fund", "subscribe", "--amount", "500", "--asset", "usdt", *as_investor
    )
    assert code == 0 and (usdt["vault"], usdt["asset"]) == (
        vaults["USDT"].address,
        coins["USDT"].address,
    )
    assert run(capsys, "fund", "subscribe", "--amount", "1", "--asset", "EURX", *as_investor) == (
        1,
        "error: the fund deals in no asset EURX (its assets: USDC, USDT)",
    )
    with networks.parse_network_choice(network):
        assert int(vaults["USDT"].pendingDepositRequest(0, investor)) == 500 * UNIT
        cutoff = int(vaults["USDC"].dealing()[1])
    set_time(network, cutoff + 60)
    with networks.parse_network_choice(network):
        for label in COINS:
            feeds[label].report(10**FEED_DECIMALS, sender=accounts.test_accounts[NAV_AGENT])
    code, struck = run(capsys, "fund", "strike", *as_agent, "--json")
    assert code == 0 and struck["status"] == "confirmed"
    with networks.parse_network_choice(network):
        assert [int(v.strikeOf(1)[0]) for v in vaults.values()] == [WAD, WAD]
    # One claim takes both vaults' shares.
    code, claimed = run(capsys, "fund", "claim", *as_investor)
    assert code == 0 and [
        (c["vault"], c["claimed"]["shares"]["amount"]) for c in claimed["vaults"]
    ] == [(vaults["USDC"].address, str(1_000 * WAD)), (vaults["USDT"].address, str(500 * WAD))]
    # USDC is preferred (rank 3 < 5), but the investor accepts USDT only.
    code, redeemed = run(
        capsys, "fund", "redeem", "--shares", "100", "--accept", "USDT", *as_investor
    )
    assert code == 0 and redeemed["vault"] == vaults["USDT"].address
    code, preferred = run(capsys, "fund", "redeem", "--shares", "100", *as_investor)
    assert code == 0 and preferred["vault"] == vaults["USDC"].address
    assert run(capsys, "fund", "redeem", "--shares", "600", "--accept", "USDT", *as_investor) == (
        1,
        "error: no accepted asset (USDT) holds enough for 600 shares",
    )
    with networks.parse_network_choice(network):
        assert int(vaults["USDT"].pendingRedeemRequest(0, investor)) == 100 * WAD
        assert int(vaults["USDC"].pendingRedeemRequest(0, investor)) == 100 * WAD
    code, status = run(capsys, "fund", "status", "--network", network, "--json")
    assert code == 0 and status["vault"] == desk.address
    assert [(v["vault"], v["pending_redeem_shares"], v["period"]) for v in status["vaults"]] == [
        (vaults["USDC"].address, str(100 * WAD), 2),
        (vaults["USDT"].address, str(100 * WAD), 2),
    ]
    code, position = run(
        capsys, "fund", "position", investor.address, "--network", network, "--json"
    )
    assert code == 0 and position["shares"] == str(1_300 * WAD)
    assert [v["pending_redeem_shares"] for v in position["vaults"]] == [str(100 * WAD)] * 2
    code, history = run(capsys, "fund", "history", investor.address, "--network", network, "--json")
    assert [(h["event"], h["vault"]) for h in history["history"]] == [
        ("DepositRequest", vaults["USDC"].address),
        ("DepositRequest", vaults["USDT"].address),
        ("Deposit", vaults["USDC"].address),
        ("Deposit", vaults["USDT"].address),
        ("RedeemRequest", vaults["USDT"].address),
        ("RedeemRequest", vaults["USDC"].address),
    ]
    # One cancel takes back the redemptions pending at both vaults.
    code, cancelled = run(capsys, "fund", "cancel", "--request", "redeem", *as_investor)
    assert code == 0 and [
        (c["vault"], c["cancelled"]["redeem"]["amount"]) for c in cancelled["vaults"]
    ] == [(vaults["USDC"].address, str(100 * WAD)), (vaults["USDT"].address, str(100 * WAD))]
    with networks.parse_network_choice(network):
        assert all(int(v.pendingRedeemRequest(0, investor)) == 0 for v in vaults.values())
