"""The lifecycle stack as deployed: the oracle router with reporter feeds, the settlement assets
(a wholesale CBDC, a tokenized deposit, a reserve-backed stablecoin and a crypto asset, listed),
the instrument registry with its terms validator, and share tokens for instruments — built by the
deploy script's own steps (keepers/{lifecycle,risk,compliance,vault}/deploy.py) on the compliance
stack's authority and registry, with one issuer approved."""

from dataclasses import dataclass

import pytest

from compliance_fixtures import extend
from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.core.deploying import Deployment
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    InstrumentKind,
    InstrumentTerms,
    SettlementAssetType,
    approve_issuers,
    deploy_lifecycle,
    list_settlement_assets,
    set_token_issuer,
    utc_midnight,
)
from keepers.risk import deploy_feeds, feed_config, set_feeds
from keepers.vault import deploy_stablecoin
from risk_fixtures import deploy_security_token

DAY = 86_400
YEAR = 365 * DAY
# Settlement assets: symbol -> (contract, SettlementAssetConfig (type, weight, rank, depeg bps),
# price in USD). 6-decimal local coins and 18-decimal security tokens, so conversions rescale.
SETTLEMENT = {
    "WCBDC": ("coin", (SettlementAssetType.WHOLESALE_CBDC, 0, 1, 50), 1.0),
    "TDEP": ("security", (SettlementAssetType.TOKENIZED_DEPOSIT, 2_000, 2, 50), 1.0),
    "USDC": ("coin", (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100), 1.0),
    "QETH": ("security", (SettlementAssetType.CRYPTO, 125_000, 9, 0), 3_000.0),
}
# Share tokens of instruments (SecurityTokens) and their opening prices (USD per whole share).
SHARES = {"QMMF": 1.0, "QTN28": 100.0, "QBILL": 99.0, "QFRN": 100.0}
# Real identifiers (check digits verified in tests/contracts/lifecycle/test_instrument_codes.py):
# Apple's ISIN and CUSIP, a US Treasury bond's.
APPLE_ISIN, APPLE_CUSIP = "US0378331005", "037833100"
TREASURY_ISIN, TREASURY_CUSIP = "US912810TM09", "912810TM0"


@dataclass
class LifecycleStack:
    d: Deployment
    manager: object
    router: object
    assets: object  # SettlementAssets
    validator: object
    registry: object
    feeds: dict  # symbol -> ReporterPriceFeed
    tokens: dict  # settlement asset symbol -> token
    shares: dict  # share token symbol -> SecurityToken

    def answer(self, price: float) -> int:
        return int(round(price * 10**FEED_DECIMALS))


@pytest.fixture(scope="session")
def issuer(accounts):
    return accounts[14]


@pytest.fixture(scope="session")
def issuer_operator(accounts):
    return accounts[15]


@pytest.fixture(scope="session")
def other_issuer(accounts):
    return accounts[16]


@pytest.fixture(scope="session")
def fund_contract(accounts):
    """Stands in for an instrument's fund contract (an address the issuer names with `setFund`)."""
    return accounts[17]


@pytest.fixture(scope="session")
def lifecycle(stack_deployment, guardian, agent, reporter, issuer, other_issuer):
    d = extend(stack_deployment)
    send_to_manager(
        d,
        [
            call
            for role, account in (("GUARDIAN", guardian), ("PRICE_REPORTER", reporter))
            for call in grant_calls(d, role, account.address)
        ],
    )
    tokens = {
        symbol: (
            deploy_stablecoin(d, symbol, f"{symbol} (local)")
            if kind == "coin"
            else deploy_security_token(d, agent, f"{symbol} (test)", symbol)
        )
        for symbol, (kind, _, _) in SETTLEMENT.items()
    }
    shares = {
        symbol: deploy_security_token(d, agent, f"Quantera {symbol}", symbol) for symbol in SHARES
    }
    prices = {**{s: p for s, (_, _, p) in SETTLEMENT.items()}, **SHARES}
    feeds = deploy_feeds(d, {s: int(round(p * 10**FEED_DECIMALS)) for s, p in prices.items()})
    registry = deploy_lifecycle(d)
    router = d.at("OracleRouter")
    set_feeds(
        d,
        router,
        {s: (token, feed_config(feeds[s].address)) for s, token in {**tokens, **shares}.items()},
    )
    assets = d.at("SettlementAssets")
    list_settlement_assets(
        d,
        assets,
        {s: (tokens[s].address, config) for s, (_, config, _) in SETTLEMENT.items()},
    )
    approve_issuers(d, registry, {"the issuer": issuer.address, "another": other_issuer.address})
    # Both issuers are agents of every share token here (PAUSE, UNPAUSE): either may register one
    # (SEC-130; test_bond_findings.py registers a token only its own issuer is an agent of).
    for account in (issuer, other_issuer):
        set_token_issuer(d, list(shares.values()), account.address)
    renounce_temporary_roles(d)
    return LifecycleStack(
        d,
        d.at("QuanteraAccessManager"),
        router,
        assets,
        d.at("TermsValidator"),
        registry,
        feeds,
        tokens,
        shares,
    )


def note_terms(stack: LifecycleStack, now: int, **overrides) -> InstrumentTerms:
    """A two-year 4.25% semi-annual note on the Treasury bond's identifiers, share token QTN28,
    settling in USDC and the tokenized deposit, callable at 101% after a year."""
    from keepers.lifecycle import BusinessDayConvention, CallTerms, CouponTerms, DayCountConvention

    issue = utc_midnight(now) - 30 * DAY
    values = dict(
        kind=InstrumentKind.FIXED_COUPON_NOTE,
        isin=TREASURY_ISIN,
        cusip=TREASURY_CUSIP,
        share_token=stack.shares["QTN28"].address,
        settlement_assets=[stack.tokens["USDC"].address, stack.tokens["TDEP"].address],
        face_value=100 * 10**18,
        coupon=CouponTerms(
            fixed_rate_bps=425,
            frequency=2,
            day_count=DayCountConvention.THIRTY_360_BOND_BASIS,
            roll=BusinessDayConvention.MODIFIED_FOLLOWING,
            record_date_offset_days=1,
        ),
        issue_date=issue,
        maturity_date=issue + 2 * YEAR,
        call=CallTerms(True, issue + YEAR, 10_100),
    )
    values.update(overrides)
    return InstrumentTerms(**values)


def fund_terms(stack: LifecycleStack, now: int, **overrides) -> InstrumentTerms:
    """An open-ended money-market share class (Apple's ISIN stands in), share token QMMF, settling
    in the CBDC and USDC."""
    values = dict(
        kind=InstrumentKind.MONEY_MARKET_FUND,
        isin=APPLE_ISIN,
        share_token=stack.shares["QMMF"].address,
        settlement_assets=[stack.tokens["WCBDC"].address, stack.tokens["USDC"].address],
        issue_date=utc_midnight(now) - DAY,
    )
    values.update(overrides)
    return InstrumentTerms(**values)
