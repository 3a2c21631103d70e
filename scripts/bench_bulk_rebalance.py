"""`ape run bench_bulk_rebalance`: 100 client portfolios following one model portfolio, rebalanced
in one operator action (issue 18 item 4; goal: under 30 s end to end on the local chain).

Setup (not timed): the protocol by the deploy script's own steps (`scripts/deploy.py`), its five
assets' security tokens trading; 100 client PortfolioVaults by the rebalancing domain's
`deploy_client_portfolios` on the deployment's assets, RiskEngine, oracle and venues, intents signed
by and bound to the signal keeper's key (test account 22); each client funded with cash only
(seeded amounts, $5,000 to $50,000) by a verified investor, a calm risk model and a sync; a model
portfolio `balanced` (USDC 25 %, QTF 25 %, QSPX 25 %, QNDX 15 %, QOIL 10 %) defined in a fresh
keeper store and assigned to the 100 clients.

Timed: `BulkRebalance.run("balanced")` (keepers/rebalancing/bulk.py) alone — reading every client's
positions, strategy and nonce, the contract's preview per client, signing 100 EIP-712 intents,
quoting each pair's flow, storing every intent before it is sent, relaying them in
`rebalanceBatch` transactions and waiting for their receipts, re-reading positions for the drift
after, storing every outcome. Then, untimed, a second run checks idempotency (every client skipped
in its cooldown, nothing sent). Written to benchmarks/bulk_rebalance.json with the machine's facts;
fails when the run takes 30 s or more or a client is not rebalanced.

Run on a plain anvil (`make bench`: `python scripts/on_plain_anvil.py -- ape run
bench_bulk_rebalance`): ape's foundry provider starts anvil with `--steps-tracing`, which makes a
32-rebalance block take seconds to execute (12 clients in one batch: 10 s of its 15 s there).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import random
import tempfile
import time
from functools import partial
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import renounce_temporary_roles
from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.core.deploying import Deployment
from keepers.core.deployments import DeploymentRecord
from keepers.rebalancing.bulk import BulkRebalance
from keepers.rebalancing.cycle import DOMAIN
from keepers.rebalancing.deploy import (
    calm_risk_model,
    deploy_client_portfolios,
    fund_client_portfolios,
)
from keepers.rebalancing.intent import account_signer
from keepers.rebalancing.models import assign_model, define_model
from keepers.vault import load_portfolio

_spec = importlib.util.spec_from_file_location(
    "quantera_deploy", Path(__file__).with_name("deploy.py")
)
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

RESULT_FILE = Path("benchmarks") / "bulk_rebalance.json"
CLIENTS = 100
GOAL_SECONDS = 30.0
SEED = 18
USDC_UNIT = 10**6
MODEL = "balanced"
MODEL_BPS = {"USDC": 2_500, "QTF": 2_500, "QSPX": 2_500, "QNDX": 1_500, "QOIL": 1_000}
# Test accounts as `ape run deploy all` assigns them on a local network.
DEPLOYER, AGENT, INVESTOR, SIGNAL_KEEPER = 0, 5, 19, 22


def build(record_dir: Path, clients: int) -> tuple[Deployment, list]:
    t = accounts.test_accounts
    d = Deployment(
        sender=t[DEPLOYER],
        record=DeploymentRecord(network="ethereum:local", chain_id=chain.chain_id),
        path=record_dir / "ethereum-local.json",
    )
    deploy.deploy_protocol(d, deploy.local_test_config(), None)
    for token in list(d.at("PortfolioVault").assets())[1:]:
        security = project.SecurityToken.at(token)
        if security.paused():
            security.unpause(sender=t[AGENT])
    vaults = deploy_client_portfolios(
        d,
        clients,
        load_portfolio().strategy_tuple(),
        [t[SIGNAL_KEEPER].address],
        t[SIGNAL_KEEPER].address,
    )
    rng = random.Random(SEED)
    cash = [rng.randrange(5_000, 50_001) * USDC_UNIT for _ in vaults]
    risk_model = calm_risk_model(d.at("RiskEngine"), lambda: chain.blocks.head.timestamp)
    fund_client_portfolios(d, vaults, t[INVESTOR], cash, risk_model)
    renounce_temporary_roles(d)
    return d, vaults


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--clients", default=CLIENTS, show_default=True)
def cli(clients: int):
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        d, vaults = build(Path(tmp), clients)
        setup_s = time.perf_counter() - started
        click.echo(f"setup: protocol and {len(vaults)} client portfolios in {setup_s:.1f} s")
        db = store.open_store(f"sqlite:///{Path(tmp) / 'keeper.sqlite'}")
        symbols = [a.symbol for a in load_portfolio().assets]
        assets = [str(a) for a in d.at("PortfolioVault").assets()]
        now = chain.blocks.head.timestamp
        define_model(
            db, chain.chain_id, MODEL, {a: MODEL_BPS[s] for s, a in zip(symbols, assets)}, now
        )
        assign_model(db, chain.chain_id, MODEL, [v.address for v in vaults], now)
        keeper = accounts.test_accounts[SIGNAL_KEEPER]
        rebalancer = d.at("AutoRebalancer")
        bulk = BulkRebalance(
            chain,
            rebalancer,
            d.at("RebalancerLens"),
            d.at("LiquidityAggregator"),
            d.at("OracleRouter"),
            db,
            partial(project_at, "PortfolioVault"),
            account_signer(keeper, DOMAIN, chain.chain_id, rebalancer.address),
            keeper.address,
            keeper,
        )
        progress = []
        report = bulk.run(MODEL, on_progress=lambda done, total, o: progress.append(done))
        counts = report.counts()
        click.echo(
            f"bulk rebalance of {len(report.outcomes)} clients: {report.seconds:.2f} s, {counts}, "
            f"{len(report.batches)} batch transactions"
        )
        again = bulk.run(MODEL)
        rebalanced = [o for o in report.outcomes if o.status == "rebalanced"]
        result = {
            "clients": len(report.outcomes),
            "seconds": round(report.seconds, 3),
            "goal_s": GOAL_SECONDS,
            "within_goal": report.seconds < GOAL_SECONDS,
            "counts": counts,
            "batch_transactions": len(report.batches),
            "phases_s": {k: round(v, 2) for k, v in report.phases_s.items()},
            "progress_callbacks": len(progress),
            "gas_per_client_mean": (
                round(sum(o.gas_used for o in rebalanced) / len(rebalanced)) if rebalanced else None
            ),
            "trades": sum(o.trades for o in rebalanced),
            "drift_before_bps_max": max(o.drift_before_bps or 0 for o in report.outcomes),
            "drift_after_bps_max": max(o.drift_after_bps or 0 for o in report.outcomes),
            "rerun_counts": again.counts(),
            "rerun_batch_transactions": len(again.batches),
            "setup_s_excluded": round(setup_s, 1),
            "failures": sorted({o.reason for o in report.outcomes if o.status == "failed"}),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        }
        RESULT_FILE.write_text(
            json.dumps({f"rebalancing.bulk_{clients}_clients": result}, indent=2) + "\n"
        )
        click.echo(json.dumps(result, indent=2))
        if not result["within_goal"] or counts["rebalanced"] != clients:
            raise click.ClickException(
                f"bulk rebalance: {report.seconds:.1f} s (goal {GOAL_SECONDS:.0f} s), {counts}"
            )
