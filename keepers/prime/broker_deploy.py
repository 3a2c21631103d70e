"""Prime brokerage deploy steps (contracts/prime): the broker and its margin module, wired to the
AccessManager, registered as the platform's verified institutional wallet (it holds the posted
collateral, so every token it receives or sends passes that token's compliance), its collateral
listings and its pools. `deploy_lending_pool` (keepers.prime.pool_deploy) deploys each pool
against this broker; `prime_steps` lists them here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from keepers.access import (
    as_role,
    deploy_managed,
    hold_calls,
    is_admin,
    refuse_unproxied_record,
    send_to_manager,
    wire,
)
from keepers.core.deploying import ZERO_ADDRESS, Deployment, Step, build_name, implementation_name
from keepers.core.deployments import DeploymentError

#: The broker's modules, in its constructor's order (margin, liquidation, views).
PRIME_MODULES = ("PrimeMargin", "PrimeLiquidation", "PrimeViews")


def identity_of(label: str) -> str:
    """The identity address a label stands for (the last 20 bytes of its keccak): the platform's
    own identities, and the demo's and the stress replay's institutions, each distinct from any
    investor's, so registering it never meets another profile."""
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(keccak(text=label)[-20:])


# The platform's own identity, under which the broker holds the posted collateral.
PRIME_IDENTITY = identity_of("quantera prime")
US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1


# IPrimeBroker's IncomeKind.
NO_INCOME, COUPONS, SHARES = 0, 1, 2


@dataclass(frozen=True)
class CollateralTerms:
    """How one asset counts (IPrimeBroker's CollateralConfig), in token units, and the income it
    pays its holder (`income`: (IncomeKind, source) — a note's BondServicer, or the income share
    token itself — bound by `setIncome` so that each account gets its share; None: none)."""

    risk_weight_bps: int
    cap_total: int
    cap_per_account: int
    income: tuple[int, str] | None = None

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.risk_weight_bps, self.cap_total, self.cap_per_account)


def deploy_prime_broker(d: Deployment) -> Any:
    """The PrimeBroker behind a GovernedProxy (`PrimeBroker` in the record, its code
    `PrimeBroker.implementation`) over the deployment's IdentityRegistry,
    OracleRouter and LiquidityAggregator, with its margin, liquidation and views modules, wired and
    registered; its halts are the deployment's RiskEngine's (`halt(broker)` the book,
    `halt(account)` an account)."""
    registry = d.at("IdentityRegistry")
    oracle = d.at("OracleRouter")
    aggregator = d.at("LiquidityAggregator")
    # Each module recorded under its build's name (`build_name`): a broker deployed after a new
    # build never gets an older build's module, whose layout or code may differ (prime-views F2).
    # A recorded broker's code keeps the modules it was built with: none is deployed for it on a
    # rerun (an upgrade brings its own: `ape run upgrade`).
    refuse_unproxied_record(d, "PrimeBroker")
    recorded = d.settled(implementation_name("PrimeBroker"))
    margin, liquidation, views = (
        ZERO_ADDRESS
        if recorded
        else d.deploy_contract(build_name(module), module, registry, oracle, aggregator)
        for module in PRIME_MODULES
    )
    # Behind a GovernedProxy (issue 34): the proxy's constructor sets the authority and tier 0.
    broker = deploy_managed(
        d,
        "PrimeBroker",
        "PrimeBroker",
        registry,
        oracle,
        aggregator,
        margin,
        liquidation,
        views,
        d.at("RiskEngine"),
        # Recorded code from an interrupted run must be built on this deployment's contracts.
        expect={
            "registry": registry.address,
            "oracle": oracle.address,
            "aggregator": aggregator.address,
            "riskEngine": d.address("RiskEngine"),
        },
    )
    if not is_admin(d, "prime broker wiring"):
        return broker
    wire(d, [(broker, "PrimeBroker")])
    operator: list[Step] = []
    if not registry.contains(broker):
        operator.append(
            (
                "register the prime broker as the platform's verified institutional wallet",
                lambda: registry.registerInvestor(
                    broker, PRIME_IDENTITY, US, INSTITUTIONAL, NEVER_EXPIRES, sender=d.sender
                ),
            )
        )
    send_to_manager(d, hold_calls(d, "OPERATOR", bool(operator)))
    as_role(d, "OPERATOR", operator)
    return broker


def prime_steps(
    d: Deployment,
    broker: Any,
    collateral: Mapping[str, tuple[Any, CollateralTerms]],
    pools: Mapping[str, tuple[Any, Any]],
) -> list[Step]:
    """GOVERNOR steps: list each (token, terms) of `collateral` whose terms differ from the
    broker's, bind the income of each that pays one (before any of it is posted: SEC-20..22),
    then make each (token, pool) of `pools` borrowable."""
    from keepers.core.artifacts import project_at

    views = project_at("PrimeViews", broker.address)  # the listing views, served at the broker
    steps: list[Step] = []
    for symbol, (token, terms) in collateral.items():
        config = terms.as_tuple()
        if tuple(views.collateralOf(token)) != config:
            steps.append(
                (
                    f"list {symbol} as prime collateral (risk weight {terms.risk_weight_bps} bps)",
                    lambda t=token, c=config: broker.setCollateral(t, c, sender=d.sender),
                )
            )
        if terms.income is not None:
            kind, source = terms.income
            bound = tuple(views.incomeOf(token))
            if (int(bound[0]), str(bound[1]).lower()) != (kind, str(source).lower()):
                steps.append(
                    (
                        f"bind {symbol}'s income (kind {kind}) to the accounts posting it",
                        lambda t=token, k=kind, s=source: broker.setIncome(
                            t, k, s, sender=d.sender
                        ),
                    )
                )
    for symbol, (token, pool) in pools.items():
        if str(views.poolOf(token)).lower() != str(pool.address).lower():
            steps.append(
                (
                    f"make {symbol} borrowable from its lending pool",
                    lambda t=token, p=pool: broker.setPool(t, p, sender=d.sender),
                )
            )
    return steps


def configure_prime(
    d: Deployment,
    broker: Any,
    collateral: Mapping[str, tuple[Any, CollateralTerms]],
    pools: Mapping[str, tuple[Any, Any]],
) -> None:
    """Runs `prime_steps` as GOVERNOR (the deployer holds it for the deployment)."""
    steps = prime_steps(d, broker, collateral, pools)
    send_to_manager(d, hold_calls(d, "GOVERNOR", bool(steps)))
    as_role(d, "GOVERNOR", steps)


DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "data" / "prime.yaml"
# The platform's identity for the pools that hold a security (they must be verified holders).
POOL_IDENTITY = identity_of("quantera pools")
# The identity of the margin keeper's liquidating wallet.
LIQUIDATOR_IDENTITY = identity_of("quantera liquidator")


def load_prime_spec(path: Path = DEFAULT_SPEC) -> dict:
    """The collateral and pools of keepers/data/prime.yaml (or `path`)."""
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise DeploymentError(f"cannot read the prime brokerage spec {path}: {err}") from err


def deploy_prime(
    d: Deployment,
    tokens: Mapping[str, Any],
    spec: Mapping[str, Any] | None = None,
    liquidator: str | None = None,
) -> Any:
    """The prime brokerage on the deployment's registry, oracle and aggregator: the broker, a pool
    per `spec["pools"]` asset (a security's pool registered as a verified holder), every
    `spec["collateral"]` listing (caps in whole tokens), and LIQUIDATOR for `liquidator`. `tokens`:
    symbol -> token contract. Idempotent: a rerun sends nothing. Returns the broker."""
    from keepers.access import grant_calls
    from keepers.prime.pool_deploy import deploy_lending_pool

    spec = spec or load_prime_spec()
    missing = sorted((set(spec["collateral"]) | set(spec["pools"])) - set(tokens))
    if missing:
        raise DeploymentError(f"prime spec names tokens the deployment lacks: {', '.join(missing)}")
    broker = deploy_prime_broker(d)
    if not is_admin(d, "prime brokerage"):
        return broker
    pools = {
        symbol: deploy_lending_pool(
            d,
            tokens[symbol],
            broker,
            model,
            identity=POOL_IDENTITY if _is_security(d, tokens[symbol]) else None,
        )
        for symbol, model in spec["pools"].items()
    }
    collateral = {
        symbol: (
            tokens[symbol],
            CollateralTerms(
                int(terms["risk_weight_bps"]),
                int(terms["cap_total"]) * 10 ** tokens[symbol].decimals(),
                int(terms["cap_per_account"]) * 10 ** tokens[symbol].decimals(),
                _income(d, symbol, tokens[symbol], terms.get("income")),
            ),
        )
        for symbol, terms in spec["collateral"].items()
    }
    configure_prime(d, broker, collateral, {s: (tokens[s], pools[s]) for s in pools})
    if liquidator:
        # A liquidator must be a verified wallet (it may receive collateral): the platform's own.
        registry = d.at("IdentityRegistry")
        operator: list[Step] = []
        if not registry.contains(liquidator):
            operator.append(
                (
                    "register the liquidator as a verified wallet of the platform's identity",
                    lambda: registry.registerInvestor(
                        liquidator,
                        LIQUIDATOR_IDENTITY,
                        US,
                        INSTITUTIONAL,
                        NEVER_EXPIRES,
                        sender=d.sender,
                    ),
                )
            )
        send_to_manager(
            d, grant_calls(d, "LIQUIDATOR", liquidator) + hold_calls(d, "OPERATOR", bool(operator))
        )
        as_role(d, "OPERATOR", operator)
    return broker


def _income(d: Deployment, symbol: str, token: Any, kind: str | None) -> tuple[int, str] | None:
    """A collateral spec's `income`: "coupons" (a note: its servicer `BondServicer.<symbol>` in the
    record), "shares" (an income share class: the token itself), or none."""
    if kind is None:
        return None
    if kind == "coupons":
        return COUPONS, d.address(f"BondServicer.{symbol}")
    if kind == "shares":
        return SHARES, token.address
    raise DeploymentError(f"prime spec: {symbol}'s income must be coupons or shares, not {kind!r}")


def _is_security(d: Deployment, token: Any) -> bool:
    """Whether `token` is a listed security of the registry (its holders must be verified)."""
    registry = d.at("IdentityRegistry")
    return str(token.address).lower() in {str(s).lower() for s in registry.securities()}
