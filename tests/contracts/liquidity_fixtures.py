"""The liquidity layer as deployed by `keepers.liquidity.deploy` (the deploy script's own steps),
on tokens and feeds of its own: USDC, a T-bill fund (QTB), an equity fund (QSPX), a credit fund
(QCORP). Six sources trade QSPX/USDC: V2 A, V2 B, V3 0.05%, V3 0.30%, RFQ, NAV."""

from dataclasses import dataclass

import pytest

from compliance_fixtures import extend
from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.liquidity import LiquidityDeployment, deploy_liquidity
from keepers.risk import deploy_feeds, deploy_oracle, feed_config, set_feeds
from keepers.vault import deploy_stablecoin
from risk_fixtures import deploy_security_token

PRICES = {"USDC": 1.0, "QTB": 100.0, "QSPX": 50.0, "QCORP": 80.0}
SPEC = {
    "uniswap_v2": {
        "A": {
            "QSPX-USDC": 2_000_000,
            "QTB-USDC": 1_000_000,
            "QSPX-QCORP": 500_000,
            "QCORP-USDC": 500_000,
        },
        "B": {"QSPX-USDC": 800_000},
    },
    "uniswap_v3": [
        {"pair": "QSPX-USDC", "fee": 500, "usd_per_side": 600_000, "range_pct": 10},
        {"pair": "QSPX-USDC", "fee": 3000, "usd_per_side": 1_000_000, "range_pct": 30},
    ],
    "nav_venue": {
        "QTB": {
            "subscribe_fee_bps": 2,
            "redeem_fee_bps": 5,
            "max_nav_move_bps": 2,
            "daily_capacity_usd": 5_000_000,
            "inventory_usd": 3_000_000,
        },
        "QSPX": {
            "subscribe_fee_bps": 20,
            "redeem_fee_bps": 20,
            "max_nav_move_bps": 20,
            "daily_capacity_usd": 300_000,
            "inventory_usd": 500_000,
        },
        "cash_inventory_usd": 3_000_000,
    },
    "rfq": {
        "inventory_usd": {"QSPX": 500_000, "USDC": 500_000},
        "spread_bps": 8,
        "max_quote_usd": 200_000,
    },
    "aggregator": {
        "max_slippage_cap_bps": 300,
        "reveal_window_blocks": 5,
        "commit_threshold_usd": 250_000,
    },
}


@dataclass
class LiquidityStack:
    deployment: LiquidityDeployment
    aggregator: object
    tokens: dict
    feeds: dict
    router: object
    maker: object
    trader: object

    def venue(self, name: str) -> str:
        return self.deployment.venues[name]


@pytest.fixture(scope="session")
def maker(accounts):
    return accounts[20]


@pytest.fixture(scope="session")
def trader(accounts):
    return accounts[21]


@pytest.fixture(scope="session")
def liquidity_deployment(
    stack_deployment, guardian, agent, reporter, maker
) -> tuple[Deployment, LiquidityDeployment]:
    d = extend(stack_deployment)
    send_to_manager(
        d,
        [
            call
            for role, account in (("PRICE_REPORTER", reporter), ("GUARDIAN", guardian))
            for call in grant_calls(d, role, account.address)
        ],
    )
    tokens = {"USDC": deploy_stablecoin(d, "USDC")}
    for symbol in ("QTB", "QSPX", "QCORP"):
        tokens[symbol] = deploy_security_token(d, agent, f"Quantera {symbol}", symbol)
    router = deploy_oracle(d)
    feeds = deploy_feeds(
        d, {symbol: int(price * 10**FEED_DECIMALS) for symbol, price in PRICES.items()}
    )
    set_feeds(
        d,
        router,
        {symbol: (token, feed_config(feeds[symbol].address)) for symbol, token in tokens.items()},
    )
    deployment = deploy_liquidity(d, tokens, maker.address, SPEC)
    renounce_temporary_roles(d)
    return d, deployment


@pytest.fixture(scope="session")
def liquidity(liquidity_deployment, agent, operator, maker, trader):
    d, deployment = liquidity_deployment
    tokens = {"USDC": d.at("LocalStablecoin", "LocalStablecoin.USDC")}
    tokens.update(
        {
            symbol: d.at("SecurityToken", f"SecurityToken.{symbol}")
            for symbol in ("QTB", "QSPX", "QCORP")
        }
    )
    feeds = {symbol: d.at("ReporterPriceFeed", f"PriceFeed.{symbol}") for symbol in PRICES}
    d.at("IdentityRegistry").registerInvestor(
        trader, "0x" + "e1" * 20, 840, 4, 2**40 - 1, sender=operator
    )
    tokens["USDC"].mint(trader, 5_000_000 * 10**6, sender=operator)
    tokens["QSPX"].mint(trader, 50_000 * 10**18, sender=agent)
    aggregator = d.at("LiquidityAggregator")
    return LiquidityStack(
        deployment, aggregator, tokens, feeds, d.at("OracleRouter"), maker, trader
    )


@pytest.fixture
def rfq_venue(liquidity, project):
    """The deployment's RFQ venue (RfqVenue)."""
    return project.RfqVenue.at(liquidity.deployment.rfq_venue)


@pytest.fixture
def nav_venue(liquidity, project):
    """The deployment's NAV desk (NavVenue)."""
    return project.NavVenue.at(liquidity.deployment.nav_venue)
