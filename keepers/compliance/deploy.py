"""Compliance domain deploy steps (contracts/identity, contracts/compliance, contracts/token): the
identity registry, a compliance engine for any security (a SecurityToken, or a fund's shares), and
a SecurityToken with its engine — bound, agents set, listed with the registry (SEC-9), and the
jurisdiction rules applied.

Configuration is GOVERNOR's: the sender holds it for the deployment (`keepers.access.as_role`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_utils import to_checksum_address

from keepers.access import as_role, grant_calls, hold_calls, is_admin, wire
from keepers.compliance.capabilities import AgentCapability
from keepers.compliance.jurisdictions import load_jurisdictions
from keepers.core.deploying import ZERO_ADDRESS, Deployment, Step, build_name

ALL_CAPABILITIES, FREEZE_ONLY = int(AgentCapability.ALL), int(AgentCapability.FREEZE)
JURISDICTION_BATCH = 50  # countries per setJurisdictions transaction
REGISTRY = "IdentityRegistry"
TOKEN_ADMIN = "TokenAdmin"
COMPLIANCE_ADMIN = "ComplianceAdmin"

# A jurisdiction's rules: (ISO 3166 numeric code, JurisdictionConfig tuple).
Jurisdiction = tuple[int, tuple]


def default_jurisdictions(now: int) -> list[Jurisdiction]:
    """keepers/data/jurisdictions.yaml's defaults, flowback windows counted from `now`."""
    return [(default.iso, default.config(now)) for default in load_jurisdictions()]


def jurisdiction_steps(
    d: Deployment, engine: Any, label: str, jurisdictions: Iterable[Jurisdiction] | None
) -> list[Step]:
    """The rules (default: keepers/data/jurisdictions.yaml's) that differ on chain, in batches. A
    flowback window already running is kept (reruns do not extend it)."""
    from ape import chain

    wanted_all = (
        default_jurisdictions(chain.blocks.head.timestamp)
        if jurisdictions is None
        else list(jurisdictions)
    )
    countries, configs = [], []
    for iso, wanted in wanted_all:
        current = tuple(engine.jurisdiction(iso)[0])
        if current[4] != 0 and wanted[4] != 0:
            wanted = tuple(wanted[:4]) + (current[4],)
        if current != tuple(wanted):
            countries.append(iso)
            configs.append(tuple(wanted))
    return [
        (
            f"set {len(countries[i : i + JURISDICTION_BATCH])} {label} jurisdictions",
            lambda c=countries[i : i + JURISDICTION_BATCH], k=configs[i : i + JURISDICTION_BATCH]: (
                engine.setJurisdictions(c, k, sender=d.sender)
            ),
        )
        for i in range(0, len(countries), JURISDICTION_BATCH)
    ]


def deploy_registry(d: Deployment, claim_cache_ttl: int = 86_400) -> Any:
    """The identity registry, wired."""
    registry = d.deploy_contract(REGISTRY, REGISTRY, d.at("QuanteraAccessManager"), claim_cache_ttl)
    if is_admin(d, "registry wiring"):
        wire(d, [(registry, REGISTRY)])
    return registry


def list_security_steps(d: Deployment, registry: Any, label: str, security: str) -> list[Step]:
    """Lists `security` with the registry (SEC-9: the registry refuses to move a holding wallet
    between identities while it does not know every security its engines keep), if it is not."""
    if security.lower() in {a.lower() for a in registry.securities()}:
        return []
    return [
        (
            f"list {label} with the identity registry (SEC-9)",
            lambda: registry.setSecurity(security, True, sender=d.sender),
        )
    ]


def deploy_token_admin(d: Deployment) -> Any:
    """The module every SecurityToken runs its functions that move no balance in (governance, the
    pause, the freezes; `TokenAdmin`, by DELEGATECALL), recorded as `TokenAdmin.<first 8 hex digits
    of the keccak of its init code>`: one deployment (no state, nothing to wire) serves every token
    of this build, and a token added after a new build gets the new build's module (a recorded
    module of another build, whose layout may differ, is never reused; the token's constructor
    checks its `moduleId` too)."""
    return d.deploy_contract(build_name(TOKEN_ADMIN), TOKEN_ADMIN)


def deploy_compliance_admin(d: Deployment) -> Any:
    """The module every ComplianceEngine runs its governance in (the rule setters, the escrows,
    the ERC-3643 modules, the token's binding; `ComplianceAdmin`, by DELEGATECALL), recorded as
    `ComplianceAdmin.<first 8 hex digits of the keccak of its init code>`: one deployment (no
    state, nothing to wire) serves every engine of this build; an engine added after a new build
    gets the new build's module (the engine's constructor checks its `moduleId`)."""
    return d.deploy_contract(build_name(COMPLIANCE_ADMIN), COMPLIANCE_ADMIN)


def _engine_module(d: Deployment, name: str) -> Any:
    """The admin module for the engine `name`: none for a recorded engine (it keeps the module it
    was built on; the argument is not used), this build's otherwise."""
    return ZERO_ADDRESS if d.settled(name) else deploy_compliance_admin(d)


def deploy_security(
    d: Deployment,
    suffix: str,
    name: str,
    symbol: str,
    *,
    agent: str | None = None,
    freezer: str | None = None,
    jurisdictions: Iterable[Jurisdiction] | None = None,
    grants: list | None = None,
    contract_type: str = "SecurityToken",
    extra_args: tuple = (),
) -> Any:
    """A SecurityToken (`<contract_type><suffix>` in the record; `contract_type` a SecurityToken
    whose constructor takes SecurityToken's arguments then `extra_args`, e.g. the lifecycle's
    IncomeShareToken) over the token family's admin module (`deploy_token_admin`, deployed first
    if it is not) and its ComplianceEngine
    (`ComplianceEngine<suffix>`), wired, bound, listed with the registry, with `agent` holding
    every capability and `freezer` FREEZE only, and the jurisdiction rules (default: the defaults
    file). The token is left paused, as an issuer opens its offering. `grants` (AccessManager
    calls) are sent with the wiring. Returns the token."""
    manager, registry = d.at("QuanteraAccessManager"), d.at(REGISTRY)
    # A recorded token keeps the module it was built on: none is deployed for it on a rerun.
    recorded = d.settled(f"{contract_type}{suffix}")
    admin = ZERO_ADDRESS if recorded else deploy_token_admin(d)
    # The engine serves one token fixed at its construction: token first (no engine yet, paused),
    # then the engine, then `setCompliance`, which binds them.
    token = d.deploy_contract(
        f"{contract_type}{suffix}",
        contract_type,
        manager,
        name,
        symbol,
        18,
        registry,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        admin,
        *extra_args,
    )
    engine_name = f"ComplianceEngine{suffix}"
    engine = d.deploy_contract(
        engine_name,
        "ComplianceEngine",
        manager,
        registry,
        token,
        _engine_module(d, engine_name),
    )
    if not is_admin(d, f"{symbol} compliance wiring"):
        return token
    steps: list[Step] = []
    if token.compliance() != engine.address:
        steps.append(
            (
                f"bind {symbol}'s compliance engine",
                lambda: token.setCompliance(engine, sender=d.sender),
            )
        )
    # An account named in both roles holds their union (helper-113: one step each, computed
    # before either was sent, left it FREEZE only, then every capability on a rerun).
    wanted: dict[str, tuple[int, list[str]]] = {}
    for account, caps, label in (
        (agent, ALL_CAPABILITIES, "agent"),
        (freezer, FREEZE_ONLY, "freeze-only agent"),
    ):
        if account:
            key = to_checksum_address(account)
            held, labels = wanted.get(key, (0, []))
            wanted[key] = (held | caps, [*labels, label])
    for account, (caps, labels) in wanted.items():
        steps += capability_step(
            d, token, account, caps, f"make {account} {symbol}'s {' and '.join(labels)}"
        )
    steps += list_security_steps(d, registry, symbol, token.address)
    steps += jurisdiction_steps(d, engine, symbol, jurisdictions)
    wire(
        d,
        [(token, "SecurityToken"), (engine, "ComplianceEngine")],
        (grants or []) + hold_calls(d, "GOVERNOR", bool(steps)),
    )
    as_role(d, "GOVERNOR", steps)
    return token


def capability_step(
    d: Deployment, token: Any, agent: Any, capabilities: int, description: str
) -> list[Step]:
    """The GOVERNOR step giving `agent` exactly `capabilities` on `token` (0: none), or no step
    when it holds them already (a rerun sends nothing)."""
    if token.agentCapabilities(agent) == capabilities:
        return []
    return [(description, lambda: token.setAgentCapabilities(agent, capabilities, sender=d.sender))]


def deploy_share_compliance(
    d: Deployment, name: str, security: Any, jurisdictions: Iterable[Jurisdiction] | None = None
) -> Any:
    """A ComplianceEngine (`name` in the record) for a security that is not a SecurityToken (a
    fund's shares), wired, with the jurisdiction rules, and the security listed with the registry.
    Binding it is the security's own governance call (the vault's `setShareCompliance`)."""
    registry = d.at(REGISTRY)
    engine = d.deploy_contract(
        name,
        "ComplianceEngine",
        d.at("QuanteraAccessManager"),
        registry,
        security,
        _engine_module(d, name),
    )
    if not is_admin(d, f"{name} wiring"):
        return engine
    steps = list_security_steps(
        d, registry, f"{name}'s security", security.address
    ) + jurisdiction_steps(d, engine, name, jurisdictions)
    wire(d, [(engine, "ComplianceEngine")], hold_calls(d, "GOVERNOR", bool(steps)))
    as_role(d, "GOVERNOR", steps)
    return engine


def bind_share_compliance(
    d: Deployment,
    security: Any,
    name: str,
    jurisdictions: Iterable[Jurisdiction] | None = None,
    label: str = "the shares'",
) -> Any:
    """`deploy_share_compliance` for `security` (a contract with `shareCompliance()` and a
    GOVERNOR `setShareCompliance(engine)`: the PortfolioVault, a LendingPool), then the
    security's binding of it as GOVERNOR unless it is bound. Returns the engine."""
    shares = deploy_share_compliance(d, name, security, jurisdictions)
    if is_admin(d, f"{name} binding") and (
        security.shareCompliance().lower() != shares.address.lower()
    ):
        as_role(
            d,
            "GOVERNOR",
            [
                (
                    f"bind {label} compliance engine",
                    lambda: security.setShareCompliance(shares, sender=d.sender),
                )
            ],
        )
    return shares


def deploy_compliance(
    d: Deployment,
    token_name: str,
    token_symbol: str,
    *,
    agent: str | None = None,
    compliance_keeper: str | None = None,
    claim_cache_ttl: int = 86_400,
    jurisdictions: Iterable[Jurisdiction] | None = None,
) -> Any:
    """The registry and the protocol's SecurityToken (record names `IdentityRegistry`,
    `SecurityToken`, `ComplianceEngine`); `compliance_keeper` holds COMPLIANCE_KEEPER (the
    registry's identity-wide sanctions freeze) and is the token's freeze-only agent. Returns the
    token."""
    deploy_registry(d, claim_cache_ttl)
    grants = (
        grant_calls(d, "COMPLIANCE_KEEPER", compliance_keeper)
        if compliance_keeper and is_admin(d, "COMPLIANCE_KEEPER grant")
        else []
    )
    return deploy_security(
        d,
        "",
        token_name,
        token_symbol,
        agent=agent,
        freezer=compliance_keeper,
        jurisdictions=jurisdictions,
        grants=grants,
    )
