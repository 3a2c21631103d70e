"""Risk domain deploy steps (contracts/oracles, contracts/risk): the OracleRouter, local price feeds
(a ReporterPriceFeed per asset, its first answer reported), each token's feed set on the router,
the RiskEngine with its read-only periphery (RiskLens), and a portfolio's risk configuration.
"""

from __future__ import annotations

from typing import Any

from keepers.access import as_role, deploy_managed, hold_calls, is_admin, wire
from keepers.core.deploying import ZERO_ADDRESS, Deployment, Step
from keepers.core.units import FEED_DECIMALS

FEED_HEARTBEAT = 86_400
# OracleRouter.FeedConfig of a single feed: (primary, heartbeat, fallback, fallback heartbeat,
# max deviation, min answer, max answer).
MAX_ANSWER = 10**30


def feed_config(feed: str, heartbeat: int = FEED_HEARTBEAT) -> tuple:
    """The router's configuration of one feed with no fallback and no deviation bound."""
    return (feed, heartbeat, ZERO_ADDRESS, 0, 0, 1, MAX_ANSWER)


def deploy_oracle(d: Deployment) -> Any:
    """The OracleRouter behind a GovernedProxy (issue 34, docs/architecture.md), wired."""
    router = deploy_managed(d, "OracleRouter", "OracleRouter")
    if is_admin(d, "oracle wiring"):
        wire(d, [(router, "OracleRouter")])
    return router


def deploy_feeds(
    d: Deployment,
    first_answers: dict[str, int],
    *,
    record: str = "PriceFeed.{}",
    description: str = "{} / USD",
) -> dict[str, Any]:
    """A ReporterPriceFeed per symbol (`record` formatted with the symbol names it in the record,
    `PriceFeed.<symbol>` by default; `description` its Chainlink description), wired, with its
    first answer (FEED_DECIMALS) reported as PRICE_REPORTER when it has none."""
    manager = d.at("QuanteraAccessManager")
    feeds = {
        symbol: d.deploy_contract(
            record.format(symbol),
            "ReporterPriceFeed",
            manager,
            FEED_DECIMALS,
            description.format(symbol),
        )
        for symbol in first_answers
    }
    if not is_admin(d, "feed wiring"):
        return feeds
    steps: list[Step] = [
        (
            f"report the first {symbol} price",
            lambda f=feed, x=first_answers[symbol]: f.report(x, sender=d.sender),
        )
        for symbol, feed in feeds.items()
        if feed.latestRound() == 0
    ]
    wire(
        d,
        [(feed, "ReporterPriceFeed") for feed in feeds.values()],
        hold_calls(d, "PRICE_REPORTER", bool(steps)),
    )
    as_role(d, "PRICE_REPORTER", steps)  # feeds answer before the router takes them
    return feeds


def feed_steps(d: Deployment, router: Any, configs: dict[str, tuple[str, tuple]]) -> list[Step]:
    """GOVERNOR steps setting each (token, FeedConfig) of `configs` (label -> pair) whose primary
    feed differs on the router."""
    return [
        (
            f"set the {label} price feed",
            lambda t=token, c=config: router.setFeed(t, c, sender=d.sender),
        )
        for label, (token, config) in configs.items()
        if tuple(router.feedOf(token))[0].lower() != str(config[0]).lower()
    ]


def set_feeds(d: Deployment, router: Any, configs: dict[str, tuple[str, tuple]]) -> None:
    """Sets the feeds of `configs` (label -> (token, FeedConfig)) as GOVERNOR."""
    steps = feed_steps(d, router, configs)
    if steps and is_admin(d, "feed configuration"):
        as_role(d, "GOVERNOR", steps)


def deploy_risk_engine(d: Deployment, router: Any) -> Any:
    """The RiskEngine over `router`, wired, and its read-only periphery (`RiskLens`: stateless,
    nothing to wire). The engine sits behind a GovernedProxy (issue 34). Returns the engine."""
    engine = deploy_managed(d, "RiskEngine", "RiskEngine", router)
    d.deploy_contract("RiskLens", "RiskLens")
    if is_admin(d, "risk engine wiring"):
        wire(d, [(engine, "RiskEngine")])
    return engine


def configure_steps(
    d: Deployment,
    engine: Any,
    portfolio: Any,
    asset_risk: list[tuple],
    limits: tuple,
    assets_to_list: int = 0,
) -> list[Step]:
    """The GOVERNOR step configuring `portfolio`'s asset risk and limits, unless the engine holds
    exactly them. `assets_to_list`: assets the portfolio will list before this step runs (its
    limits are then configured again over the longer list)."""
    current, assets = d.at("RiskLens").limitsOf(engine, portfolio)
    if (
        not assets_to_list
        and _same(current, limits)
        and [_plain(a) for a in assets] == [_plain(a) for a in asset_risk]
    ):
        return []
    return [
        (
            "configure the portfolio's risk limits",
            lambda: engine.configure(portfolio, asset_risk, limits, sender=d.sender),
        )
    ]


def _plain(value: Any) -> Any:
    """A struct or scalar read from chain (or written in Python) as nested lists of ints."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else int(value)


def _same(on_chain: Any, wanted: tuple) -> bool:
    return _plain(on_chain) == _plain(wanted)
