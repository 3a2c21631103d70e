"""What every bot needs: the deployment record of the connected network, the portfolio's price
feeds, and bounded log fetching."""

from __future__ import annotations

from typing import Any, Iterator

from ape import chain, project
from ape.types import LogFilter
from eth_utils import encode_hex, keccak

from keepers.deployments import DeploymentRecord, load, record_path

# Largest block range one eth_getLogs call asks for (public RPCs cap ranges).
MAX_LOG_RANGE = 2_000


def connected_record() -> DeploymentRecord:
    network = chain.provider.network
    record = load(record_path(f"{network.ecosystem.name}:{network.name}"))
    if record.chain_id != chain.chain_id:
        raise RuntimeError(
            f"deployment record is for chain {record.chain_id}, provider is on {chain.chain_id}"
        )
    return record


def share_contracts(record: DeploymentRecord) -> list[str]:
    """Every deployed contract whose units are securities: each SecurityToken and the vault's shares."""
    return [address for name, address in sorted(record.contracts.items())
            if name == "PortfolioVault" or name == "SecurityToken" or name.startswith("SecurityToken.")]


def portfolio_feeds(record: DeploymentRecord, portfolio: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The deployed PortfolioVault, the OracleRouter, and each portfolio asset's primary price feed
    (by symbol, in the vault's asset order) — what the risk and signal keepers read prices from."""
    vault = project.PortfolioVault.at(record.address_of("PortfolioVault"))
    router = project.OracleRouter.at(record.address_of("OracleRouter"))
    feeds = {asset.symbol: project.ReporterPriceFeed.at(router.feedOf(token).primary)
             for asset, token in zip(portfolio.assets, vault.assets())}
    return vault, router, feeds


def fetch_logs(address: str | list[str], event_abis: list, start: int, stop: int) -> Iterator:
    """Decoded logs of `event_abis` emitted by `address` (one or several contracts) in blocks
    [start, stop], one eth_getLogs per MAX_LOG_RANGE blocks (bounded: ceil((stop - start + 1) /
    MAX_LOG_RANGE) calls; none when start > stop: an empty range is never sent)."""
    addresses = [address] if isinstance(address, str) else list(address)
    topics = [[encode_hex(keccak(text=abi.selector)) for abi in event_abis]]
    for chunk_start in range(start, stop + 1, MAX_LOG_RANGE):
        log_filter = LogFilter(
            addresses=addresses, events=event_abis, topic_filter=topics,
            start_block=chunk_start, stop_block=min(chunk_start + MAX_LOG_RANGE - 1, stop),
        )
        yield from chain.provider.get_contract_logs(log_filter)
