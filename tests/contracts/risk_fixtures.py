"""The risk stack as deployed: oracle router with reporter feeds, risk engine, a portfolio vault
holding the settlement stablecoin and three security tokens, wired by keepers/access/protocol.py."""

from dataclasses import dataclass
from fractions import Fraction

import pytest
from compliance_fixtures import FAR_FUTURE, INSTITUTIONAL, US, open_jurisdiction, wire

from keepers.access.roles import ROLE_IDS

USDC_UNIT, UNIT = 10**6, 10**18
FEED_DECIMALS = 8
# index: symbol, decimals, class, liquid, max weight bps, price (USD)
ASSETS = [("USDC", 6, 0, True, 10_000, 1.0), ("QTB", 18, 1, True, 10_000, 100.0),
          ("QCORP", 18, 3, False, 4_000, 100.0), ("QSPX", 18, 5, False, 3_000, 50.0)]
VOLS_PPM = [500, 300, 6_000, 12_000]  # daily: 0.05%, 0.03%, 0.6%, 1.2%
CORRELATIONS = [0, 0, 0, 2_000, 1_000, 3_000]  # (0,1) (0,2) (0,3) (1,2) (1,3) (2,3), 1e-4
ES_MULTIPLIER_PPM = 2_600_000  # fatter than normal's 2.3378
# loss bps per asset for two scenarios (scenario-major)
STRESS_BPS = [0, -30, 1_200, 4_000, 1_300, 50, 1_400, 1_000]
LIMITS = dict(minLiquidBps=2_000, maxVar95Bps=150, maxVar99Bps=220, maxEsBps=260, maxStressLossBps=2_000,
              maxDrawdownBps=1_000, hardDrawdownBps=2_000, maxModelAge=2 * 86_400, maxPriceAge=3_600,
              minUpdateDelay=600, maxVolChangeBps=5_000, maxCorrelationChange=2_000, maxStressChangeBps=2_000,
              # 0: every change bounded per update (RSK-3); the window's tests set one (RSK-17).
              boundWindowHours=0, maxClassWeightBps=[0, 0, 0, 5_000, 0, 3_500, 0, 0])
LIMIT_FIELDS = ["minLiquidBps", "maxVar95Bps", "maxVar99Bps", "maxEsBps", "maxStressLossBps", "maxDrawdownBps",
                "hardDrawdownBps", "maxModelAge", "maxPriceAge", "minUpdateDelay", "maxVolChangeBps",
                "maxCorrelationChange", "maxStressChangeBps", "boundWindowHours", "maxClassWeightBps"]
ZERO_METRICS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def limits_tuple(**overrides):
    values = {**LIMITS, **overrides}
    return tuple(values[f] for f in LIMIT_FIELDS)


def asset_risk(**max_weights):
    return [(max_weights.get(sym, cap), cls, liquid) for sym, _, cls, liquid, cap, _ in ASSETS]


def model_update(update_id, as_of, vols=VOLS_PPM, correlations=CORRELATIONS, es=ES_MULTIPLIER_PPM,
                 stress=STRESS_BPS, metrics=ZERO_METRICS):
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


def bind_share_compliance(project, deployer, governor, manager, registry, vault, countries=(US,)):
    """The vault's shares are securities: a ComplianceEngine of their own (as a SecurityToken's),
    open in `countries`, bound by the governor."""
    engine = deployer.deploy(project.ComplianceEngine, manager, registry, vault)
    wire(manager, engine, "ComplianceEngine", deployer)
    vault.setShareCompliance(engine, sender=governor)
    registry.setSecurity(vault, True, sender=governor)  # as the deploy script lists it (SEC-9)
    for country in countries:
        engine.setJurisdiction(country, open_jurisdiction(), sender=governor)
    return engine


def deploy_security_token(project, deployer, governor, agent, manager, registry, name, symbol):
    zero = "0x0000000000000000000000000000000000000000"
    token = deployer.deploy(project.SecurityToken, manager, name, symbol, 18, registry, zero, zero)
    compliance = deployer.deploy(project.ComplianceEngine, manager, registry, token)
    wire(manager, compliance, "ComplianceEngine", deployer)
    wire(manager, token, "SecurityToken", deployer)
    token.setCompliance(compliance, sender=governor)
    registry.setSecurity(token, True, sender=governor)  # as the deploy script lists it (SEC-9)
    token.addAgent(agent, sender=governor)
    compliance.setJurisdiction(US, open_jurisdiction(), sender=governor)
    token.unpause(sender=agent)
    return token


@pytest.fixture(scope="session")
def risk_stack(project, chain, stack, deployer, governor, guardian, operator, agent, risk_keeper, reporter,
               executor, fund_investor):
    manager, registry, _, _ = stack
    for role, account in (("GUARDIAN", guardian), ("RISK_KEEPER", risk_keeper), ("PRICE_REPORTER", reporter),
                          ("EXECUTOR", executor)):
        manager.grantRole(ROLE_IDS[role], account, 0, sender=deployer)
    usdc = deployer.deploy(project.LocalStablecoin, manager, "USD Coin (local)", "USDC")
    wire(manager, usdc, "LocalStablecoin", deployer)
    # Its own tokens: the compliance tests' token keeps its supply to itself.
    qtb = deploy_security_token(project, deployer, governor, agent, manager, registry, "Quantera T-Bill", "QTB")
    qcorp = deploy_security_token(project, deployer, governor, agent, manager, registry, "Quantera IG Credit", "QCORP")
    qspx = deploy_security_token(project, deployer, governor, agent, manager, registry, "Quantera S&P 500", "QSPX")
    tokens = [usdc, qtb, qcorp, qspx]
    router = deployer.deploy(project.OracleRouter, manager)
    wire(manager, router, "OracleRouter", deployer)
    feeds = []
    for token, (symbol, _, _, _, _, price) in zip(tokens, ASSETS):
        feed = deployer.deploy(project.ReporterPriceFeed, manager, FEED_DECIMALS, f"{symbol} / USD")
        wire(manager, feed, "ReporterPriceFeed", deployer)
        feed.report(int(price * 10**FEED_DECIMALS), sender=reporter)
        router.setFeed(token, (feed, 86_400, "0x" + "00" * 20, 0, 0, 1, 10**30), sender=governor)
        feeds.append(feed)
    engine = deployer.deploy(project.RiskEngine, manager, router)
    wire(manager, engine, "RiskEngine", deployer)
    vault = deployer.deploy(project.PortfolioVault, manager, usdc, "Quantera Income Fund", "QIF", engine, router,
                            registry)
    wire(manager, vault, "PortfolioVault", deployer)
    bind_share_compliance(project, deployer, governor, manager, registry, vault)
    for token in tokens[1:]:
        vault.addAsset(token, sender=governor)
    venue = deployer.deploy(project.FixedRateVenue)
    vault.setVenue(venue, True, sender=governor)
    # The vault, the venue and the investor hold security tokens: verified identities.
    for holder, identity in ((vault, "0x" + "f0" * 20), (venue, "0x" + "f1" * 20), (fund_investor, "0x" + "f2" * 20)):
        registry.registerInvestor(holder, identity, US, INSTITUTIONAL, FAR_FUTURE, sender=operator)
    # Venue inventory, and the investor's cash.
    for token in tokens[1:]:
        token.mint(venue, 1_000_000 * UNIT, sender=agent)
    usdc.mint(venue, 100_000_000 * USDC_UNIT, sender=operator)
    usdc.mint(fund_investor, 10_000_000 * USDC_UNIT, sender=operator)
    for a, b in ((0, 1), (0, 2), (0, 3), (1, 0), (2, 0), (3, 0)):
        price_a, price_b = Fraction(ASSETS[a][5]), Fraction(ASSETS[b][5])
        scale = Fraction(10) ** (ASSETS[b][1] - ASSETS[a][1] + 18)
        venue.setRate(tokens[a], tokens[b], int(price_a / price_b * scale), sender=deployer)
    engine.configure(vault, asset_risk(), limits_tuple(), sender=governor)
    engine.publishModel(vault, model_update(1, chain.pending_timestamp - 60), sender=risk_keeper)
    usdc.approve(vault, 2**256 - 1, sender=fund_investor)
    vault.deposit(1_000_000 * USDC_UNIT, fund_investor, sender=fund_investor)
    engine.sync(vault, sender=deployer)
    return RiskStack(manager, registry, router, engine, vault, venue, tokens, feeds, deployer.deploy(project.RiskLens))


def swap_params(stack: RiskStack, sell: int, buy: int, amount: int, min_out: int = 0):
    sell_token, buy_token = stack.tokens[sell], stack.tokens[buy]
    data = stack.venue.swap.encode_input(sell_token, buy_token, amount)
    return (sell_token, amount, buy_token, min_out, stack.venue, data)
