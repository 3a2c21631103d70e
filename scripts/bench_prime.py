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
  after the oracle price fell (the liquidator already holding both tokens); a liquidation seizing
  all the collateral and realising bad debt.
- `quantera`: the PrimeBroker (the lead's side, to add as `quantera_side`: deposit x4 collateral,
  a borrow against four collateral assets, repay, a liquidation including its aggregator swap).

Each side is a function returning {scenario: gas}; `measured` is the one measuring helper. With
both sides present the issue's goals are checked: a borrow against four collateral assets within
1.5x Morpho's single-collateral borrow, a liquidation with its swap under 300,000 gas.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option

from keepers.access import deploy_access, renounce_temporary_roles
from keepers.core.benchmarking import merge_json
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.prime import deploy_morpho_baseline

PRIME_GAS_FILE = Path("benchmarks") / "prime_gas.json"
USD, ETH = 10**6, 10**18
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


def morpho_blue_side() -> dict[str, int]:
    """Morpho Blue's gas on a WETH/USDC market with an IRM (see the module docstring)."""
    test = accounts.test_accounts
    deployer, governor, operator, reporter = (test[i] for i in (0, 2, 3, 9))
    lender, borrower, liquidator, underwater = (test[i] for i in (10, 11, 12, 13))
    d = Deployment.in_memory(deployer)
    deploy_access(d, {"GOVERNOR": governor, "OPERATOR": operator, "PRICE_REPORTER": reporter})
    stack = deploy_morpho_baseline(d)
    renounce_temporary_roles(d)
    morpho, usdc, weth = stack.morpho, stack.loan, stack.collateral
    params = stack.markets["IrmMock"].as_tuple()
    for wallet in (lender, liquidator):
        usdc.mint(wallet, 2_000_000 * USD, sender=operator)
        usdc.approve(morpho, 2**256 - 1, sender=wallet)
    for wallet in (borrower, underwater, liquidator):
        weth.deposit(value=100 * ETH, sender=wallet)
        weth.approve(morpho, 2**256 - 1, sender=wallet)
        usdc.approve(morpho, 2**256 - 1, sender=wallet)
    morpho.supply(params, 1_000_000 * USD, 0, lender, b"", sender=lender)  # the market's first
    gas = {
        "supply": measured(
            lambda: morpho.supply(params, 500_000 * USD, 0, lender, b"", sender=lender)
        ),
        "supply_collateral_new_position": measured(
            lambda: morpho.supplyCollateral(params, 10 * ETH, borrower, b"", sender=borrower)
        ),
        "supply_collateral": measured(
            lambda: morpho.supplyCollateral(params, 10 * ETH, borrower, b"", sender=borrower)
        ),
        "borrow_first": measured(
            lambda: morpho.borrow(params, 20_000 * USD, 0, borrower, borrower, sender=borrower)
        ),
        "borrow": measured(
            lambda: morpho.borrow(params, 20_000 * USD, 0, borrower, borrower, sender=borrower)
        ),
        "repay_partial": measured(
            lambda: morpho.repay(params, 10_000 * USD, 0, borrower, b"", sender=borrower)
        ),
        "withdraw_collateral": measured(
            lambda: morpho.withdrawCollateral(params, ETH, borrower, borrower, sender=borrower)
        ),
    }
    # Two positions near the LLTV (86 %) at $3,000 (the borrower's 19 WETH allow $49,020: it owes
    # $48,000 after this borrow); the price falls to $2,600, then to $1,900.
    morpho.borrow(params, 18_000 * USD, 0, borrower, borrower, sender=borrower)
    morpho.supplyCollateral(params, 10 * ETH, underwater, b"", sender=underwater)
    morpho.borrow(params, 25_000 * USD, 0, underwater, underwater, sender=underwater)
    stack.feeds["WETH"].report(2_600 * 10**FEED_DECIMALS, sender=reporter)
    debt_position = morpho.position(stack.markets["IrmMock"].id, borrower)
    gas["liquidate_partial"] = measured(
        lambda: morpho.liquidate(
            params, borrower, 0, debt_position.borrowShares // 4, b"", sender=liquidator
        )
    )
    stack.feeds["WETH"].report(1_900 * 10**FEED_DECIMALS, sender=reporter)
    everything = morpho.position(stack.markets["IrmMock"].id, underwater).collateral
    gas["liquidate_with_bad_debt"] = measured(
        lambda: morpho.liquidate(params, underwater, everything, 0, b"", sender=liquidator)
    )
    return gas


# side name -> the function measuring it; the lead adds "quantera".
SIDES: dict[str, Callable[[], dict[str, int]]] = {"morpho_blue": morpho_blue_side}


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
            click.echo(f"{side}.{name:40} {value:>10,}")
    for line in goal_lines(json.loads(PRIME_GAS_FILE.read_text())):
        click.echo(line)
    click.echo(f"written to {PRIME_GAS_FILE}")
