"""LCY-47 and LCY-48: the NAV agent keeper and `quantera instrument|fund` against a real local chain
(anvil): a money-market share class registered in the InstrumentRegistry with its FundVault, built
in process by the domains' own deploy steps; an investor subscribes, the keeper strikes at the
cut-off at the NAV computed from the vault's holdings (cash and a custodian account growing at
French's RF), the investor claims, redeems and reads its position and history through the CLI —
and the keeper never strikes a period twice: not when run again, and not after a crash between
signing and broadcasting (the restart re-sends the same signed bytes)."""

import json
import re

import pytest

from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_compliance, deploy_security
from keepers.core import store
from keepers.core.deploying import Deployment
from keepers.core.deployments import record_path, save
from keepers.core.units import FEED_DECIMALS, WAD
from keepers.lifecycle import (
    InstrumentKind,
    InstrumentTerms,
    SettlementAssetType,
    approve_issuers,
    deploy_fund_vault,
    deploy_lifecycle,
    list_settlement_assets,
    next_cutoff,
    set_token_issuer,
    utc_midnight,
)
from keepers.lifecycle import store as lifecycle_store
from keepers.risk import deploy_feeds, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

DAY = 86_400
USDC = 10**6
US, INSTITUTIONAL, FAR_FUTURE = 840, 4, 2**40 - 1
OPEN_US = [(US, (True, 1, 0, 0, 0))]
ISIN = "US0378331005"  # Apple's (check digit valid), standing in for a fund share class
DEPLOYER, GOVERNOR, OPERATOR, AGENT, ISSUER, NAV_AGENT, MANAGER, INVESTOR = 0, 1, 3, 4, 9, 10, 11, 6
CUSTODIAN = "0x" + "c5" * 20


def build_fund(network, directory, share_class=None, extra=None):
    """The stack, the share class registered and active, its vault the registry's fund; the
    investor verified with 1,000,000 USDC. `extra(d, acct, registry, usdc)` deploys more while the
    deployer still holds its temporary roles. Saves the deployment record for the CLI."""
    from ape import accounts, networks

    with networks.parse_network_choice(network):
        acct = {i: accounts.test_accounts[i] for i in range(12)}
        d = Deployment.in_memory(acct[DEPLOYER])
        from keepers.access import deploy_access

        deploy_access(d, {"GOVERNOR": acct[GOVERNOR].address, "OPERATOR": acct[OPERATOR].address})
        deploy_compliance(
            d, "Quantera T-Bill 2027", "QTB27", agent=acct[AGENT].address, jurisdictions=OPEN_US
        )
        share = (share_class or default_share_class)(d, acct)
        deploy_security(  # the note's share class (SecurityToken.QTN28)
            d,
            ".QTN28",
            "Quantera Note 2028",
            "QTN28",
            agent=acct[AGENT].address,
            jurisdictions=OPEN_US,
        )
        usdc = deploy_stablecoin(d, "USDC")
        send_to_manager(d, grant_calls(d, "PRICE_REPORTER", acct[NAV_AGENT].address))
        one = 10**FEED_DECIMALS
        feeds = deploy_feeds(d, {"QMMF": one, "USDC": one})
        registry = deploy_lifecycle(d)
        router = d.at("OracleRouter")
        set_feeds(
            d,
            router,
            {
                "QMMF": (share, feed_config(feeds["QMMF"].address)),
                "USDC": (usdc, feed_config(feeds["USDC"].address)),
            },
        )
        list_settlement_assets(
            d,
            d.at("SettlementAssets"),
            {"USDC": (usdc.address, (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100))},
        )
        approve_issuers(d, registry, {"the issuer": acct[ISSUER].address})
        # The issuer is an agent of the share tokens it registers (SEC-130).
        set_token_issuer(d, [share, d.at("SecurityToken.QTN28")], acct[ISSUER].address)
        instrument, vault = register_fund(
            d,
            acct,
            registry,
            share,
            usdc,
            ISIN,
            identity="0x" + "f6" * 20,
            nav_agent=acct[NAV_AGENT].address,
            fund_manager=acct[MANAGER].address,
            custodian=CUSTODIAN,
        )
        if extra is not None:
            extra(d, acct, registry, usdc)
        renounce_temporary_roles(d)
        registry.setFund(instrument, vault, sender=acct[ISSUER])
        d.at("IdentityRegistry").registerInvestor(
            acct[INVESTOR], "0x" + "f5" * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=acct[OPERATOR]
        )
        usdc.mint(acct[INVESTOR], 1_000_000 * USDC, sender=acct[OPERATOR])
        d.record.block = 0
        save(d.record, record_path("ethereum:local", directory))
        return d.record, instrument


def register_fund(d, acct, registry, share, usdc, isin, **vault_options):
    """A money-market fund: `share` registered by the issuer as `isin` (issued yesterday) and
    activated, its FundVault deployed (first cut-off tomorrow's midnight, daily dealing;
    `vault_options` for `deploy_fund_vault`). Returns (instrument id, vault); the registry does
    not name the vault its fund yet (`setFund`)."""
    from ape import chain

    now = chain.blocks.head.timestamp
    instrument = register_active_fund(registry, share, [usdc.address], acct[ISSUER], now, isin)
    vault = deploy_fund_vault(
        d,
        share,
        usdc,
        registry,
        instrument,
        first_cutoff=next_cutoff(now, DAY) + DAY,
        **vault_options,
    )
    return instrument, vault


def register_active_fund(registry, share, settlement_assets, issuer, now, isin=ISIN) -> int:
    """A money-market share class registered by `issuer` as `isin` (issued yesterday, settling
    in `settlement_assets`) and activated; its id."""
    terms = InstrumentTerms(
        kind=InstrumentKind.MONEY_MARKET_FUND,
        isin=isin,
        share_token=share.address,
        settlement_assets=settlement_assets,
        issue_date=utc_midnight(now) - DAY,
    )
    instrument = registry.register(terms.as_tuple(), sender=issuer).return_value
    registry.activate(instrument, sender=issuer)
    return instrument


def default_share_class(d, acct):
    """The fund's share class: a SecurityToken (`SecurityToken.QMMF`), AGENT its agent,
    unpaused."""
    share = deploy_security(
        d,
        ".QMMF",
        "Quantera Money Market",
        "QMMF",
        agent=acct[AGENT].address,
        jurisdictions=OPEN_US,
    )
    share.unpause(sender=acct[AGENT])
    return share


def set_time(network, timestamp):
    from ape import chain, networks

    with networks.parse_network_choice(network):
        chain.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
        chain.provider.make_request("evm_mine", [])


def fresh_usdc_price(network, record, reporter=NAV_AGENT):
    """The settlement asset's feed reported again (its heartbeat is a day: time jumps stale it) by
    the test account `reporter` (a PRICE_REPORTER). Returns the receipt."""
    from ape import accounts, networks, project

    with networks.parse_network_choice(network):
        feed = project.ReporterPriceFeed.at(record.address_of("PriceFeed.USDC"))
        return feed.report(10**FEED_DECIMALS, sender=accounts.test_accounts[reporter])


def chain_with_fund(anvil, tmp_path, monkeypatch, share_class=None, extra=None):
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(tmp_path))
    monkeypatch.setenv("QUANTERA_NAV_RF_SHIFT_DAYS", "0")
    network = f"ethereum:local:{anvil}"
    record, instrument = build_fund(network, tmp_path, share_class, extra)
    return network, record, instrument, f"sqlite:///{tmp_path / 'keeper.sqlite'}"


@pytest.fixture
def fund_chain(anvil, tmp_path, monkeypatch):
    return chain_with_fund(anvil, tmp_path, monkeypatch)


def run(capsys, *args):
    """`quantera ...` in process (keepers.cli.main: one-line errors); (exit code, JSON or the
    error line)."""
    from keepers.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    if code == 0 and "--json" in args:
        return 0, json.loads(captured.out[captured.out.index("{") :])
    assert "Traceback" not in captured.err
    return code, (captured.err.strip().splitlines() or [""])[-1]


def test_fund_cli_and_keeper__subscribe_strike_claim_redeem__nav_from_holdings_struck_once(
    fund_chain, capsys
):
    from ape import accounts, chain, networks, project

    from keepers.lifecycle import Flow, Holdings, compute_nav, french_rf

    network, record, instrument, db_url = fund_chain
    net = ["--network", network]
    investor = accounts.test_accounts[INVESTOR].address
    as_investor = [*net, "--account", f"TEST::{INVESTOR}", "--json"]
    as_agent = [*net, "--account", f"TEST::{NAV_AGENT}", "--db-url", db_url, "--json"]

    code, shown = run(capsys, "instrument", "show", ISIN, *net, "--json")
    assert code == 0 and shown["id"] == instrument and shown["kind"] == "money_market_fund"
    assert shown["status"] == "active" and shown["fund_is_vault"] and shown["nav18"] == "0"
    assert run(capsys, "instrument", "schedule", str(instrument), *net) == (
        1,
        f"error: instrument {instrument} (money_market_fund) pays no coupon",
    )

    code, subscribed = run(capsys, "fund", "subscribe", "--amount", "100000", *as_investor)
    assert code == 0 and subscribed["amount"] == str(100_000 * USDC)
    period = subscribed["period"]
    code, extra = run(capsys, "fund", "subscribe", "--amount", "2500.5", *as_investor)
    code, cancelled = run(capsys, "fund", "cancel", "--request", "deposit", *as_investor)
    assert code == 0 and cancelled["cancelled"]["deposit"]["amount"] == str(102_500_500_000)
    code, subscribed = run(capsys, "fund", "subscribe", "--amount", "100000", *as_investor)
    # Before the cut-off: nothing struck, one line saying why.
    code, line = run(capsys, "fund", "strike", *as_agent)
    assert code == 1 and line == f"error: period {period} not struck: before the cut-off"

    with networks.parse_network_choice(network):
        vault = project.FundVault.at(record.address_of("FundVault"))
        cutoff = int(vault.dealing()[1])
    set_time(network, cutoff + 60)
    fresh_usdc_price(network, record)
    code, dry = run(capsys, "fund", "strike", "--dry-run", *net, "--json")
    assert code == 0 and not dry["sent"] and dry["hold"] is None and dry["period"] == period
    assert dry["nav18"] == str(WAD)
    code, status = run(capsys, "fund", "status", *net, "--json")
    assert code == 0 and status["period"] == period  # the dry run sent nothing
    assert status["pending_deposit_assets"] == str(100_000 * USDC)
    code, struck = run(capsys, "fund", "strike", *as_agent)
    # No share outstanding before the first strike: the share class's opening $1.00.
    assert code == 0 and struck["status"] == "confirmed" and struck["period"] == period
    assert struck["nav18"] == str(WAD) and struck["inputs"]["basis"] == "initial"
    # Run again at once: the next period's cut-off has not come; the struck one is not struck again.
    code, line = run(capsys, "fund", "strike", *as_agent)
    assert code == 1 and line == f"error: period {period + 1} not struck: before the cut-off"
    [row] = lifecycle_store.nav_strikes(store.open_store(db_url), record.chain_id)
    assert (row.period, row.status, row.tx_hash) == (period, "confirmed", struck["tx"])

    # A plain SecurityToken share class pays no income: nothing to declare, one line.
    assert run(capsys, "fund", "declare", "--dry-run", *net) == (
        1,
        f"error: the share token {status['share']} pays no income",
    )
    code, claimed = run(capsys, "fund", "claim", *as_investor)
    assert code == 0 and claimed["claimed"]["shares"]["amount"] == str(100_000 * WAD)

    # The fund manager sends half the cash to the custodian (T-bills): it grows at the short rate.
    with networks.parse_network_choice(network):
        vault = project.FundVault.at(record.address_of("FundVault"))
        receipt = vault.investCash(50_000 * USDC, sender=accounts.test_accounts[MANAGER])
        invested_at = chain.provider.get_block(receipt.block_number).timestamp
        cutoff = int(vault.dealing()[1])
    code, redeemed = run(capsys, "fund", "redeem", "--shares", "10000", *as_investor)
    assert code == 0 and redeemed["amount"] == str(10_000 * WAD)
    code, line = run(capsys, "fund", "redeem", "--shares", "1000000", *as_investor)
    assert code == 1 and "is more than the" in line

    set_time(network, cutoff + 60)
    fresh_usdc_price(network, record)
    code, struck = run(capsys, "fund", "strike", *as_agent)
    assert code == 0 and struck["status"] == "confirmed" and struck["period"] == period + 1
    # The NAV from holdings, recomputed here from what the chain holds: 50,000 USDC in the vault
    # and 50,000 at the custodian since `invested_at`, over 100,000 shares (10,000 escrowed).
    inputs = struck["inputs"]
    expected = compute_nav(
        Holdings(inputs["valued_at"], 50_000 * USDC, WAD, 6, 100_000 * WAD, 18, WAD),
        [
            Flow("invested", invested_at, assets=50_000 * USDC),
            Flow("struck", 0, shares=100_000 * WAD),
            Flow("claimed", 1, shares=100_000 * WAD),
        ],
        french_rf(shift_days=0),
    )
    assert inputs["basis"] == "holdings" and inputs["rf_held"] is True  # past Nov 2018: held
    assert int(struck["nav18"]) == expected.nav18 // 10**10 * 10**10  # the feed's 8 decimals
    assert WAD < int(struck["nav18"]) < WAD + WAD // 10_000

    code, claimed = run(capsys, "fund", "claim", *as_investor)
    # 10,000 shares at the struck NAV in 6-decimal USDC, rounded down (within the vault's 2 units).
    exact = 10_000 * int(struck["nav18"]) // 10**12
    assert code == 0 and exact - 2 <= int(claimed["claimed"]["assets"]["amount"]) <= exact

    code, position = run(capsys, "fund", "position", investor, *net, "--json")
    assert code == 0 and position["shares"] == str(90_000 * WAD)
    assert position["pending_redeem_shares"] == position["pending_deposit_assets"] == "0"
    code, history = run(capsys, "fund", "history", investor, *net, "--json")
    events = [h["event"] for h in history["history"]]
    assert events == [
        "DepositRequest",
        "DepositRequest",
        "DepositRequestCancelled",
        "DepositRequest",
        "Deposit",
        "RedeemRequest",
        "Withdraw",
    ]

    # Issue 32 §5: a request made after the cut-off (the period not struck yet) is booked for the
    # period after; the CLI said the open one. Before the cut-off it names the open one.
    with networks.parse_network_choice(network):
        vault = project.FundVault.at(record.address_of("FundVault"))
        open_period, cutoff = (int(x) for x in vault.dealing()[:2])
    code, on_time = run(capsys, "fund", "redeem", "--shares", "1", *as_investor)
    assert code == 0 and on_time["period"] == open_period
    run(capsys, "fund", "cancel", "--request", "redeem", *as_investor)
    set_time(network, cutoff + 60)
    code, late = run(capsys, "fund", "redeem", "--shares", "1", *as_investor)
    assert code == 0 and late["period"] == open_period + 1
    with networks.parse_network_choice(network):
        assert int(vault.dealing()[0]) == open_period  # not struck: the open period is unchanged
    # The operator's line (no --json) names the same period.
    from keepers.cli import main

    assert main(["fund", "redeem", "--shares", "1", *net, "--account", f"TEST::{INVESTOR}"]) == 0
    assert f"requested for period {open_period + 1}" in capsys.readouterr().out


def test_con_89__fund_and_instrument_read_directly__as_through_ape(fund_chain):
    """CON-89: `quantera instrument show` and `fund status` read a node named by its URL with web3
    and the compiled ABIs (keepers.core.views.DirectView), never importing ape; the fund the
    direct read finds, and its status, are what the keepers' ape reads give."""
    import os

    from ape import networks
    from web3 import Web3

    from conftest import run_quantera_watching_imports
    from keepers.core.artifacts import project_abis
    from keepers.core.views import DirectView
    from keepers.lifecycle.funds import discover_funds, fund_status, registries_of

    network, record, instrument, _ = fund_chain
    direct = DirectView(Web3(Web3.HTTPProvider(network.split(":", 2)[2])), project_abis())
    with networks.parse_network_choice(network):
        [through_ape] = [f for r in registries_of(record) for f in discover_funds(r)]
        status = fund_status(through_ape)
    [read] = [f for r in registries_of(record, view=direct) for f in discover_funds(r, direct)]
    assert (read.instrument_id, read.address, read.share.address, read.asset.address) == (
        through_ape.instrument_id,
        through_ape.address,
        through_ape.share.address,
        through_ape.asset.address,
    )
    assert fund_status(read) == status
    # The commands: answered without ape, the same figures.
    run, imported_ape = run_quantera_watching_imports(
        ["fund", "status", "--network", network, "--json"], os.environ
    )
    assert run.returncode == 0 and not imported_ape, run.stderr
    assert json.loads(run.stdout) == status
    run, imported_ape = run_quantera_watching_imports(
        ["instrument", "show", ISIN, "--network", network, "--json"], os.environ
    )
    assert run.returncode == 0 and not imported_ape, run.stderr
    shown = json.loads(run.stdout)
    assert (shown["id"], shown["isin"], shown["fund_is_vault"]) == (instrument, ISIN, True)
    # What a person reads (issue 33 §2): the fund's figures in their units, its contracts named,
    # its times in ISO 8601 UTC, no bare unix time or base units (a pending subscription of
    # 1,234.5 USDC: the asset's 6 decimals, not the share's 18).
    from keepers.cli import main

    subscribe = ["fund", "subscribe", "--amount", "1234.5", "--network", network]
    assert main([*subscribe, "--account", f"TEST::{INVESTOR}", "--json"]) == 0
    run, imported_ape = run_quantera_watching_imports(
        ["fund", "status", "--network", network], os.environ
    )
    assert run.returncode == 0 and not imported_ape, run.stderr
    table = " ".join(run.stdout.replace("│", " ").split())
    assert f"{status['vault']} (FundVault)" in table
    assert f"cutoff {_iso(int(status['cutoff']))}" in table and str(status["cutoff"]) not in table
    assert "pending deposit assets 1,234.5 USDC" in table and "share supply 0 QMMF" in table
    assert re.search(r"dealing interval \d+ (d|h|min|s)\b", table)
    assert re.search(r"gate bps [\d.]+% \([\d,]+ bps\)", table)
    run, _ = run_quantera_watching_imports(
        ["instrument", "show", ISIN, "--network", network], os.environ
    )
    assert run.returncode == 0 and "max nav age" in run.stdout
    # An ISIN no registry holds: one line, still without ape.
    run, imported_ape = run_quantera_watching_imports(
        ["instrument", "show", "US0000000000", "--network", network], os.environ
    )
    assert run.returncode == 1 and not imported_ape
    assert run.stderr == "error: no instrument with ISIN US0000000000\n"


def _iso(timestamp: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Crash(BaseException):
    """A kill between two statements (not an error anything would catch)."""


def test_keeper__crash_between_signing_and_broadcast__restart_resends_the_same_strike_once(
    fund_chain, capsys, monkeypatch
):
    from ape import accounts, chain, networks, project

    from keepers.lifecycle import french_rf, striking
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.striking import Head

    network, record, instrument, db_url = fund_chain
    as_investor = ["--network", network, "--account", f"TEST::{INVESTOR}", "--json"]
    assert run(capsys, "fund", "subscribe", "--amount", "5000", *as_investor)[0] == 0
    db = store.open_store(db_url)
    with networks.parse_network_choice(network):
        vault = project.FundVault.at(record.address_of("FundVault"))
        period, cutoff = (int(v) for v in vault.dealing()[:2])
    set_time(network, cutoff + 60)
    fresh_usdc_price(network, record)

    def keeper():
        """A keeper as a (re)started process makes it: nothing in memory, the store on disk."""
        return LifecycleKeeper(
            db, record, registry_of(record), french_rf(0), accounts.test_accounts[NAV_AGENT]
        )

    def head():
        block = chain.blocks.head
        return Head(int(block.number), int(block.timestamp))

    with networks.parse_network_choice(network):
        real_broadcast = striking.broadcast

        def crash(raw):
            raise Crash(raw)

        monkeypatch.setattr(striking, "broadcast", crash)
        with pytest.raises(Crash):
            keeper().cycle(head())
        [row] = lifecycle_store.nav_strikes(db, record.chain_id)
        # Signed and recorded, never broadcast: the vault's period is still open.
        assert row.status == "sent" and row.raw_tx and row.tx_hash and row.period == period
        assert int(vault.dealing()[0]) == period
        monkeypatch.setattr(striking, "broadcast", real_broadcast)

        restarted = keeper()
        outcome = restarted.cycle(head())
        # The restart finds the signed strike unknown to the node and sends the same bytes.
        assert outcome["waiting"] == 1 and outcome["struck"] == 0
        chain.provider.make_request("evm_mine", [])
        outcome = restarted.cycle(head())
        assert outcome["struck"] == 0
        [row] = lifecycle_store.nav_strikes(db, record.chain_id)
        assert row.status == "confirmed" and row.note is None
        assert int(vault.dealing()[0]) == period + 1
        struck = [
            log
            for log in vault.PeriodStruck.range(0, chain.blocks.head.number + 1)
            if int(log.period) == period
        ]
        # Struck once, by the very transaction signed before the crash.
        assert len(struck) == 1 and striking._hex(struck[0].transaction_hash) == row.tx_hash
        # Run again and again: the next period's cut-off has not come; nothing is sent.
        nonce = chain.provider.get_nonce(accounts.test_accounts[NAV_AGENT].address)
        for _ in range(2):
            assert keeper().cycle(head())["struck"] == 0
        assert chain.provider.get_nonce(accounts.test_accounts[NAV_AGENT].address) == nonce
        next_cutoff_at = int(vault.dealing()[1])

    # The settlement asset 3% off its peg: the NAV moves 300 bps, beyond the registry's 200 per
    # strike. The keeper holds the period (recorded with why) and sends nothing.
    set_time(network, next_cutoff_at + 60)
    with networks.parse_network_choice(network):
        feed = project.ReporterPriceFeed.at(record.address_of("PriceFeed.USDC"))
        feed.report(97 * 10**FEED_DECIMALS // 100, sender=accounts.test_accounts[NAV_AGENT])
        nonce = chain.provider.get_nonce(accounts.test_accounts[NAV_AGENT].address)
        outcome = keeper().cycle(head())
        assert outcome["held"] == 1 and outcome["struck"] == 0
        held = lifecycle_store.nav_strike(db, record.chain_id, vault.address, period + 1)
        assert held.status == "held" and "above the registry's 200 bps bound" in held.note
        assert int(vault.dealing()[0]) == period + 1
        assert chain.provider.get_nonce(accounts.test_accounts[NAV_AGENT].address) == nonce


def test_instrument_cli_and_coupon_scheduler__register_show_schedule__coupons_recorded_once(
    fund_chain, capsys, tmp_path
):
    """LCY-49: a note registered from a terms file through the CLI, shown and scheduled (QuantLib,
    as the chain rounds it); the coupons whose record dates passed recorded once, whatever the
    cycles and restarts."""
    from ape import chain, networks

    from keepers.lifecycle import french_rf
    from keepers.lifecycle.coupons import all_coupons
    from keepers.lifecycle.funds import registry_of
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.striking import Head
    from keepers.lifecycle.terms_file import load_terms

    network, record, _, db_url = fund_chain
    terms_file = tmp_path / "note.json"
    terms_file.write_text(
        json.dumps(
            {
                "kind": "fixed_coupon_note",
                "isin": "US912810TM09",
                "cusip": "912810TM0",
                "share_token": "SecurityToken.QTN28",
                "settlement_assets": ["LocalStablecoin.USDC"],
                "face_value": "100",
                "issue_date": "2025-01-15",
                "maturity_date": "2027-01-15",
                "coupon": {
                    "fixed_rate_bps": 425,
                    "frequency": 2,
                    "day_count": "30/360",
                    "roll": "modified_following",
                    "record_date_offset_days": 1,
                },
            }
        )
    )
    issuer = ["--network", network, "--account", f"TEST::{ISSUER}", "--json"]
    code, registered = run(capsys, "instrument", "register", "--terms", str(terms_file), *issuer)
    assert code == 0 and registered["kind"] == "fixed_coupon_note"
    note = registered["id"]
    # The same ISIN again: the registry's refusal, one line with its error and arguments.
    code, line = run(capsys, "instrument", "register", "--terms", str(terms_file), *issuer)
    assert code == 1 and line.startswith("error: register reverted: ")
    code, moved = run(capsys, "instrument", "activate", str(note), *issuer)
    assert code == 0 and (moved["previous"], moved["status"]) == ("registered", "active")

    code, shown = run(capsys, "instrument", "show", "US912810TM09", "--network", network, "--json")
    assert code == 0 and shown["id"] == note and shown["cusip"] == "912810TM0"
    assert shown["face_value"] == "100" and shown["coupon"]["day_count"] == "thirty_360_bond_basis"
    code, schedule = run(
        capsys,
        "instrument",
        "schedule",
        str(note),
        "--network",
        network,
        "--as-of",
        "2025-04-15",
        "--json",
    )
    terms = load_terms(terms_file, record.address_of)
    expected = [c.as_json() for c in all_coupons(terms)]
    assert code == 0 and schedule["coupons"] == expected and len(expected) == 4
    # 90 of 180 days of 2.125 per 100.
    assert schedule["accrued_per_unit"] == str(2_125 * 10**15 // 2)
    assert (schedule["next_record_date"], schedule["next_payment_date"]) == (
        "2025-07-14",
        "2025-07-15",
    )

    db = store.open_store(db_url)
    with networks.parse_network_choice(network):
        block = chain.blocks.head
        head = Head(int(block.number), int(block.timestamp))
        first = LifecycleKeeper(db, record, registry_of(record), french_rf(0))
        recorded = first.record_coupons(head)
        again = first.record_coupons(head)
        restarted = LifecycleKeeper(db, record, registry_of(record), french_rf(0))
        after_restart = restarted.record_coupons(head)
    due = [c for c in expected if c["record_date"] <= _utc_date(head.timestamp)]
    assert recorded == len(due) >= 3 and again == 0 and after_restart == 0
    rows = lifecycle_store.coupon_records(db, record.chain_id, note)
    assert [(r.number, r.record_date, r.amount_per_unit) for r in rows] == [
        (c["number"], c["record_date"], c["amount_per_unit"]) for c in due
    ]


def _utc_date(timestamp: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()
