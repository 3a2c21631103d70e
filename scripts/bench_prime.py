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

Each side is a function returning {scenario: gas}; `measured` is the one measuring helper. With
both sides present the issue's goals are checked: a borrow against four collateral assets within
1.5x Morpho's single-collateral borrow, a liquidation with its swap under 300,000 gas.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.compliance import deploy_registry, deploy_security
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


# side name -> the function measuring it; the lead adds "quantera".
SIDES: dict[str, Callable[[], dict[str, int]]] = {
    "morpho_blue": morpho_blue_side,
    "morpho_blue_security_collateral": morpho_blue_security_collateral_side,
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
