"""Rebalancing part of the demo: the fund the crash halted is resumed by the governor (timelocked),
early December 2008 is replayed onto the feeds day by day (each day a new UTC day on chain), the
risk keeper (its silverback process) syncs and publishes, and the signal keeper's cycle — the code
its silverback bot runs, driven once per replayed day so the replay is deterministic — computes the
model's signal, previews the rebalance on chain, routes each trade with the smart order router, and
signs and relays the intent when the benefit beats the cost. The AutoRebalancer trades through the
aggregator on the real venues and the RiskEngine checks the result. Each replayed day the arbitrage
keeper (`keepers.liquidity.ArbitrageKeeper`, a verified desk with inventory) first trades the AMM
pools back inside their fee band of the day's oracle prices, as arbitrageurs keep real pools. A
report (markdown + PNG plots) is written at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from keepers.core import store
from keepers.core.artifacts import project_at
from keepers.core.waiting import wait_until
from keepers.demo.actions import ActionLog
from keepers.demo.rebalance_report import RebalanceSeries, exceptions, write_report
from keepers.demo.risk import (
    FEED_DECIMALS,
    GOVERNOR,
    KEEPER_WAIT_SECONDS,
    PRICE_REPORTER,
    synced_since,
)
from keepers.demo.stage import Act, Stage, console, table
from keepers.risk import publications
from keepers.vault import history, load_portfolio

SECTION = "rebalancing"
REPLAY_WINDOW = ("2008-12-01", "2008-12-09")
SIGNAL_KEEPER = 22
DAY = 86_400
OPERATOR, AGENT = 3, 5
# The arbitrage desk's inventory of each pool token, USD at the day's oracle price: the first
# replayed day moves the pools from their June 2008 seeding to December's prices (QOIL -70%).
ARBITRAGE_INVENTORY_USD = 40_000_000
ARBITRAGE_MIN_GAP_BPS = 25
ARBITRAGE_DESK_INDEX = 99  # the test mnemonic's key the desk signs with (no other act uses it)


@dataclass
class RebalanceOutcome:
    resumed: bool = False
    executed: list[dict] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    within_caps: bool = True
    report: Path | None = None
    exceptions: int = 0
    arbitrage_trades: int = 0
    arbitrage_gain_usd: float = 0.0
    arbitrage_refused: int = 0
    # A last arbitrage cycle after the replay: the pools inside their band, those with nothing to
    # trade toward it (a V3 pool priced past its positions), those left (and why), trades sent.
    pools: int = 0
    pools_in_band: list[str] = field(default_factory=list)
    pools_empty: dict[str, str] = field(default_factory=dict)
    pools_left: dict[str, str] = field(default_factory=dict)
    final_trades: int = 0


def exercise_rebalancing(
    log: ActionLog, record, rpc_url: str, rpc, db_url: str, out_dir: Path
) -> RebalanceOutcome:
    from ape import accounts, chain, project

    from keepers.liquidity import Router, sources_from_record
    from keepers.rebalancing import (
        DEFAULT_MODEL,
        DOMAIN,
        KeeperConfig,
        SignalKeeper,
        TrainedSelector,
        account_signer,
        load_market,
    )

    portfolio = load_portfolio()
    symbols = [a.symbol for a in portfolio.assets]
    prices = history(portfolio)
    at = lambda kind, name: project_at(kind, record.address_of(name))  # noqa: E731
    manager, risk, vault = (
        at("QuanteraAccessManager", "QuanteraAccessManager"),
        at("RiskEngine", "RiskEngine"),
        at("PortfolioVault", "PortfolioVault"),
    )
    router, aggregator = (
        at("OracleRouter", "OracleRouter"),
        at("LiquidityAggregator", "LiquidityAggregator"),
    )
    rebalancer = at("AutoRebalancer", "AutoRebalancer")
    tokens = list(vault.assets())
    feeds = {
        s: project.ReporterPriceFeed.at(router.feedOf(t).primary) for s, t in zip(symbols, tokens)
    }
    governor, reporter, signer = (
        accounts.test_accounts[i] for i in (GOVERNOR, PRICE_REPORTER, SIGNAL_KEEPER)
    )
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731
    outcome = RebalanceOutcome()

    db = store.open_store(db_url)
    days = list(prices.loc[REPLAY_WINDOW[0] : REPLAY_WINDOW[1]].index)
    current = {"day": days[0]}
    keeper = SignalKeeper(
        chain,
        rebalancer,
        at("RebalancerLens", "RebalancerLens"),
        vault,
        router,
        aggregator,
        db,
        lambda: load_market(prices.loc[: current["day"]]),
        TrainedSelector.load(DEFAULT_MODEL),
        account_signer(signer, DOMAIN, chain.chain_id, rebalancer.address),
        signer.address,
        signer,
        # Through the issuer's NAV desk only: fills at NAV +/- its fee whatever the pools' depth,
        # as one netted basket (issue 31 section 4's path, whose gas the report shows).
        KeeperConfig(),
        Router(aggregator, sources_from_record(record.contracts), only_kinds=("nav",)),
    )
    caps = [a.max_weight_bps for a in portfolio.assets]
    first = prices.loc[days[0]]
    series = RebalanceSeries([], [], [], {s: [] for s in symbols}, [], [])
    share_unit = 10 ** int(vault.decimals())

    arbitrage = _arbitrage_desk(log, record, router, tokens, symbols)

    def replay_day(day) -> None:
        # Each replayed trading day starts a new UTC day on chain (the NAV desk's capacity is
        # daily).
        now = chain.blocks.head.timestamp
        rpc(rpc_url, "evm_increaseTime", [(now // DAY + 1) * DAY + 60 - now])
        rpc(rpc_url, "evm_mine")
        day_starts_at = chain.blocks.head.timestamp
        last_report = max(
            feed.report(
                int(round(float(prices.loc[day, symbol]) * 10**FEED_DECIMALS)), sender=reporter
            ).block_number
            for symbol, feed in feeds.items()
        )
        # The arbitrage keeper's cycle on the day's prices: the pools back inside their band.
        cycle = arbitrage.cycle()
        summary = cycle.as_dict()
        outcome.arbitrage_trades += summary["filled"]
        outcome.arbitrage_refused += summary["refused"]
        outcome.arbitrage_gain_usd += summary["gain_usd"]
        log.record(
            SECTION,
            "arbitrage keeper",
            f"{day.date()}: pools outside their fee band of the oracle traded back",
            f"{summary['filled']} trades, {len(cycle.in_band)} pools already in band, "
            f"{len(cycle.empty)} with nothing to trade toward it, "
            f"gain ${summary['gain_usd']:,.0f} at oracle prices"
            + (f"; left {cycle.skipped}" if cycle.skipped else "")
            + (f"; {summary['refused']} not filled" if summary["refused"] else ""),
        )
        # A sync after the last report prices every asset (one after the first would still see the
        # others' answers from the day before, past their heartbeat, and keep the old NAV).
        wait_until(
            lambda: synced_since(risk, vault, last_report),
            f"the risk keeper's sync of {day.date()}",
            KEEPER_WAIT_SECONDS,
        )
        # ... and its model as of today's prices (the engine refuses trades on a model over two days
        # old): the model's as-of time is a round of today's, each reported after day_starts_at.
        wait_until(
            lambda: int(risk.metricsOf(vault)[2]) >= day_starts_at,
            f"the risk keeper's model as of {day.date()}",
            KEEPER_WAIT_SECONDS,
        )

    # The market is re-priced first, so the resume resets the high-water mark to today's NAV per
    # share (not to the one of the halt, weeks of losses ago).
    replay_day(days[0])
    if risk.isHalted(vault):
        data = risk.resume.encode_input(vault, True)
        act(
            "governor",
            "schedule resume of the fund (1 h timelock)",
            lambda: manager.schedule(risk, data, 0, sender=governor),
        )
        rpc(rpc_url, "evm_increaseTime", [3_601])
        rpc(rpc_url, "evm_mine")
        act(
            "governor",
            "execute resume (high-water mark reset to today's NAV)",
            lambda: manager.execute(risk, data, sender=governor),
        )
    outcome.resumed = not risk.isHalted(vault)
    for index, day in enumerate(days):
        current["day"] = day
        var_before = int(risk.metricsOf(vault)[0][0]) / 10_000 or None
        if index:
            replay_day(day)
        result = keeper.run()
        outcome.decisions.append(f"{day.date()}: {result['decision']}")
        if result["decision"] == "executed":
            outcome.executed.append({"day": str(day.date()), **result})
            series.gas.append(
                (f"{day.date()} rebalance ({result['trades']} trades)", int(result["gas_used"]))
            )
        held = [int(h) for h in vault.holdings()]
        values = [
            h * int(router.price(t)) / 10 ** (6 if i == 0 else 18)
            for i, (h, t) in enumerate(zip(held, tokens))
        ]
        nav = sum(values)
        weights = [v / nav for v in values]
        outcome.within_caps &= all(w * 10_000 <= cap + 25 for w, cap in zip(weights, caps))
        share_price = int(vault.convertToAssets(share_unit)) / 10**6
        series.dates.append(str(day.date()))
        series.nav.append(share_price)
        series.benchmark.append(float((prices.loc[day] / first).mean()))
        for symbol, w in zip(symbols, weights):
            series.weights[symbol].append(w)
        series.var.append(var_before)
        series.pnl.append(0.0 if len(series.nav) == 1 else series.nav[-1] / series.nav[-2] - 1)
    final = arbitrage.cycle()
    outcome.pools = len(arbitrage.pools())
    outcome.pools_in_band = list(final.in_band)
    outcome.pools_empty = dict(final.empty)
    outcome.pools_left = dict(final.skipped)
    outcome.final_trades = len(final.trades)
    log.record(
        SECTION,
        "signal keeper",
        f"one cycle per replayed day, {len(days)} days",
        f"{len(outcome.executed)} rebalances executed",
    )
    series.nav = [v / series.nav[0] for v in series.nav]
    for publication in publications(db, chain.chain_id, vault.address, status="confirmed")[-3:]:
        if publication.tx_hash:
            series.gas.append(
                (
                    f"risk model update {publication.update_id}",
                    int(chain.provider.get_receipt(publication.tx_hash).gas_used),
                )
            )
    series.notes = [
        "Trades route through the issuer's NAV desk (oracle NAV +/- fee), one netted basket per "
        "rebalance. The arbitrage keeper kept the AMM pools inside their fee band of each day's "
        f"oracle prices: {outcome.arbitrage_trades} trades, "
        f"${outcome.arbitrage_gain_usd:,.0f} gained at oracle prices.",
        "",
        "Signal keeper decisions, one per replayed day:",
        "",
        *[f"- {d}" for d in outcome.decisions],
    ]
    outcome.exceptions = len(exceptions(series))
    outcome.report = write_report(series, out_dir)
    return outcome


def _arbitrage_desk(log: ActionLog, record, oracle, tokens: list[str], symbols: list[str]):
    """The demo's arbitrage desk: a key of its own (the test mnemonic's index
    ARBITRAGE_DESK_INDEX, given gas), onboarded as a US institution, holding
    ARBITRAGE_INVENTORY_USD of each pool token; its keeper trades through the record's routers."""
    from ape import accounts, project
    from ape.utils import generate_dev_accounts
    from eth_utils import keccak, to_checksum_address

    from keepers.liquidity import ArbitrageKeeper

    test = accounts.test_accounts
    operator, agent = test[OPERATOR], test[AGENT]
    # Derived at a fixed index, beside ape's generated accounts (whose indices the prime act's
    # wallets take in order, and the README's examples name): `TEST::24` onwards stay theirs.
    container = test.containers["test"]
    dev = generate_dev_accounts(
        container.mnemonic, 1, hd_path=container.hd_path, start_index=ARBITRAGE_DESK_INDEX
    )[0]
    desk = test.init_test_account(ARBITRAGE_DESK_INDEX, dev.address, dev.private_key)
    act = lambda who, what, send: log.act(SECTION, who, what, send)  # noqa: E731
    act("deployer", "gas for the arbitrage desk", lambda: test[0].transfer(desk, 10 * 10**18))
    registry = project.IdentityRegistry.at(record.address_of("IdentityRegistry"))
    identity = to_checksum_address(keccak(text="demo arbitrage desk")[-20:])
    act(
        "operator",
        "onboard the arbitrage desk (US institution)",
        lambda: registry.registerInvestor(desk, identity, 840, 4, 2**40 - 1, sender=operator),
    )
    for symbol, address in zip(symbols, tokens):
        unit = 10 ** int(project.SecurityToken.at(address).decimals())
        amount = ARBITRAGE_INVENTORY_USD * 10**18 * unit // int(oracle.price(address))
        if symbol == "USDC":
            token = project.LocalStablecoin.at(address)
            act(
                "operator",
                f"mint the arbitrage desk's USDC ({ARBITRAGE_INVENTORY_USD:,} USD)",
                lambda t=token, a=amount: t.mint(desk, a, sender=operator),
            )
        else:
            token = project.SecurityToken.at(address)
            act(
                "token agent",
                f"mint the arbitrage desk's {symbol} ({ARBITRAGE_INVENTORY_USD:,} USD)",
                lambda t=token, a=amount: t.mint(desk, a, sender=agent),
            )
    # The replay's first day moves the pools from June's prices to December's (QOIL -70%): no gap
    # bound; the feeds are reported just before each cycle.
    return ArbitrageKeeper(
        record.contracts,
        oracle,
        desk,
        min_gap_bps=ARBITRAGE_MIN_GAP_BPS,
        max_gap_bps=1_000_000,
        max_trade_usd=50_000_000,
        max_usd_per_hour=1e12,
    )


PLOTS = ("nav", "weights", "var", "gas")


def show_rebalancing(stage: Stage, rebalancing: RebalanceOutcome) -> None:
    console.print(
        table(
            f"Rebalancing: {REPLAY_WINDOW[0]}..{REPLAY_WINDOW[1]} replayed; "
            "the signal keeper's intents",
            ("day", "nonce", "trades", "loss (USD)", "gas used"),
            [
                (e["day"], e["nonce"], e["trades"], f"{e['loss_usd']:,.2f}", f"{e['gas_used']:,}")
                for e in rebalancing.executed
            ],
        )
    )
    console.print(
        f"VaR exceptions over the replay: {rebalancing.exceptions}. "
        f"Rebalancing report: [bold]{rebalancing.report}[/bold]"
    )


def rebalancing_checks(stage: Stage, rebalancing: RebalanceOutcome) -> dict[str, bool]:
    report = rebalancing.report
    return {
        f"rebalancing: resumed fund rebalanced by signed intents ({REPLAY_WINDOW[0][:7]} replay), "
        "within every cap": (
            rebalancing.resumed and len(rebalancing.executed) >= 1 and rebalancing.within_caps
        ),
        "rebalancing: the arbitrage keeper kept every AMM pool inside its fee band of the "
        "oracle (or with nothing to trade toward it)": (
            rebalancing.arbitrage_trades > 0
            and rebalancing.arbitrage_refused == 0
            and rebalancing.pools > 0
            and rebalancing.final_trades == 0
            and not rebalancing.pools_left
            and len(rebalancing.pools_in_band) + len(rebalancing.pools_empty) == rebalancing.pools
        ),
        "rebalancing: report written (markdown; NAV, weights, VaR vs P&L, gas plots)": (
            report is not None
            and report.is_file()
            and all((report.parent / f"{plot}.png").is_file() for plot in PLOTS)
        ),
    }


def _run(stage: Stage) -> RebalanceOutcome:
    from keepers.demo.processes import rpc

    return exercise_rebalancing(
        stage.log, stage.record, stage.url, rpc, stage.db_url, stage.workdir / "rebalancing-report"
    )


ACT = Act(
    name="rebalancing",
    step="rebalancing (resume, December 2008 replay, signed intents, report)",
    run=_run,
    show=show_rebalancing,
    checks=rebalancing_checks,
    keepers=("risk",),
    # It resumes the fund the risk act's crash halted, and replays the month after its replay.
    after=("risk",),
)
