"""Vault domain (contracts/vault): the fund's portfolio definition every keeper loads (assets,
risk limits, rebalancing strategy, dealing fee), the price history its assets follow, and the
deploy steps of a vault and of the whole fund (`deploy`).

Other domains, the CLI and the demo import these names from `keepers.vault` only."""

from keepers.core.exports import lazy_exports
from keepers.vault.dealing import first_round_after, settlement_rounds
from keepers.vault.portfolio import (
    LIMIT_FIELDS,
    Portfolio,
    PortfolioAsset,
    PortfolioError,
    history,
    load_portfolio,
)

# Its deploy steps (loaded on first use).
_DEPLOY = {
    name: "deploy"
    for name in (
        "FUND_IDENTITY",
        "deploy_admin_module",
        "deploy_basket_module",
        "deploy_fund",
        "deploy_stablecoin",
        "deploy_vault",
        "register_steps",
        "vault_steps",
    )
}
__all__ = [
    "LIMIT_FIELDS",
    "Portfolio",
    "PortfolioAsset",
    "PortfolioError",
    "first_round_after",
    "history",
    "load_portfolio",
    "settlement_rounds",
    *sorted(_DEPLOY),
]
__getattr__ = lazy_exports(__name__, _DEPLOY)
