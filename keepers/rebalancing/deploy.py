"""Rebalancing domain deploy steps (contracts/rebalancing): the AutoRebalancer over the record's
LiquidityAggregator and OracleRouter, its read-only periphery (RebalancerLens), EXECUTOR on the
vaults it rebalances, and a vault's strategy, intent signers and relayer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from keepers.access import as_role, grant_calls, is_admin, wire
from keepers.core.deploying import Deployment, Step, implementation_name

US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1  # a client investor's identity


LENS = "RebalancerLens"


def stale_lens(d: Deployment) -> bool:
    """Whether the record names a RebalancerLens whose code on chain is not this build's (the lens
    is stateless and has no immutables: its code is the build's runtime code exactly)."""
    from ape import chain, project

    if not d.has(LENS):
        return False
    deployed = bytes(chain.provider.get_code(d.address(LENS))).hex()
    built = project.get_contract(LENS).contract_type.runtime_bytecode.bytecode or "0x"
    return deployed.removeprefix("0x") != built.removeprefix("0x").lower()


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
    # The rebalancer's read-only periphery (the strategy in force, the state, the signers). One
    # recorded from another build is replaced: the keepers and the console call this build's views.
    if stale_lens(d):
        d.echo(f"  ~ {LENS} at {d.address(LENS)} is another build's: deploying this build's")
        del d.record.contracts[LENS]
        d.save()
    d.deploy_contract(LENS, LENS)
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
    lens = d.at("RebalancerLens")
    current, strategy_id, _ = lens.strategyOf(rebalancer, vault)
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
        if not lens.isSigner(rebalancer, vault, signer)
    ]
    if relayer and lens.relayerOf(rebalancer, vault).lower() != relayer.lower():
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
    """Lets `vault` trade through the aggregator (and, when deployed, settle rebalance baskets at
    the NAV desk: `IPortfolioVault.tradeBasket`) and sets its strategy, signers and relayer, as
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
    desk = d.record.contracts.get("NavVenue")
    if desk and not vault.isVenue(desk):
        steps.append(
            (
                "allow the NAV desk as the vault's basket venue",
                lambda: vault.setVenue(desk, True, sender=d.sender),
            )
        )
    steps += strategy_steps(d, rebalancer, vault, strategy, signers, relayer)
    if steps and is_admin(d, "rebalancing configuration"):
        as_role(d, "GOVERNOR", steps)


# An identity registry lists at most 32 securities (IdentityRegistry.MAX_SECURITIES); a client
# vault's shares are one.
CLIENTS_PER_SHARE_REGISTRY = 24
# What a group of clients' deployment shares with the protocol's (`deploy_vault`'s reads).
SHARED_CONTRACTS = (
    "QuanteraAccessManager",
    "UpgradeAuthority",
    "RiskLens",
    "RiskEngine",
    "OracleRouter",
)


def client_name(index: int) -> str:
    """The record name of client portfolio `index` (`PortfolioVault.client-007`)."""
    return f"PortfolioVault.client-{index:03d}"


def deploy_client_portfolios(
    d: Deployment,
    count: int,
    strategy: tuple,
    signers: Iterable[str] = (),
    relayer: str | None = None,
    *,
    template: str = "PortfolioVault",
    first: int = 0,
) -> list[Any]:
    """`count` client portfolios (an asset manager's clients): each a PortfolioVault with its
    shares' compliance engine (`client_name(i)`, `ComplianceEngine.client-i.shares`), reusing the
    `template` vault's assets, trade limits, RiskEngine (its asset risk and limits), OracleRouter
    and the LiquidityAggregator, registered as a verified identity (it holds the security tokens),
    with `strategy` on the AutoRebalancer, `signers` and `relayer`. An identity registry lists at
    most 32 securities (a vault's shares are one), so the clients' shares are verified against
    registries of their own, one per CLIENTS_PER_SHARE_REGISTRY clients
    (`IdentityRegistry.clients-<g>`). Re-runnable like every step (recorded clients are skipped).
    Returns the vaults. Funding them is `fund_client_portfolios`."""
    from keepers.compliance import deploy_registry
    from keepers.risk import configure_steps
    from keepers.vault import deploy_vault, register_steps, vault_steps

    base = d.at("PortfolioVault", template)
    engine = d.at("RiskEngine")
    router = d.at("OracleRouter")
    rebalancer = d.at("AutoRebalancer")
    assets = [str(a) for a in base.assets()]
    # The template's own risk configuration (RiskLens: limits, then per-asset risk).
    limits_read, risk_read = d.at("RiskLens").limitsOf(engine, base)
    asset_risk = [(int(cap), int(cls), bool(liquid)) for cap, cls, liquid in risk_read]
    limits = tuple(
        [int(x) for x in v] if isinstance(v, (list, tuple)) else int(v) for v in limits_read
    )
    # The template's trade limits (SEC-50, SEC-51): every client's trades bounded alike.
    trade_limits = tuple(int(x) for x in base.tradeLimits())
    vaults = []
    groups: dict[int, Deployment] = {}
    for index in range(first, first + count):
        tag = f"client-{index:03d}"
        group = index // CLIENTS_PER_SHARE_REGISTRY
        if group not in groups:
            # The group's deployment: the shared contracts, and its own registry as the one
            # `IdentityRegistry` its vaults and share engines are built on.
            child = groups[group] = d.scoped(*(n for n in SHARED_CONTRACTS if d.has(n)))
            registry_name = f"IdentityRegistry.clients-{group}"
            if d.has(registry_name):
                child.record.contracts["IdentityRegistry"] = d.address(registry_name)
            else:
                deploy_registry(child)
                d.record.contracts[registry_name] = child.address("IdentityRegistry")
                d.save()
        child = groups[group]
        # The vault's proxy, its code (behind a GovernedProxy: `deploy_vault`) and its shares'
        # engine, each recorded in the protocol's record as in the group's.
        names = (
            client_name(index),
            implementation_name(client_name(index)),
            f"ComplianceEngine.{tag}.shares",
        )
        for name in names:
            if d.has(name):
                child.record.contracts[name] = d.address(name)
        vault = deploy_vault(
            child,
            assets[0],
            f"Quantera client {index:03d}",
            f"QC{index:03d}",
            engine,
            router,
            name=client_name(index),
            shares_name=f"ComplianceEngine.{tag}.shares",
        )
        for name in names:
            d.record.contracts[name] = child.address(name)
        d.save()
        listings = vault_steps(
            d,
            vault,
            [(f"asset {i}", a) for i, a in enumerate(assets) if i],
            trade_limits=trade_limits,
        )
        as_role(
            d,
            "GOVERNOR",
            listings
            + configure_steps(
                d,
                engine,
                vault,
                asset_risk,
                limits,
                assets_to_list=sum(1 for label, _ in listings if label.startswith("list ")),
            ),
        )
        as_role(
            d,
            "OPERATOR",
            register_steps(d, [(tag, vault.address, f"0x{0xC1 << 152 | index:040x}")]),
        )
        rebalance_vault(d, rebalancer, vault, strategy, signers, relayer)
        vaults.append(vault)
    return vaults


def fund_client_portfolios(
    d: Deployment,
    vaults: list[Any],
    investor: Any,
    cash_units: list[int],
    risk_model: Callable[[Any], tuple],
) -> None:
    """Local networks: `investor` (a test account, registered as a verified identity if it is not)
    deposits `cash_units[i]` of the settlement asset (minted for it, as OPERATOR) into vault i; the
    RiskEngine gets `risk_model(vault)` (a ModelUpdate, as RISK_KEEPER) and a sync, so each client
    can trade at once. Local funding for benchmarks, tests and demo data, not a deploy step."""
    from ape import project

    coin = project.LocalStablecoin.at(vaults[0].asset())
    engine = d.at("RiskEngine")
    registries = {str(v.registry()): project.IdentityRegistry.at(v.registry()) for v in vaults}
    as_role(
        d,
        "OPERATOR",
        [
            (
                f"register the clients' investor with {address}",
                lambda r=registry: r.registerInvestor(
                    investor, "0x" + "c0" * 20, US, INSTITUTIONAL, NEVER_EXPIRES, sender=d.sender
                ),
            )
            for address, registry in registries.items()
            if not registry.contains(investor)
        ]
        + [
            (
                "mint the clients' cash to the investor",
                lambda: coin.mint(investor, sum(cash_units), sender=d.sender),
            )
        ],
    )
    for vault, amount in zip(vaults, cash_units):
        if vault.totalSupply() == 0:
            coin.approve(vault, amount, sender=investor)
            vault.deposit(amount, investor, sender=investor)
    as_role(
        d,
        "RISK_KEEPER",
        [
            (
                f"publish the risk model of {vault.address}",
                lambda v=vault: engine.publishModel(v, risk_model(v), sender=d.sender),
            )
            for vault in vaults
            if int(engine.metricsOf(vault)[1]) == 0
        ]
        + [
            (f"sync {vault.address}", lambda v=vault: engine.sync(v, sender=d.sender))
            for vault in vaults
        ],
    )


def calm_risk_model(engine: Any, now: Callable[[], int]) -> Callable[[Any], tuple]:
    """A calm RiskEngine ModelUpdate for a vault of keepers/data/portfolio.yaml's five assets
    (daily vols in ppm, correlations in 1e-4, stress losses in bps, as bench_nav_rebalance's): the
    portfolio's limits pass it at a balanced allocation. The next update id, as of `now() - 1`."""

    def model(vault: Any) -> tuple:
        return (
            int(engine.metricsOf(vault)[1]) + 1,
            now() - 1,
            [100, 300, 12_000, 15_000, 20_000],
            [0, 0, 0, 0, 1_000, 1_000, 500, 8_000, 3_000, 3_000],
            2_600_000,
            [0, 0, 1_500, 2_000, 3_000],
            (100, 150, 180, 800, 0, 0, 0, 0, 5_000, 2_500, 1),
        )

    return model
