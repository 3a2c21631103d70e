"""The deployment record of the network a bot is connected to, and what keepers read from it:
the contracts whose units are securities and the portfolio's price feeds."""

from __future__ import annotations

from typing import Any

from ape import chain, project

from keepers.core.ape_config import cache_network_config
from keepers.core.artifacts import project_at
from keepers.core.deployments import DeploymentRecord, load, record_path

cache_network_config()


def connected_record() -> DeploymentRecord:
    network = chain.provider.network
    record = load(record_path(f"{network.ecosystem.name}:{network.name}"))
    if record.chain_id != chain.chain_id:
        raise RuntimeError(
            f"deployment record is for chain {record.chain_id}, provider is on {chain.chain_id}"
        )
    return record


def share_contracts(record: DeploymentRecord) -> list[str]:
    """Every deployed contract whose units are securities: each SecurityToken and the vault's
    shares."""
    return [
        address
        for name, address in sorted(record.contracts.items())
        if name == "PortfolioVault" or name == "SecurityToken" or name.startswith("SecurityToken.")
    ]


def portfolio_feeds(record: DeploymentRecord, portfolio: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The deployed PortfolioVault, the OracleRouter, and each portfolio asset's primary price feed
    (by symbol, in the vault's asset order) — what the risk and signal keepers read prices from."""
    vault = project_at("PortfolioVault", record.address_of("PortfolioVault"))
    router = project_at("OracleRouter", record.address_of("OracleRouter"))
    feeds = {
        asset.symbol: project.ReporterPriceFeed.at(router.feedOf(token).primary)
        for asset, token in zip(portfolio.assets, vault.assets())
    }
    return vault, router, feeds
