"""Rebalancing domain deploy steps (contracts/rebalancing): the AutoRebalancer over the record's
LiquidityAggregator and OracleRouter, its read-only periphery (RebalancerLens), EXECUTOR on the
vaults it rebalances, and a vault's strategy, intent signers and relayer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keepers.access import as_role, grant_calls, is_admin, wire
from keepers.core.deploying import Deployment, Step


def deploy_rebalancer(d: Deployment) -> Any:
    """The AutoRebalancer, wired and holding EXECUTOR (the vault's `trade`), and its lens
    (stateless, nothing to wire). Returns the rebalancer."""
    rebalancer = d.deploy_contract(
        "AutoRebalancer",
        "AutoRebalancer",
        d.at("QuanteraAccessManager"),
        d.at("LiquidityAggregator"),
        d.at("OracleRouter"),
    )
    # The rebalancer's read-only periphery (the strategy in force).
    d.deploy_contract("RebalancerLens", "RebalancerLens")
    if is_admin(d, "rebalancer wiring"):
        wire(d, [(rebalancer, "AutoRebalancer")], grant_calls(d, "EXECUTOR", rebalancer.address))
    return rebalancer


def strategy_steps(
    d: Deployment,
    rebalancer: Any,
    vault: Any,
    strategy: tuple,
    signers: Iterable[str] = (),
    relayer: str | None = None,
) -> list[Step]:
    """GOVERNOR steps: the vault's strategy (unless in force), each signer not yet authorised,
    and the one relayer its intents execute from (None: anyone relays, and a copied intent can be
    relayed through a pool moved in the same block)."""
    current, strategy_id, _ = d.at("RebalancerLens").strategyOf(rebalancer, vault)
    on_chain = tuple(list(v) if isinstance(v, (list, tuple)) else int(v) for v in current)
    wanted = tuple(list(v) if isinstance(v, (list, tuple)) else v for v in strategy)
    steps: list[Step] = []
    if strategy_id == 0 or on_chain != wanted:
        steps.append(
            (
                "set the vault's rebalancing strategy",
                lambda: rebalancer.setStrategy(vault, strategy, sender=d.sender),
            )
        )
    steps += [
        (
            f"authorise {signer} to sign rebalance intents",
            lambda s=signer: rebalancer.setSigner(vault, s, True, sender=d.sender),
        )
        for signer in signers
        if not rebalancer.isSigner(vault, signer)
    ]
    if relayer and rebalancer.relayerOf(vault).lower() != relayer.lower():
        steps.append(
            (
                f"bind the vault's rebalance intents to relayer {relayer}",
                lambda: rebalancer.setRelayer(vault, relayer, sender=d.sender),
            )
        )
    return steps


def rebalance_vault(
    d: Deployment,
    rebalancer: Any,
    vault: Any,
    strategy: tuple,
    signers: Iterable[str] = (),
    relayer: str | None = None,
) -> None:
    """Lets `vault` trade through the aggregator and sets its strategy, signers and relayer, as
    GOVERNOR."""
    aggregator = d.address("LiquidityAggregator")
    steps: list[Step] = []
    if not vault.isVenue(aggregator):
        steps.append(
            (
                "allow the aggregator as the vault's venue",
                lambda: vault.setVenue(aggregator, True, sender=d.sender),
            )
        )
    steps += strategy_steps(d, rebalancer, vault, strategy, signers, relayer)
    if steps and is_admin(d, "rebalancing configuration"):
        as_role(d, "GOVERNOR", steps)
