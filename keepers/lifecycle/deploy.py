"""Lifecycle domain deploy steps (contracts/lifecycle): the SettlementAssets list and the
InstrumentRegistry with its TermsValidator, both over the OracleRouter and wired
(`deploy_lifecycle`, the deploy script's third step); the GOVERNOR steps that list settlement
assets and approve issuers, for the fixtures, the benchmarks and the demo; a money-market
share class paying its dividend in new shares (`deploy_income_share_token`); and a note's or a
bill's share token with its coupon and redemption servicer (`deploy_bond_share_token`); a
floating-rate note's index feed wired into the OracleRouter (`wire_rate_index`). The
deploy script lists no asset and registers no instrument: that is governance's and the issuers'
business.
"""

from __future__ import annotations

from typing import Any

from keepers.access import as_role, deploy_governed, deploy_managed, is_admin, wire
from keepers.compliance import AgentCapability
from keepers.core.deploying import ZERO_ADDRESS, Deployment, Step, build_name, implementation_name
from keepers.core.units import FEED_DECIMALS

SETTLEMENT_ASSETS = "SettlementAssets"
FEE_SCHEDULE = "FeeSchedule"
TERMS_VALIDATOR = "TermsValidator"
INSTRUMENT_REGISTRY = "InstrumentRegistry"
INCOME_SHARE_TOKEN = "IncomeShareToken"
INCOME_SHARE_LOGIC = "IncomeShareLogic"
BOND_SHARE_TOKEN = "BondShareToken"
BOND_SERVICER = "BondServicer"
# A rate index's feed on the OracleRouter: a business-day fixing (SOFR, ESTR, SONIA) is
# republished within four days even over a long weekend; the router's bounds take its 18-decimal
# value from 1 (0 and below are the router's NonPositive, floored at 0 by the servicer) to 100% a
# year, a circuit breaker on a feed gone wrong.
RATE_INDEX_HEARTBEAT = 4 * 86_400
RATE_INDEX_MAX = 10**18


def deploy_settlement_assets(d: Deployment, router: Any) -> Any:
    """The SettlementAssets list over `router`, behind a GovernedProxy (issue 34: every desk and
    vault keys on it), wired (listing is GOVERNOR's)."""
    assets = deploy_managed(
        d, SETTLEMENT_ASSETS, SETTLEMENT_ASSETS, router, expect={"oracle": router}
    )
    if is_admin(d, "settlement assets wiring"):
        wire(d, [(assets, SETTLEMENT_ASSETS)])
    return assets


def deploy_instrument_registry(d: Deployment, router: Any, settlement_assets: Any) -> Any:
    """The TermsValidator over `settlement_assets` (stateless: nothing to wire) and the
    InstrumentRegistry over `router` and it, wired (issuer approval, NAV bounds and resuming are
    GOVERNOR's, the guardian's suspension GUARDIAN's)."""
    validator = d.deploy_contract(TERMS_VALIDATOR, TERMS_VALIDATOR, settlement_assets)
    # Behind a GovernedProxy (issue 34): every fund, desk and servicer keys on its address.
    registry = deploy_managed(d, INSTRUMENT_REGISTRY, INSTRUMENT_REGISTRY, router, validator)
    if is_admin(d, "instrument registry wiring"):
        wire(d, [(registry, INSTRUMENT_REGISTRY)])
    return registry


def deploy_fee_schedule(d: Deployment) -> Any:
    """The protocol's FeeSchedule (every fund vault's fees and its investors' volumes) over the
    recorded IdentityRegistry (tiers are by identity), wired: `setFeeSchedule` is GOVERNOR's,
    behind GOVERNOR's execution delay where the authority has one. Deployed once; each FundVault
    names it (`deploy_fund_vault`). Behind a GovernedProxy (issue 34: every vault keys on it and
    it holds each investor's volumes)."""
    registry = d.at("IdentityRegistry")
    schedule = deploy_managed(
        d, FEE_SCHEDULE, FEE_SCHEDULE, registry, expect={"identities": registry}
    )
    if is_admin(d, "fee schedule wiring"):
        wire(d, [(schedule, FEE_SCHEDULE)])
    return schedule


def fee_schedule_steps(d: Deployment, schedule: Any, vault: Any, terms: tuple) -> list[Step]:
    """The GOVERNOR step setting `vault`'s fee terms (a FeeTerms tuple: subscription, redemption,
    instant, urgency and management bps, recipient, tiers as (minVolume, discountBps) pairs),
    unless they are set. Where GOVERNOR has an execution delay this is scheduled on the
    AccessManager first (keepers.access: `as_role` holds the role without delay for a deployer)."""
    current = schedule.termsOf(vault)
    wanted = [int(v) for v in terms[:5]] + [str(terms[5]).lower()]
    have = [int(v) for v in list(current)[:5]] + [str(current[5]).lower()]
    tiers = [tuple(int(x) for x in t) for t in terms[6]]
    if have == wanted and [tuple(int(x) for x in t) for t in current[6]] == tiers:
        return []
    return [
        (
            f"set the fee schedule of {vault.address}",
            lambda: schedule.setFeeSchedule(vault, terms, sender=d.sender),
        )
    ]


def set_fee_schedule(d: Deployment, vault: Any, terms: tuple) -> None:
    """Applies `fee_schedule_steps` as GOVERNOR (the recorded FeeSchedule)."""
    steps = fee_schedule_steps(d, d.at(FEE_SCHEDULE), vault, terms)
    if steps and is_admin(d, "fee schedule"):
        as_role(d, "GOVERNOR", steps)


def deploy_lifecycle(d: Deployment) -> Any:
    """The lifecycle domain over the recorded OracleRouter (deployed first if it is not: the risk
    domain's step, which the fund step then finds done): the settlement assets and the instrument
    registry, wired. Returns the registry."""
    from keepers.risk import deploy_oracle

    router = d.at("OracleRouter") if d.has("OracleRouter") else deploy_oracle(d)
    settlement_assets = deploy_settlement_assets(d, router)
    return deploy_instrument_registry(d, router, settlement_assets)


def rate_index_feed_config(feed: str, heartbeat: int = RATE_INDEX_HEARTBEAT) -> tuple:
    """The router's FeedConfig of a rate index's feed: no fallback, the index within
    (0, RATE_INDEX_MAX]."""
    return (feed, heartbeat, ZERO_ADDRESS, 0, 0, 1, RATE_INDEX_MAX)


def wire_rate_index(
    d: Deployment,
    index: str,
    *,
    feed: Any = None,
    first_rate_bps: int | None = None,
    heartbeat: int = RATE_INDEX_HEARTBEAT,
) -> Any:
    """Wires floating index `index` (a FLOATING_INDEXES name) into the recorded OracleRouter under
    its key (`rate_index_key`, `rateIndexKey` of interfaces/IBondServicer.sol), the router's
    GOVERNOR step, skipped when the router has that feed already. `feed`: a Chainlink-compatible
    feed answering the index as an annual fraction (5.30% is 0.0530 in its decimals); without one
    (local and test networks) a ReporterPriceFeed (`RateFeed.<index>` in the record,
    FEED_DECIMALS) reporting `first_rate_bps` first, its later fixings the PRICE_REPORTER's (it
    takes positive answers only: a negative index, floored at 0 on chain, needs a real feed).
    Returns the feed."""
    from keepers.lifecycle.instruments import FLOATING_INDEXES, rate_index_key
    from keepers.risk import deploy_feeds, set_feeds

    name = index.upper()
    if name not in FLOATING_INDEXES:
        raise ValueError(f"{index!r} is not one of {', '.join(FLOATING_INDEXES)}")
    if feed is None:
        if first_rate_bps is None or first_rate_bps <= 0:
            raise ValueError("a local rate feed needs first_rate_bps above 0")
        answer = first_rate_bps * 10 ** (FEED_DECIMALS - 4)
        feed = deploy_feeds(
            d, {name: answer}, record="RateFeed.{}", description="{} (annual rate)"
        )[name]
    key = rate_index_key(FLOATING_INDEXES[name])
    config = rate_index_feed_config(getattr(feed, "address", feed), heartbeat)
    set_feeds(d, d.at("OracleRouter"), {f"{name} rate index": (key, config)})
    return feed


def settlement_asset_steps(
    d: Deployment, settlement_assets: Any, listings: dict[str, tuple[str, tuple]]
) -> list[Step]:
    """GOVERNOR steps listing each (token, SettlementAssetConfig tuple) of `listings` (label ->
    pair) whose listing differs on chain. The router must have each token's feed first."""
    steps: list[Step] = []
    for label, (token, config) in listings.items():
        if settlement_assets.isListed(token):
            current, _ = settlement_assets.configOf(token)
            if [int(v) for v in current] == [int(v) for v in config]:
                continue
        steps.append(
            (
                f"list {label} as a settlement asset",
                lambda t=token, c=tuple(config): settlement_assets.listAsset(t, c, sender=d.sender),
            )
        )
    return steps


def issuer_steps(d: Deployment, registry: Any, issuers: dict[str, str]) -> list[Step]:
    """GOVERNOR steps approving each issuer of `issuers` (label -> address) not approved yet."""
    return [
        (
            f"approve {label} as an issuer",
            lambda a=address: registry.setIssuer(a, True, sender=d.sender),
        )
        for label, address in issuers.items()
        if not registry.isIssuer(address)
    ]


def list_settlement_assets(
    d: Deployment, settlement_assets: Any, listings: dict[str, tuple[str, tuple]]
) -> None:
    """Lists `listings` (see `settlement_asset_steps`) as GOVERNOR."""
    steps = settlement_asset_steps(d, settlement_assets, listings)
    if steps and is_admin(d, "settlement asset listings"):
        as_role(d, "GOVERNOR", steps)


def approve_issuers(d: Deployment, registry: Any, issuers: dict[str, str]) -> None:
    """Approves `issuers` (see `issuer_steps`) as GOVERNOR."""
    steps = issuer_steps(d, registry, issuers)
    if steps and is_admin(d, "issuer approvals"):
        as_role(d, "GOVERNOR", steps)


# AgentCapabilities.PAUSE | UNPAUSE: what an issuer holds on its own share token (it opens and
# halts its offering), the least that makes it the token's agent.
ISSUER_CAPABILITIES = int(AgentCapability.PAUSE | AgentCapability.UNPAUSE)


def token_issuer_steps(d: Deployment, tokens: list[Any], issuer: str) -> list[Step]:
    """GOVERNOR steps making `issuer` an agent of each share token of `tokens` it is not one of,
    with PAUSE and UNPAUSE (`ISSUER_CAPABILITIES`): the InstrumentRegistry registers a share token
    only for an agent of it (SEC-130: no approved issuer registers another's token and takes its
    servicer, strikes or calls)."""
    return [
        (
            f"make {issuer} an agent of {token.symbol()} (PAUSE, UNPAUSE): its issuer",
            lambda t=token: t.setAgentCapabilities(issuer, ISSUER_CAPABILITIES, sender=d.sender),
        )
        for token in tokens
        if not token.isAgent(issuer)
    ]


def set_token_issuer(d: Deployment, tokens: list[Any], issuer: str) -> None:
    """Applies `token_issuer_steps` as GOVERNOR."""
    steps = token_issuer_steps(d, tokens, issuer)
    if steps and is_admin(d, "token issuers"):
        as_role(d, "GOVERNOR", steps)


def deploy_income_share_logic(d: Deployment) -> Any:
    """The module every income share class runs its writing income functions in (by
    DELEGATECALL, `Dispatch`), recorded as `IncomeShareLogic.<first 8 hex digits of the keccak of
    its init code>`: one deployment (no state, nothing to wire) serves every class of this build,
    and a class added after a new build gets the new build's module (a recorded module of another
    build, whose layout may differ, is never reused; the token's constructor checks its
    `moduleId` too)."""
    return d.deploy_contract(build_name(INCOME_SHARE_LOGIC), INCOME_SHARE_LOGIC)


def deploy_income_share_token(
    d: Deployment,
    name: str,
    symbol: str,
    *,
    agent: str,
    declarer: str | None = None,
    jurisdictions: Any = None,
) -> Any:
    """A money-market share class (`IncomeShareToken.<symbol>` in the record) over the
    IncomeShareLogic (deployed first if it is not), with its ComplianceEngine
    (`ComplianceEngine.<symbol>`), built by the compliance domain's SecurityToken step (bound,
    listed with the identity registry, the jurisdiction rules applied), `agent` holding every
    capability, and `declarer` (the dividend keeper's key, keepers/lifecycle/declaring.py) made a
    declarer: the DECLARE capability alone (SEC-129), which mints nothing beyond the declarations'
    bounds; `setDeclarer` is wired to GOVERNOR. Left paused, as an issuer opens its offering
    (`agent` unpauses). Returns the token (its ABI is IIncomeShareToken's: the income functions
    that write are stubs run in the module)."""
    from ape import project

    from keepers.compliance import deploy_security

    # A recorded token keeps the module it was built on: none is deployed for it on a rerun.
    recorded = d.settled(f"{INCOME_SHARE_TOKEN}.{symbol}")
    logic = ZERO_ADDRESS if recorded else deploy_income_share_logic(d)
    token = deploy_security(
        d,
        f".{symbol}",
        name,
        symbol,
        agent=agent,
        jurisdictions=jurisdictions,
        contract_type=INCOME_SHARE_TOKEN,
        extra_args=(logic,),
    )
    income = project.IncomeShareToken.at(token.address)
    if not is_admin(d, f"{symbol} declarer"):
        return income
    wire(d, [(income, INCOME_SHARE_TOKEN)])
    as_role(d, "GOVERNOR", declarer_steps(d, income, declarer))
    return income


def declarer_steps(d: Deployment, token: Any, declarer: str | None) -> list[Step]:
    """GOVERNOR step making `declarer` a declarer of the income share class `token` (SEC-129),
    unless it is one (none without a declarer)."""
    if not declarer or token.isDeclarer(declarer):
        return []
    return [
        (
            f"make {declarer} a declarer of {token.symbol()}",
            lambda: token.setDeclarer(declarer, True, sender=d.sender),
        )
    ]


def deploy_bond_share_token(
    d: Deployment,
    name: str,
    symbol: str,
    *,
    agent: str,
    instruments: Any,
    payment_asset: Any,
    jurisdictions: Any = None,
) -> Any:
    """A note's or a bill's share token (`BondShareToken.<symbol>` in the record, 18 decimals)
    with its BondServicer (`BondServicer.<symbol>`: coupons and redemption in `payment_asset` on
    `instruments`' terms) and its ComplianceEngine, built by the compliance domain's SecurityToken
    step, `agent` holding every capability. Left paused. Registering the instrument (the token as
    its share token) and `startServicing` are the issuer's. Returns the token.

    The servicer sits behind a GovernedProxy (issue 34: its coupon indexes and holders' unclaimed
    coupons are fixed in place by an upgrade, docs/architecture.md "Upgrades"): the proxy is
    `BondServicer.<symbol>`, the code `BondServicer.<symbol>.implementation`. It is bound to its
    token at construction (SEC-38: nobody can bind it first): to the address the deployer's
    deployment after the servicer's two creates, which is the token's (the SecurityToken step
    sends it first); the token's constructor checks the servicer names it. A rerun finds them in
    the record; a servicer left recorded without its token, whose predicted address another
    transaction of the deployer has taken since, is refused (DeploymentError: remove it from the
    record to deploy a new one)."""
    from ape import chain

    from keepers.compliance import deploy_security, deploy_token_admin
    from keepers.core.deployments import DeploymentError

    servicer_name, token_name = f"{BOND_SERVICER}.{symbol}", f"{BOND_SHARE_TOKEN}.{symbol}"
    # The token family's admin module first: the token must be the deployer's next deployment
    # after the servicer (a recorded token keeps its module: none deployed on a rerun).
    if not d.has(token_name):
        deploy_token_admin(d)

    def next_deployment(offset: int) -> str:
        nonce = chain.provider.get_nonce(d.sender.address)
        return str(d.sender.get_deployment_address(nonce + offset))

    # The implementation and the proxy, those not recorded yet, come before the token.
    ahead = sum(not d.has(n) for n in (implementation_name(servicer_name), servicer_name))
    token_address = d.address(token_name) if d.has(token_name) else next_deployment(ahead)
    servicer = deploy_governed(
        d, servicer_name, BOND_SERVICER, instruments, payment_asset, token_address
    )
    if not d.has(token_name) and servicer.token().lower() != next_deployment(0).lower():
        raise DeploymentError(
            f"{servicer_name} at {servicer.address} is bound to {servicer.token()}, but the "
            f"token's deployment would create {next_deployment(0)}: remove {servicer_name} "
            "from the record and run again"
        )
    token = deploy_security(
        d,
        f".{symbol}",
        name,
        symbol,
        agent=agent,
        jurisdictions=jurisdictions,
        contract_type=BOND_SHARE_TOKEN,
        extra_args=(servicer,),
    )
    if servicer.token().lower() != token.address.lower():
        raise DeploymentError(f"{symbol}'s servicer is bound to {servicer.token()}, not the token")
    return token
