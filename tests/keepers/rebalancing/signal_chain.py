"""The signal keeper's contracts on the `deploy all` deployment, an investor's deposit into the
fund's vault and the keeper itself, as the rebalancing chain tests use them (the signal loop,
RBL-12; the vault's upgrade drill, UPG-9)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

USDC_UNIT = 10**6


@dataclass
class SignalChain:
    record: Any
    vault: Any
    risk: Any
    router: Any
    rebalancer: Any
    aggregator: Any
    lens: Any
    registry: Any

    def at(self, kind: str, name: str) -> Any:
        from keepers.core.artifacts import project_at

        return project_at(kind, self.record.address_of(name))


def open_signal_chain(record: Any) -> SignalChain:
    """The record's vault, risk engine, router, rebalancer, aggregator, lens and registry (each
    read as exactly its type: `project_at`)."""
    from keepers.core.artifacts import project_at

    at = lambda kind, name: project_at(kind, record.address_of(name))  # noqa: E731
    return SignalChain(
        record,
        at("PortfolioVault", "PortfolioVault"),
        at("RiskEngine", "RiskEngine"),
        at("OracleRouter", "OracleRouter"),
        at("AutoRebalancer", "AutoRebalancer"),
        at("LiquidityAggregator", "LiquidityAggregator"),
        at("RebalancerLens", "RebalancerLens"),
        at("IdentityRegistry", "IdentityRegistry"),
    )


def invest(c: SignalChain, investor: Any, operator: Any, agent: Any, usd: int) -> None:
    """The fund's securities unpaused (the agent), `investor` registered (identity 0xe9...e9, US
    institutional) and `usd` of the settlement coin minted for it (the operator), then deposited."""
    from ape import project

    tokens = [str(t) for t in c.vault.assets()]
    for token in tokens[1:]:
        security = project.SecurityToken.at(token)
        if security.paused():
            security.unpause(sender=agent)
    usdc = project.LocalStablecoin.at(tokens[0])
    c.registry.registerInvestor(investor, "0x" + "e9" * 20, 840, 4, 2**40 - 1, sender=operator)
    usdc.mint(investor, usd * USDC_UNIT, sender=operator)
    usdc.approve(c.vault, usd * USDC_UNIT, sender=investor)
    c.vault.deposit(usd * USDC_UNIT, investor, sender=investor)


def signal_keeper(chain: Any, c: SignalChain, db: Any, market: Any, selector: Any, signer: Any):
    """A SignalKeeper over `c` as the signal bot builds one (keepers/rebalancing/bot.py), signing
    with `signer` and relaying itself."""
    from keepers.liquidity.router import Router, sources_from_record
    from keepers.rebalancing.cycle import DOMAIN
    from keepers.rebalancing.intent import account_signer
    from keepers.rebalancing.keeper import KeeperConfig, SignalKeeper

    return SignalKeeper(
        chain,
        c.rebalancer,
        c.lens,
        c.vault,
        c.router,
        c.aggregator,
        db,
        lambda: market,
        selector,
        account_signer(signer, DOMAIN, chain.chain_id, c.rebalancer.address),
        signer.address,
        signer,
        KeeperConfig(),
        Router(c.aggregator, sources_from_record(c.record.contracts)),
    )


def publish_model(chain: Any, c: SignalChain, db: Any, portfolio: Any, market: Any, keeper: Any):
    """The risk keeper's model update for the vault from the last 500 days of `market`, as of the
    head's second before (keepers.risk.publication.publish). Returns what it published."""
    from keepers.risk.publication import publish

    now = chain.blocks.head.timestamp
    return publish(
        db,
        chain.chain_id,
        c.risk,
        c.vault,
        c.router,
        portfolio,
        market.prices.iloc[-500:],
        now - 1,
        now,
        keeper,
        lens=c.at("RiskLens", "RiskLens"),
    )
