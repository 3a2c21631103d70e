"""Vault domain deploy steps (contracts/vault): a local settlement stablecoin, a PortfolioVault with
its shares' compliance engine (the shares are securities), its listings, venues, dealing fee and
trade limits,
its verified identity — and `deploy_fund`, the fund of keepers/data/portfolio.yaml assembled from
the compliance, risk and vault steps (the deploy script's fourth step).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from keepers.access import (
    as_role,
    deploy_governed,
    grant_calls,
    hold_calls,
    is_admin,
    refuse_unproxied_record,
    send_to_manager,
    wire,
)
from keepers.core.deploying import (
    ZERO_ADDRESS,
    Deployment,
    Step,
    build_name,
    implementation_name,
    require_short_string,
)
from keepers.core.units import FEED_DECIMALS

if TYPE_CHECKING:
    from keepers.core.preflight import LiveAsset
    from keepers.vault.portfolio import Portfolio

FUND_IDENTITY = "0x" + "f0" * 20
BASKET_MODULE = "PortfolioBasket"
ADMIN_MODULE = "PortfolioAdmin"
US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1


def deploy_stablecoin(d: Deployment, symbol: str, name: str = "USD Coin (local)") -> Any:
    """A local settlement stablecoin (`LocalStablecoin.<symbol>`; minted by OPERATOR), wired."""
    coin = d.deploy_contract(
        f"LocalStablecoin.{symbol}", "LocalStablecoin", d.at("QuanteraAccessManager"), name, symbol
    )
    if is_admin(d, "stablecoin wiring"):
        wire(d, [(coin, "LocalStablecoin")])
    return coin


def deploy_basket_module(d: Deployment) -> Any:
    """The module every PortfolioVault runs `tradeBasket` in (`PortfolioBasket`, by DELEGATECALL on
    the vault's storage), recorded under its build's name (`build_name`): one deployment (no
    state, nothing to wire) serves every vault of this build, and a vault added after a new build
    gets the new build's module (the vault's constructor checks its `moduleId`)."""
    return d.deploy_contract(build_name(BASKET_MODULE), BASKET_MODULE)


def deploy_admin_module(d: Deployment) -> Any:
    """The module every PortfolioVault runs its governance in (`addAsset`, `setVenue`,
    `setDealingFee`, `setTradeLimits`, `setShareCompliance`; `PortfolioAdmin`, by DELEGATECALL
    after the vault's own role check), recorded as `PortfolioAdmin.<first 8 hex digits of the
    keccak of its init code>`: one deployment serves every vault of this build, as the basket
    module does (the vault's constructor checks its `moduleId`)."""
    return d.deploy_contract(build_name(ADMIN_MODULE), ADMIN_MODULE)


def deploy_vault(
    d: Deployment,
    settlement: Any,
    fund_name: str,
    fund_symbol: str,
    risk_engine: Any,
    router: Any,
    *,
    name: str = "PortfolioVault",
    shares_name: str = "ComplianceEngine.shares",
    share_jurisdictions: Iterable[tuple[int, tuple]] | None = None,
) -> Any:
    """A PortfolioVault (`name` in the record) settling in `settlement`, wired, with its shares'
    ComplianceEngine (`shares_name`; jurisdiction rules default to the defaults file) bound, and
    its basket and admin modules (`deploy_basket_module`, `deploy_admin_module`). Behind a
    GovernedProxy (issue 34: its holders' shares, deals and cash are fixed in place by an
    upgrade): the proxy is `name`, its code `<name>.implementation`, whose constructor holds the
    shares' name and symbol (at most 31 bytes each) and what the vault is built on; the proxy's
    constructor writes the authority and lists the settlement asset (`initialize`)."""
    from keepers.compliance import bind_share_compliance

    require_short_string("fund_name", fund_name, "vault")
    require_short_string("fund_symbol", fund_symbol, "vault")
    refuse_unproxied_record(d, name)  # a vault from before the proxies: before anything is sent
    registry = d.at("IdentityRegistry")
    # A recorded vault keeps the modules it was built on: none is deployed for it on a rerun.
    settled = d.settled(name) or d.settled(implementation_name(name))
    module = ZERO_ADDRESS if settled else deploy_basket_module(d)
    admin = ZERO_ADDRESS if settled else deploy_admin_module(d)
    authority = d.address("QuanteraAccessManager")
    vault = deploy_governed(
        d,
        name,
        "PortfolioVault",
        settlement,
        fund_name,
        fund_symbol,
        risk_engine,
        router,
        registry,
        module,  # (a recorded vault's code is not deployed again: the modules are not used)
        admin,
        init=lambda code: code.initialize.encode_input(authority),
        # Recorded code from an interrupted run must be built on these (helper-107 L-4).
        expect={
            "asset": settlement,
            "riskEngine": risk_engine,
            "oracle": router,
            "registry": registry,
            "name": fund_name,
            "symbol": fund_symbol,
        },
    )
    if not is_admin(d, "vault wiring"):
        return vault
    wire(d, [(vault, "PortfolioVault")])
    bind_share_compliance(d, vault, shares_name, share_jurisdictions)
    return vault


def vault_steps(
    d: Deployment,
    vault: Any,
    assets: Iterable[tuple[str, str]] = (),
    venues: Iterable[str] = (),
    dealing_fee_bps: int | None = None,
    trade_limits: tuple[int, int, int] | None = None,
) -> list[Step]:
    """GOVERNOR steps: list each (label, token) of `assets` not listed yet, allow each venue of
    `venues`, set the dealing fee and the trade limits (`(maxSlippageBps, lossBudget 18-decimal
    USD, lossRefillPeriod s)`: until set, no trade may lose anything at oracle prices, SEC-51)."""
    listed = {a.lower() for a in vault.assets()}
    steps: list[Step] = [
        (f"list {label} in the vault", lambda t=token: vault.addAsset(t, sender=d.sender))
        for label, token in assets
        if str(token).lower() not in listed
    ]
    steps += [
        (
            f"allow {venue} as the vault's venue",
            lambda v=venue: vault.setVenue(v, True, sender=d.sender),
        )
        for venue in venues
        if not vault.isVenue(venue)
    ]
    if dealing_fee_bps is not None and vault.dealingFeeBps() != dealing_fee_bps:
        steps.append(
            (
                f"set the vault's dealing fee to {dealing_fee_bps} bps",
                lambda: vault.setDealingFee(dealing_fee_bps, sender=d.sender),
            )
        )
    if trade_limits is not None and tuple(int(x) for x in vault.tradeLimits()) != tuple(
        trade_limits
    ):
        slippage, budget, period = trade_limits
        steps.append(
            (
                f"set the vault's trade limits ({slippage} bps a trade, a loss budget of"
                f" {budget / 10**18:,.0f} USD refilled over {period:,} s)",
                lambda: vault.setTradeLimits(slippage, budget, period, sender=d.sender),
            )
        )
    return steps


def register_steps(d: Deployment, holders: Iterable[tuple[str, str, str]]) -> list[Step]:
    """OPERATOR steps registering each (label, wallet, identity) not registered yet as a verified
    institutional identity in the US."""
    registry = d.at("IdentityRegistry")
    return [
        (
            f"register {label} as a verified institutional identity",
            lambda w=wallet, i=identity: registry.registerInvestor(
                w, i, US, INSTITUTIONAL, NEVER_EXPIRES, sender=d.sender
            ),
        )
        for label, wallet, identity in holders
        if not registry.contains(wallet)
    ]


def deploy_fund(
    d: Deployment,
    portfolio: Portfolio,
    *,
    live: dict[str, LiveAsset] | None = None,
    agent: str | None = None,
    keepers: dict[str, str | None] | None = None,
    price_date: str | None = None,
) -> Any:
    """The fund of `portfolio`: its tokens (local networks: a LocalStablecoin for cash, a
    SecurityToken per other asset, the protocol's token for the `compliance` one; live networks,
    `live`: the checked feeds file's), price feeds (local: opening at the portfolio history's close
    on `price_date`, default its last day; live: the file's), the OracleRouter, the RiskEngine, the
    vault and its shares' engine, the keepers' roles (`keepers`: role -> holder), then the
    listings, the dealing fee, the limits and the vault's identity. Returns the vault."""
    from keepers.compliance import deploy_security
    from keepers.risk import (
        configure_steps,
        deploy_feeds,
        deploy_oracle,
        deploy_risk_engine,
        feed_config,
        feed_steps,
    )
    from keepers.vault.portfolio import history

    if not is_admin(d, "risk stack"):
        return None
    tokens: dict[str, str] = {}
    for asset in portfolio.assets:
        if live is not None:
            tokens[asset.symbol] = live[asset.symbol].token or d.address("SecurityToken")
        elif asset.token == "compliance":
            tokens[asset.symbol] = d.address("SecurityToken")
        elif asset.asset_class == "cash_stablecoin":
            tokens[asset.symbol] = deploy_stablecoin(d, asset.symbol).address
        else:
            tokens[asset.symbol] = deploy_security(
                d, f".{asset.symbol}", asset.name, asset.symbol, agent=agent
            ).address
    if live is not None:
        configs = {a.symbol: (tokens[a.symbol], live[a.symbol].feed) for a in portfolio.assets}
    else:
        prices = history(portfolio)
        opening = prices.loc[:price_date].iloc[-1] if price_date else prices.iloc[-1]
        feeds = deploy_feeds(
            d,
            {
                a.symbol: int(round(float(opening[a.symbol]) * 10**FEED_DECIMALS))
                for a in portfolio.assets
            },
        )
        configs = {
            a.symbol: (tokens[a.symbol], feed_config(feeds[a.symbol].address))
            for a in portfolio.assets
        }
    router = deploy_oracle(d)
    engine = deploy_risk_engine(d, router)
    vault = deploy_vault(
        d, tokens[portfolio.assets[0].symbol], portfolio.name, portfolio.symbol, engine, router
    )
    send_to_manager(
        d,
        [
            call
            for role, holder in (keepers or {}).items()
            if holder
            for call in grant_calls(d, role, holder)
        ],
    )

    listings = vault_steps(
        d,
        vault,
        [(a.symbol, tokens[a.symbol]) for a in portfolio.assets[1:]],
        dealing_fee_bps=portfolio.dealing_fee_bps,
        trade_limits=portfolio.trade_limits_tuple(),
    )
    governor = (
        feed_steps(d, router, configs)
        + listings
        + configure_steps(
            d,
            engine,
            vault,
            portfolio.asset_risk(),
            portfolio.limits_tuple(),
            assets_to_list=sum(1 for description, _ in listings if description.startswith("list ")),
        )
    )
    operator = register_steps(d, [("the vault", vault.address, FUND_IDENTITY)])
    send_to_manager(
        d, hold_calls(d, "GOVERNOR", bool(governor)) + hold_calls(d, "OPERATOR", bool(operator))
    )
    as_role(d, "GOVERNOR", governor)
    as_role(d, "OPERATOR", operator)
    return vault
