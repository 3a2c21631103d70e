"""The fund dealing stack as deployed: a money-market fund's share class (a SecurityToken with its
ComplianceEngine, keepers/compliance/deploy.py), a local settlement stablecoin
(keepers/vault/deploy.py), the share's price feed on the OracleRouter (keepers/risk/deploy.py), the
NAV source (`FundNavDouble`, the registry's stand-in, test double) and the FundVault by its
deploy step (keepers/lifecycle/fund_deploy.py), on the compliance stack's authority and registry.

Wallets are fresh test accounts (`generate_test_account`): the shared registry never sees the
compliance tests' wallets registered by this stack."""

from dataclasses import dataclass, field

import pytest

from compliance_fixtures import (
    ACCREDITED,
    DE,
    FAR_FUTURE,
    GB,
    INSTITUTIONAL,
    RETAIL,
    US,
    extend,
    open_jurisdiction,
)
from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_security
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import deploy_fund_vault, deploy_income_share_token, next_cutoff
from keepers.lifecycle.fund_deploy import FUND_ADMIN, FUND_INSTANT, FUND_VAULT
from keepers.risk import deploy_feeds, deploy_oracle, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

INSTRUMENT_ID = 17
USD_UNIT, SHARE_UNIT, NAV_UNIT = 10**6, 10**18, 10**18
DAY = 86_400
VAULT_IDENTITY = "0x" + "f7" * 20
INCOME_VAULT_IDENTITY = "0x" + "e7" * 20
FUND_COUNTRIES = (US, DE, GB)
# label -> (country, class); every investor wallet has its own identity.
INVESTORS = {
    "alice": (US, ACCREDITED),
    "bob": (US, INSTITUTIONAL),
    "carol": (DE, ACCREDITED),
    "dave": (GB, RETAIL),
    "erin": (US, ACCREDITED),
    "frank": (DE, INSTITUTIONAL),
}
FUNDING_USD = 10_000_000


def admin_of(d) -> str:
    """The fund stack's vault's admin module, from the record (`FundAdmin.FundVault.<hash>`)."""
    [name] = [n for n in d.record.contracts if n.startswith(f"{FUND_ADMIN}.{FUND_VAULT}.")]
    return d.address(name)


def instant_of(d) -> str:
    """The fund stack's vault's module, from the record (`FundInstant.FundVault.<code hash>`)."""
    [name] = [n for n in d.record.contracts if n.startswith(f"{FUND_INSTANT}.{FUND_VAULT}.")]
    return d.address(name)


def identity_for(label: str) -> str:
    return "0x" + label.encode().hex().rjust(40, "0")


def fresh_account(accounts, chain):
    """A new funded test account no other stack uses."""
    account = accounts.generate_test_account()
    chain.provider.set_balance(account.address, 10**21)
    return account


def management_fee(chain, accounts, registry, schedule, vault, governor, operator, tag, bps=100):
    """A `bps`/yr management fee on `vault`, paid to a fresh registered recipient."""
    recipient = fresh_account(accounts, chain)
    registry.registerInvestor(
        recipient, "0x" + tag * 20, US, INSTITUTIONAL, FAR_FUTURE, sender=operator
    )
    schedule.setFeeSchedule(vault, (0, 0, 0, 0, bps, recipient, []), sender=governor)
    return recipient


def year_fee(base: int, seconds: int, bps: int = 100) -> int:
    """FeeMath's management fee: `base x r / (1 - r)` for `r = bps x seconds / (BPS x YEAR)`."""
    return base * bps * seconds // (10_000 * 365 * DAY - bps * seconds)


@dataclass
class FundStack:
    deployment: object
    manager: object
    registry: object
    vault: object
    share: object
    engine: object
    usdc: object
    router: object
    feed: object
    nav_source: object
    nav_agent: object
    fund_manager: object
    custodian: object
    reporter: object
    agent: object
    governor: object
    operator: object
    investors: dict = field(default_factory=dict)

    def report_nav(self, price_usd: float | int) -> None:
        """The share's price feed answers `price_usd` (FEED_DECIMALS) at the next block's time."""
        self.feed.report(int(round(price_usd * 10**FEED_DECIMALS)), sender=self.reporter)

    def nav18(self, price_usd: float | int) -> int:
        return int(round(price_usd * 10**FEED_DECIMALS)) * 10 ** (18 - FEED_DECIMALS)

    def cutoff(self) -> int:
        return self.vault.dealing()[1]

    def past_cutoff(self, chain) -> None:
        """The next block is at the open period's cut-off."""
        chain.pending_timestamp = max(chain.pending_timestamp, self.cutoff())

    def strike(self, chain, price_usd: float | int = 1):
        """Moves past the cut-off, reports a fresh NAV and strikes as the NAV agent."""
        self.past_cutoff(chain)
        self.report_nav(price_usd)
        return self.vault.strike(sender=self.nav_agent)

    def charge_management(self, chain, accounts, tag: str, bps: int = 100):
        """`management_fee` on this stack's vault: `bps`/yr to a fresh registered recipient."""
        return management_fee(
            chain,
            accounts,
            self.registry,
            self.deployment.at("FeeSchedule"),
            self.vault,
            self.governor,
            self.operator,
            tag,
            bps,
        )

    def fund(self, wallet, usd: int = FUNDING_USD) -> None:
        """Mints `usd` of the stablecoin to `wallet` and lets the vault take it and its shares."""
        self.usdc.mint(wallet, usd * USD_UNIT, sender=self.operator)
        self.usdc.approve(self.vault, 2**256 - 1, sender=wallet)
        self.share.approve(self.vault, 2**256 - 1, sender=wallet)


@pytest.fixture(scope="session")
def fund_math(project, deployer):
    """The FundVault's libraries exposed (test double)."""
    return deployer.deploy(project.FundMathHarness)


@pytest.fixture(scope="session")
def fund_stack(chain, accounts, project, stack_deployment, governor, operator, agent):
    """The fund vault of a money-market fund share class "QMMF" ($1.00 NAV, daily cut-offs, no
    gate), its share open in the US, Germany and the UK to retail and up, the vault registered
    as a US institutional identity; six investors registered (INVESTORS) and funded with
    $10,000,000 each, the vault approved for their stablecoin and shares."""
    return build_fund_stack(
        chain, accounts, project, stack_deployment, governor, operator, agent, "QMMF"
    )


@pytest.fixture(scope="session")
def income_fund_stack(chain, accounts, project, stack_deployment, governor, operator, agent):
    """`fund_stack` over a share class paying its daily dividend in new shares ("QMMFD", an
    IncomeShareToken by keepers/lifecycle/deploy.py's `deploy_income_share_token`; `agent`
    declares, its MINT capability)."""
    return build_fund_stack(
        chain, accounts, project, stack_deployment, governor, operator, agent, "QMMFD", income=True
    )


def build_fund_stack(
    chain, accounts, project, stack_deployment, governor, operator, agent, symbol, *, income=False
):
    """The stack of `fund_stack` for share class `symbol` (an IncomeShareToken if `income`)."""
    d = extend(stack_deployment)
    nav_agent, fund_manager, custodian, reporter = (
        fresh_account(accounts, chain) for _ in range(4)
    )
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", reporter.address))
    usdc = deploy_stablecoin(d, "USDFD" if income else "USDF", "Fund Dollar (local)")
    jurisdictions = [(country, open_jurisdiction()) for country in FUND_COUNTRIES]
    name = "Quantera Money Market Fund" + (" (income)" if income else "")
    if income:
        share = deploy_income_share_token(
            d,
            name,
            symbol,
            agent=agent.address,
            declarer=agent.address,
            jurisdictions=jurisdictions,
        )
    else:
        share = deploy_security(
            d, f".{symbol}", name, symbol, agent=agent.address, jurisdictions=jurisdictions
        )
    router = deploy_oracle(d)
    feeds = deploy_feeds(d, {symbol: 10**FEED_DECIMALS})
    set_feeds(d, router, {symbol: (share.address, feed_config(feeds[symbol].address))})
    nav_source = d.sender.deploy(project.FundNavDouble, router)  # test double
    vault = deploy_fund_vault(
        d,
        share,
        usdc,
        nav_source,
        INSTRUMENT_ID,
        identity=INCOME_VAULT_IDENTITY if income else VAULT_IDENTITY,
        first_cutoff=next_cutoff(chain.blocks.head.timestamp, DAY) + DAY,
        nav_agent=nav_agent.address,
        fund_manager=fund_manager.address,
        custodian=custodian.address,
    )
    renounce_temporary_roles(d)
    nav_source.configure(INSTRUMENT_ID, share, vault, True, sender=d.sender)
    share.unpause(sender=agent)
    registry = d.at("IdentityRegistry")
    stack = FundStack(
        deployment=d,
        manager=d.at("QuanteraAccessManager"),
        registry=registry,
        vault=vault,
        share=share,
        engine=d.at("ComplianceEngine", f"ComplianceEngine.{symbol}"),
        usdc=usdc,
        router=router,
        feed=feeds[symbol],
        nav_source=nav_source,
        nav_agent=nav_agent,
        fund_manager=fund_manager,
        custodian=custodian,
        reporter=reporter,
        agent=agent,
        governor=governor,
        operator=operator,
    )
    for label, (country, investor_class) in INVESTORS.items():
        wallet = fresh_account(accounts, chain)
        registry.registerInvestor(
            wallet, identity_for(label), country, investor_class, FAR_FUTURE, sender=operator
        )
        stack.fund(wallet)
        stack.investors[label] = wallet
    return stack
