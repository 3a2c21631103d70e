"""The risk stack as deployed: oracle router with reporter feeds, risk engine, a portfolio vault
holding the settlement stablecoin and three security tokens, built by the deploy script's own steps
(keepers/{compliance,risk,vault}/deploy.py) on the compliance stack's authority and registry."""

from dataclasses import dataclass
from fractions import Fraction

import pytest

from compliance_fixtures import US, extend, open_jurisdiction
from keepers.access import as_role, grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_security
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.risk import (
    configure_steps,
    deploy_feeds,
    deploy_oracle,
    deploy_risk_engine,
    feed_config,
    set_feeds,
)
from keepers.vault import deploy_stablecoin, deploy_vault, register_steps, vault_steps

USDC_UNIT, UNIT = 10**6, 10**18
# index: symbol, decimals, class, liquid, max weight bps, price (USD)
ASSETS = [
    ("USDC", 6, 0, True, 10_000, 1.0),
    ("QTB", 18, 1, True, 10_000, 100.0),
    ("QCORP", 18, 3, False, 4_000, 100.0),
    ("QSPX", 18, 5, False, 3_000, 50.0),
]
VOLS_PPM = [500, 300, 6_000, 12_000]  # daily: 0.05%, 0.03%, 0.6%, 1.2%
CORRELATIONS = [0, 0, 0, 2_000, 1_000, 3_000]  # (0,1) (0,2) (0,3) (1,2) (1,3) (2,3), 1e-4
ES_MULTIPLIER_PPM = 2_600_000  # fatter than normal's 2.3378
# loss bps per asset for two scenarios (scenario-major)
STRESS_BPS = [0, -30, 1_200, 4_000, 1_300, 50, 1_400, 1_000]
LIMITS = dict(
    minLiquidBps=2_000,
    maxVar95Bps=150,
    maxVar99Bps=220,
    maxEsBps=260,
    maxStressLossBps=2_000,
    maxDrawdownBps=1_000,
    hardDrawdownBps=2_000,
    maxModelAge=2 * 86_400,
    maxPriceAge=3_600,
    minUpdateDelay=600,
    maxVolChangeBps=5_000,
    maxCorrelationChange=2_000,
    maxStressChangeBps=2_000,
    # 0: every change bounded per update (RSK-3); the window's tests set one (RSK-17).
    boundWindowHours=0,
    maxClassWeightBps=[0, 0, 0, 5_000, 0, 3_500, 0, 0],
)
LIMIT_FIELDS = [
    "minLiquidBps",
    "maxVar95Bps",
    "maxVar99Bps",
    "maxEsBps",
    "maxStressLossBps",
    "maxDrawdownBps",
    "hardDrawdownBps",
    "maxModelAge",
    "maxPriceAge",
    "minUpdateDelay",
    "maxVolChangeBps",
    "maxCorrelationChange",
    "maxStressChangeBps",
    "boundWindowHours",
    "maxClassWeightBps",
]
ZERO_METRICS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
# The vault's trade limits (SEC-50, SEC-51): 3% a trade at oracle prices, 50,000 USD of loss a day.
TRADE_LIMITS = (300, 50_000 * 10**18, 86_400)


def limits_tuple(**overrides):
    values = {**LIMITS, **overrides}
    return tuple(values[f] for f in LIMIT_FIELDS)


def asset_risk(**max_weights):
    return [(max_weights.get(sym, cap), cls, liquid) for sym, _, cls, liquid, cap, _ in ASSETS]


def model_update(
    update_id,
    as_of,
    vols=VOLS_PPM,
    correlations=CORRELATIONS,
    es=ES_MULTIPLIER_PPM,
    stress=STRESS_BPS,
    metrics=ZERO_METRICS,
):
    return (update_id, as_of, list(vols), list(correlations), es, list(stress), metrics)


@dataclass
class RiskStack:
    manager: object
    registry: object
    router: object
    engine: object
    vault: object
    venue: object
    tokens: list
    feeds: list
    lens: object

    def holdings(self):
        return list(self.vault.holdings())


@pytest.fixture(scope="session")
def risk_keeper(accounts):
    return accounts[10]


@pytest.fixture(scope="session")
def reporter(accounts):
    return accounts[11]


@pytest.fixture(scope="session")
def executor(accounts):
    return accounts[12]


@pytest.fixture(scope="session")
def fund_investor(accounts):
    return accounts[13]


US_OPEN = [(US, open_jurisdiction())]


def deploy_security_token(d: Deployment, agent, name: str, symbol: str):
    """A SecurityToken and its engine as the deploy script makes them (`SecurityToken.<symbol>`),
    open in the US, `agent` holding every capability, unpaused."""
    token = deploy_security(
        d, f".{symbol}", name, symbol, agent=agent.address, jurisdictions=US_OPEN
    )
    token.unpause(sender=agent)
    return token


def deploy_fund_vault(
    d: Deployment,
    settlement,
    name: str,
    symbol: str,
    engine,
    router,
    tokens,
    *,
    venues=(),
    identity: str,
    asset_risk_=None,
    limits=None,
):
    """A PortfolioVault as the deploy script makes it (its shares' engine open in the US), listing
    `tokens`, allowing `venues`, registered under `identity`, and configured on `engine` with
    `asset_risk_` and `limits` (default: this module's), with TRADE_LIMITS — the vault steps of
    keepers/vault/deploy.py."""
    vault = deploy_vault(
        d,
        settlement,
        name,
        symbol,
        engine,
        router,
        name=f"PortfolioVault.{symbol}",
        shares_name=f"ComplianceEngine.{symbol}.shares",
        share_jurisdictions=US_OPEN,
    )
    listings = vault_steps(
        d,
        vault,
        [(t.symbol(), t.address) for t in tokens],
        venues,
        trade_limits=TRADE_LIMITS,
    )
    as_role(
        d,
        "GOVERNOR",
        listings
        + configure_steps(
            d,
            engine,
            vault,
            asset_risk_ or asset_risk(),
            limits or limits_tuple(),
            assets_to_list=len(tokens),
        ),
    )
    as_role(d, "OPERATOR", register_steps(d, [(name, vault.address, identity)]))
    return vault


@pytest.fixture(scope="session")
def risk_stack(
    chain,
    stack_deployment,
    deployer,
    guardian,
    operator,
    agent,
    risk_keeper,
    reporter,
    executor,
    fund_investor,
):
    d = extend(stack_deployment)
    send_to_manager(
        d,
        [
            call
            for role, account in (
                ("GUARDIAN", guardian),
                ("RISK_KEEPER", risk_keeper),
                ("PRICE_REPORTER", reporter),
                ("EXECUTOR", executor),
            )
            for call in grant_calls(d, role, account.address)
        ],
    )
    usdc = deploy_stablecoin(d, "USDC")
    # Its own tokens: the compliance tests' token keeps its supply to itself.
    qtb = deploy_security_token(d, agent, "Quantera T-Bill", "QTB")
    qcorp = deploy_security_token(d, agent, "Quantera IG Credit", "QCORP")
    qspx = deploy_security_token(d, agent, "Quantera S&P 500", "QSPX")
    tokens = [usdc, qtb, qcorp, qspx]
    router = deploy_oracle(d)
    feeds = deploy_feeds(
        d, {symbol: int(price * 10**FEED_DECIMALS) for symbol, _, _, _, _, price in ASSETS}
    )
    set_feeds(
        d,
        router,
        {
            symbol: (token, feed_config(feeds[symbol].address))
            for token, (symbol, *_) in zip(tokens, ASSETS)
        },
    )
    engine = deploy_risk_engine(d, router)
    venue = d.deploy_contract("FixedRateVenue", "FixedRateVenue")
    vault = deploy_fund_vault(
        d,
        usdc,
        "Quantera Income Fund",
        "QIF",
        engine,
        router,
        tokens[1:],
        venues=[venue],
        identity="0x" + "f0" * 20,
    )
    # The venue and the investor hold security tokens: verified identities.
    as_role(
        d,
        "OPERATOR",
        register_steps(
            d,
            [
                ("the venue", venue.address, "0x" + "f1" * 20),
                ("the fund investor", fund_investor.address, "0x" + "f2" * 20),
            ],
        ),
    )
    renounce_temporary_roles(d)
    # Venue inventory, and the investor's cash.
    for token in tokens[1:]:
        token.mint(venue, 1_000_000 * UNIT, sender=agent)
    usdc.mint(venue, 100_000_000 * USDC_UNIT, sender=operator)
    usdc.mint(fund_investor, 10_000_000 * USDC_UNIT, sender=operator)
    for a, b in ((0, 1), (0, 2), (0, 3), (1, 0), (2, 0), (3, 0)):
        price_a, price_b = Fraction(ASSETS[a][5]), Fraction(ASSETS[b][5])
        scale = Fraction(10) ** (ASSETS[b][1] - ASSETS[a][1] + 18)
        venue.setRate(tokens[a], tokens[b], int(price_a / price_b * scale), sender=deployer)
    engine.publishModel(vault, model_update(1, chain.pending_timestamp - 60), sender=risk_keeper)
    usdc.approve(vault, 2**256 - 1, sender=fund_investor)
    vault.deposit(1_000_000 * USDC_UNIT, fund_investor, sender=fund_investor)
    engine.sync(vault, sender=deployer)
    return RiskStack(
        d.at("QuanteraAccessManager"),
        d.at("IdentityRegistry"),
        router,
        engine,
        vault,
        venue,
        tokens,
        [feeds[symbol] for symbol, *_ in ASSETS],
        d.at("RiskLens"),
    )


def cash_investor(stack: RiskStack, wallet, identity: str, cash: int, operator):
    """`wallet` a verified investor (`identity`, US institutional) holding `cash` of the vault's
    settlement asset, the vault approved to take it. Returns the wallet."""
    if not stack.registry.contains(wallet):
        stack.registry.registerInvestor(wallet, identity, 840, 4, 2**40 - 1, sender=operator)
    stack.tokens[0].mint(wallet, cash, sender=operator)
    stack.tokens[0].approve(stack.vault, 2**256 - 1, sender=wallet)
    return wallet


def swap_params(stack: RiskStack, sell: int, buy: int, amount: int, min_out: int = 0):
    sell_token, buy_token = stack.tokens[sell], stack.tokens[buy]
    data = stack.venue.swap.encode_input(sell_token, buy_token, amount)
    return (sell_token, amount, buy_token, min_out, stack.venue, data)
