"""Deploys and seeds the liquidity layer on a local network (keepers/data/liquidity.yaml).

Shared by `ape run deploy all` and the tests, so what is tested is what is deployed. The caller
supplies how to deploy (record-keeping, idempotent) and how to act under a role (temporary grant).

Venues: Uniswap V2 twice (factories A and B, real artifacts), Uniswap V3 (factory, position
manager, SwapRouter, QuoterV2), the RFQ venue, the issuer's NAV venue; the LiquidityAggregator with
one adapter per venue type. Venues and the aggregator hold security tokens, so each is registered
as its own verified venue identity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal, getcontext
from pathlib import Path
from typing import Any, Callable

import yaml

from keepers.core.errors import QuanteraError
from keepers.liquidity.artifacts import container

getcontext().prec = 60
DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "data" / "liquidity.yaml"
ZERO_ADDRESS = "0x" + "00" * 20
US, INSTITUTIONAL, NEVER_EXPIRES = 840, 4, 2**40 - 1
MINT_CAPABILITY, PAUSE_CAPABILITIES = 1, (1 << 6) | (1 << 7)
TICK_SPACING = {100: 1, 500: 10, 3000: 60, 10000: 200}
MIN_TICK, MAX_TICK = -887272, 887272
Q96 = 2**96

Step = tuple[str, Callable[[], Any]]


@dataclass
class LiquidityDeployer:
    """How the caller deploys and acts. `deploy(name, factory)` returns the address (skipping what
    exists); `as_role(role, steps)` runs steps holding the role; `signer(address)` returns an
    account that can sign for a local test address (the market maker)."""

    sender: Any
    deploy: Callable[[str, Callable[[], Any]], str]
    as_role: Callable[[str, list[Step]], None]
    wire: Callable[[Any, str], None]
    signer: Callable[[str], Any]
    echo: Callable[[str], None] = print


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


def deploy_liquidity(d: LiquidityDeployer, project, manager, registry, oracle, tokens: dict[str, Any],
                     maker: str, spec: dict | None = None) -> LiquidityDeployment:
    """Deploys, seeds and wires every venue and the aggregator. `tokens`: symbol -> contract
    (USDC the LocalStablecoin, the others SecurityTokens); prices come from `oracle`."""
    spec = spec or load_spec()
    sender = d.sender.address
    prices = {symbol: int(oracle.price(token)) / 1e18 for symbol, token in tokens.items()}
    decimals = {symbol: int(token.decimals()) for symbol, token in tokens.items()}

    def units(symbol: str, usd: float) -> int:
        return raw_amount(usd, prices[symbol], decimals[symbol])

    weth = d.deploy("WETH9", lambda: d.sender.deploy(container("WETH9")))
    # ---- venues' contracts
    v2_factories = {}
    for name in spec["uniswap_v2"]:
        v2_factories[name] = container("UniswapV2Factory").at(d.deploy(
            f"UniswapV2Factory.{name}", lambda: d.sender.deploy(container("UniswapV2Factory"), sender)))
    first_v2 = next(iter(v2_factories))
    router02 = d.deploy(f"UniswapV2Router02.{first_v2}", lambda: d.sender.deploy(
        container("UniswapV2Router02"), v2_factories[first_v2], weth))
    v3_factory = container("UniswapV3Factory").at(d.deploy(
        "UniswapV3Factory", lambda: d.sender.deploy(container("UniswapV3Factory"))))
    position_manager = container("NonfungiblePositionManager").at(d.deploy(
        "NonfungiblePositionManager", lambda: d.sender.deploy(
            container("NonfungiblePositionManager"), v3_factory, weth, ZERO_ADDRESS)))
    swap_router = d.deploy("SwapRouter", lambda: d.sender.deploy(container("SwapRouter"), v3_factory, weth))
    quoter = d.deploy("QuoterV2", lambda: d.sender.deploy(container("QuoterV2"), v3_factory, weth))
    nav = project.NavVenue.at(d.deploy("NavVenue", lambda: d.sender.deploy(
        project.NavVenue, manager, tokens["USDC"], oracle)))
    d.wire(nav, "NavVenue")
    aggregator_spec = spec["aggregator"]
    aggregator = project.LiquidityAggregator.at(d.deploy("LiquidityAggregator", lambda: d.sender.deploy(
        project.LiquidityAggregator, manager, oracle, aggregator_spec["max_slippage_cap_bps"],
        aggregator_spec["reveal_window_blocks"])))
    d.wire(aggregator, "LiquidityAggregator")
    # The RFQ venue trusts this aggregator (only) to name the taker of the route it fills for.
    rfq_venue = d.deploy("RfqVenue", lambda: d.sender.deploy(project.RfqVenue, aggregator))
    adapters = {
        "uniswap_v2": d.deploy("UniswapV2Adapter", lambda: d.sender.deploy(project.UniswapV2Adapter)),
        "uniswap_v3": d.deploy("UniswapV3Adapter", lambda: d.sender.deploy(project.UniswapV3Adapter, quoter)),
        "rfq": d.deploy("RfqAdapter", lambda: d.sender.deploy(project.RfqAdapter)),
        "nav": d.deploy("NavVenueAdapter", lambda: d.sender.deploy(project.NavVenueAdapter)),
    }

    # ---- pools (created by the real factories)
    sources: dict[str, tuple[str, str]] = {}  # record name -> (address, adapter kind)
    v2_seeds: list[tuple[Any, str, str, float]] = []
    for name, pairs in spec["uniswap_v2"].items():
        factory = v2_factories[name]
        for pair_name, usd in pairs.items():
            a, b = pair_name.split("-")

            def create(f=factory, x=tokens[a], y=tokens[b]):
                existing = f.getPair(x, y)
                if int(existing, 16) == 0:
                    f.createPair(x, y, sender=d.sender)
                    existing = f.getPair(x, y)
                return container("UniswapV2Pair").at(existing)

            pair = d.deploy(f"UniswapV2Pair.{name}.{pair_name}", create)
            sources[f"UniswapV2Pair.{name}.{pair_name}"] = (pair, "uniswap_v2")
            v2_seeds.append((container("UniswapV2Pair").at(pair), a, b, usd))
    v3_seeds = []
    for pool_spec in spec["uniswap_v3"]:
        a, b = pool_spec["pair"].split("-")
        fee = int(pool_spec["fee"])
        record_name = f"UniswapV3Pool.{pool_spec['pair']}.{fee}"

        def create_pool(x=tokens[a], y=tokens[b], f=fee):
            existing = v3_factory.getPool(x, y, f)
            if int(existing, 16) == 0:
                v3_factory.createPool(x, y, f, sender=d.sender)
                existing = v3_factory.getPool(x, y, f)
            return container("UniswapV3Pool").at(existing)

        pool = d.deploy(record_name, create_pool)
        sources[record_name] = (pool, "uniswap_v3")
        v3_seeds.append((container("UniswapV3Pool").at(pool), a, b, fee, pool_spec))
    sources["RfqVenue"] = (rfq_venue, "rfq")
    sources["NavVenue"] = (nav.address, "nav")

    # ---- identities: every contract that holds security tokens, the LP (deployer) and the maker
    # QuoterV2 simulates swaps paying out to itself (then reverts): it must pass compliance too.
    holders = [("liquidity provider", sender), ("market maker", maker), ("LiquidityAggregator", aggregator.address),
               ("NavVenue", nav.address), ("QuoterV2", quoter)]
    holders += [(name, address) for name, (address, kind) in sources.items() if kind.startswith("uniswap")]
    d.as_role("OPERATOR", [
        (f"register {name} as a verified venue identity",
         lambda a=address: registry.registerInvestor(a, a, US, INSTITUTIONAL, NEVER_EXPIRES, sender=d.sender))
        for name, address in holders if not registry.contains(address)
    ])

    # ---- what to mint: V2 pairs directly, V3 through the LP, NAV inventory, the maker's inventory
    mints: dict[tuple[str, str], int] = {}

    def owe(symbol: str, to: str, amount: int) -> None:
        mints[(symbol, to)] = mints.get((symbol, to), 0) + amount

    for pair, a, b, usd in v2_seeds:
        if int(pair.totalSupply()) == 0:
            owe(a, pair.address, units(a, usd))
            owe(b, pair.address, units(b, usd))
    for pool, a, b, fee, pool_spec in v3_seeds:
        if int(pool.liquidity()) == 0:
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
    v3_todo = [seed for seed in v3_seeds if int(seed[0].liquidity()) == 0]
    security = sorted({symbol for symbol, _ in mints if symbol != "USDC"}
                      | {symbol for _, a, b, _, _ in v3_todo for symbol in (a, b) if symbol != "USDC"})
    _grant_agent(d, tokens, security, MINT_CAPABILITY | PAUSE_CAPABILITIES)
    _mint_all(d, tokens, mints)
    for pair, a, b, usd in v2_seeds:
        if int(pair.totalSupply()) == 0:
            pair.mint(sender, sender=d.sender)
            d.echo(f"  + seeded {a}/{b} V2 pair {pair.address} (${usd:,.0f} per side)")
    # Seeding a V3 position moves tokens: a token still paused (before its offering opens) is
    # unpaused for the seeding and paused again, as its issuer left it.
    paused = [symbol for symbol in security if tokens[symbol].paused()]
    for symbol in paused:
        tokens[symbol].unpause(sender=d.sender)
    for pool, a, b, fee, pool_spec in v3_todo:
        lower, upper = seed_v3_position(d.sender, position_manager, pool, tokens[a], tokens[b], fee,
                                        units(a, pool_spec["usd_per_side"]), units(b, pool_spec["usd_per_side"]),
                                        float(pool_spec["range_pct"]))
        d.echo(f"  + seeded {a}/{b} V3 pool {pool.address} fee {fee} ticks [{lower}, {upper}]")
    for symbol in paused:
        tokens[symbol].pause(sender=d.sender)
    _grant_agent(d, tokens, security, 0)
    markets = []
    for symbol, market in nav_spec.items():
        if not isinstance(market, dict):
            continue
        terms = (market["subscribe_fee_bps"], market["redeem_fee_bps"],
                 units("USDC", market["daily_capacity_usd"]), True)
        if tuple(nav.marketOf(tokens[symbol])) != terms:
            markets.append((f"list {symbol} on the NAV venue",
                            lambda t=tokens[symbol], m=terms: nav.setMarket(t, m, sender=d.sender)))
    d.as_role("OPERATOR", markets)
    maker_account = d.signer(maker)
    for symbol in spec["rfq"]["inventory_usd"]:
        if int(tokens[symbol].allowance(maker, rfq_venue)) == 0:
            # The maker's own choice: its inventory is quoted only through signed, expiring quotes.
            tokens[symbol].approve(rfq_venue, 2**256 - 1, sender=maker_account)

    # ---- aggregator: adapters, sources, large-order policies
    for kind, adapter in adapters.items():
        if not aggregator.isAdapter(adapter):
            aggregator.setAdapter(adapter, True, sender=d.sender)
    for name, (address, kind) in sources.items():
        if aggregator.adapterOf(address).lower() != adapters[kind].lower():
            aggregator.setVenue(address, adapters[kind], sender=d.sender)
    threshold_usd = aggregator_spec["commit_threshold_usd"]
    policies = [(f"set the {symbol} large-order threshold",
                 lambda t=token, x=units(symbol, threshold_usd): aggregator.setTokenPolicy(t, (x,), sender=d.sender))
                for symbol, token in tokens.items()
                if int(aggregator.tokenPolicy(token)[0]) != units(symbol, threshold_usd)]
    d.as_role("GOVERNOR", policies)
    return LiquidityDeployment(
        aggregator=aggregator.address, adapters=adapters,
        venues={name: address for name, (address, _) in sources.items()},
        router02=router02, swap_router=swap_router, quoter=quoter, rfq_venue=rfq_venue, nav_venue=nav.address,
        maker=maker, extras={"NonfungiblePositionManager": position_manager.address, "WETH9": weth},
    )


def _mint_all(d: LiquidityDeployer, tokens: dict[str, Any], mints: dict[tuple[str, str], int]) -> None:
    """USDC as OPERATOR; security tokens as the deployer, a temporary agent (see `_grant_agent`)."""
    d.as_role("OPERATOR", [(f"mint {amount / 10**6:,.0f} USDC to {to}",
                            lambda t=to, x=amount: tokens["USDC"].mint(t, x, sender=d.sender))
                           for (symbol, to), amount in mints.items() if symbol == "USDC"])
    for (symbol, to), amount in mints.items():
        if symbol != "USDC":
            tokens[symbol].mint(to, amount, sender=d.sender)


def _grant_agent(d: LiquidityDeployer, tokens: dict[str, Any], symbols: list[str], capabilities: int) -> None:
    """Sets the deployer's agent capabilities on each token (GOVERNOR): granted for the seeding, 0 after."""
    sender = d.sender.address
    d.as_role("GOVERNOR", [(f"set the deployer's {s} agent capabilities to {capabilities:#x}",
                            lambda t=tokens[s]: t.setAgentCapabilities(sender, capabilities, sender=d.sender))
                           for s in symbols if int(tokens[s].agentCapabilities(sender)) != capabilities])


def seed_v3_position(sender, position_manager, pool, token_a, token_b, fee: int, amount_a: int, amount_b: int,
                     range_pct: float) -> tuple[int, int]:
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
    position_manager.mint((t0, t1, fee, lower, upper, amount0, amount1, 0, 0, sender.address, deadline), sender=sender)
    for token in (t0, t1):
        if int(token.allowance(sender.address, position_manager)) != 0:
            token.approve(position_manager, 0, sender=sender)
    return lower, upper
