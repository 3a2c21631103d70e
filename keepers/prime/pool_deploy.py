"""Prime-brokerage deploy steps of the lending pool (contracts/prime/LendingPool.sol): a pool of one
asset lent to one broker (immutable), with the one bad-debt module every pool runs
(contracts/prime/PoolLosses.sol, deployed once), its restricted functions wired
(keepers/access/protocol.py: `setRateModel`, `withdrawReserves`, `setShareCompliance` ->
GOVERNOR), its shares' ComplianceEngine deployed and bound the way the PortfolioVault's is
(`keepers.compliance.bind_share_compliance`),
its rate model brought to the one asked for, and — for a pool of a security, which must be a
verified holder of it — its identity registered.

Configuration is GOVERNOR's and registration OPERATOR's: the sender holds them for the deployment
(`keepers.access.as_role`). The broker (contracts/prime/PrimeBroker.sol) has its own steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keepers.access import as_role, deploy_governed, is_admin, refuse_unproxied_record, wire
from keepers.core.deploying import (
    ZERO_ADDRESS,
    Deployment,
    Step,
    build_name,
    implementation_name,
    require_short_string,
)
from keepers.core.deployments import DeploymentError
from keepers.prime.pool_model import RateModel

LENDING_POOL = "LendingPool"
#: The pools' bad-debt module (contracts/prime/PoolLosses.sol), run by each pool's DELEGATECALL.
POOL_LOSSES = "PoolLosses"


def deploy_lending_pool(
    d: Deployment,
    asset: Any,
    broker: Any,
    rate_model: RateModel | Mapping[str, int] | Any,
    *,
    name: str | None = None,
    shares_name: str | None = None,
    share_jurisdictions: Iterable[tuple[int, tuple]] | None = None,
    pool_name: str | None = None,
    pool_symbol: str | None = None,
    identity: str | None = None,
) -> Any:
    """A LendingPool of `asset` lent to `broker`, behind a GovernedProxy (`name` in the record,
    `LendingPool.<symbol>` by default; its code `<name>.implementation`), on the recorded authority
    and identity registry, wired, with its shares' ComplianceEngine (`shares_name`,
    `ComplianceEngine.<name>` by default; jurisdiction rules default to the defaults file) bound
    and `rate_model` (a RateModel, a mapping of its fields or a 5-tuple) set. `identity`: register
    the pool as a verified institutional holder (a pool of a security). Returns the pool. A
    recorded pool lent to another broker is an error (the broker is immutable). The shares' name
    and symbol are at most 31 bytes each (immutables of the code)."""
    model = RateModel.of(rate_model)
    reason = model.invalidity()
    if reason:
        raise ValueError(f"invalid rate model {model}: {reason}")
    symbol = asset.symbol()
    if identity is None and _is_security(asset):
        raise ValueError(
            f"{symbol} is a security: its pool must hold it as a verified identity (pass identity=)"
        )
    name = name or f"{LENDING_POOL}.{symbol}"
    pool_name = pool_name or f"Quantera {symbol} lending pool"
    pool_symbol = pool_symbol or f"qp{symbol}"
    for label, text in (("pool_name", pool_name), ("pool_symbol", pool_symbol)):
        require_short_string(label, text, "pool")
    broker_address = broker if isinstance(broker, str) else broker.address
    # A recorded pool's code keeps the module it was built with: deploy one only for a new pool (a
    # rerun after a rebuild deploys nothing unused).
    refuse_unproxied_record(d, name)
    recorded = d.settled(implementation_name(name))
    losses = ZERO_ADDRESS if recorded else deploy_losses_module(d).address
    # Behind a GovernedProxy (issue 34): the proxy's constructor sets the authority, the index and
    # the rate model it is built with (`rate_model_steps` brings a recorded pool's to `model`).
    authority, registry = d.address("QuanteraAccessManager"), d.address("IdentityRegistry")
    pool = deploy_governed(
        d,
        name,
        LENDING_POOL,
        asset,
        pool_name,
        pool_symbol,
        registry,
        broker_address,
        losses,  # (a recorded pool's code is not deployed again: the argument is not used)
        init=lambda code: code.initialize.encode_input(authority, model.as_tuple()),
        expect={
            "asset": asset.address,
            "broker": broker_address,
            "registry": registry,
            "name": pool_name,
            "symbol": pool_symbol,
        },
    )
    if pool.broker().lower() != broker_address.lower():
        raise DeploymentError(f"{name} at {pool.address} lends to {pool.broker()}, not {broker}")
    if not is_admin(d, f"{name} wiring"):
        return pool
    from keepers.compliance import bind_share_compliance

    wire(d, [(pool, LENDING_POOL)])
    bind_share_compliance(
        d, pool, shares_name or f"ComplianceEngine.{name}", share_jurisdictions, f"{name}'s shares'"
    )
    as_role(d, "GOVERNOR", rate_model_steps(d, pool, model))
    if identity is not None:
        from keepers.vault import register_steps

        as_role(d, "OPERATOR", register_steps(d, [(name, pool.address, identity)]))
    return pool


def rate_model_steps(d: Deployment, pool: Any, rate_model: RateModel) -> list[Step]:
    """The GOVERNOR step setting `rate_model` on `pool`, unless it holds it."""
    if RateModel.of(pool.rateModel()) == rate_model:
        return []
    return [
        (
            f"set the pool's rate model to {rate_model}",
            lambda: pool.setRateModel(rate_model.as_tuple(), sender=d.sender),
        )
    ]


def deploy_losses_module(d: Deployment) -> Any:
    """The pools' bad-debt module, recorded as `PoolLosses.<first 8 hex digits of the keccak of
    its init code>`: one deployment (no state, no immutable of a pool) serves every pool of this
    build, and a pool added after a new build gets the new build's module (a recorded module of
    another build, whose storage base may differ, is never reused)."""
    return d.deploy_contract(build_name(POOL_LOSSES), POOL_LOSSES)


def _is_security(asset: Any) -> bool:
    """Whether `asset` is a permissioned token (an ERC-3643 SecurityToken: it names the identity
    registry its holders must be verified in)."""
    return any(abi.name == "identityRegistry" for abi in asset.contract_type.view_methods)
