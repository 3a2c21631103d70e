"""Deploys and seeds the liquidity layer on a local network (keepers/data/liquidity.yaml).

The liquidity domain's deploy steps, run by `ape run deploy all`, the fixtures and the demo in a
`Deployment` (keepers/core/deploying.py), so what is tested is what is deployed.

Venues: Uniswap V2 twice (factories A and B, real artifacts), Uniswap V3 (factory, position
manager, SwapRouter, QuoterV2), the RFQ venue, the issuer's NAV venue; the LiquidityAggregator with
one adapter per venue type. Venues and the aggregator hold security tokens, so each is registered
as its own verified venue identity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Any

import yaml

from keepers.access import as_role, wire
from keepers.compliance import AgentCapability
from keepers.core.deploying import ZERO_ADDRESS, Deployment, Step
from keepers.core.errors import QuanteraError
from keepers.liquidity.artifacts import container

getcontext().prec = 60
DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "data" / "liquidity.yaml"
US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1
MINT_CAPABILITY = int(AgentCapability.MINT)
PAUSE_CAPABILITIES = int(AgentCapability.PAUSE | AgentCapability.UNPAUSE)
TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
MIN_TICK, MAX_TICK = -887272, 887272
Q96 = 2**96


@dataclass
class LiquidityDeployment:
    aggregator: str
    adapters: dict[str, str]
    venues: dict[str, str]  # record name -> address, every aggregator source
    router02: str
    swap_router: str
    quoter: str
    rfq_venue: str
    nav_venue: str
    maker: str
    extras: dict[str, str] = field(default_factory=dict)


def load_spec(path: Path = DEFAULT_SPEC) -> dict:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise QuanteraError(f"cannot read liquidity spec {path}: {err}") from None


def raw_amount(usd: float, price_usd: float, decimals: int) -> int:
    """Token units worth `usd` at `price_usd`."""
    return int(Decimal(str(usd)) / Decimal(str(price_usd)) * Decimal(10) ** decimals)


def sqrt_price_x96(amount0: int, amount1: int) -> int:
    """Uniswap V3's sqrt(token1/token0) in Q64.96 for a price given as a ratio of raw amounts."""
    return int((Decimal(amount1) / Decimal(amount0)).sqrt() * Q96)


def tick_range(amount0: int, amount1: int, fee: int, range_pct: float) -> tuple[int, int]:
    spacing = TICK_SPACING[fee]
    if range_pct >= 100:
        return (MIN_TICK // spacing + 1) * spacing, (MAX_TICK // spacing) * spacing
    tick = math.log(amount1 / amount0) / math.log(1.0001)
    width = -math.log(1 - range_pct / 100) / math.log(1.0001)
    lower = math.floor((tick - width) / spacing) * spacing
    upper = math.ceil((tick + width) / spacing) * spacing
    return lower, upper


@dataclass
class Uniswap:
    """The real Uniswap deployments: V2 factories by name (each with its Router02), V3's factory,
    position manager, SwapRouter and QuoterV2."""

    weth: str
    v2_factories: dict[str, Any]
    router02: str  # the first factory's
    v3_factory: Any
    position_manager: Any
    swap_router: str
    quoter: str


@dataclass
class Pools:
    """The pools the spec names, created by the real factories, and what seeding each needs."""

    sources: dict[str, tuple[str, str]]  # record name -> (address, adapter kind)
    v2: list[tuple[Any, str, str, float]]  # (pair, symbol a, symbol b, USD per side)
    v3: list[tuple[Any, str, str, int, dict]]  # (pool, symbol a, symbol b, fee, its spec)


def deploy_uniswap(d: Deployment, spec: dict) -> Uniswap:
    """WETH9, a V2 factory and its Router02 per `uniswap_v2` entry, and V3 (factory, position
    manager, SwapRouter, QuoterV2), from the real compiled artifacts."""
    sender = d.sender.address
    weth = d.deploy("WETH9", lambda: d.sender.deploy(container("WETH9")))
    v2_factories = {
        name: container("UniswapV2Factory").at(
            d.deploy(
                f"UniswapV2Factory.{name}",
                lambda: d.sender.deploy(container("UniswapV2Factory"), sender),
            )
        )
        for name in spec["uniswap_v2"]
    }
    # A Router02 per factory (each computes its own factory's pair addresses): the aggregator
    # swaps the pairs directly, the arbitrage keeper through these (keepers/liquidity/arbitrage.py).
    routers02 = {
        name: d.deploy(
            f"UniswapV2Router02.{name}",
            lambda f=factory: d.sender.deploy(container("UniswapV2Router02"), f, weth),
        )
        for name, factory in v2_factories.items()
    }
    router02 = routers02[next(iter(v2_factories))]
    v3_factory = container("UniswapV3Factory").at(
        d.deploy("UniswapV3Factory", lambda: d.sender.deploy(container("UniswapV3Factory")))
    )
    position_manager = container("NonfungiblePositionManager").at(
        d.deploy(
            "NonfungiblePositionManager",
            lambda: d.sender.deploy(
                container("NonfungiblePositionManager"), v3_factory, weth, ZERO_ADDRESS
            ),
        )
    )
    swap_router = d.deploy(
        "SwapRouter", lambda: d.sender.deploy(container("SwapRouter"), v3_factory, weth)
    )
    quoter = d.deploy("QuoterV2", lambda: d.sender.deploy(container("QuoterV2"), v3_factory, weth))
    return Uniswap(weth, v2_factories, router02, v3_factory, position_manager, swap_router, quoter)


def deploy_aggregator(
    d: Deployment, oracle: Any, max_slippage_cap_bps: int, reveal_window_blocks: int
) -> Any:
    """The LiquidityAggregator over `oracle` (the zero address: no oracle bound on routes),
    wired."""
    aggregator = d.deploy_contract(
        "LiquidityAggregator",
        "LiquidityAggregator",
        d.at("QuanteraAccessManager"),
        oracle,
        max_slippage_cap_bps,
        reveal_window_blocks,
    )
    wire(d, [(aggregator, "LiquidityAggregator")])
    return aggregator


def deploy_rfq_venue(d: Deployment, aggregator: Any) -> str:
    """The RFQ venue, trusting `aggregator` (only) to name the taker of the route it fills for,
    wired (GUARDIAN pauses it, GOVERNOR resumes: SEC-146)."""
    rfq = d.deploy_contract("RfqVenue", "RfqVenue", aggregator, d.at("QuanteraAccessManager"))
    wire(d, [(rfq, "RfqVenue")])
    return rfq.address


ADAPTERS = {
    "uniswap_v2": "UniswapV2Adapter",
    "uniswap_v3": "UniswapV3Adapter",
    "rfq": "RfqAdapter",
    "nav": "NavVenueAdapter",
}


def deploy_adapters(
    d: Deployment, kinds: tuple[str, ...] = tuple(ADAPTERS), quoter: str | None = None
) -> dict[str, str]:
    """One adapter per venue kind of `kinds` (the V3 one quotes through `quoter`): kind ->
    address."""
    return {
        kind: d.deploy_contract(
            ADAPTERS[kind], ADAPTERS[kind], *((quoter,) if kind == "uniswap_v3" else ())
        ).address
        for kind in kinds
    }


def deploy_nav_venue(d: Deployment, cash: Any) -> Any:
    """The issuer's NAV venue settling in `cash`, priced by the record's OracleRouter, wired."""
    nav = d.deploy_contract(
        "NavVenue", "NavVenue", d.at("QuanteraAccessManager"), cash, d.at("OracleRouter")
    )
    wire(d, [(nav, "NavVenue")])
    return nav


def create_pools(d: Deployment, uniswap: Uniswap, tokens: dict[str, Any], spec: dict) -> Pools:
    """Every V2 pair and V3 pool of `spec`, created by the real factories unless they exist."""
    pools = Pools({}, [], [])
    for name, pairs in spec["uniswap_v2"].items():
        factory = uniswap.v2_factories[name]
        for pair_name, usd in pairs.items():
            a, b = pair_name.split("-")

            def create(f=factory, x=tokens[a], y=tokens[b]):
                if int(f.getPair(x, y), 16) == 0:
                    f.createPair(x, y, sender=d.sender)
                return container("UniswapV2Pair").at(f.getPair(x, y))

            pair = d.deploy(f"UniswapV2Pair.{name}.{pair_name}", create)
            pools.sources[f"UniswapV2Pair.{name}.{pair_name}"] = (pair, "uniswap_v2")
            pools.v2.append((container("UniswapV2Pair").at(pair), a, b, usd))
    for pool_spec in spec["uniswap_v3"]:
        a, b = pool_spec["pair"].split("-")
        fee = int(pool_spec["fee"])
        record_name = f"UniswapV3Pool.{pool_spec['pair']}.{fee}"

        def create_pool(x=tokens[a], y=tokens[b], f=fee):
            if int(uniswap.v3_factory.getPool(x, y, f), 16) == 0:
                uniswap.v3_factory.createPool(x, y, f, sender=d.sender)
            return container("UniswapV3Pool").at(uniswap.v3_factory.getPool(x, y, f))

        pool = d.deploy(record_name, create_pool)
        pools.sources[record_name] = (pool, "uniswap_v3")
        pools.v3.append((container("UniswapV3Pool").at(pool), a, b, fee, pool_spec))
    return pools


def register_venue_steps(d: Deployment, holders: list[tuple[str, str]]) -> list[Step]:
    """OPERATOR steps registering each (label, address) not registered yet as its own verified
    venue identity: every contract that holds security tokens, the LP (deployer) and the maker."""
    registry = d.at("IdentityRegistry")
    return [
        (
            f"register {name} as a verified venue identity",
            lambda a=address: registry.registerInvestor(
                a, a, US, INSTITUTIONAL, NEVER_EXPIRES, sender=d.sender
            ),
        )
        for name, address in holders
        if not registry.contains(address)
    ]


def seed(
    d: Deployment,
    tokens: dict[str, Any],
    pools: Pools,
    uniswap: Uniswap,
    nav: Any,
    maker: str,
    spec: dict,
    units: Callable[[str, float], int],
) -> None:
    """Mints what every empty source needs (V2 pairs directly, V3 through the LP, the NAV venue's
    and the maker's inventories) and seeds the pools: USDC as OPERATOR, security tokens as a
    temporary agent of each (`_grant_agent`)."""
    sender = d.sender.address
    mints: dict[tuple[str, str], int] = {}

    def owe(symbol: str, to: str, amount: int) -> None:
        mints[(symbol, to)] = mints.get((symbol, to), 0) + amount

    for pair, a, b, usd in pools.v2:
        if int(pair.totalSupply()) == 0:
            owe(a, pair.address, units(a, usd))
            owe(b, pair.address, units(b, usd))
    v3_todo = [seed for seed in pools.v3 if int(seed[0].liquidity()) == 0]
    for _pool, a, b, _fee, pool_spec in v3_todo:
        owe(a, sender, units(a, pool_spec["usd_per_side"]))
        owe(b, sender, units(b, pool_spec["usd_per_side"]))
    nav_spec = spec["nav_venue"]
    if int(tokens["USDC"].balanceOf(nav.address)) == 0:
        owe("USDC", nav.address, units("USDC", nav_spec["cash_inventory_usd"]))
        for symbol, market in nav_spec.items():
            if isinstance(market, dict):
                owe(symbol, nav.address, units(symbol, market["inventory_usd"]))
    if all(int(tokens[s].balanceOf(maker)) == 0 for s in spec["rfq"]["inventory_usd"]):
        for symbol, usd in spec["rfq"]["inventory_usd"].items():
            owe(symbol, maker, units(symbol, usd))
    security = sorted(
        {symbol for symbol, _ in mints if symbol != "USDC"}
        | {symbol for _, a, b, _, _ in v3_todo for symbol in (a, b) if symbol != "USDC"}
    )
    _grant_agent(d, tokens, security, MINT_CAPABILITY | PAUSE_CAPABILITIES)
    _mint_all(d, tokens, mints)
    for pair, a, b, usd in pools.v2:
        if int(pair.totalSupply()) == 0:
            pair.mint(sender, sender=d.sender)
            d.echo(f"  + seeded {a}/{b} V2 pair {pair.address} (${usd:,.0f} per side)")
    # Seeding a V3 position moves tokens: a token still paused (before its offering opens) is
    # unpaused for the seeding and paused again, as its issuer left it.
    paused = [symbol for symbol in security if tokens[symbol].paused()]
    for symbol in paused:
        tokens[symbol].unpause(sender=d.sender)
    for pool, a, b, fee, pool_spec in v3_todo:
        lower, upper = seed_v3_position(
            d.sender,
            uniswap.position_manager,
            pool,
            tokens[a],
            tokens[b],
            fee,
            units(a, pool_spec["usd_per_side"]),
            units(b, pool_spec["usd_per_side"]),
            float(pool_spec["range_pct"]),
        )
        d.echo(f"  + seeded {a}/{b} V3 pool {pool.address} fee {fee} ticks [{lower}, {upper}]")
    for symbol in paused:
        tokens[symbol].pause(sender=d.sender)
    _grant_agent(d, tokens, security, 0)


def nav_market_steps(
    d: Deployment, nav: Any, tokens: dict[str, Any], spec: dict, units: Callable[[str, float], int]
) -> list[Step]:
    """OPERATOR steps listing each market of the spec's `nav_venue` whose terms differ on chain."""
    steps = []
    for symbol, market in spec["nav_venue"].items():
        if not isinstance(market, dict):
            continue
        terms = (
            market["subscribe_fee_bps"],
            market["redeem_fee_bps"],
            units("USDC", market["daily_capacity_usd"]),
            True,
            market["max_nav_move_bps"],
        )
        if tuple(nav.marketOf(tokens[symbol])) != terms:
            steps.append(
                (
                    f"list {symbol} on the NAV venue",
                    lambda t=tokens[symbol], m=terms: nav.setMarket(t, m, sender=d.sender),
                )
            )
    return steps


def list_sources(
    d: Deployment, aggregator: Any, adapters: dict[str, str], sources: dict[str, tuple[str, str]]
) -> None:
    """Allows each adapter and lists each source (name -> (address, adapter kind)) with its adapter
    (ADMIN: the sender), skipping what is set."""
    for adapter in adapters.values():
        if not aggregator.isAdapter(adapter):
            aggregator.setAdapter(adapter, True, sender=d.sender)
    for address, kind in sources.values():
        if aggregator.adapterOf(address).lower() != adapters[kind].lower():
            aggregator.setVenue(address, adapters[kind], sender=d.sender)


def policy_steps(
    d: Deployment,
    aggregator: Any,
    tokens: dict[str, Any],
    spec: dict,
    units: Callable[[str, float], int],
) -> list[Step]:
    """GOVERNOR steps setting each token's large-order (commit-reveal) threshold where it
    differs."""
    threshold_usd = spec["aggregator"]["commit_threshold_usd"]
    return [
        (
            f"set the {symbol} large-order threshold",
            # The defaults bind each step's token and threshold now, on purpose (B008).
            lambda t=token, x=units(symbol, threshold_usd): aggregator.setTokenPolicy(  # noqa: B008
                t, (x,), sender=d.sender
            ),
        )
        for symbol, token in tokens.items()
        if int(aggregator.tokenPolicy(token)[0]) != units(symbol, threshold_usd)
    ]


def deploy_liquidity(
    d: Deployment, tokens: dict[str, Any], maker: str, spec: dict | None = None
) -> LiquidityDeployment:
    """Deploys, seeds and wires every venue and the aggregator, on the record's authority, identity
    registry and OracleRouter. `tokens`: symbol -> contract (USDC the LocalStablecoin, the others
    SecurityTokens); prices come from the router."""
    spec = spec or load_spec()
    oracle = d.at("OracleRouter")
    prices = {symbol: int(oracle.price(token)) / 1e18 for symbol, token in tokens.items()}
    decimals = {symbol: int(token.decimals()) for symbol, token in tokens.items()}

    def units(symbol: str, usd: float) -> int:
        return raw_amount(usd, prices[symbol], decimals[symbol])

    uniswap = deploy_uniswap(d, spec)
    nav = deploy_nav_venue(d, tokens["USDC"])
    policy = spec["aggregator"]
    aggregator = deploy_aggregator(
        d, oracle, policy["max_slippage_cap_bps"], policy["reveal_window_blocks"]
    )
    rfq_venue = deploy_rfq_venue(d, aggregator)
    adapters = deploy_adapters(d, quoter=uniswap.quoter)
    pools = create_pools(d, uniswap, tokens, spec)
    pools.sources["RfqVenue"] = (rfq_venue, "rfq")
    pools.sources["NavVenue"] = (nav.address, "nav")
    # QuoterV2 simulates swaps paying out to itself (then reverts): it must pass compliance too.
    holders = [
        ("liquidity provider", d.sender.address),
        ("market maker", maker),
        ("LiquidityAggregator", aggregator.address),
        ("NavVenue", nav.address),
        ("QuoterV2", uniswap.quoter),
    ]
    holders += [
        (name, address)
        for name, (address, kind) in pools.sources.items()
        if kind.startswith("uniswap")
    ]
    as_role(d, "OPERATOR", register_venue_steps(d, holders))
    seed(d, tokens, pools, uniswap, nav, maker, spec, units)
    as_role(d, "OPERATOR", nav_market_steps(d, nav, tokens, spec, units))
    maker_account = d.signer(maker)
    for symbol in spec["rfq"]["inventory_usd"]:
        if int(tokens[symbol].allowance(maker, rfq_venue)) == 0:
            # The maker's own choice: its inventory is quoted only through signed, expiring quotes.
            tokens[symbol].approve(rfq_venue, 2**256 - 1, sender=maker_account)
    list_sources(d, aggregator, adapters, pools.sources)
    as_role(d, "GOVERNOR", policy_steps(d, aggregator, tokens, spec, units))
    return LiquidityDeployment(
        aggregator=aggregator.address,
        adapters=adapters,
        venues={name: address for name, (address, _) in pools.sources.items()},
        router02=uniswap.router02,
        swap_router=uniswap.swap_router,
        quoter=uniswap.quoter,
        rfq_venue=rfq_venue,
        nav_venue=nav.address,
        maker=maker,
        extras={
            "NonfungiblePositionManager": uniswap.position_manager.address,
            "WETH9": uniswap.weth,
        },
    )


def _mint_all(d: Deployment, tokens: dict[str, Any], mints: dict[tuple[str, str], int]) -> None:
    """USDC as OPERATOR; security tokens as the deployer, a temporary agent (see `_grant_agent`)."""
    as_role(
        d,
        "OPERATOR",
        [
            (
                f"mint {amount / 10**6:,.0f} USDC to {to}",
                lambda t=to, x=amount: tokens["USDC"].mint(t, x, sender=d.sender),
            )
            for (symbol, to), amount in mints.items()
            if symbol == "USDC"
        ],
    )
    for (symbol, to), amount in mints.items():
        if symbol != "USDC":
            tokens[symbol].mint(to, amount, sender=d.sender)


def _grant_agent(
    d: Deployment, tokens: dict[str, Any], symbols: list[str], capabilities: int
) -> None:
    """Sets the deployer's agent capabilities on each token (GOVERNOR): granted for the seeding, 0
    after."""
    sender = d.sender.address
    as_role(
        d,
        "GOVERNOR",
        [
            (
                f"set the deployer's {s} agent capabilities to {capabilities:#x}",
                lambda t=tokens[s]: t.setAgentCapabilities(sender, capabilities, sender=d.sender),
            )
            for s in symbols
            if int(tokens[s].agentCapabilities(sender)) != capabilities
        ],
    )


def seed_v3_position(
    sender,
    position_manager,
    pool,
    token_a,
    token_b,
    fee: int,
    amount_a: int,
    amount_b: int,
    range_pct: float,
) -> tuple[int, int]:
    """Initialises `pool` at the price amount_b / amount_a (if new) and mints a position of about
    those amounts through the real position manager; returns its tick range."""
    if int(token_a.address, 16) < int(token_b.address, 16):
        (t0, amount0), (t1, amount1) = (token_a, amount_a), (token_b, amount_b)
    else:
        (t0, amount0), (t1, amount1) = (token_b, amount_b), (token_a, amount_a)
    if int(pool.slot0()[0]) == 0:
        pool.initialize(sqrt_price_x96(amount0, amount1), sender=sender)
    lower, upper = tick_range(amount0, amount1, fee, range_pct)
    # Exact approvals: the position manager pulls what the position needs; the rest is reset.
    t0.approve(position_manager, amount0, sender=sender)
    t1.approve(position_manager, amount1, sender=sender)
    deadline = 2**255
    position_manager.mint(
        (t0, t1, fee, lower, upper, amount0, amount1, 0, 0, sender.address, deadline), sender=sender
    )
    for token in (t0, t1):
        if int(token.allowance(sender.address, position_manager)) != 0:
            token.approve(position_manager, 0, sender=sender)
    return lower, upper
