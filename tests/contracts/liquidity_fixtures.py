"""The liquidity layer as deployed by `keepers.liquidity.deploy` (the deploy script's own routine),
on tokens and feeds of its own: USDC, a T-bill fund (QTB), an equity fund (QSPX), a credit fund
(QCORP). Six sources trade QSPX/USDC: V2 A, V2 B, V3 0.05%, V3 0.30%, RFQ, NAV."""

from dataclasses import dataclass

import pytest
from compliance_fixtures import wire
from risk_fixtures import FEED_DECIMALS, deploy_security_token

from keepers.access.roles import ROLE_IDS
from keepers.liquidity.deploy import LiquidityDeployer, LiquidityDeployment, deploy_liquidity

PRICES = {"USDC": 1.0, "QTB": 100.0, "QSPX": 50.0, "QCORP": 80.0}
SPEC = {
    "uniswap_v2": {
        "A": {"QSPX-USDC": 2_000_000, "QTB-USDC": 1_000_000, "QSPX-QCORP": 500_000, "QCORP-USDC": 500_000},
        "B": {"QSPX-USDC": 800_000},
    },
    "uniswap_v3": [
        {"pair": "QSPX-USDC", "fee": 500, "usd_per_side": 600_000, "range_pct": 10},
        {"pair": "QSPX-USDC", "fee": 3000, "usd_per_side": 1_000_000, "range_pct": 30},
    ],
    "nav_venue": {
        "QTB": {"subscribe_fee_bps": 2, "redeem_fee_bps": 5, "daily_capacity_usd": 5_000_000, "inventory_usd": 3_000_000},
        "QSPX": {"subscribe_fee_bps": 20, "redeem_fee_bps": 20, "daily_capacity_usd": 300_000, "inventory_usd": 500_000},
        "cash_inventory_usd": 3_000_000,
    },
    "rfq": {"inventory_usd": {"QSPX": 500_000, "USDC": 500_000}, "spread_bps": 8, "max_quote_usd": 200_000},
    "aggregator": {"max_slippage_cap_bps": 300, "reveal_window_blocks": 5, "commit_threshold_usd": 250_000},
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
def liquidity(project, stack, deployer, governor, guardian, agent, operator, reporter, maker, trader, accounts):
    manager, registry, _, _ = stack
    for role, account in (("PRICE_REPORTER", reporter), ("GUARDIAN", guardian)):
        manager.grantRole(ROLE_IDS[role], account, 0, sender=deployer)
    usdc = deployer.deploy(project.LocalStablecoin, manager, "USD Coin (local)", "USDC")
    wire(manager, usdc, "LocalStablecoin", deployer)
    tokens = {"USDC": usdc}
    for symbol in ("QTB", "QSPX", "QCORP"):
        tokens[symbol] = deploy_security_token(project, deployer, governor, agent, manager, registry,
                                               f"Quantera {symbol}", symbol)
    router = deployer.deploy(project.OracleRouter, manager)
    wire(manager, router, "OracleRouter", deployer)
    feeds = {}
    for symbol, token in tokens.items():
        feed = deployer.deploy(project.ReporterPriceFeed, manager, FEED_DECIMALS, f"{symbol} / USD")
        wire(manager, feed, "ReporterPriceFeed", deployer)
        feed.report(int(PRICES[symbol] * 10**FEED_DECIMALS), sender=reporter)
        router.setFeed(token, (feed, 86_400, "0x" + "00" * 20, 0, 0, 1, 10**30), sender=governor)
        feeds[symbol] = feed
    record: dict[str, str] = {}

    def deploy(name, factory):
        if name not in record:
            record[name] = factory().address
        return record[name]

    def as_role(role, steps):
        if not steps:
            return
        role_id = ROLE_IDS[role]
        manager.grantRole(role_id, deployer, 0, sender=deployer)
        for _, send in steps:
            send()
        manager.renounceRole(role_id, deployer, sender=deployer)

    signers = {a.address: a for a in accounts}
    deployment = deploy_liquidity(
        LiquidityDeployer(sender=deployer, deploy=deploy, as_role=as_role,
                          wire=lambda c, n: wire(manager, c, n, deployer), signer=signers.__getitem__,
                          echo=lambda _: None),
        project, manager, registry, router, tokens, maker.address, SPEC)
    registry.registerInvestor(trader, "0x" + "e1" * 20, 840, 4, 2**40 - 1, sender=operator)
    usdc.mint(trader, 5_000_000 * 10**6, sender=operator)
    tokens["QSPX"].mint(trader, 50_000 * 10**18, sender=agent)
    aggregator = project.LiquidityAggregator.at(deployment.aggregator)
    return LiquidityStack(deployment, aggregator, tokens, feeds, router, maker, trader)
