"""Lifecycle domain deploy steps of the dealing core (contracts/lifecycle/FundVault.sol): a fund
vault over one SecurityToken share class (the token and its engine come from
`keepers.compliance.deploy_security`), its restricted functions wired
(keepers/access/protocol.py), its NAV agent and fund manager granted their roles, made the token's
agent with MINT and BURN only, its identity registered (it escrows the shares of pending
redemptions, so the engine must know it) and made an escrow of the share's engine (SEC-122: no
holding cap or time rule binds it), and the share engine's subscription minimums (in the
instrument's currency, 18 decimals: SEC-126).

Configuration is GOVERNOR's and registration OPERATOR's: the sender holds them for the deployment
(`keepers.access.as_role`). The NAV source (the instrument registry) is deployed by its own steps.
"""

from __future__ import annotations

from typing import Any

from keepers.access import (
    as_role,
    deploy_governed,
    deploy_managed,
    grant_calls,
    hold_calls,
    is_admin,
    refuse_unproxied_record,
    wire,
)
from keepers.core.artifacts import project_at
from keepers.core.deploying import (
    ZERO_ADDRESS,
    Deployment,
    Step,
    build_name,
    implementation_name,
)
from keepers.core.deployments import DeploymentError

FUND_VAULT = "FundVault"
#: A vault's instant liquidity module, recorded as `FundInstant.<vault's name>.<init code hash>`.
FUND_INSTANT = "FundInstant"
FUND_ADMIN = "FundAdmin"
MINT_AND_BURN = (1 << 0) | (1 << 1)  # AgentCapabilities.MINT | BURN
US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1
DAY = 86_400
NO_GATE_BPS = 10_000


def next_cutoff(now: int, interval: int = DAY) -> int:
    """The first multiple of `interval` (unix time) after `now`: cut-offs on a regular grid."""
    return (now // interval + 1) * interval


def deploy_fund_vault(
    d: Deployment,
    share: Any,
    asset: Any,
    nav_source: Any,
    instrument_id: int,
    *,
    identity: str,
    name: str = FUND_VAULT,
    first_cutoff: int | None = None,
    dealing_interval: int = DAY,
    gate_bps: int = NO_GATE_BPS,
    country: int = US,
    investor_class: int = INSTITUTIONAL,
    custodian: str | None = None,
    nav_agent: str | None = None,
    fund_manager: str | None = None,
    instant_limit: int = 0,
) -> Any:
    """A FundVault (`name` in the record) dealing in `share` (a SecurityToken) against `asset` at
    `nav_source`'s NAV of `instrument_id`, wired; `nav_agent` and `fund_manager` granted NAV_AGENT
    and FUND_MANAGER; the vault made `share`'s MINT|BURN agent and registered as `identity`
    (`country`, `investor_class`) with the identity registry; `custodian` set. The first cut-off
    defaults to the next multiple of `dealing_interval`. The vault charges through the recorded
    FeeSchedule (deployed first if none is: `deploy_fee_schedule`); `instant_limit` (assets per
    period, each direction) opens its instant liquidity. Returns the vault."""
    from ape import chain

    from keepers.lifecycle.deploy import FEE_SCHEDULE, deploy_fee_schedule

    refuse_unproxied_record(d, name)  # before anything is sent (its modules, a fee schedule)
    if d.has(FEE_SCHEDULE):  # a schedule from before the proxies is no vault's (helper-107 L-3)
        refuse_unproxied_record(d, FEE_SCHEDULE)
    refuse_unpegged_asset(d, asset, nav_source)
    fees = d.at(FEE_SCHEDULE) if d.has(FEE_SCHEDULE) else deploy_fee_schedule(d)
    cutoff = first_cutoff or next_cutoff(chain.blocks.head.timestamp, dealing_interval)
    # The vault's instant liquidity and admin modules (contracts/lifecycle/FundInstant.sol,
    # FundAdmin.sol), each bound to the
    # same share, asset, NAV source, instrument and fee schedule (the vault's constructor checks
    # its id), deployed first and passed in; recorded under its init code's hash, so a rerun
    # after a rebuild never hands a new vault an older build's module; none for a recorded vault
    # (it keeps the module it was built with).
    # The vault sits behind a GovernedProxy (issue 34: its pending requests, claims and escrow are
    # fixed in place by an upgrade, docs/architecture.md "Upgrades"): the proxy is `name`, the
    # code `<name>.implementation`, built with the modules; the proxy's constructor writes the
    # vault's storage (`initialize`: authority, first cut-off, interval, gate).
    recorded = d.settled(name) or d.settled(implementation_name(name))
    terms = (share, asset, nav_source, instrument_id, fees)
    instant, admin = (
        ZERO_ADDRESS if recorded else fund_module(d, module, name, *terms).address
        for module in (FUND_INSTANT, FUND_ADMIN)
    )
    authority = d.at("QuanteraAccessManager").address
    vault = deploy_governed(
        d,
        name,
        FUND_VAULT,
        *terms,
        instant,  # (a recorded implementation is not deployed again: the arguments are not used)
        admin,
        init=lambda code: code.initialize.encode_input(
            authority, cutoff, dealing_interval, gate_bps
        ),
        # Recorded code from an interrupted run must be built on these (helper-107 L-4).
        expect={"share": share, "asset": asset, "feeSchedule": fees},
    )
    if not is_admin(d, f"{name} wiring"):
        return vault
    grants = [
        call
        for role, holder in (("NAV_AGENT", nav_agent), ("FUND_MANAGER", fund_manager))
        if holder
        for call in grant_calls(d, role, holder)
    ]
    governor = vault_governor_steps(d, vault, share, custodian, instant_limit)
    operator = identity_steps(d, vault, identity, country, investor_class)
    wire(
        d,
        [(vault, "FundVault")],
        grants
        + hold_calls(d, "GOVERNOR", bool(governor))
        + hold_calls(d, "OPERATOR", bool(operator)),
    )
    as_role(d, "GOVERNOR", governor)
    as_role(d, "OPERATOR", operator)
    # Once registered: the vault's identity an escrow of the share's engine (SEC-122).
    as_role(d, "GOVERNOR", escrow_steps(d, vault, share))
    return vault


def fund_module(
    d: Deployment,
    module: str,
    vault: str,
    share: Any,
    asset: Any,
    nav_source: Any,
    instrument_id: int,
    fees: Any,
) -> Any:
    """The vault `vault`'s module `module` (FUND_INSTANT: instant dealing, claims and
    cancellations; FUND_ADMIN: governance, the cash movements and fee collection), bound to the
    fund's share, asset, NAV source, instrument and fee schedule, recorded as
    `<module>.<vault>.<first 8 hex digits of the keccak of its init code>`."""
    name = build_name(module, vault)
    return d.deploy_contract(name, module, share, asset, nav_source, instrument_id, fees)


def escrow_steps(d: Deployment, vault: Any, share: Any) -> list[Step]:
    """GOVERNOR step making the vault's identity an escrow of `share`'s compliance engine
    (`ComplianceEngine.setEscrow`, SEC-122), unless it is one: the vault holds every investor's
    shares pending redemption under that one identity, so no per-identity holding cap, minimum or
    time rule may bind it (one holder could fill a cap and block every redemption)."""
    from ape import project

    engine = project.ComplianceEngine.at(share.compliance())
    identity = d.at("IdentityRegistry").identity(vault)
    if engine.ledgerOf(identity).escrow:
        return []
    return [
        (
            f"make the fund vault {vault.address} an escrow of {share.symbol()}'s engine",
            lambda: engine.setEscrow(vault, True, sender=d.sender),
        )
    ]


def refuse_unpegged_asset(d: Deployment, asset: Any, nav_source: Any) -> None:
    """A FundVault deals its asset at par with the NAV's currency, so only a pegged settlement
    asset will do (SEC-34). A FundDesk refuses an unpegged one on chain (`addVault`); a vault whose
    NAV source is the recorded InstrumentRegistry has no such check on chain, so this step refuses
    an asset the registry's SettlementAssets lists as `Crypto` (DeploymentError) before
    deploying."""

    from keepers.lifecycle.instruments import SettlementAssetType

    if not d.has("InstrumentRegistry"):
        return
    registry = d.at("InstrumentRegistry")
    if registry.address.lower() != str(getattr(nav_source, "address", nav_source)).lower():
        return
    assets = project_at("SettlementAssets", registry.settlementAssets())
    address = str(getattr(asset, "address", asset))
    if assets.isListed(address) and int(assets.configOf(address)[0][0]) == int(
        SettlementAssetType.CRYPTO
    ):
        raise DeploymentError(
            f"{address} is listed without a peg (Crypto): a FundVault deals its asset at par"
        )


def vault_governor_steps(
    d: Deployment, vault: Any, share: Any, custodian: str | None = None, instant_limit: int = 0
) -> list[Step]:
    """GOVERNOR steps: the vault as `share`'s agent with MINT and BURN only, its custodian and
    its instant liquidity limit."""
    steps: list[Step] = []
    if share.agentCapabilities(vault) != MINT_AND_BURN:
        steps.append(
            (
                f"make {vault.address} the MINT|BURN agent of {share.symbol()}",
                lambda: share.setAgentCapabilities(vault, MINT_AND_BURN, sender=d.sender),
            )
        )
    wanted = custodian or ZERO_ADDRESS
    if vault.custodian().lower() != wanted.lower():
        steps.append(
            (
                f"set the fund vault's custodian to {wanted}",
                lambda: vault.setCustodian(wanted, sender=d.sender),
            )
        )
    if vault.instantLiquidity()[0] != instant_limit:
        steps.append(
            (
                f"set the fund vault's instant limit to {instant_limit} per period",
                lambda: vault.setInstantLimit(instant_limit, sender=d.sender),
            )
        )
    return steps


def identity_steps(
    d: Deployment, vault: Any, identity: str, country: int, investor_class: int
) -> list[Step]:
    """OPERATOR step registering the vault (it holds escrowed shares) as `identity`, unless it
    is registered."""
    registry = d.at("IdentityRegistry")
    if registry.contains(vault):
        return []
    return [
        (
            f"register the fund vault {vault.address} as identity {identity}",
            lambda: registry.registerInvestor(
                vault, identity, country, investor_class, NEVER_EXPIRES, sender=d.sender
            ),
        )
    ]


def investment_minimum_steps(
    d: Deployment, engine: Any, minimums: dict[int, tuple[int, int]]
) -> list[Step]:
    """GOVERNOR steps setting each country's (minimum initial, minimum subsequent) subscription, in
    the instrument's currency with 18 decimals (SEC-126: each vault values its asset at par), on
    the share's compliance engine where it differs."""
    return [
        (
            f"set the subscription minimums of country {country} to {initial} / {subsequent}",
            lambda c=country, m=(initial, subsequent): engine.setInvestmentMinimums(
                c, m, sender=d.sender
            ),
        )
        for country, (initial, subsequent) in minimums.items()
        if tuple(engine.investmentMinimums(country)) != (initial, subsequent)
    ]


def set_investment_minimums(
    d: Deployment, engine: Any, minimums: dict[int, tuple[int, int]]
) -> None:
    """Applies `investment_minimum_steps` as GOVERNOR."""
    steps = investment_minimum_steps(d, engine, minimums)
    if steps and is_admin(d, "subscription minimums"):
        as_role(d, "GOVERNOR", steps)


FUND_DESK = "FundDesk"


def desk_vault_name(desk: str, label: str) -> str:
    """The record name of desk `desk`'s vault in `label`: `FundVault.<desk>.<label>`. A record name
    types its entry by its first part (keepers.console.source.abi_name: the ABI the console reads
    it with, the layout `ape run upgrade` checks a fix against), so a desk's vault is named a
    FundVault, never `<desk>.<label>` (helper-108: a FundDesk's layout against a vault's fix)."""
    return f"{FUND_VAULT}.{desk}.{label}"


def deploy_fund_desk(
    d: Deployment,
    share: Any,
    settlement_assets: Any,
    nav_source: Any,
    instrument_id: int,
    assets: dict[str, Any],
    *,
    identities: dict[str, str],
    name: str = FUND_DESK,
    nav_agent: str | None = None,
    **vault_settings: Any,
) -> tuple[Any, dict[str, Any]]:
    """A FundDesk (`name`) over `share` with one FundVault per settlement asset of `assets` (label
    -> ERC-20, each listed on `settlement_assets`; the vault recorded as `desk_vault_name(name,
    label)`,
    registered as `identities[label]`), in the order given (a vault's index, its bit in accepted
    masks). The vaults take their NAV from the desk, the desk from `nav_source`'s
    `instrument_id` (its issuer names the desk the instrument's fund, or a test double the
    desk's striker). Every vault gets `deploy_fund_vault`'s `vault_settings` (gate, custodian,
    fund manager, instant limit, ...) and one first cut-off (the desk strikes the vaults that are
    due, at one NAV). The desk is wired (`addVault` GOVERNOR, `strike` NAV_AGENT), `nav_agent`
    may strike it and its vaults, the desk itself holds NAV_AGENT (it strikes its vaults), and
    GOVERNOR adds each vault not added yet. Returns (desk, label -> vault)."""
    from ape import chain

    interval = vault_settings.get("dealing_interval", DAY)
    vault_settings["first_cutoff"] = vault_settings.get("first_cutoff") or next_cutoff(
        chain.blocks.head.timestamp, interval
    )
    # Behind a GovernedProxy (issue 34): its vaults take their NAV from its address.
    from keepers.lifecycle.deploy import SETTLEMENT_ASSETS

    if d.has(SETTLEMENT_ASSETS):  # a list from before the proxies (helper-107 L-3)
        refuse_unproxied_record(d, SETTLEMENT_ASSETS)
    for label in assets:  # vaults recorded under their earlier names: never a second vault
        if d.has(earlier := f"{name}.{label}") or earlier in d.record.pending:
            raise DeploymentError(
                f"{earlier} is a vault recorded under the name desks' vaults had before "
                f"{desk_vault_name(name, label)}; rename its record entries (and "
                f"{implementation_name(earlier)}) to that name, then run again"
            )
    desk = deploy_managed(
        d,
        name,
        FUND_DESK,
        share,
        settlement_assets,
        nav_source,
        instrument_id,
        expect={"share": share, "settlementAssets": settlement_assets},
    )
    vaults = {
        label: deploy_fund_vault(
            d,
            share,
            asset,
            desk,
            instrument_id,
            identity=identities[label],
            name=desk_vault_name(name, label),
            nav_agent=nav_agent,
            **vault_settings,
        )
        for label, asset in assets.items()
    }
    if not is_admin(d, f"{name} wiring"):
        return desk, vaults
    holders = [holder for holder in (desk.address, nav_agent) if holder]
    grants = [call for holder in holders for call in grant_calls(d, "NAV_AGENT", holder)]
    governor = desk_governor_steps(d, desk, list(vaults.values()))
    wire(d, [(desk, "FundDesk")], grants + hold_calls(d, "GOVERNOR", bool(governor)))
    as_role(d, "GOVERNOR", governor)
    return desk, vaults


def desk_governor_steps(d: Deployment, desk: Any, vaults: list[Any]) -> list[Step]:
    """GOVERNOR steps adding each vault the desk does not hold yet, in order."""
    added = {address.lower() for address in desk.vaults()}
    return [
        (
            f"add the fund vault {vault.address} to the desk {desk.address}",
            lambda v=vault: desk.addVault(v, sender=d.sender),
        )
        for vault in vaults
        if vault.address.lower() not in added
    ]
