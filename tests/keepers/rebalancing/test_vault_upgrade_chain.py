"""UPG-9's drill (issue 34 §1, the portfolio vault): on the deployment `ape run deploy all` builds
(the one `make demo` runs; the session's saved state in an anvil of this test's own), with an
investor's deposit and the signal keeper's first rebalance executed, the UPGRADER moves the
PortfolioVault to new code (new basket and admin modules: a defect fixed there), prepared by the
operators' path (`ape run upgrade` / the governance page: keepers/console/upgrades.py) and run
after the authority's notice. Every holding, share, deal, listing, limit and the rebalancer's
state for the vault are what they were at the same second; the signal keeper built before the
upgrade, never restarted, rebalances on the new code exactly as a keeper on the old code does at
the same second (the reference, in a snapshot), and the investor redeems."""

from __future__ import annotations

import shutil
from dataclasses import replace

from signal_chain import invest, open_signal_chain, publish_model, signal_keeper

import test_signal_keeper
from keepers.core import store
from keepers.core.deployments import load, record_path
from keepers.demo.processes import stop_mining

DEPOSIT_USD = 200_000
GOVERNOR, OPERATOR, AGENT, RISK_KEEPER, PRICE_REPORTER = 2, 3, 5, 7, 8
SIGNAL_KEEPER, INVESTOR = 22, 19
MOVE = 1.10  # the price move after the notice that makes the portfolio drift (QTF, the T-bill)


#: The signal keeper test's small selector (trained once per module).
small_model = test_signal_keeper.small_model


def _send(prepared, sender) -> None:
    """Each prepared call as the Safe would make it (the UPGRADER's calls are direct)."""
    for p in prepared:
        assert p.route == "direct", p.route
        sender.transfer(p.to, 0, data=bytes.fromhex(p.data[2:]))


def _vault_state(vault, lens, rebalancer, investor) -> dict:
    """Everything the vault and the rebalancer answer about the portfolio and its holder."""
    return {
        "holdings": [int(h) for h in vault.holdings()],
        "positions": [
            [int(x) if not isinstance(x, str) else x for x in p] for p in vault.positions()
        ],
        "supply": vault.totalSupply(),
        "total_assets": vault.totalAssets(),
        "investor": (vault.balanceOf(investor), tuple(vault.dealOf(investor))),
        "max_redeem": vault.maxRedeem(investor),
        "assets": [str(a) for a in vault.assets()],
        "limits": tuple(vault.tradeLimits()),
        "fee": vault.dealingFeeBps(),
        "terms": (vault.name(), vault.symbol(), vault.asset(), vault.shareCompliance()),
        "built_on": (vault.riskEngine(), vault.oracle(), vault.registry()),
        "authority": vault.authority(),
        "rebalancer": tuple(lens.stateOf(rebalancer, vault)),
        "strategy": tuple(lens.strategyOf(rebalancer, vault)),
    }


def test_upg_9__portfolio_vault__upgraded_between_rebalances__signal_keeper_rebalances_on(
    deployed_anvil, tmp_path, monkeypatch, small_model
):
    from ape import accounts, chain, networks, project

    from keepers.access import UPGRADE_AUTHORITY, implementation_of
    from keepers.console.actions import prepare
    from keepers.console.source import ChainSource, load_abis
    from keepers.console.upgrades import propose_calls, run_calls
    from keepers.core.artifacts import project_at
    from keepers.core.record import portfolio_feeds
    from keepers.vault import load_portfolio

    market, selector = small_model
    network = f"ethereum:local:{deployed_anvil}"
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(tmp_path))
    with networks.parse_network_choice(network):
        record = load(record_path("ethereum:local", tmp_path))
        c = open_signal_chain(record)
        at = c.at
        vault, risk, rebalancer, lens = c.vault, c.risk, c.rebalancer, c.lens
        authority = at("UpgradeAuthority", UPGRADE_AUTHORITY)
        acct = {
            i: accounts.test_accounts[i]
            for i in (
                GOVERNOR,
                OPERATOR,
                AGENT,
                RISK_KEEPER,
                PRICE_REPORTER,
                SIGNAL_KEEPER,
                INVESTOR,
            )
        }
        investor = acct[INVESTOR]
        invest(c, investor, acct[OPERATOR], acct[AGENT], DEPOSIT_USD)
        portfolio = load_portfolio()
        # Every recorded feed (the price keeper reports them all), and the portfolio's by symbol.
        feeds = [
            project_at("ReporterPriceFeed", address)
            for name, address in record.contracts.items()
            if name.startswith("PriceFeed.")
        ]
        moved_feed = portfolio_feeds(record, portfolio)[2]["QTF"].address

        def keep_fresh(moved: dict | None = None) -> None:
            """The price keeper's round (every feed again, `moved` ones scaled), the risk keeper's
            model and the engine's sync: what the keepers do every day of the notice."""
            for feed in feeds:
                answer = int(feed.latestRoundData()[1])
                scale = (moved or {}).get(feed.address, 1)
                feed.report(int(answer * scale), sender=acct[PRICE_REPORTER])
            published = publish_model(chain, c, db, portfolio, market, acct[RISK_KEEPER])
            assert published.get("published"), published
            risk.sync(vault, sender=acct[RISK_KEEPER])

        def keeper_on(db_url: str):
            return signal_keeper(
                chain, c, store.open_store(db_url), market, selector, acct[SIGNAL_KEEPER]
            )

        db_file = tmp_path / "keeper.sqlite"
        db = store.open_store(f"sqlite:///{db_file}")
        keep_fresh()
        keeper = keeper_on(f"sqlite:///{db_file}")  # built once, never restarted
        first = keeper.run()
        assert first["decision"] == "executed" and first["nonce"] == 0, first

        # The fix: this build's vault on the same terms with new basket and admin modules (a
        # defect fixed there), recorded (the record names every address new code is built on).
        modules = [
            acct[GOVERNOR].deploy(project.PortfolioBasket),
            acct[GOVERNOR].deploy(project.PortfolioAdmin),
        ]
        args = [
            vault.asset(),
            vault.name(),
            vault.symbol(),
            vault.riskEngine(),
            vault.oracle(),
            vault.registry(),
            *(m.address for m in modules),
        ]
        fixed = acct[GOVERNOR].deploy(project.PortfolioVault, *args)
        source = ChainSource(
            chain.provider.web3,
            replace(
                record,
                contracts={
                    **record.contracts,
                    "PortfolioBasket.fix": modules[0].address,
                    "PortfolioAdmin.fix": modules[1].address,
                },
            ),
            load_abis(),
        )
        governor = acct[GOVERNOR]
        _send(
            prepare(
                source,
                governor.address,
                propose_calls(source, "PortfolioVault", "PortfolioVault", fixed.address, args),
            ),
            governor,
        )
        upgrade_id = "0x" + bytes(authority.upgradeId(vault, fixed, b"")).hex()

        # The notice: a week of prices and models; then a rise that makes the portfolio drift.
        chain.provider.make_request("evm_increaseTime", [authority.NOTICE()])
        chain.provider.make_request("evm_mine", [])
        keep_fresh({moved_feed: MOVE})
        # From here a block per transaction only, at the seconds set: the vault is read and
        # upgraded at one second, and each keeper's rebalance mined at the next.
        # Once no block came for 2 s: a block anvil had scheduled can still be mined after
        # interval mining stops, and `before` would then mix two blocks (helper-115).
        stop_mining(chain.provider.uri)
        chain.provider.make_request("evm_setAutomine", [True])
        head = chain.blocks.head.timestamp
        before = _vault_state(vault, lens, rebalancer, investor)
        # The reference: a keeper on the old code (its store a copy of this one's) at head + 1.
        reference_db = tmp_path / "reference.sqlite"
        shutil.copy(db_file, reference_db)
        snapshot = chain.provider.make_request("evm_snapshot", [])
        chain.provider.make_request("evm_setNextBlockTimestamp", [head + 1])
        expected = keeper_on(f"sqlite:///{reference_db}").run()
        expected_state = _vault_state(vault, lens, rebalancer, investor)
        assert expected["decision"] == "executed", expected
        chain.provider.make_request("evm_revert", [snapshot])

        old_code = implementation_of(vault)
        for p in prepare(source, governor.address, run_calls(source, upgrade_id)):
            chain.provider.make_request("evm_setNextBlockTimestamp", [head])
            _send([p], governor)
        assert chain.blocks.head.timestamp == head
        assert implementation_of(vault) == fixed.address != old_code
        assert (vault.basketModule(), vault.adminModule()) == tuple(m.address for m in modules)
        assert _vault_state(vault, lens, rebalancer, investor) == before

        # The same keeper object, never restarted, rebalances on the new code exactly as the
        # old code's keeper did at the same second.
        chain.provider.make_request("evm_setNextBlockTimestamp", [head + 1])
        outcome = keeper.run()
        keys = ("decision", "trades", "nonce", "loss_usd")
        assert {k: outcome.get(k) for k in keys} == {k: expected.get(k) for k in keys}
        assert outcome["nonce"] == 1
        assert _vault_state(vault, lens, rebalancer, investor) == expected_state

        # The investor leaves with what the vault pays (in kind: always possible).
        shares = vault.balanceOf(investor)
        assert shares > 0
        vault.redeemInKind(shares, investor, investor, sender=investor)
        assert vault.balanceOf(investor) == 0
