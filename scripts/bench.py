"""`make bench` / `ape run bench`: full transaction gas (21,000 base included) from real receipts
on a fresh anvil, written to benchmarks/gas.json (scenario name -> gas). Scenarios of other
domains already in the file are kept; the ones measured here are replaced.
"""

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import ROLE_IDS, as_role, deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_compliance, deploy_registry, deploy_security
from keepers.core.benchmarking import merge_json, timed
from keepers.core.deploying import Deployment
from keepers.risk import deploy_feeds, deploy_oracle, deploy_risk_engine, feed_config, set_feeds
from keepers.vault import deploy_stablecoin, deploy_vault, register_steps, vault_steps

GAS_FILE = Path("benchmarks") / "gas.json"
GOVERNOR, GUARDIAN = ROLE_IDS["GOVERNOR"], ROLE_IDS["GUARDIAN"]
DELAY = 3600


def measure_access() -> dict[str, int]:
    """Timelocked governance through the protocol authority, on a managed target (the shape every
    GOVERNOR-restricted protocol setter has)."""
    deployer, guardian, governor = (accounts.test_accounts[i] for i in (0, 1, 2))
    # the grants below are measured, so sent here
    manager = deploy_access(Deployment.in_memory(deployer), {})
    gas = {"access.deploy_manager": chain.get_receipt(manager.txn_hash).gas_used}
    gas["access.grant_role"] = manager.grantRole(GUARDIAN, guardian, 0, sender=deployer).gas_used
    manager.grantRole(GOVERNOR, governor, DELAY, sender=deployer)
    target = deployer.deploy(project.ManagedTarget, manager)
    manager.setTargetFunctionRole(
        target, [target.setParameter.encode_input(0)[:4]], GOVERNOR, sender=deployer
    )
    data = target.setParameter.encode_input(42)
    gas["access.schedule_delayed_operation"] = manager.schedule(
        target, data, 0, sender=governor
    ).gas_used
    chain.pending_timestamp += DELAY
    gas["access.execute_delayed_operation"] = manager.execute(
        target, data, sender=governor
    ).gas_used
    other = target.setParameter.encode_input(7)
    manager.schedule(target, other, 0, sender=governor)
    gas["access.guardian_cancel_operation"] = manager.cancel(
        governor, target, other, sender=guardian
    ).gas_used
    return gas


US, DE, ACCREDITED, FAR_FUTURE, UNIT = 840, 276, 2, 2**40 - 1, 10**18


def measure_compliance() -> dict[str, int]:
    """Security-token transfers with jurisdiction, holder-cap, max-balance and rolling-limit rules
    all active (the issue's scenario), plus mint, first transfer to a new holder and a 50-mint
    batch."""
    deployer, governor, operator, agent = (accounts.test_accounts[i] for i in (0, 2, 3, 4))
    # Deployed by the deploy script's steps, with two jurisdictions capped (2,000 holders, 500
    # non-accredited).
    d = Deployment.in_memory(deployer)
    deploy_access(d, {"GOVERNOR": governor, "OPERATOR": operator})
    token = deploy_compliance(
        d,
        "Bench T-Bill",
        "BTB",
        agent=agent.address,
        jurisdictions=[(country, (True, 1, 2_000, 500, 0)) for country in (US, DE)],
    )
    renounce_temporary_roles(d)
    registry, engine = d.at("IdentityRegistry"), d.at("ComplianceEngine")
    token.unpause(sender=agent)
    # maxBalance, minHolding, maxBalanceBps, lockup, daily, monthly, transfersOpenAt, totalCap,
    # totalRetailCap
    engine.setLimits(
        (10**9 * UNIT, 0, 0, 0, 10**7 * UNIT, 10**8 * UNIT, 0, 10_000, 0), sender=governor
    )
    holders = [accounts.test_accounts[i] for i in (5, 6, 7)]
    for i, (wallet, country) in enumerate(zip(holders, (US, DE, US))):
        registry.registerInvestor(
            wallet, f"0x{i + 1:040x}", country, ACCREDITED, FAR_FUTURE, sender=operator
        )
    alice, bob, carol = holders
    gas = {"compliance.mint_new_holder": token.mint(alice, 1_000 * UNIT, sender=agent).gas_used}
    gas["compliance.transfer_to_new_holder"] = token.transfer(bob, 10 * UNIT, sender=alice).gas_used
    gas["compliance.transfer_to_existing_holder"] = token.transfer(
        bob, 10 * UNIT, sender=alice
    ).gas_used
    batch = [accounts.test_accounts[8 + (i % 2)] for i in range(50)]
    for i, wallet in enumerate(batch[:2]):
        registry.registerInvestor(
            wallet, f"0x{i + 100:040x}", US, ACCREDITED, FAR_FUTURE, sender=operator
        )
    gas["compliance.batch_mint_50"] = token.batchMint(batch, [UNIT] * 50, sender=agent).gas_used
    return gas


ZERO = "0x0000000000000000000000000000000000000000"


def _call_frame_gas(txn_hash, callee: str) -> int:
    """Gas a transaction spent inside its (last) call to `callee`: the CALL's own cost (cold
    account access included) plus everything the callee executed, from an opcode trace."""
    txn_hash = txn_hash if isinstance(txn_hash, str) else txn_hash.hex()
    trace = chain.provider.make_request(
        "debug_traceTransaction",
        [
            txn_hash if txn_hash.startswith("0x") else "0x" + txn_hash,
            {"disableStorage": True, "disableMemory": True, "enableReturnData": False},
        ],
    )
    logs = trace["structLogs"]
    target = int(callee, 16)
    start = None
    for i, step in enumerate(logs):
        if step["op"] in ("CALL", "STATICCALL") and int(step["stack"][-2], 16) == target:
            start = i
    if start is None:
        raise click.ClickException(f"no call to {callee} in {txn_hash}")
    depth = logs[start]["depth"]
    end = next(i for i in range(start + 1, len(logs)) if logs[i]["depth"] == depth)
    # Gas left before the CALL minus gas left after it returns.
    return logs[start]["gas"] - logs[end]["gas"]


def measure_risk() -> dict[str, int]:
    """The pre-trade risk check of an 8-asset portfolio (settlement stablecoin + 7 security tokens,
    every asset held, 4 stress scenarios, every limit evaluated on the pass path), sent as a
    transaction so the figure is full gas; plus sync (8 oracle reads), a model update and a
    trade."""
    deployer, governor, operator, agent = (accounts.test_accounts[i] for i in (0, 2, 3, 4))
    keeper, reporter, executor, investor = (accounts.test_accounts[i] for i in (10, 11, 12, 13))
    # Deployed by the deploy script's steps (keepers/<domain>/deploy.py).
    d = Deployment.in_memory(deployer)
    deploy_access(
        d,
        {
            "GOVERNOR": governor,
            "OPERATOR": operator,
            "RISK_KEEPER": keeper,
            "PRICE_REPORTER": reporter,
            "EXECUTOR": executor,
        },
    )
    deploy_registry(d)
    usdc = deploy_stablecoin(d, "USDC")
    tokens = [usdc] + [
        deploy_security(
            d,
            f".BA{k}",
            f"Bench Asset {k}",
            f"BA{k}",
            agent=agent.address,
            jurisdictions=[(US, (True, 1, 0, 0, 0))],
        )
        for k in range(7)
    ]
    for token in tokens[1:]:
        token.unpause(sender=agent)
    router = deploy_oracle(d)
    symbols = ["USDC"] + [f"BA{k}" for k in range(7)]
    feeds = deploy_feeds(d, {s: 10**8 if s == "USDC" else 100 * 10**8 for s in symbols})
    set_feeds(d, router, {s: (t, feed_config(feeds[s].address)) for s, t in zip(symbols, tokens)})
    risk = deploy_risk_engine(d, router)
    vault = deploy_vault(
        d, usdc, "Bench Fund", "BF", risk, router, share_jurisdictions=[(US, (True, 1, 0, 0, 0))]
    )
    venue = d.deploy_contract("FixedRateVenue", "FixedRateVenue")
    as_role(
        d,
        "GOVERNOR",
        vault_steps(
            d,
            vault,
            [(s, t.address) for s, t in zip(symbols[1:], tokens[1:])],
            [venue],
            trade_limits=(300, 10**6 * 10**18, 86_400),  # the vault's own bound, loose here
        ),
    )
    as_role(
        d,
        "OPERATOR",
        register_steps(
            d,
            [
                ("the vault", vault.address, f"0x{0xF0:040x}"),
                ("the investor", investor.address, f"0x{0xF2:040x}"),
                ("the venue", venue.address, f"0x{0xF1:040x}"),
            ],
        ),
    )
    renounce_temporary_roles(d)
    assets = [(10_000, 0, True)] + [(2_000, 1 + k % 6, k < 2) for k in range(7)]
    # minLiquid, var95, var99, es, stress, maxDD, hardDD, modelAge, priceAge, delay, vol, corr,
    # stress chg, bound window (hours), classes
    limits = (
        1_000,
        300,
        400,
        450,
        2_500,
        1_000,
        2_000,
        2 * 86_400,
        3_600,
        600,
        5_000,
        2_000,
        2_000,
        24,
        [0] * 8,
    )
    risk.configure(vault, assets, limits, sender=governor)
    n = 8
    correlations = [2_000 + 100 * (k % 5) for k in range(n * (n - 1) // 2)]
    stress = [(300 * (i + 1) + 50 * s) for s in range(4) for i in range(n)]
    update = (
        1,
        chain.pending_timestamp - 60,
        [500] + [3_000 + 1_000 * k for k in range(7)],
        correlations,
        2_600_000,
        stress,
        (0,) * 11,
    )
    gas = {"risk.publish_model_8_assets": risk.publishModel(vault, update, sender=keeper).gas_used}
    gas["risk.publish_model_8_assets_next"] = _next_model_gas(risk, vault, keeper, update)
    usdc.mint(investor, 10_000_000 * 10**6, sender=operator)
    usdc.approve(vault, 2**256 - 1, sender=investor)
    vault.deposit(1_000_000 * 10**6, investor, sender=investor)
    for token in tokens[1:]:
        token.mint(venue, 1_000_000 * UNIT, sender=agent)
        venue.setRate(usdc, token, 10**28, sender=deployer)  # 1 USDC -> 0.01 token (price 100)
    trade = None
    for token in tokens[1:]:
        data = venue.swap.encode_input(usdc, token, 80_000 * 10**6)
        gas["risk.sync_8_assets"] = risk.sync(vault, sender=deployer).gas_used
        trade = vault.trade((usdc, 80_000 * 10**6, token, 0, venue, data), sender=executor)
    gas["risk.vault_trade_8_assets"] = trade.gas_used
    gas["risk.pre_trade_check_in_trade_8_assets"] = _call_frame_gas(trade.txn_hash, risk.address)
    # In a later block than the trade's, as a keeper's sync is: its syncedAt write then always
    # changes the slot (in the same second it would not, and cost about 2,800 gas less).
    chain.mine(timestamp=chain.blocks.head.timestamp + 12)
    gas["risk.sync_8_assets"] = risk.sync(vault, sender=deployer).gas_used
    before = list(vault.holdings())
    after = list(before)
    after[0] -= 10_000 * 10**6
    after[1] += 100 * UNIT
    result = risk.check(vault, before, after)
    if not result.ok or result.limit != 0:
        raise click.ClickException(f"benchmark portfolio should pass every limit, got {result}")
    gas["risk.pre_trade_check_8_assets"] = risk.check.transact(
        vault, before, after, sender=deployer
    ).gas_used
    _RISK_CONTEXT.update(
        risk=risk, lens=d.at("RiskLens"), vault=vault, router=router, keeper=keeper
    )
    return gas


def _next_model_gas(risk, vault, keeper, first) -> int:
    """A second model 601 s after the first, on a snapshot (what is measured after it sees the first
    model only): every input changes and every change is checked under the bench vault's 24 h
    window (RSK-17) — vols and the ES multiplier up 10%, one vol down by the most 601 s allow,
    correlations and shocks up 100; none negative, so no hedge."""
    snapshot, pending = chain.snapshot(), chain.pending_timestamp
    try:
        _, _, vols, correlations, es, stress, metrics = first
        at = risk.metricsOf(vault)[3] + 601
        next_vols = [v * 11 // 10 for v in vols]
        next_vols[1] = vols[1] - vols[1] * 5_000 * 601 // (10_000 * 86_400)
        chain.pending_timestamp = at
        update = (
            2,
            at,
            next_vols,
            [c + 100 for c in correlations],
            es * 11 // 10,
            [s + 100 for s in stress],
            metrics,
        )
        return risk.publishModel(vault, update, sender=keeper).gas_used
    finally:
        chain.restore(snapshot)
        chain.pending_timestamp = pending


_RISK_CONTEXT: dict = {}
TIMINGS_FILE = Path("benchmarks") / "timings.json"
TIMING_RUNS = 5


def measure_timings() -> dict[str, dict]:
    """Wall-clock seconds on this machine (median and max of TIMING_RUNS runs): Monte Carlo VaR+ES
    for 20 assets x 1,000,000 scenarios; a full risk-keeper cycle for the 8-asset bench vault (fit
    GARCH/EWMA on real history, Monte Carlo, bound, publish the transaction and wait for it)."""
    import tempfile

    import numpy as np
    import pandas as pd
    from arch.data import nasdaq, sp500, wti

    from keepers.core import store
    from keepers.risk import publication
    from keepers.risk.models import monte_carlo_var
    from keepers.vault import Portfolio, PortfolioAsset, history

    rng = np.random.default_rng(42)
    factors = rng.normal(size=(20, 20))
    cov = (factors @ factors.T / 20 + np.eye(20)) * 1e-4
    weights = np.full(20, 1 / 20)
    timings = {
        "risk.monte_carlo_var_es_20_assets_1m_scenarios": timed(
            lambda: monte_carlo_var(
                np.zeros(20), cov, weights, 0.99, scenarios=1_000_000, dof=5.0, seed=7
            ),
            TIMING_RUNS,
        )
    }

    spx, ndx = sp500.load(), nasdaq.load()
    symbols = ["USDC", "TB", "SPX", "NDX", "OIL", "SPXO", "NDXO", "SPXH"]
    base = history(
        Portfolio(
            "bench", "B", [PortfolioAsset("TB", "TB", "tbill", True, 10_000, "tbill", None)], {}
        )
    )
    prices = (
        pd.DataFrame(
            {
                "USDC": 1.0,
                "TB": base["TB"],
                "SPX": spx["Adj Close"],
                "NDX": ndx["Adj Close"],
                "OIL": wti.load()["DCOILWTICO"].reindex(spx.index).ffill(),
                "SPXO": spx["Open"],
                "NDXO": ndx["Open"],
                "SPXH": spx["High"],
            }
        )
        .dropna()
        .iloc[-500:]
    )
    classes = [
        "cash_stablecoin",
        "tbill",
        "equity",
        "equity",
        "commodity",
        "equity",
        "equity",
        "equity",
    ]
    portfolio = Portfolio(
        "bench",
        "B",
        [
            PortfolioAsset(s, s, c, i < 2, 2_000, "constant", None)
            for i, (s, c) in enumerate(zip(symbols, classes))
        ],
        {},
    )
    risk, lens, vault, router, keeper = (
        _RISK_CONTEXT[k] for k in ("risk", "lens", "vault", "router", "keeper")
    )
    db = store.open_store(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite")

    def keeper_cycle():
        chain.pending_timestamp += 601  # the bench vault's minUpdateDelay is 600 s
        chain.mine()
        now = chain.pending_timestamp
        result = publication.publish(
            db,
            chain.chain_id,
            risk,
            vault,
            router,
            portfolio,
            prices,
            now - 1,
            now,
            keeper,
            lens=lens,
        )
        if not result.get("published"):
            raise click.ClickException(f"keeper cycle did not publish: {result}")

    timings["risk.keeper_cycle_8_assets"] = timed(keeper_cycle, TIMING_RUNS)
    return timings


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure gas scenarios and merge them into benchmarks/gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    measured = measure_access()
    measured.update(measure_compliance())
    measured.update(measure_risk())
    merge_json(GAS_FILE, measured)
    for name, gas in sorted(measured.items()):
        click.echo(f"{name:45} {gas:>10,}")
    click.echo(f"written to {GAS_FILE}")
    timings = measure_timings()
    # Merged, not rewritten: the other bench scripts keep their own timings in the same file.
    merge_json(TIMINGS_FILE, timings)
    for name, t in sorted(timings.items()):
        click.echo(f"{name:55} median {t['median_s']:.3f} s, max {t['max_s']:.3f} s")
    click.echo(f"written to {TIMINGS_FILE}")
