"""`ape run bench_rebalance`: gas of a four-asset rebalance with three trades through the
AutoRebalancer (run by `make bench` after `bench_liquidity`), and the signal model's timings.

Like the liquidity benchmarks, the gas scenario trades plain ERC-20s (the local USDC and three
18-decimal WETH9 tokens standing for the funds) on the real Uniswap V2, so the figure is the
rebalancer's own cost plus the venues', not the security tokens' compliance checks. Every other
part is the deployed one: OracleRouter prices (the strategy prices with the RiskEngine's snapshot
when it is at most 300 s old: the risk keeper's sync precedes the steady state), RiskEngine limits
and model, PortfolioVault, LiquidityAggregator, 2-of-3 EIP-712 signatures. Two figures: the first
allocation (three purchases into empty positions: the vault's first balance of each token is a new
storage slot) and a steady-state rebalance (one sale, two purchases, every balance already held);
and, for the steady state's three trades, the floor: `BareRebalance` doing only the interactions
issue 6 requires (benchmarks/README.md). Written to benchmarks/gas.json and benchmarks/timings.json.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from keepers.access import as_role, deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry
from keepers.core.benchmarking import merge_json, timed
from keepers.core.deploying import Deployment
from keepers.liquidity import (
    deploy_adapters,
    deploy_aggregator,
    encode_legs,
    encode_route,
    list_sources,
)
from keepers.liquidity.artifacts import container
from keepers.rebalancing import deploy_rebalancer, rebalance_vault
from keepers.rebalancing.intent import RebalanceIntent, sign_intent
from keepers.risk import (
    configure_steps,
    deploy_feeds,
    deploy_oracle,
    deploy_risk_engine,
    feed_config,
    set_feeds,
)
from keepers.vault import deploy_stablecoin, deploy_vault, register_steps, vault_steps

GAS_FILE = Path("benchmarks") / "gas.json"
TIMINGS_FILE = Path("benchmarks") / "timings.json"
USDC_UNIT, UNIT = 10**6, 10**18
PRICES = [1, 100, 80, 50]  # USD: USDC and three funds
POOL_USD = 10_000_000  # per side of each V2 pool
DEPOSIT_USD = 100_000
FIRST_TARGETS = (4_000, 3_000, 1_500, 1_500)
STEADY_TARGETS = (3_000, 2_500, 2_500, 2_000)  # sell fund 1, buy funds 2 and 3
US, FAR_FUTURE = 840, 2**40 - 1
ZERO = "0x" + "00" * 20
DOMAIN = "Quantera AutoRebalancer"
# The strategy prices with the RiskEngine's snapshot when it is at most this old (the benchmark
# syncs right before the rebalance, as the risk keeper does after each price report).
MAX_SNAPSHOT_AGE = 300


class RebalanceBench:
    def __init__(self):
        d, governor, operator, reporter, keeper, investor, relayer = (
            accounts.test_accounts[i] for i in (0, 2, 3, 11, 10, 13, 21)
        )
        self.relayer, self.deployer = relayer, d
        # The protocol as the deploy script's steps build it (keepers/<domain>/deploy.py); the
        # funds' tokens and their pools are the benchmark's own (plain ERC-20s, see above).
        dep = Deployment.in_memory(d)
        self.manager = deploy_access(
            dep,
            {
                "GOVERNOR": governor,
                "OPERATOR": operator,
                "RISK_KEEPER": keeper,
                "PRICE_REPORTER": reporter,
            },
        )
        deploy_registry(dep)
        usdc = deploy_stablecoin(dep, "USDC")
        chain.provider.set_balance(d.address, 10**9 * UNIT)
        self.tokens = [usdc] + [d.deploy(container("WETH9")) for _ in range(3)]
        usdc.mint(d, 10**10 * USDC_UNIT, sender=operator)
        for token, price in zip(self.tokens[1:], PRICES[1:]):
            token.deposit(value=3 * POOL_USD // price * UNIT, sender=d)
        self.oracle = router = deploy_oracle(dep)
        symbols = ["USDC", "F1", "F2", "F3"]
        feeds = deploy_feeds(dep, {s: price * 10**8 for s, price in zip(symbols, PRICES)})
        set_feeds(
            dep,
            router,
            {s: (t, feed_config(feeds[s].address)) for s, t in zip(symbols, self.tokens)},
        )
        self.feeds = [feeds[s] for s in symbols]
        self.risk = risk = deploy_risk_engine(dep, router)
        self.vault = vault = deploy_vault(
            dep,
            usdc,
            "Bench Fund",
            "BF",
            risk,
            router,
            share_jurisdictions=[(US, (True, 1, 0, 0, 0))],
        )
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
        risk_assets = [(10_000, 0, True), (5_000, 1, True), (5_000, 3, False), (5_000, 5, False)]
        listings = vault_steps(
            dep,
            vault,
            [(s, t.address) for s, t in zip(symbols[1:], self.tokens[1:])],
            trade_limits=(300, 10**6 * 10**18, 86_400),  # the vault's own bound, loose here
        )
        as_role(
            dep,
            "GOVERNOR",
            listings
            + configure_steps(dep, risk, vault, risk_assets, limits, assets_to_list=len(listings)),
        )
        as_role(
            dep,
            "OPERATOR",
            register_steps(
                dep,
                [
                    ("the vault", vault.address, f"0x{0xF0:040x}"),
                    ("the investor", investor.address, f"0x{0xF2:040x}"),
                ],
            ),
        )
        model = (
            1,
            chain.pending_timestamp - 60,
            [500, 300, 6_000, 9_000],
            [0, 0, 0, 2_000, 1_000, 3_000],
            2_600_000,
            [0, 30, 1_200, 2_500],
            (0,) * 11,
        )
        risk.publishModel(vault, model, sender=keeper)

        self.aggregator = aggregator = deploy_aggregator(dep, router, 300, 50)
        adapters = deploy_adapters(dep, ("uniswap_v2",))
        factory = d.deploy(container("UniswapV2Factory"), d)
        self.pairs, sources = [], {}
        for symbol, token, price in zip(symbols[1:], self.tokens[1:], PRICES[1:]):
            factory.createPair(usdc, token, sender=d)
            pair = container("UniswapV2Pair").at(factory.getPair(usdc, token))
            usdc.transfer(pair, POOL_USD * USDC_UNIT, sender=d)
            token.transfer(pair, POOL_USD // price * UNIT, sender=d)
            pair.mint(d, sender=d)
            self.pairs.append(pair.address)
            sources[f"UniswapV2Pair.{symbol}-USDC"] = (pair.address, "uniswap_v2")
        list_sources(dep, aggregator, adapters, sources)

        self.rebalancer = rb = deploy_rebalancer(dep)
        self.lens = dep.at("RebalancerLens")
        self.keys = sorted(
            (Account.create(f"bench signer {i}") for i in range(3)),
            key=lambda a: int(a.address, 16),
        )
        # As deployed: intents bound to the keeper that relays them (SEC-4), which is also what
        # lets the strategy price with the RiskEngine's snapshot (RBL-14).
        rebalance_vault(
            dep,
            rb,
            vault,
            (
                [500, 0, 0, 0],
                [10_000, 5_000, 5_000, 5_000],
                100,
                4_000,
                200,
                2,
                3_600,
                86_400,
                500 * 10**9,
                50_000 * UNIT,
                MAX_SNAPSHOT_AGE,
            ),
            [k.address for k in self.keys],
            self.relayer.address,
        )
        renounce_temporary_roles(dep)
        usdc.transfer(investor, DEPOSIT_USD * USDC_UNIT, sender=d)
        usdc.approve(vault, DEPOSIT_USD * USDC_UNIT, sender=investor)
        vault.deposit(DEPOSIT_USD * USDC_UNIT, investor, sender=investor)
        risk.sync(vault, sender=d)

        # The floor (contracts/test/BareRebalance.sol): the same assets, prices, venues, risk limits
        # and model, signed by the same keys; funded only inside `measure_floor`'s snapshot.
        self.floor = floor = d.deploy(
            project.BareRebalance,
            router,
            aggregator,
            risk,
            [t.address for t in self.tokens],
            [6, 18, 18, 18],
            [k.address for k in self.keys],
            2,
        )
        risk.configure(floor, risk_assets, limits, sender=governor)
        risk.publishModel(floor, model, sender=keeper)

    def intent(self, targets) -> RebalanceIntent:
        rb = self.rebalancer
        return RebalanceIntent(
            self.vault.address,
            self.lens.strategyOf(rb, self.vault)[1],
            targets,
            100,
            self.lens.stateOf(rb, self.vault)[0],
            chain.pending_timestamp + 600,
            b"\x01" * 32,
            b"\x02" * 32,
        )

    def rebalance(self, targets) -> object:
        rb = self.rebalancer
        intent = self.intent(targets)
        trades = self.lens.previewRebalance(rb, intent.as_tuple()).trades
        routes = []
        for trade in trades:
            risky = int(trade.buyIndex) if int(trade.sellIndex) == 0 else int(trade.sellIndex)
            routes.append(
                encode_legs(
                    [(1, [(self.pairs[risky - 1], self.tokens[int(trade.buyIndex)].address, b"")])]
                )
            )
        signers = self.keys[:2]
        signatures = [
            sign_intent(intent, k.key, DOMAIN, chain.chain_id, rb.address)[1] for k in signers
        ]
        return rb.rebalance(
            intent.as_tuple(), [k.address for k in signers], signatures, routes, sender=self.relayer
        )


def measure_floor(bench: RebalanceBench, targets, inspect=None) -> int:
    """Gas of `BareRebalance` making the trades the AutoRebalancer would make now, from the vault's
    holdings, in a snapshot that is then restored (benchmarks/README.md, "the floor"). `inspect`
    gets the receipt before the restore (`profile_rebalance` traces it)."""
    snapshot = chain.snapshot()
    try:
        floor, d = bench.floor, bench.deployer
        for token, amount in zip(bench.tokens, bench.vault.holdings()):
            token.transfer(floor, amount, sender=d)
        bench.risk.sync(floor, sender=d)
        intent = bench.intent(targets)
        words, routes = [], []
        for trade in bench.lens.previewRebalance(bench.rebalancer, intent.as_tuple()).trades:
            sell, buy, amount = int(trade.sellIndex), int(trade.buyIndex), int(trade.sellAmount)
            words.append(sell | buy << 8 | intent.max_slippage_bps << 16 | amount << 128)
            pair = bench.pairs[max(sell, buy) - 1]
            token_in, token_out = bench.tokens[sell].address, bench.tokens[buy].address
            routes.append(
                encode_route(
                    token_in,
                    token_out,
                    amount,
                    0,
                    floor,
                    intent.deadline,
                    0,
                    [(amount, [(pair, token_out, b"")])],
                )
            )
        fields = encode(
            [
                "uint256",
                "uint256",
                "address",
                "uint256",
                "uint16[]",
                "uint16",
                "bytes32",
                "bytes32",
            ],
            [
                floor.nextNonce(),
                intent.deadline,
                intent.portfolio,
                intent.strategy_id,
                list(intent.target_weights_bps),
                intent.max_slippage_bps,
                intent.model_version,
                intent.signal_hash,
            ],
        )
        domain = keccak(encode(["uint256", "address"], [chain.chain_id, floor.address]))
        digest = keccak(b"\x19\x01" + domain + keccak(fields))
        signatures = [Account.unsafe_sign_hash(digest, k.key).signature for k in bench.keys[:2]]
        receipt = floor.rebalance(fields, signatures, words, routes, sender=bench.relayer)
        if (
            len(words) != 3
            or sum(1 for log in receipt.events if log.event_name == "RouteExecuted") != 3
        ):
            raise click.ClickException(
                "the floor should make exactly the rebalancer's three trades"
            )
        if inspect is not None:
            inspect(receipt)
        return receipt.gas_used
    finally:
        chain.restore(snapshot)


def measure_gas(bench: RebalanceBench, keep_receipts: bool = False, inspect_floor=None) -> dict:
    """Gas of the first allocation, of the steady-state rebalance (with their receipts, for
    `profile_rebalance`, when `keep_receipts`) and of the floor for the same trades."""
    # Uniswap V2 writes its price accumulators only when a second or more has passed since the
    # pair's last update, and the first write (zero to non-zero) costs 17,100 more per slot: step
    # the clock so every pair's first swap (the first allocation) writes them, never the steady one.
    # Without this, a pair seeded in the same second as the first rebalance moved 34,200 gas into
    # the steady-state figure in some runs.
    chain.mine(timestamp=chain.blocks.head.timestamp + 12)
    first = bench.rebalance(FIRST_TARGETS)
    chain.mine(timestamp=chain.blocks.head.timestamp + 3_601)  # past the cooldown
    # the risk keeper refreshes the engine's prices
    bench.risk.sync(bench.vault, sender=bench.deployer)
    floor = measure_floor(bench, STEADY_TARGETS, inspect_floor)
    steady = bench.rebalance(STEADY_TARGETS)
    for receipt in (first, steady):
        if sum(1 for log in receipt.events if log.event_name == "Traded") != 3:
            raise click.ClickException("the benchmark rebalance should make exactly three trades")
    gas = {
        "rebalance.first_allocation_4_assets_3_trades": first.gas_used,
        "rebalance.steady_state_4_assets_3_trades": steady.gas_used,
        "rebalance.floor_steady_state_4_assets_3_trades": floor,
    }
    return {**gas, "first_receipt": first, "steady_receipt": steady} if keep_receipts else gas


def measure_signal() -> dict[str, dict]:
    """Model inference on one feature row, and a full signal cycle: features from the real history,
    the model's choice, the strategy's target weights within the risk limits, the rebalance plan
    (the on-chain maths' mirror) and the EIP-712 signature."""
    from keepers.rebalancing.cycle import load_market, signal_cycle
    from keepers.rebalancing.features import build_features
    from keepers.rebalancing.model import DEFAULT_MODEL, TrainedSelector, predict

    selector = TrainedSelector.load(DEFAULT_MODEL)
    market = load_market()
    features = build_features(
        market.prices,
        market.risky,
        market.tbill,
        fit_until=selector.network.meta["splits"]["train_until"],
    )
    row = features.iloc[[-1]]
    key = Account.create("bench signal signer")
    holdings = [10**12] + [10**21] * (len(market.portfolio.assets) - 1)
    prices = [10**18] + [100 * 10**18] * (len(market.portfolio.assets) - 1)

    def cycle():
        signal_cycle(
            market,
            selector,
            holdings,
            prices,
            nonce=0,
            strategy_id=1,
            portfolio=ZERO,
            verifying_contract=ZERO,
            chain_id=31337,
            key=key.key,
            deadline=2**40,
        )

    return {
        "signal.model_inference": timed(lambda: predict(selector, row), 200, warm_up=True),
        "signal.full_cycle": timed(cycle, 10, warm_up=True),
    }


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure the AutoRebalancer's gas and the signal timings into benchmarks/."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    gas = measure_gas(RebalanceBench())
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:50} {value:>10,}")
    timings = measure_signal()
    merge_json(TIMINGS_FILE, timings)
    for name, t in sorted(timings.items()):
        click.echo(
            f"{name:50} median {t['median_s'] * 1000:.2f} ms, max {t['max_s'] * 1000:.2f} ms"
        )
