"""RBL-16 to RBL-19: bulk rebalancing of an asset manager's clients on a real deployment (one
`ape run deploy all` on a private anvil for the module, five client portfolios from the
rebalancing domain's `deploy_client_portfolios`, funded with cash only).

One module deployment: `first_run` crashes a bulk run after its intents are stored (before any is
sent), then runs again; the tests read what that left on chain and in the store."""

import json
from functools import partial

import pytest

from conftest import run_ape, run_quantera
from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.core.deployments import load, record_path
from keepers.demo.processes import ProcessGroup, start_anvil
from keepers.rebalancing import store as rebalancing_store

CLIENTS = 5
USDC_UNIT = 10**6
MODEL = "balanced"
MODEL_BPS = {"USDC": 2_500, "QTF": 2_500, "QSPX": 2_500, "QNDX": 1_500, "QOIL": 1_000}
DEPLOYER, GUARDIAN, AGENT, INVESTOR, SIGNAL_KEEPER = 0, 1, 5, 19, 22
REVOKED = 3  # the client whose signer the guardian revokes: its rebalance reverts on chain


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A deployment with five funded client portfolios, and a keeper store holding model
    `balanced` followed by all of them."""
    from ape import accounts, chain, networks, project

    from keepers.access import renounce_temporary_roles
    from keepers.core.deploying import Deployment
    from keepers.rebalancing.deploy import (
        calm_risk_model,
        deploy_client_portfolios,
        fund_client_portfolios,
    )
    from keepers.rebalancing.models import assign_model, define_model
    from keepers.vault import load_portfolio

    tmp = tmp_path_factory.mktemp("bulk")
    group = ProcessGroup(tmp)
    try:
        url = start_anvil(group, chain_id=1337)
        network = f"ethereum:local:{url}"
        deployed = run_ape(["deploy", "all", "--network", network], tmp)
        assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
        db_url = f"sqlite:///{tmp / 'keeper.sqlite'}"
        db = store.open_store(db_url)
        with networks.parse_network_choice(network):
            t = accounts.test_accounts
            path = record_path("ethereum:local", tmp)
            d = Deployment(sender=t[DEPLOYER], record=load(path), path=path)
            for token in list(d.at("PortfolioVault").assets())[1:]:
                security = project.SecurityToken.at(token)
                if security.paused():
                    security.unpause(sender=t[AGENT])
            keeper = t[SIGNAL_KEEPER].address
            vaults = deploy_client_portfolios(
                d, CLIENTS, load_portfolio().strategy_tuple(), [keeper], keeper
            )
            calm = calm_risk_model(d.at("RiskEngine"), lambda: chain.blocks.head.timestamp)
            cash = [(10_000 + 7_000 * i) * USDC_UNIT for i in range(CLIENTS)]
            fund_client_portfolios(d, vaults, t[INVESTOR], cash, calm)
            renounce_temporary_roles(d)
            d.save()
            symbols = [a.symbol for a in load_portfolio().assets]
            assets = [str(a) for a in d.at("PortfolioVault").assets()]
            now = chain.blocks.head.timestamp
            define_model(
                db, chain.chain_id, MODEL, {a: MODEL_BPS[s] for s, a in zip(symbols, assets)}, now
            )
            assign_model(db, chain.chain_id, MODEL, [v.address for v in vaults], now)
            rebalancer = d.at("AutoRebalancer")
            rebalancer.revokeSigner(vaults[REVOKED], keeper, sender=t[GUARDIAN])
            yield {
                "network": network,
                "dir": tmp,
                "db": db,
                "db_url": db_url,
                "d": d,
                "vaults": vaults,
                "chain": chain,
            }
    finally:
        group.stop_all()


def bulk_for(book):
    from ape import accounts

    from keepers.rebalancing.bulk import BulkRebalance
    from keepers.rebalancing.cycle import DOMAIN
    from keepers.rebalancing.intent import account_signer

    d, chain = book["d"], book["chain"]
    keeper = accounts.test_accounts[SIGNAL_KEEPER]
    rebalancer = d.at("AutoRebalancer")
    return BulkRebalance(
        chain,
        rebalancer,
        d.at("RebalancerLens"),
        d.at("LiquidityAggregator"),
        d.at("OracleRouter"),
        book["db"],
        partial(project_at, "PortfolioVault"),
        account_signer(keeper, DOMAIN, chain.chain_id, rebalancer.address),
        keeper.address,
        keeper,
        batch_size=2,  # three batches for five clients: the pipelined path
    )


@pytest.fixture(scope="module")
def first_run(book):
    """A run that stops after storing its signed intents (before sending), then the run that
    finishes it; the progress callbacks of the second."""
    from keepers.rebalancing.bulk import BulkRebalance

    crashed = bulk_for(book)
    original = BulkRebalance._relay_all

    def crash(self, chunks, settle):
        raise RuntimeError("killed between signing and sending")

    BulkRebalance._relay_all = crash
    try:
        with pytest.raises(RuntimeError, match="killed"):
            crashed.run(MODEL)
    finally:
        BulkRebalance._relay_all = original
    chain_id = book["chain"].chain_id
    signed = {
        v.address: [
            (i.nonce, i.digest) for i in rebalancing_store.intents(book["db"], chain_id, v.address)
        ]
        for v in book["vaults"]
    }
    progress = []
    report = bulk_for(book).run(
        MODEL, on_progress=lambda done, total, o: progress.append((done, total, o))
    )
    return signed, report, progress


def test_rbl_16__bulk_rebalance__outcomes_recorded_and_a_failing_client_does_not_stop_the_others(
    book, first_run
):
    signed, report, progress = first_run
    d, chain, vaults = book["d"], book["chain"], book["vaults"]
    rebalancer = d.at("AutoRebalancer")
    by_client = {o.portfolio: o for o in report.outcomes}
    assert [by_client[v.address].status for v in vaults] == [
        "failed" if i == REVOKED else "rebalanced" for i in range(CLIENTS)
    ]
    failed = by_client[vaults[REVOKED].address]
    assert failed.reason.startswith("SignerNotAuthorised(signer="), failed.reason
    lens = d.at("RebalancerLens")
    assert lens.stateOf(rebalancer, vaults[REVOKED])[0] == 0
    for i, vault in enumerate(vaults):
        outcome = by_client[vault.address]
        receipt = chain.provider.web3.eth.get_transaction_receipt(outcome.tx_hash)
        assert receipt["status"] == 1 and outcome.gas_used > 0
        assert outcome.drift_before_bps == 7_500  # all cash against a 25 % cash target
        if i != REVOKED:
            assert lens.stateOf(rebalancer, vault)[0] == 1
            assert outcome.trades == 4 and outcome.drift_after_bps <= 5, outcome
    assert len(report.batches) == 3
    # Progress: one callback per client, counting up to the total, each with its outcome.
    assert [(done, total) for done, total, _ in progress] == [(n, CLIENTS) for n in range(1, 6)]
    assert {o.portfolio for _, _, o in progress} == {v.address for v in vaults}
    rows = rebalancing_store.bulk_outcomes(book["db"], chain.chain_id, report.run_id)
    assert [(r.portfolio, r.status, r.tx_hash, r.reason) for r in rows] == [
        (o.portfolio, o.status, o.tx_hash, o.reason) for o in report.outcomes
    ]
    # Restart: the intents the crashed run stored were the ones relayed; none signed twice.
    for vault in vaults:
        intents = rebalancing_store.intents(book["db"], chain.chain_id, vault.address)
        assert [(i.nonce, i.digest) for i in intents] == signed[vault.address]
        assert by_client[vault.address].digest == intents[0].digest


def test_rbl_17__bulk_rebalance__rerun_sends_nothing_twice(book, first_run):
    chain, vaults = book["chain"], book["vaults"]
    rebalancer, lens = book["d"].at("AutoRebalancer"), book["d"].at("RebalancerLens")
    before = {
        v.address: len(rebalancing_store.intents(book["db"], chain.chain_id, v.address))
        for v in vaults
    }
    report = bulk_for(book).run(MODEL)
    by_client = {o.portfolio: o for o in report.outcomes}
    for i, vault in enumerate(vaults):
        outcome = by_client[vault.address]
        if i == REVOKED:  # still refused on chain: a new intent for its unspent nonce, failed
            assert outcome.status == "failed" and lens.stateOf(rebalancer, vault)[0] == 0
            continue
        assert outcome.status == "skipped" and outcome.reason == "CooldownActive", outcome
        assert outcome.tx_hash is None
        assert (
            len(rebalancing_store.intents(book["db"], chain.chain_id, vault.address))
            == before[vault.address]
        )
        assert lens.stateOf(rebalancer, vault)[0] == 1
    assert len(report.batches) == 1  # the revoked client's item only


def test_rbl_18__drift__equals_a_python_model_of_chain_reads_and_the_contracts(book, first_run):
    from keepers.core.tokens import token_decimals
    from keepers.rebalancing.intent import RebalanceIntent
    from keepers.rebalancing.models import (
        client_drifts,
        get_model,
        read_positions,
        read_prices,
    )

    d, chain, vaults = book["d"], book["chain"], book["vaults"]
    router, rebalancer = d.at("OracleRouter"), d.at("AutoRebalancer")
    model = get_model(book["db"], chain.chain_id, MODEL)
    positions = read_positions(vaults)
    prices = read_prices(router, positions.assets[0])
    drifts = client_drifts(positions, prices, model)
    for i, vault in enumerate(vaults):
        assets, held = vault.positions()
        values = [
            int(h) * int(router.price(a)) // 10 ** token_decimals(a) for a, h in zip(assets, held)
        ]
        nav = sum(values)
        targets = [model.weights_bps[str(a)] for a in assets]
        expected = max(abs(v * 10_000 / nav - t) for v, t in zip(values, targets))
        assert drifts[i] == pytest.approx(expected, abs=1e-6)
        # The contract's own drift (integer, rounded down) for the same targets.
        strategy_id = d.at("RebalancerLens").strategyOf(rebalancer, vault)[1]
        intent = RebalanceIntent(
            vault.address, strategy_id, tuple(targets), 100, 0, 2**40, b"\0" * 32, b"\0" * 32
        )
        preview = d.at("RebalancerLens").previewRebalance(rebalancer, intent.as_tuple())
        on_chain = int(preview.driftBps)
        assert abs(on_chain - drifts[i]) < 1, (on_chain, drifts[i])


def test_rbl_19__manager_cli__json_and_one_line_errors(book, first_run):
    from keepers.rebalancing.models import client_drifts, get_model, read_positions, read_prices

    network, directory, db_url = book["network"], book["dir"], book["db_url"]

    def quantera(*args):
        return run_quantera(["manager", *args, "--network", network], directory, db_url)

    models = quantera("models", "--json")
    assert models.returncode == 0, models.stderr
    [listed] = json.loads(models.stdout)
    assert (listed["name"], listed["clients"], sum(listed["weights_bps"].values())) == (
        MODEL,
        CLIENTS,
        10_000,
    )
    drift = quantera("drift", "--model", MODEL, "--json")
    assert drift.returncode == 0, drift.stderr
    chain, d, vaults = book["chain"], book["d"], book["vaults"]
    positions = read_positions(vaults)
    expected = client_drifts(
        positions,
        read_prices(d.at("OracleRouter"), positions.assets[0]),
        get_model(book["db"], chain.chain_id, MODEL),
    )
    shown = {c["portfolio"]: c["drift_bps"] for c in json.loads(drift.stdout)["clients"]}
    assert shown == {v.address: round(float(x), 2) for v, x in zip(vaults, expected)}
    rerun = quantera(
        "rebalance", "--model", MODEL, "--signer", "TEST::22", "--relayer", "TEST::22", "--json"
    )
    assert rerun.returncode == 0, rerun.stderr
    counts = json.loads(rerun.stdout)["counts"]
    assert counts == {"rebalanced": 0, "skipped": CLIENTS - 1, "failed": 1}
    assert rerun.stderr.count(f"/{CLIENTS}]") == CLIENTS  # live progress, one line per client
    for args, message in (
        (("define-model", "half", "--weight", "USDC=5000"), "sum to 5000 bps"),
        (("define-model", "odd", "--weight", "GOLD=10000"), "unknown asset 'GOLD'"),
        (("drift", "--model", "nope"), "no model portfolio named 'nope'"),
        (("assign", MODEL, "client-999"), "neither an address nor a recorded portfolio"),
    ):
        result = quantera(*args)
        assert result.returncode == 1, (args, result.stdout)
        assert result.stderr.strip().count("\n") == 0 and message in result.stderr, result.stderr
