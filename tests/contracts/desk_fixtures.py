"""A money-market share class dealt in three settlement assets through a FundDesk: the share (a
SecurityToken with its ComplianceEngine), three local stablecoins listed on the SettlementAssets
with their price feeds on the OracleRouter, the NAV source (`FundNavDouble`, the registry's
stand-in, which lets the desk strike) and the desk with one FundVault per asset, all built by the
deploy steps (keepers/lifecycle/fund_deploy.py `deploy_fund_desk`, keepers/lifecycle/deploy.py).

The vaults' order is the accepted masks' bits: 0 the reserve-backed coin (rank 3), 1 the
tokenized deposit (rank 2), 2 the wholesale CBDC (rank 1, the most preferred): the preference is
not the registration order."""

from dataclasses import dataclass, field

import pytest

from compliance_fixtures import ACCREDITED, FAR_FUTURE, US, extend, open_jurisdiction
from fund_fixtures import DAY, SHARE_UNIT, USD_UNIT, fresh_account, identity_for, management_fee
from keepers.access import grant_calls, renounce_temporary_roles, send_to_manager
from keepers.compliance import deploy_security
from keepers.core.units import FEED_DECIMALS
from keepers.lifecycle import (
    SettlementAssetType,
    deploy_fund_desk,
    deploy_settlement_assets,
    list_settlement_assets,
    next_cutoff,
)
from keepers.risk import deploy_feeds, deploy_oracle, feed_config, set_feeds
from keepers.vault import deploy_stablecoin

DESK_INSTRUMENT_ID = 71
# label -> (SettlementAssetConfig: type, weight bps, rank, depeg bps), in vault order.
DESK_ASSETS = {
    "DUSD": (SettlementAssetType.RESERVE_BACKED, 10_000, 3, 100),
    "DTOK": (SettlementAssetType.TOKENIZED_DEPOSIT, 2_000, 2, 50),
    "DCBDC": (SettlementAssetType.WHOLESALE_CBDC, 0, 1, 50),
}
USD_BIT, TOK_BIT, CBDC_BIT = 1, 2, 4
ALL = USD_BIT | TOK_BIT | CBDC_BIT
DESK_INVESTORS = ("alice", "bob", "carol")
FUNDING_USD = 10_000_000


@dataclass
class DeskStack:
    deployment: object
    desk: object
    vaults: dict  # label -> FundVault
    coins: dict  # label -> LocalStablecoin
    feeds: dict  # label -> ReporterPriceFeed: "DMMF" (the share's NAV) and each coin's
    share: object
    assets: object  # SettlementAssets
    nav_source: object
    # nav_agent, reporter, governor, operator, agent
    roles: dict
    investors: dict = field(default_factory=dict)

    def cutoff(self) -> int:
        return self.vaults["DUSD"].dealing()[1]

    def __getattr__(self, role: str):
        try:
            return self.__dict__["roles"][role]
        except KeyError:
            raise AttributeError(role) from None

    @property
    def engine(self):
        return self.deployment.at("ComplianceEngine", "ComplianceEngine.DMMF")

    @property
    def coin_feeds(self) -> dict:
        return {label: self.feeds[label] for label in self.coins}

    @property
    def share_feed(self):
        return self.feeds["DMMF"]

    def report(self, feed, price_usd: float) -> None:
        feed.report(int(round(price_usd * 10**FEED_DECIMALS)), sender=self.reporter)

    def charge_management(self, chain, accounts, tag: str, bps: int = 100):
        """`management_fee` on the desk's fee vault (DUSD): `bps`/yr to a fresh registered
        recipient."""
        return management_fee(
            chain,
            accounts,
            self.deployment.at("IdentityRegistry"),
            self.deployment.at("FeeSchedule"),
            self.vaults["DUSD"],
            self.governor,
            self.operator,
            tag,
            bps,
        )

    def strike(self, chain, price_usd: float = 1.0):
        """Past the vaults' cut-off, a fresh NAV (and fresh coin prices), the desk's strike."""
        chain.pending_timestamp = max(chain.pending_timestamp, self.cutoff())
        self.report(self.share_feed, price_usd)
        for feed in self.coin_feeds.values():
            self.report(feed, 1.0)
        return self.desk.strike(sender=self.nav_agent)

    def fund_books(self, chain, usd) -> "DeskStack":
        """Alice subscribes $1,000,000 in DUSD and bob $500,000 in DTOK through the desk, struck at
        $1.00 and claimed (`usd` converts dollars to the coins' units)."""
        alice, bob = self.investors["alice"], self.investors["bob"]
        self.desk.requestDeposit(self.coins["DUSD"], usd(1_000_000), alice, sender=alice)
        self.desk.requestDeposit(self.coins["DTOK"], usd(500_000), bob, sender=bob)
        self.strike(chain)
        self.vaults["DUSD"].deposit(usd(1_000_000), alice, sender=alice)
        self.vaults["DTOK"].deposit(usd(500_000), bob, sender=bob)
        return self


@pytest.fixture(scope="session")
def desk_stack(chain, accounts, project, stack_deployment, governor, operator, agent):
    d = extend(stack_deployment)
    nav_agent, reporter = (fresh_account(accounts, chain) for _ in range(2))
    send_to_manager(d, grant_calls(d, "PRICE_REPORTER", reporter.address))
    coins = {label: deploy_stablecoin(d, label, f"{label} (local)") for label in DESK_ASSETS}
    share = deploy_security(
        d,
        ".DMMF",
        "Desk Money Market Fund",
        "DMMF",
        agent=agent.address,
        jurisdictions=[(US, open_jurisdiction())],
    )
    router = deploy_oracle(d)
    feeds = deploy_feeds(d, {label: 10**FEED_DECIMALS for label in ("DMMF", *DESK_ASSETS)})
    set_feeds(
        d,
        router,
        {
            label: (token.address, feed_config(feeds[label].address))
            for label, token in {"DMMF": share, **coins}.items()
        },
    )
    assets = deploy_settlement_assets(d, router)
    list_settlement_assets(
        d, assets, {label: (coins[label].address, config) for label, config in DESK_ASSETS.items()}
    )
    nav_source = d.sender.deploy(project.FundNavDouble, router)  # test double
    desk, vaults = deploy_fund_desk(
        d,
        share,
        assets,
        nav_source,
        DESK_INSTRUMENT_ID,
        coins,
        identities={label: identity_for(f"vault.{label}") for label in coins},
        first_cutoff=next_cutoff(chain.blocks.head.timestamp, DAY) + DAY,
        nav_agent=nav_agent.address,
        instant_limit=10_000_000 * USD_UNIT,
    )
    renounce_temporary_roles(d)
    nav_source.configure(DESK_INSTRUMENT_ID, share, desk, True, sender=d.sender)
    share.unpause(sender=agent)
    registry = d.at("IdentityRegistry")
    roles = dict(
        nav_agent=nav_agent, reporter=reporter, governor=governor, operator=operator, agent=agent
    )
    stack = DeskStack(d, desk, vaults, coins, feeds, share, assets, nav_source, roles)
    for label in DESK_INVESTORS:
        wallet = fresh_account(accounts, chain)
        registry.registerInvestor(
            wallet, identity_for(f"desk.{label}"), US, ACCREDITED, FAR_FUTURE, sender=operator
        )
        for coin, vault in zip(coins.values(), vaults.values(), strict=True):
            coin.mint(wallet, FUNDING_USD * USD_UNIT, sender=operator)
            coin.approve(vault, 2**256 - 1, sender=wallet)
            share.approve(vault, 2**256 - 1, sender=wallet)
            vault.setOperator(desk, True, sender=wallet)
        stack.investors[label] = wallet
    return stack


__all__ = ["ALL", "CBDC_BIT", "DESK_INSTRUMENT_ID", "SHARE_UNIT", "TOK_BIT", "USD_BIT", "USD_UNIT"]
