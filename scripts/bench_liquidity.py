"""`ape run bench_liquidity`: gas of the aggregator against the venues' own routers, the execution
quality of the split, and the router's computation time (run by `make bench` after `bench`).

Like the issue's reference figures (Router02 98,511, SwapRouter 101,137, UniversalRouter's V2+V3
split 179,783), the gas scenarios trade plain ERC-20s: the local USDC (6 decimals) against the
real WETH9, on the real Uniswap V2 (two factories) and V3 (three fee tiers) with an RFQ maker, six
sources. Each pair of figures is taken from the same chain snapshot, so the venue's router and the
aggregator pay for the same storage. Written to benchmarks/gas.json, benchmarks/timings.json and
benchmarks/execution_quality.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
import numpy as np
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, grant_calls, send_to_manager
from keepers.core.benchmarking import merge_json, timed
from keepers.core.deploying import Deployment
from keepers.liquidity import (
    deploy_adapters,
    deploy_aggregator,
    deploy_rfq_venue,
    deploy_uniswap,
    encode_route,
    list_sources,
    seed_v3_position,
)
from keepers.liquidity.artifacts import container
from keepers.liquidity.graph import Edge, best_path, find_arbitrage
from keepers.liquidity.rfq import make_quote, sign_quote
from keepers.liquidity.router import Router, Source
from keepers.liquidity.split import best_split
from keepers.vault import deploy_stablecoin

GAS_FILE = Path("benchmarks") / "gas.json"
TIMINGS_FILE = Path("benchmarks") / "timings.json"
QUALITY_FILE = Path("benchmarks") / "execution_quality.json"
USDC_UNIT, UNIT = 10**6, 10**18
ETH_USD = 3_000
# USD per side of each source's liquidity.
V2_DEPTH = {"A": 10_000_000, "B": 4_000_000}
V3_DEPTH = {500: (3_000_000, 10), 3000: (5_000_000, 30), 10000: (2_000_000, 100)}
RFQ_QUOTE_USD = 500_000
SWAP_USD = 10_000
TIMING_RUNS = 50
# the router weighs a split's extra gas at 20 gwei (paid in ETH = WETH here)
GAS_PRICE_WEI = 20 * 10**9


class Bench:
    """The six-source USDC/WETH market and the aggregator over it."""

    def __init__(self):
        self.deployer, self.maker, self.trader = (accounts.test_accounts[i] for i in (0, 20, 21))
        d = self.deployer
        # The venues and the aggregator as the deploy script's steps build them
        # (keepers/<domain>/deploy.py). USDC is deployed before any grant: its address (so the
        # pools' token order) stays that of the committed figures.
        dep = Deployment.in_memory(d)
        deploy_access(dep, {})
        self.usdc = deploy_stablecoin(dep, "USDC")
        # the deployer mints the local USDC
        send_to_manager(dep, grant_calls(dep, "OPERATOR", d.address))
        uniswap = deploy_uniswap(dep, {"uniswap_v2": V2_DEPTH})
        self.weth = container("WETH9").at(uniswap.weth)
        self.router02 = container("UniswapV2Router02").at(uniswap.router02)
        self.swap_router = container("SwapRouter").at(uniswap.swap_router)
        # No oracle bound on the benchmark's routes (the zero address).
        self.aggregator = deploy_aggregator(dep, "0x" + "00" * 20, 300, 50)
        self.rfq = project.RfqVenue.at(deploy_rfq_venue(dep, self.aggregator))
        adapters = deploy_adapters(dep, ("uniswap_v2", "uniswap_v3", "rfq"), uniswap.quoter)
        self.usdc.mint(d, 10**9 * USDC_UNIT, sender=d)
        # ETH to wrap for the pools (local chain)
        chain.provider.set_balance(d.address, 100_000 * UNIT)
        self.weth.deposit(value=20_000 * UNIT, sender=d)
        self.sources: dict[str, str] = {}
        for name, usd in V2_DEPTH.items():
            factory = uniswap.v2_factories[name]
            factory.createPair(self.usdc, self.weth, sender=d)
            pair = container("UniswapV2Pair").at(factory.getPair(self.usdc, self.weth))
            self.usdc.transfer(pair, usd * USDC_UNIT, sender=d)
            self.weth.transfer(pair, usd * UNIT // ETH_USD, sender=d)
            pair.mint(d, sender=d)
            self.sources[f"V2.{name}"] = pair.address
        for fee, (usd, range_pct) in V3_DEPTH.items():
            uniswap.v3_factory.createPool(self.usdc, self.weth, fee, sender=d)
            pool = container("UniswapV3Pool").at(
                uniswap.v3_factory.getPool(self.usdc, self.weth, fee)
            )
            seed_v3_position(
                d,
                uniswap.position_manager,
                pool,
                self.usdc,
                self.weth,
                fee,
                usd * USDC_UNIT,
                usd * UNIT // ETH_USD,
                range_pct,
            )
            self.sources[f"V3.{fee}"] = pool.address
        self.sources["RFQ"] = self.rfq.address
        list_sources(
            dep,
            self.aggregator,
            adapters,
            {
                name: (
                    address,
                    "rfq"
                    if name == "RFQ"
                    else ("uniswap_v2" if name.startswith("V2") else "uniswap_v3"),
                )
                for name, address in self.sources.items()
            },
        )
        self.weth.deposit(value=2_000 * UNIT, sender=self.maker)
        self.weth.approve(self.rfq, 2**256 - 1, sender=self.maker)
        self.usdc.mint(self.trader, 10**8 * USDC_UNIT, sender=d)
        self.weth.deposit(value=1 * UNIT, sender=self.trader)  # the trader already holds WETH

    def rfq_data(self, amount_in: int) -> bytes:
        quote = make_quote(
            self.maker.address,
            self.usdc.address,
            self.weth.address,
            amount_in,
            UNIT / USDC_UNIT / ETH_USD,
            5,
            int(time.time_ns()) % 2**64,
            chain.pending_timestamp + 3_600,
            # named for the trader, as the market maker quotes
            taker=self.trader.address,
        )
        return sign_quote(
            quote, self.maker.private_key, chain.chain_id, self.rfq.address
        ).hop_data()

    def route(self, legs: list[tuple[str, int]]) -> tuple:
        total = sum(a for _, a in legs)
        return encode_route(
            self.usdc,
            self.weth,
            total,
            1,
            self.trader.address,
            chain.pending_timestamp + 3_600,
            0,
            [
                (a, [(self.sources[n], self.weth.address, self.rfq_data(a) if n == "RFQ" else b"")])
                for n, a in legs
            ],
        )

    def gas_in_snapshot(self, approve_to: str, amount: int, send) -> int:
        snapshot = chain.snapshot()
        try:
            self.usdc.approve(approve_to, amount, sender=self.trader)
            # A fixed 12 s step: every measured swap updates the pools' time-weighted price slots
            # (V2 skips them within one second), as a swap in a new block on a live chain does.
            chain.pending_timestamp = chain.blocks.head.timestamp + 12
            return int(send().gas_used)
        finally:
            chain.restore(snapshot)


def measure_gas(bench: Bench) -> dict[str, int]:
    amount, trader, deadline = SWAP_USD * USDC_UNIT, bench.trader, chain.pending_timestamp + 86_400
    agg = bench.aggregator
    # Warm-up: the trader's WETH balance slot and the pools' oracle slots exist, as in steady state.
    for legs in (
        [("V2.A", amount)],
        [("V2.B", amount)],
        [("V3.500", amount)],
        [("V3.3000", amount)],
    ):
        bench.usdc.approve(agg, amount, sender=trader)
        agg.swap(bench.route(legs), sender=trader)
    chain.mine(1)
    gas = {
        "liquidity.v2_router02_one_hop": bench.gas_in_snapshot(
            bench.router02,
            amount,
            lambda: bench.router02.swapExactTokensForTokens(
                amount, 0, [bench.usdc, bench.weth], trader, deadline, sender=trader
            ),
        ),
        "liquidity.v2_via_aggregator": bench.gas_in_snapshot(
            agg, amount, lambda: agg.swap(bench.route([("V2.A", amount)]), sender=trader)
        ),
        "liquidity.v3_swaprouter_exact_input_single": bench.gas_in_snapshot(
            bench.swap_router,
            amount,
            lambda: bench.swap_router.exactInputSingle(
                (bench.usdc, bench.weth, 500, trader, deadline, amount, 0, 0), sender=trader
            ),
        ),
        "liquidity.v3_via_aggregator": bench.gas_in_snapshot(
            agg, amount, lambda: agg.swap(bench.route([("V3.500", amount)]), sender=trader)
        ),
        "liquidity.split_2_sources_v2_v3": bench.gas_in_snapshot(
            agg,
            amount,
            lambda: agg.swap(
                bench.route([("V2.A", amount // 2), ("V3.500", amount - amount // 2)]),
                sender=trader,
            ),
        ),
        "liquidity.split_3_sources_v2_v2_v3": bench.gas_in_snapshot(
            agg,
            amount,
            lambda: agg.swap(
                bench.route(
                    [
                        ("V2.A", amount // 3),
                        ("V2.B", amount // 3),
                        ("V3.500", amount - 2 * (amount // 3)),
                    ]
                ),
                sender=trader,
            ),
        ),
        "liquidity.rfq_via_aggregator": bench.gas_in_snapshot(
            agg, amount, lambda: agg.swap(bench.route([("RFQ", amount)]), sender=trader)
        ),
    }
    # The floor: the aggregator's own Uniswap swap code with none of its checks (BareUniswapSplit),
    # so the aggregator's figure minus this is what its properties cost.
    bare = bench.deployer.deploy(project.BareUniswapSplit)
    pair, pool, usdc, weth = bench.sources["V2.A"], bench.sources["V3.500"], bench.usdc, bench.weth
    gas["liquidity.floor_v2_one_hop_no_checks"] = bench.gas_in_snapshot(
        bare, amount, lambda: bare.split(pair, pool, usdc, weth, amount, 0, trader, sender=trader)
    )
    gas["liquidity.floor_split_2_sources_no_checks"] = bench.gas_in_snapshot(
        bare,
        amount,
        lambda: bare.split(
            pair, pool, usdc, weth, amount // 2, amount - amount // 2, trader, sender=trader
        ),
    )
    return gas


def measure_router(bench: Bench) -> tuple[dict, list[dict]]:
    """Router computation (split over six sources from one quote grid; a 10-token graph) and the
    execution-quality table: the router's split against the best single source."""
    kinds = {
        n: "rfq" if n == "RFQ" else ("uniswap_v2" if n.startswith("V2") else "uniswap_v3")
        for n in bench.sources
    }
    router = Router(
        bench.aggregator,
        [Source(a, n, kinds[n]) for n, a in bench.sources.items()],
        gas_cost_out=float(GAS_PRICE_WEI),
    )
    venues = list(bench.aggregator.venues())
    depth = V2_DEPTH["A"] * USDC_UNIT
    amount = depth // 20
    grid = [amount * k // 16 for k in range(1, 17)]
    data = [
        bench.rfq_data(RFQ_QUOTE_USD * USDC_UNIT) if v.lower() == bench.rfq.address.lower() else b""
        for v in venues
    ]
    _, outputs = bench.aggregator.quote.call(bench.usdc, bench.weth, grid, data)
    outs = np.array([[int(o) for o in row] for row in outputs], dtype=float)
    gas = np.full(len(venues), 100_000)
    timings = {
        "routing.split_6_sources_16_point_grid": timed(
            lambda: best_split(np.array(grid, dtype=float), outs, amount, gas, 1e-3, 60_000),
            TIMING_RUNS,
        )
    }
    rng = np.random.default_rng(3)
    prices = rng.uniform(0.5, 2.0, 10)
    edges = [
        Edge(i, j, prices[i] / prices[j] * (1 - f), f"v{i}{j}{k}")
        for i in range(10)
        for j in range(10)
        if i != j
        for k, f in enumerate((0.0005, 0.003, 0.01))
    ]

    def graph():
        best_path(10, edges, 0, 9, 3)
        find_arbitrage(10, edges)

    timings["routing.graph_10_tokens_270_edges"] = timed(graph, TIMING_RUNS)
    quality = []
    for with_rfq in (True, False):
        for pct in (0.1, 0.5, 1, 2, 5, 10):
            quality.append(_quality_row(bench, router, depth, pct, with_rfq))
    return timings, quality


def _quality_row(bench: Bench, router: Router, depth: int, pct: float, with_rfq: bool) -> dict:
    """One order through the router's split, executed, against the best single source."""
    order = int(depth * pct / 100)
    snapshot = chain.snapshot()
    try:
        # A later second than every pool's last trade, as for an order arriving in a new block: each
        # pool then writes its price accumulators / oracle observation. Without the step the figure
        # depended on whether the wall clock had ticked since the seeding (up to 14,000 gas apart).
        chain.mine(timestamp=chain.blocks.head.timestamp + 12)
        source_data = (
            {bench.rfq.address.lower(): bench.rfq_data(RFQ_QUOTE_USD * USDC_UNIT)}
            if with_rfq
            else {}
        )
        plan = router.plan(
            bench.usdc.address,
            bench.weth.address,
            order,
            bench.trader.address,
            chain.pending_timestamp + 3_600,
            source_data=source_data,
            depth_hints=[RFQ_QUOTE_USD * USDC_UNIT] if with_rfq else None,
        )
        bench.usdc.approve(bench.aggregator, order, sender=bench.trader)
        before = int(bench.weth.balanceOf(bench.trader))
        receipt = bench.aggregator.swap(plan.route, sender=bench.trader)
        received = int(bench.weth.balanceOf(bench.trader)) - before
    finally:
        chain.restore(snapshot)
    return {
        "sources": "all six" if with_rfq else "AMMs only (no RFQ quote)",
        "order_pct_of_v2a_depth": pct,
        "order_usdc": order / USDC_UNIT,
        "sources_used": [n for n, _, _ in plan.legs],
        "split_out_weth": received / UNIT,
        "best_single_source": plan.best_single[0],
        "best_single_out_weth": plan.best_single[1] / UNIT,
        "improvement_bps": round((received - plan.best_single[1]) / plan.best_single[1] * 10_000, 2)
        + 0.0,
        "predicted_equals_executed": received == plan.predicted_out,
        "gas_used": receipt.gas_used,
    }


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure the liquidity layer into benchmarks/ (gas.json, timings.json,
    execution_quality.json)."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    bench = Bench()
    gas = measure_gas(bench)
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:45} {value:>10,}")
    timings, quality = measure_router(bench)
    merge_json(TIMINGS_FILE, timings)
    QUALITY_FILE.write_text(json.dumps(quality, indent=2) + "\n")
    for name, t in sorted(timings.items()):
        click.echo(
            f"{name:55} median {t['median_s'] * 1000:.2f} ms, max {t['max_s'] * 1000:.2f} ms"
        )
    for row in quality:
        click.echo(
            f"{row['sources']:26} {row['order_pct_of_v2a_depth']:>5}% of depth: "
            f"{len(row['sources_used'])} sources, {row['improvement_bps']:>8.2f} bps better than "
            f"{row['best_single_source']} (gas {row['gas_used']:,})"
        )
