"""Vault domain (contracts/vault): the fund's portfolio definition every keeper loads (assets,
risk limits, rebalancing strategy, dealing fee) and the price history its assets follow.

Other domains, the CLI and the demo import these names from `keepers.vault` only."""

from keepers.vault.portfolio import (
    LIMIT_FIELDS,
    Portfolio,
    PortfolioAsset,
    PortfolioError,
    history,
    load_portfolio,
)

__all__ = ["LIMIT_FIELDS", "Portfolio", "PortfolioAsset", "PortfolioError", "history", "load_portfolio"]
