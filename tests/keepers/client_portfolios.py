"""Client portfolios for the tests that need an asset manager's clients on a fresh deployment
(the bulk rebalance tests, the console's asset manager page): `funded_clients`."""

from __future__ import annotations

USDC_UNIT = 10**6
AGENT, INVESTOR = 5, 19  # test accounts as `ape run deploy all` assigns them locally


def funded_clients(d, count: int, keeper: str) -> list:
    """`count` client portfolios on deployment `d` (connected, its sender the deployer) by the
    rebalancing domain's `deploy_client_portfolios`, intents signed by and bound to `keeper`,
    each funded with cash only ((10,000 + 7,000 i) USDC) by a verified investor, a calm risk
    model and a sync; the security tokens unpaused first, the deployer's temporary roles
    renounced and the record saved after. Returns the vaults."""
    from ape import accounts, chain, project

    from keepers.access import renounce_temporary_roles
    from keepers.rebalancing.deploy import (
        calm_risk_model,
        deploy_client_portfolios,
        fund_client_portfolios,
    )
    from keepers.vault import load_portfolio

    t = accounts.test_accounts
    for token in list(d.at("PortfolioVault").assets())[1:]:
        security = project.SecurityToken.at(token)
        if security.paused():
            security.unpause(sender=t[AGENT])
    vaults = deploy_client_portfolios(d, count, load_portfolio().strategy_tuple(), [keeper], keeper)
    calm = calm_risk_model(d.at("RiskEngine"), lambda: chain.blocks.head.timestamp)
    cash = [(10_000 + 7_000 * i) * USDC_UNIT for i in range(count)]
    fund_client_portfolios(d, vaults, t[INVESTOR], cash, calm)
    renounce_temporary_roles(d)
    d.save()
    return vaults
