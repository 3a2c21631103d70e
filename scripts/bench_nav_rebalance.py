"""`ape run bench_nav_rebalance`: gas of the rebalances `make demo` executes — four trades through
the issuer's NAV desk on the deployed protocol — measured on an equivalent scenario, since the demo
itself is too heavy to run beside other work (benchmarks/README.md, "The NAV-desk rebalance").

The protocol is built by the deploy script's own steps (`scripts/deploy.py`: access manager,
compliance stack, the Quantera Income Fund's five assets — local USDC and four security tokens, each
with its compliance engine — oracle feeds, risk engine, vault with its share compliance engine, the
liquidity venues with the NAV desk and the aggregator, the AutoRebalancer with the portfolio's
strategy, intents signed by and bound to the signal keeper's key). As in the demo
(`keepers/demo/rebalancing.py`), every trade routes through the NAV desk only, and each rebalance
runs on a new UTC day (the desk's daily capacity starts afresh). Three rebalances of a $1,000,000
fund:
  - the first allocation: four subscriptions (cash into QTF, QSPX, QNDX, QOIL);
  - a steady-state rebalance a day later, after price moves: two redemptions and two subscriptions;
  - a de-risking rebalance the day after: four redemptions into cash.
and, for the last two, the floor: `BareRebalance` making the same trades through the NAV desk with
only the interactions issue 6 requires (benchmarks/README.md).
Written to benchmarks/gas.json (`rebalance.nav_desk_*`).
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, network_option
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from keepers.access import renounce_temporary_roles
from keepers.core.artifacts import project_at
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.deployments import DeploymentRecord
from keepers.liquidity.codec import encode_legs, encode_route
from keepers.rebalancing.intent import RebalanceIntent, account_signer
from keepers.vault import load_portfolio

_spec = importlib.util.spec_from_file_location(
    "quantera_deploy", Path(__file__).with_name("deploy.py")
)
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

GAS_FILE = Path("benchmarks") / "gas.json"
USDC_UNIT, UNIT = 10**6, 10**18
DAY = 86_400
DEPOSIT_USD = 1_000_000
SYMBOLS = ("USDC", "QTF", "QSPX", "QNDX", "QOIL")
# Day 1's price moves against the deployment's opening prices (the history's last close): equities
# up, crude down, so the fund sells the two equity funds above target and buys the T-bill fund and
# crude below it.
MOVES_DAY1 = (1.0, 1.0001, 1.075, 1.08, 0.9)
FIRST_TARGETS = (2_500, 2_500, 2_500, 1_500, 1_000)  # four subscriptions
STEADY_TARGETS = (2_000, 3_000, 2_100, 1_400, 1_500)  # QSPX, QNDX redeemed; QTF, QOIL subscribed
# Day 2: equities and crude fall back, and the fund de-risks into cash: four redemptions.
MOVES_DAY2 = (1.0, 1.0002, 1.0, 1.0, 0.95)
DERISK_TARGETS = (4_500, 2_500, 1_400, 900, 700)
DOMAIN = "Quantera AutoRebalancer"
# Test accounts as `ape run deploy all` assigns them on a local network.
DEPLOYER, GUARDIAN, GOVERNOR, OPERATOR, AGENT, COMPLIANCE_KEEPER = 0, 1, 2, 3, 5, 6
RISK_KEEPER, PRICE_REPORTER, EXECUTOR, INVESTOR, SIGNAL_KEEPER = 7, 8, 9, 19, 22


class NavDeskBench:
    """The deployed protocol (deploy script steps), a $1,000,000 fund, and the NAV desk as the only
    route of every trade."""

    def __init__(self, record_dir: Path):
        t = accounts.test_accounts
        self.deployer = t[DEPLOYER]
        d = Deployment(
            sender=self.deployer,
            record=DeploymentRecord(network="ethereum:local", chain_id=chain.chain_id),
            path=record_dir / "ethereum-local.json",
            echo=click.echo,
        )
        # The deploy script's own sequence, as `deploy all` configures a local network.
        deploy.deploy_protocol(d, deploy.local_test_config(), None)
        renounce_temporary_roles(d)
        record = d.record
        at = lambda kind, name: project_at(kind, record.address_of(name))  # noqa: E731
        self.vault, self.risk = (
            at("PortfolioVault", "PortfolioVault"),
            at("RiskEngine", "RiskEngine"),
        )
        self.oracle, self.aggregator = (
            at("OracleRouter", "OracleRouter"),
            at("LiquidityAggregator", "LiquidityAggregator"),
        )
        self.rebalancer, self.nav = (
            at("AutoRebalancer", "AutoRebalancer"),
            at("NavVenue", "NavVenue"),
        )
        self.lens = at("RebalancerLens", "RebalancerLens")
        self.manager = at("QuanteraAccessManager", "QuanteraAccessManager")
        self.tokens = [project.SecurityToken.at(a) for a in self.vault.assets()]
        self.feeds = [
            project.ReporterPriceFeed.at(self.oracle.feedOf(a).primary) for a in self.vault.assets()
        ]
        self.signer = t[SIGNAL_KEEPER]
        self.sign = account_signer(self.signer, DOMAIN, chain.chain_id, self.rebalancer.address)
        self.names = {
            c.address.lower(): n
            for n, c in (
                ("vault", self.vault),
                ("risk", self.risk),
                ("oracle", self.oracle),
                ("aggregator", self.aggregator),
                ("rebalancer", self.rebalancer),
                ("NAV desk", self.nav),
                ("manager", self.manager),
            )
        }
        self.names.update(
            {str(a).lower(): n for n, a in record.contracts.items() if n not in self.names.values()}
        )
        self.names.update({tk.address.lower(): s for s, tk in zip(SYMBOLS, self.tokens)})
        # The vault's basket module (one per build, `basketModule`).
        self.names[str(self.vault.basketModule()).lower()] = "vault basket module"
        self.names.update({f.address.lower(): f"feed {s}" for s, f in zip(SYMBOLS, self.feeds)})

        # The demo's opening: security tokens trading, a verified investor's deposit, the risk
        # keeper's model and sync on the day's prices.
        agent, operator, investor = t[AGENT], t[OPERATOR], t[INVESTOR]
        for token in self.tokens[1:]:
            if token.paused():
                token.unpause(sender=agent)
        registry = at("IdentityRegistry", "IdentityRegistry")
        registry.registerInvestor(investor, "0x" + "e9" * 20, 840, 4, 2**40 - 1, sender=operator)
        usdc = project.LocalStablecoin.at(self.tokens[0].address)
        usdc.mint(investor, DEPOSIT_USD * USDC_UNIT, sender=operator)
        usdc.approve(self.vault, DEPOSIT_USD * USDC_UNIT, sender=investor)
        self.vault.deposit(DEPOSIT_USD * USDC_UNIT, investor, sender=investor)
        self.opening = [int(feed.latestRoundData()[1]) for feed in self.feeds]
        self.new_day(self.opening)
        # A calm model (daily vols in ppm, correlations 1e-4) the portfolio's limits pass at both
        # targets.
        vols = [100, 300, 12_000, 15_000, 20_000]
        correlations = [0, 0, 0, 0, 1_000, 1_000, 500, 8_000, 3_000, 3_000]
        stress = [0, 0, 1_500, 2_000, 3_000]
        metrics = (100, 150, 180, 800, 0, 0, 0, 0, 5_000, 2_500, 1)
        model = (
            int(self.risk.metricsOf(self.vault)[1]) + 1,
            chain.blocks.head.timestamp - 1,
            vols,
            correlations,
            2_600_000,
            stress,
            metrics,
        )
        self.risk.publishModel(self.vault, model, sender=t[RISK_KEEPER])

        # The floor (contracts/test/BareRebalance.sol) for the same trades: the fund's assets,
        # prices, venues, risk limits and model; a verified identity (it holds security tokens), one
        # signer.
        self.agent, self.operator = agent, operator
        self.floor_key = Account.create("nav floor signer")
        self.floor = floor = self.deployer.deploy(
            project.BareRebalance,
            self.oracle,
            self.aggregator,
            self.risk,
            [tk.address for tk in self.tokens],
            [6, 18, 18, 18, 18],
            [self.floor_key.address],
            1,
        )
        registry.registerInvestor(floor, "0x" + "fb" * 20, 840, 4, 2**40 - 1, sender=operator)
        portfolio = load_portfolio()
        self.risk.configure(
            floor, portfolio.asset_risk(), portfolio.limits_tuple(), sender=t[GOVERNOR]
        )
        self.risk.publishModel(floor, (1,) + model[1:], sender=t[RISK_KEEPER])
        self.names[floor.address.lower()] = "floor"

    def new_day(self, prices) -> None:
        """The next UTC day (the NAV desk's capacity restarts), the day's feed answers reported, a
        sync."""
        now = chain.blocks.head.timestamp
        chain.mine(timestamp=(now // DAY + 1) * DAY + 60)
        for feed, price in zip(self.feeds, prices):
            feed.report(int(price), sender=accounts.test_accounts[PRICE_REPORTER])
        self.risk.sync(self.vault, sender=self.deployer)

    def intent(self, targets) -> RebalanceIntent:
        rb, vault = self.rebalancer, self.vault
        return RebalanceIntent(
            vault.address,
            self.lens.strategyOf(rb, vault)[1],
            targets,
            100,
            self.lens.stateOf(rb, vault)[0],
            chain.pending_timestamp + 600,
            b"\x01" * 32,
            b"\x02" * 32,
        )

    def rebalance(self, targets, basket: bool = True):
        """The rebalance to `targets`, settled as one basket at the NAV desk (the one 20-byte
        route: `IPortfolioVault.tradeBasket` -> `INavVenue.swapBasket`), or with `basket=False`
        one aggregator route per trade through the desk (the path before the basket)."""
        rb = self.rebalancer
        intent = self.intent(targets)
        preview = self.lens.previewRebalance(rb, intent.as_tuple())
        if preview.blocker != b"\x00" * 4:
            raise click.ClickException(f"the rebalance would be refused: {preview.blocker.hex()}")
        if basket:
            routes = [bytes.fromhex(self.nav.address[2:])]
        else:
            routes = [
                encode_legs(
                    [(1, [(self.nav.address, self.tokens[int(trade.buyIndex)].address, b"")])]
                )
                for trade in preview.trades
            ]
        _, signature = self.sign(intent)
        receipt = rb.rebalance(
            intent.as_tuple(), [self.signer.address], [signature], routes, sender=self.signer
        )
        names = [log.event_name for log in receipt.events]
        fills = sum(1 for n in names if n in ("Subscribed", "Redeemed"))
        trades = names.count("BasketTraded") if basket else names.count("Traded")
        if fills != 4 or trades != (1 if basket else 4):
            raise click.ClickException(
                "each benchmark rebalance should make four fills at the NAV desk "
                f"({'one basket' if basket else 'four trades'})"
            )
        return receipt

    def rebalance_per_trade(self, targets) -> int:
        """Gas of the same rebalance with one aggregator route per trade, in a snapshot."""
        snapshot = chain.snapshot()
        try:
            return self.rebalance(targets, basket=False).gas_used
        finally:
            chain.restore(snapshot)


def measure_floor(bench: NavDeskBench, targets, inspect=None) -> int:
    """Gas of `BareRebalance` making the trades the AutoRebalancer would make now through the NAV
    desk, from the vault's holdings (minted to it), in a snapshot that is then restored."""
    snapshot = chain.snapshot()
    try:
        floor = bench.floor
        usdc = project.LocalStablecoin.at(bench.tokens[0].address)
        for token, amount in zip(bench.tokens, bench.vault.holdings()):
            if token == bench.tokens[0]:
                usdc.mint(floor, amount, sender=bench.operator)
            else:
                token.mint(floor, amount, sender=bench.agent)
        bench.risk.sync(floor, sender=bench.deployer)
        intent = bench.intent(targets)
        words, routes = [], []
        for trade in bench.lens.previewRebalance(bench.rebalancer, intent.as_tuple()).trades:
            sell, buy, amount = int(trade.sellIndex), int(trade.buyIndex), int(trade.sellAmount)
            words.append(sell | buy << 8 | intent.max_slippage_bps << 16 | amount << 128)
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
                    [(amount, [(bench.nav.address, token_out, b"")])],
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
        digest = keccak(
            b"\x19\x01"
            + keccak(encode(["uint256", "address"], [chain.chain_id, floor.address]))
            + keccak(fields)
        )
        signature = Account.unsafe_sign_hash(digest, bench.floor_key.key).signature
        receipt = floor.rebalance(fields, [signature], words, routes, sender=bench.signer)
        if (
            len(words) != 4
            or sum(1 for log in receipt.events if log.event_name == "RouteExecuted") != 4
        ):
            raise click.ClickException("the floor should make exactly the rebalancer's four trades")
        if inspect is not None:
            inspect(receipt)
        return receipt.gas_used
    finally:
        chain.restore(snapshot)


def measure_gas(bench: NavDeskBench, keep_receipts: bool = False, inspect_floor=None) -> dict:
    """The first allocation (day 0), a steady-state rebalance (day 1: two redemptions, two
    subscriptions) and a de-risking one (day 2: four redemptions), each with its floor."""
    first_per_trade = bench.rebalance_per_trade(FIRST_TARGETS)
    first = bench.rebalance(FIRST_TARGETS)
    bench.new_day([round(p * m) for p, m in zip(bench.opening, MOVES_DAY1)])
    steady_floor = measure_floor(bench, STEADY_TARGETS, inspect_floor)
    steady_per_trade = bench.rebalance_per_trade(STEADY_TARGETS)
    steady = bench.rebalance(STEADY_TARGETS)
    bench.new_day([round(p * m) for p, m in zip(bench.opening, MOVES_DAY2)])
    derisk_floor = measure_floor(bench, DERISK_TARGETS)
    derisk_per_trade = bench.rebalance_per_trade(DERISK_TARGETS)
    derisk = bench.rebalance(DERISK_TARGETS)
    gas = {
        "rebalance.nav_desk_per_trade_first_allocation_5_assets_4_trades": first_per_trade,
        "rebalance.nav_desk_per_trade_steady_state_5_assets_4_trades": steady_per_trade,
        "rebalance.nav_desk_per_trade_derisk_5_assets_4_redemptions": derisk_per_trade,
        "rebalance.nav_desk_first_allocation_5_assets_4_trades": first.gas_used,
        "rebalance.nav_desk_steady_state_5_assets_4_trades": steady.gas_used,
        "rebalance.nav_desk_derisk_5_assets_4_redemptions": derisk.gas_used,
        "rebalance.nav_desk_floor_steady_state_5_assets_4_trades": steady_floor,
        "rebalance.nav_desk_floor_derisk_5_assets_4_redemptions": derisk_floor,
    }
    if keep_receipts:
        return {**gas, "first_receipt": first, "steady_receipt": steady, "derisk_receipt": derisk}
    return gas


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
def cli(ecosystem, network, provider):
    """Measure the demo's NAV-desk rebalances (deployed protocol, security tokens) into
    benchmarks/."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    with tempfile.TemporaryDirectory() as record_dir:
        gas = measure_gas(NavDeskBench(Path(record_dir)))
    merge_json(GAS_FILE, gas)
    for name, value in sorted(gas.items()):
        click.echo(f"{name:55} {value:>10,}")
