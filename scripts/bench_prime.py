"""`ape run bench_prime` (run by `make bench` on a plain anvil:
`python scripts/on_plain_anvil.py -- .venv/bin/ape run bench_prime`): prime brokerage gas side by
side (issue 19, "Benchmarks") from real receipts on one fresh anvil — full transaction gas, 21,000
base included — into benchmarks/prime_gas.json, one section per side:

- `morpho_blue`: Morpho Blue 1.0.0 built from its npm package (`make build`), deployed by
  `keepers.prime.deploy_morpho_baseline` on the OracleRouter's prices: a WETH/USDC market at the
  86 % LLTV with the package's IrmMock (an IRM is called on every accrual, as on a production
  market; Morpho's AdaptiveCurveIrm is not on npm and also writes its rate state, so production
  figures are somewhat higher), 12 seconds between transactions so every action accrues interest.
  Scenarios: a lender's supply; supplyCollateral (a new position, then a top-up); borrow (the
  position's first, then another); a partial repay; withdrawCollateral; a partial liquidation
  after the oracle price fell 13 % (the liquidator already holding both tokens); a liquidation
  seizing all the collateral after a 37 % fall, realising bad debt.
- `morpho_blue_security_collateral`: the same scenarios on a market whose collateral is a Quantera
  SecurityToken (a T-bill fund share at $100; Morpho and the wallets verified institutional
  holders): every collateral move passes the compliance engine, as the PrimeBroker's will.
- `quantera`: the PrimeBroker (the lead's side, to add to `SIDES` as a function like
  `morpho_blue_side`: deposit x4 collateral, a borrow against four collateral assets, repay, a
  liquidation including its aggregator swap). `goal_lines` reads its `borrow_4_collateral` and
  `liquidate_with_swap` scenarios.

Each side is a function returning {scenario: gas}; `measured` is the one measuring helper.
`PRIME_GAS_REPORT=1` prints ape's per-call gas report of the last liquidation and borrow (where
the gas goes: docs/prime.md "Gas"). With
both sides present the issue's goals are checked: a borrow against four collateral assets within
1.5x Morpho's single-collateral borrow, a liquidation with its swap under 300,000 gas.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry, deploy_security
from keepers.core.artifacts import project_at
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.prime import MarketParams, MorphoBaseline, deploy_morpho_baseline, list_collateral
from keepers.prime.morpho import IRM_MOCK

PRIME_GAS_FILE = Path("benchmarks") / "prime_gas.json"
USD, ETH = 10**6, 10**18
US, INSTITUTIONAL, FAR_FUTURE = 840, 4, 2**40 - 1
OPEN = (True, 1, 0, 0, 0)  # jurisdiction allowed, retail and up, no holder caps
BLOCK_SECONDS = 12  # between measured transactions: each accrues interest, as on mainnet
# The goals for the PrimeBroker against Morpho Blue.
BORROW_4_COLLATERAL_MAX_RATIO = 1.5
LIQUIDATION_WITH_SWAP_MAX_GAS = 300_000


def measured(send: Callable[[], Any]) -> int:
    """Full transaction gas of `send()`'s receipt, sent `BLOCK_SECONDS` after the last block."""
    chain.pending_timestamp = chain.blocks.head.timestamp + BLOCK_SECONDS
    receipt = send()
    if receipt.failed:
        raise click.ClickException(f"transaction {receipt.txn_hash} failed")
    return receipt.gas_used


class MorphoMarket(NamedTuple):
    """One Morpho market under measurement: its params, its collateral token and how many units of
    it are worth $30,000 at the start price, and the feed that moves that price."""

    stack: MorphoBaseline
    params: MarketParams
    collateral: Any
    units: int  # smallest units worth $30,000 at `start_usd`
    feed: Any
    start_usd: float


def morpho_stack() -> tuple[Deployment, MorphoBaseline, dict[str, Any]]:
    """The baseline deployed on a fresh authority; the roles by name."""
    test = accounts.test_accounts
    roles = {
        "deployer": test[0],
        "GOVERNOR": test[2],
        "OPERATOR": test[3],
        "AGENT": test[4],
        "PRICE_REPORTER": test[9],
    }
    d = Deployment.in_memory(roles["deployer"])
    deploy_access(d, {role: roles[role] for role in ("GOVERNOR", "OPERATOR", "PRICE_REPORTER")})
    return d, deploy_morpho_baseline(d), roles


def morpho_scenarios(market: MorphoMarket, roles: dict[str, Any], funded: Callable) -> dict:
    """Gas of each Morpho scenario on `market`; `funded(wallet, units)` gives a wallet collateral
    (approved to Morpho). $30,000 of collateral twice, $40,000 borrowed, ..., then the price falls
    13.3 % (a partial liquidation) and 36.7 % (all collateral seized, bad debt realised)."""
    test = accounts.test_accounts
    lender, borrower, liquidator, underwater = (test[i] for i in (10, 11, 12, 13))
    morpho, usdc, params, x = market.stack.morpho, market.stack.loan, market.params, market.units
    call = params.as_tuple()
    for wallet in (lender, liquidator, borrower, underwater):
        usdc.mint(wallet, 2_000_000 * USD, sender=roles["OPERATOR"])
        usdc.approve(morpho, 2**256 - 1, sender=wallet)
    for wallet in (borrower, underwater, liquidator):
        funded(wallet, 3 * x)
    morpho.supply(call, 1_000_000 * USD, 0, lender, b"", sender=lender)  # the market's first
    gas = {
        "supply": measured(
            lambda: morpho.supply(call, 500_000 * USD, 0, lender, b"", sender=lender)
        ),
        "supply_collateral_new_position": measured(
            lambda: morpho.supplyCollateral(call, x, borrower, b"", sender=borrower)
        ),
        "supply_collateral": measured(
            lambda: morpho.supplyCollateral(call, x, borrower, b"", sender=borrower)
        ),
        "borrow_first": measured(
            lambda: morpho.borrow(call, 20_000 * USD, 0, borrower, borrower, sender=borrower)
        ),
        "borrow": measured(
            lambda: morpho.borrow(call, 20_000 * USD, 0, borrower, borrower, sender=borrower)
        ),
        "repay_partial": measured(
            lambda: morpho.repay(call, 10_000 * USD, 0, borrower, b"", sender=borrower)
        ),
        "withdraw_collateral": measured(
            lambda: morpho.withdrawCollateral(call, x // 10, borrower, borrower, sender=borrower)
        ),
    }
    # Two positions near the LLTV (86 %): the borrower's 1.9 x $30,000 allow $49,020 and it owes
    # $48,000 after this borrow; the other owes $25,000 against $30,000 (limit $25,800).
    morpho.borrow(call, 18_000 * USD, 0, borrower, borrower, sender=borrower)
    morpho.supplyCollateral(call, x, underwater, b"", sender=underwater)
    morpho.borrow(call, 25_000 * USD, 0, underwater, underwater, sender=underwater)
    reporter = roles["PRICE_REPORTER"]
    market.feed.report(round(market.start_usd * 26 / 30 * 10**FEED_DECIMALS), sender=reporter)
    shares = morpho.position(params.id, borrower).borrowShares
    gas["liquidate_partial"] = measured(
        lambda: morpho.liquidate(call, borrower, 0, shares // 4, b"", sender=liquidator)
    )
    market.feed.report(round(market.start_usd * 19 / 30 * 10**FEED_DECIMALS), sender=reporter)
    everything = morpho.position(params.id, underwater).collateral
    gas["liquidate_with_bad_debt"] = measured(
        lambda: morpho.liquidate(call, underwater, everything, 0, b"", sender=liquidator)
    )
    return gas


def morpho_blue_side() -> dict[str, int]:
    """Morpho Blue's gas on a WETH/USDC market with an IRM (see the module docstring)."""
    d, stack, roles = morpho_stack()
    renounce_temporary_roles(d)
    weth = stack.collateral
    market = MorphoMarket(
        stack, stack.markets[IRM_MOCK], weth, 10 * ETH, stack.feeds["WETH"], 3_000.0
    )

    def funded(wallet, units):
        weth.deposit(value=units, sender=wallet)
        weth.approve(stack.morpho, 2**256 - 1, sender=wallet)

    return morpho_scenarios(market, roles, funded)


def morpho_blue_security_collateral_side() -> dict[str, int]:
    """The same scenarios with a Quantera security token as collateral (a T-bill fund share at
    $100, 18 decimals): every collateral move passes its compliance engine, Morpho and every
    wallet registered as verified US institutional holders."""
    d, stack, roles = morpho_stack()
    registry = deploy_registry(d)
    agent, operator = roles["AGENT"], roles["OPERATOR"]
    token = deploy_security(
        d, ".QTB", "Quantera T-Bill Fund", "QTB", agent=agent.address, jurisdictions=[(US, OPEN)]
    )
    _, markets = list_collateral(d, stack, token, "QTB", 100.0)
    renounce_temporary_roles(d)
    token.unpause(sender=agent)
    holders = [stack.morpho.address] + [accounts.test_accounts[i].address for i in (11, 12, 13)]
    for i, holder in enumerate(holders):
        registry.registerInvestor(
            holder, f"0x{0xC0570D1A + i:040x}", US, INSTITUTIONAL, FAR_FUTURE, sender=operator
        )
    market = MorphoMarket(stack, markets[IRM_MOCK], token, 300 * ETH, stack.feeds["QTB"], 100.0)

    def funded(wallet, units):
        token.mint(wallet, units, sender=agent)
        token.approve(stack.morpho, 2**256 - 1, sender=wallet)

    return morpho_scenarios(market, roles, funded)


# Test accounts as `ape run deploy all` assigns them on a local network.
DEPLOYER, GOVERNOR, OPERATOR, AGENT, REPORTER, LIQUIDATOR = 0, 2, 3, 5, 8, 4
QUANTERA_CLIENT, QUANTERA_LENDER, QUANTERA_SINGLE = 14, 15, 16
DEPOSIT, WITHDRAW, BORROW, REPAY = 0, 1, 2, 3
CLIENT_IDENTITY = "0x" + "c7" * 20
SINGLE_IDENTITY = "0x" + "c8" * 20
LENDER_IDENTITY = "0x" + "1d" * 20


def quantera_side() -> dict[str, int]:
    """The PrimeBroker's gas on the protocol as `ape run deploy all` deploys it (step 7, prime
    brokerage, from keepers/data/prime.yaml): an institution posts four collateral assets (USDC,
    the T-bill fund QTF, the equity funds QSPX and QNDX: security tokens, each transfer through
    their compliance engine), borrows USDC against all four (the goal's figure), repays, withdraws;
    then QSPX's oracle price falls and the margin keeper's key liquidates, once taking QSPX and
    once selling it through the aggregator (Uniswap V2 QSPX/USDC) into the broker."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy", Path(__file__).with_name("deploy.py"))
    deploy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deploy)
    from keepers.core.deployments import DeploymentRecord
    from keepers.liquidity.codec import encode_route

    t = accounts.test_accounts
    d = Deployment(sender=t[DEPLOYER], record=DeploymentRecord("ethereum:local", chain.chain_id))
    deploy.deploy_protocol(d, deploy.local_test_config(), None)
    renounce_temporary_roles(d)
    tokens = deploy.fund_tokens(d)
    for symbol, token in tokens.items():
        if symbol != "USDC" and token.paused():
            token.unpause(sender=t[AGENT])
    broker = d.at("PrimeBroker")
    margin = project_at("PrimeViews", broker.address)
    registry, client, lender = d.at("IdentityRegistry"), t[QUANTERA_CLIENT], t[QUANTERA_LENDER]
    single = t[QUANTERA_SINGLE]
    for wallet, identity in (
        (client, CLIENT_IDENTITY),
        (lender, LENDER_IDENTITY),
        (single, SINGLE_IDENTITY),
    ):
        registry.registerInvestor(
            wallet, identity, US, INSTITUTIONAL, FAR_FUTURE, sender=t[OPERATOR]
        )

    def mint(symbol: str, wallet, whole: int) -> int:
        token = tokens[symbol]
        amount = whole * 10 ** token.decimals()
        token.mint(wallet, amount, sender=t[OPERATOR] if symbol == "USDC" else t[AGENT])
        return amount

    pool = d.at("LendingPool", "LendingPool.USDC")
    lent = mint("USDC", lender, 5_000_000)
    tokens["USDC"].approve(pool, lent, sender=lender)
    pool.deposit(lent, lender, sender=lender)
    # A book of $460,000, mostly the equity fund, in whole tokens at the deployment's prices.
    router = d.at("OracleRouter")
    book_usd = {"USDC": 20_000, "QTF": 20_000, "QSPX": 400_000, "QNDX": 20_000}
    book = {s: max(1, usd * 10**18 // router.price(tokens[s])) for s, usd in book_usd.items()}
    posted = {symbol: mint(symbol, client, 2 * whole) for symbol, whole in book.items()}
    for symbol, amount in posted.items():
        tokens[symbol].approve(broker, amount, sender=client)
    broker.openAccount(sender=client)
    account = registry.investorOf(client).identity
    broker.setCreditLine(account, (10**25, 50, 0), sender=t[GOVERNOR])

    def run(*actions):
        return lambda: broker.execute(account, list(actions), sender=client)

    def units(symbol, whole):
        return whole * 10 ** tokens[symbol].decimals()

    zero = "0x" + "00" * 20
    gas = {
        "deposit_4_collateral": measured(
            run(*((DEPOSIT, tokens[s], units(s, w), zero, b"") for s, w in book.items()))
        ),
        "deposit": measured(run((DEPOSIT, tokens["QTF"], units("QTF", 10), zero, b""))),
    }
    usdc = tokens["USDC"]
    # 90% of what initial margin allows, then 1% more.
    most = margin.health(account).adjustedCollateralUsd * 10_000 // 15_000 // 10**12
    gas["borrow_4_collateral_first"] = measured(
        run((BORROW, usdc, most * 9 // 10, client.address, b""))
    )
    gas["borrow_4_collateral"] = measured(run((BORROW, usdc, most // 100, client.address, b"")))
    gas["repay_partial"] = measured(run((REPAY, usdc, units("USDC", 5_000), client.address, b"")))
    gas["withdraw"] = measured(
        run((WITHDRAW, tokens["QTF"], units("QTF", 10), client.address, b""))
    )
    # A second institution with one collateral asset (QSPX) and a USDC debt: the like-for-like
    # figure for Morpho's single-market liquidation (one collateral price, one loan price).
    one = mint("QSPX", single, book["QSPX"])
    tokens["QSPX"].approve(broker, one, sender=single)
    broker.openAccount(sender=single)
    single_account = registry.investorOf(single).identity
    broker.setCreditLine(single_account, (10**25, 50, 0), sender=t[GOVERNOR])
    broker.execute(single_account, [(DEPOSIT, tokens["QSPX"], one, zero, b"")], sender=single)
    most_single = margin.health(single_account).adjustedCollateralUsd * 10_000 // 15_000 // 10**12
    broker.execute(
        single_account, [(BORROW, usdc, most_single * 9 // 10, single.address, b"")], sender=single
    )
    gas["borrow_1_collateral"] = measured(
        lambda: broker.execute(
            single_account, [(BORROW, usdc, most_single // 100, single.address, b"")], sender=single
        )
    )
    # QSPX's price falls 40%: both accounts are below the liquidation ratio.
    feed = d.at("ReporterPriceFeed", "PriceFeed.QSPX")
    feed.report(feed.latestRoundData()[1] * 3 // 5, sender=t[REPORTER])
    assert margin.health(account).liquidatable, "the account should be liquidatable"
    assert margin.health(single_account).liquidatable, "the single account should be liquidatable"
    liquidator, qspx = t[LIQUIDATOR], tokens["QSPX"]
    cash = mint("USDC", liquidator, 100_000)
    usdc.approve(broker, cash, sender=liquidator)
    repay = units("USDC", 5_000)
    gas["liquidate_take"] = measured(
        lambda: broker.liquidate(account, usdc, repay, qspx, b"", 0, sender=liquidator)
    )
    venue = d.address("UniswapV2Pair.A.QSPX-USDC")

    def sale(of_account) -> bytes:
        """The seized QSPX sold on Uniswap V2 into the broker (3% oracle bound)."""
        seized = margin.previewLiquidation(of_account, usdc, repay, qspx).seized
        deadline = chain.blocks.head.timestamp + 3_600
        legs = [(seized, [(venue, usdc.address, b"")])]
        return encode_route(qspx, usdc, seized, 1, broker.address, deadline, 300, legs)

    route = sale(account)
    gas["liquidate_with_swap"] = measured(
        lambda: broker.liquidate(account, usdc, repay, qspx, route, 1, sender=liquidator)
    )
    route = sale(single_account)
    gas["liquidate_with_swap_1_collateral"] = measured(
        lambda: broker.liquidate(single_account, usdc, repay, qspx, route, 0, sender=liquidator)
    )
    if os.environ.get("PRIME_GAS_REPORT"):
        chain.history[liquidator.address][-1].show_gas_report()
        chain.history[client.address][-4].show_gas_report()
    return gas


# side name -> the function measuring it.
SIDES: dict[str, Callable[[], dict[str, int]]] = {
    "morpho_blue": morpho_blue_side,
    "morpho_blue_security_collateral": morpho_blue_security_collateral_side,
    "quantera": quantera_side,
}


def goal_lines(results: dict[str, dict[str, int]]) -> list[str]:
    """The issue's goals, checked when both sides are recorded."""
    morpho, quantera = results.get("morpho_blue"), results.get("quantera")
    if not morpho or not quantera:
        return ["goals: need both `morpho_blue` and `quantera` in the record"]
    lines = []
    if "borrow_4_collateral" in quantera:
        ratio = quantera["borrow_4_collateral"] / morpho["borrow"]
        verdict = "met" if ratio <= BORROW_4_COLLATERAL_MAX_RATIO else "MISSED"
        lines.append(f"borrow against 4 collaterals / Morpho borrow: {ratio:.2f}x ({verdict})")
    if "liquidate_with_swap" in quantera:
        value = quantera["liquidate_with_swap"]
        verdict = "met" if value < LIQUIDATION_WITH_SWAP_MAX_GAS else "MISSED"
        lines.append(f"liquidation with its swap: {value:,} gas ({verdict})")
    return lines


@click.command(cls=ConnectedProviderCommand)
@network_option(default="ethereum:local:foundry")
@click.option(
    "--side", "sides", multiple=True, type=click.Choice(sorted(SIDES)), help="default: every side"
)
def cli(ecosystem, network, provider, sides):
    """Measure prime brokerage gas, side by side, into benchmarks/prime_gas.json."""
    if not network.is_local:
        raise click.UsageError("benchmarks run on a local network only")
    measured_now = {side: dict(sorted(SIDES[side]().items())) for side in (sides or sorted(SIDES))}
    merge_json(PRIME_GAS_FILE, measured_now)
    for side, gas in measured_now.items():
        for name, value in sorted(gas.items()):
            click.echo(f"{side + '.' + name:60} {value:>10,}")
    for line in goal_lines(json.loads(PRIME_GAS_FILE.read_text())):
        click.echo(line)
    click.echo(f"written to {PRIME_GAS_FILE}")
