"""Liquidity: the LiquidityAggregator's venues (Uniswap V2 pairs, V3 pools, the RFQ venue, the NAV
desk) with their depth and paused state, the recent routes with their fills and their improvement
over the best single venue, and the commit-reveal orders still pending.

Depth is what the venue holds of the tokens it trades (a pool's reserves, the NAV desk's
inventory and the day's remaining capacity), valued at OracleRouter prices where the router has a
valid price; the RFQ venue holds nothing (its market maker signs a quote per order). A route's
fills are its `RouteExecuted.fills` (`keepers.liquidity.decode_fills`); the best single venue is
the aggregator's own `quote` of the whole order at every venue, read at the block before the
route's (an RFQ venue quotes only with a signed quote, so it is not in that comparison).

Bounded: the newest MAX_ROUTES routes (their historical quotes read once, then kept: history does
not change) and MAX_COMMITS commitments; one JSON-RPC batch per kind of read.

A route's tokens are whatever its payer wrote (`RouteExecuted.tokenOut`): one the deployment
record does not list is shown with its address (`symbol (0x1234…)`), a symbol that does not read
as UNKNOWN_SYMBOL (prices.token_meta), and a route that cannot be read at all is left out and
counted (`unreadable_routes`): one bad route never takes the page down.
"""

from __future__ import annotations

import threading
from typing import Any

from eth_utils import to_checksum_address

from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.calls import batch_call
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.pages import Page
from keepers.console.prices import (
    erc20,
    oracle_calls,
    oracle_prices,
    token_meta,
    value_usd18,
)
from keepers.console.source import ChainSource
from keepers.core.units import BPS
from keepers.liquidity import decode_fills, sources_from_record

AGGREGATOR = "LiquidityAggregator"
NAV_VENUE = "NavVenue"
MAX_ROUTES = 20
MAX_COMMITS = 50
USED = 2**256 - 1  # `commitments(c)` of a revealed commitment
ZERO = "0x0000000000000000000000000000000000000000"

_quotes_lock = threading.Lock()
# (chain id, tx, log index) -> (best single venue, its output, why there is none) at the block
# before the route
_best_single: dict[tuple[int, str, int], tuple[str | None, int, str | None]] = {}
# (chain id, tx, log index) -> the oracle's prices (18-decimal USD per whole token) of the route's
# tokens at the block before it, (in, out); None where the router gave no usable price.
_oracle_prices: dict[tuple[int, str, int], tuple[int | None, int | None]] = {}
# (chain id, tx, log index) -> (probe amount in, the best single venue's output for it): a small
# order (PROBE_DIVISOR-th of the route's) priced by the venues at the block before, so that a
# venue's price is judged without the whole order's price impact.
_probe: dict[tuple[int, str, int], tuple[int, int]] = {}
PROBE_DIVISOR = 1_000
ORACLE = "OracleRouter"
# A single venue whose quote is further than this from the oracle's value of the order is off
# the market (a pool no arbitrage keeps near it): the comparison with it is flagged, not trusted.
STALE_QUOTE_BPS = 200


def _display(amount: int, decimals: int, places: int = 2) -> str:
    return f"{int(amount) / 10**decimals:,.{places}f}"


def token_symbols(source: ChainSource) -> dict[str, str]:
    """Symbol -> address of the deployment's tokens (as `keepers.liquidity.token_addresses`, read
    with web3)."""
    tokens = {}
    plain = []
    for name, address in source.record.contracts.items():
        if name.startswith(("LocalStablecoin.", "SecurityToken.")):
            tokens[name.split(".", 1)[1]] = to_checksum_address(address)
        elif name == "SecurityToken":
            plain.append(to_checksum_address(address))
    for address, (symbol, _) in token_meta(source, plain).items():
        tokens[symbol] = address
    return tokens


def venue_tokens(name: str, kind: str, symbols: dict[str, str]) -> list[str]:
    """The tokens a pool trades, from its record name (`UniswapV2Pair.A.QNDX-USDC`,
    `UniswapV3Pool.QSPX-USDC.500`)."""
    if kind not in ("uniswap_v2", "uniswap_v3"):
        return []
    parts = name.split(".")
    pair = parts[2] if kind == "uniswap_v2" else parts[1]
    return [symbols[s] for s in pair.split("-") if s in symbols]


def _nav_markets(index: EventIndex, block: int) -> list[str]:
    listed: dict[str, bool] = {}
    for e in index.events(contract=NAV_VENUE, names=["MarketSet"], until_block=block):
        listed[e.args["token"]] = True
    return list(listed)


def read_venues(source: ChainSource, index: EventIndex, block: int) -> dict[str, Any]:
    aggregator = source.contract(AGGREGATOR)
    venues, paused, reveal_window = batch_call(
        source,
        [(aggregator, "venues", ()), (aggregator, "paused", ()), (aggregator, "revealWindow", ())],
        block,
    )
    venues = [to_checksum_address(v) for v in venues]
    known = {s.address.lower(): s for s in sources_from_record(source.record.contracts)}
    adapters = {to_checksum_address(a): n for n, a in source.record.contracts.items()}
    symbols = token_symbols(source)
    nav = source.address(NAV_VENUE) if source.has(NAV_VENUE) else None
    markets = _nav_markets(index, block) if nav else []
    cash = None
    holdings: dict[str, list[str]] = {}
    for venue in venues:
        s = known.get(venue.lower())
        holdings[venue] = venue_tokens(s.name, s.kind, symbols) if s else []
    calls = []
    for venue in venues:
        calls += [(aggregator, "adapterOf", (venue,)), (aggregator, "isVenuePaused", (venue,))]
    if nav is not None:
        cash = to_checksum_address(
            batch_call(source, [(source.contract(NAV_VENUE), "cash", ())], block)[0]
        )
    if nav in venues:
        holdings[nav] = [cash, *markets]
        # The desk sells its market tokens on subscriptions: their side's depth is that direction's.
        calls += [(source.contract(NAV_VENUE), "remainingCapacity", (t, True)) for t in markets]
    balance_calls = [
        (erc20(source, token), "balanceOf", (venue,))
        for venue in venues
        for token in holdings[venue]
    ]
    every_token = sorted({t for tokens in holdings.values() for t in tokens})
    meta = token_meta(source, every_token)
    results = batch_call(source, calls + balance_calls + oracle_calls(source, every_token), block)
    per_venue, rest = results[: 2 * len(venues)], results[2 * len(venues) :]
    capacity = dict(zip(markets, rest[: len(markets)], strict=True)) if nav in venues else {}
    rest = rest[len(capacity) :]
    balances, priced = rest[: len(balance_calls)], rest[len(balance_calls) :]
    prices = dict(zip(every_token, oracle_prices(priced), strict=True)) if priced else {}
    rows = []
    k = 0
    for v, venue in enumerate(venues):
        adapter, venue_paused = per_venue[2 * v], per_venue[2 * v + 1]
        s = known.get(venue.lower())
        sides = []
        for token in holdings[venue]:
            symbol, decimals = meta[token]
            amount = int(balances[k])
            k += 1
            price = prices.get(token)
            sides.append(
                {
                    "token": token,
                    "symbol": symbol,
                    "amount": amount,
                    "amount_display": f"{amount / 10**decimals:,.2f}",
                    "usd18": value_usd18(amount, decimals, price.price18)
                    if price is not None and price.valid
                    else None,
                    "remaining_capacity": int(capacity[token])
                    if venue == nav and token in capacity
                    else None,
                    "remaining_capacity_display": _display(capacity[token], meta[cash][1])
                    if venue == nav and token in capacity
                    else None,
                }
            )
        priced_sides = [x["usd18"] for x in sides if x["usd18"] is not None]
        basis = "oracle" if priced_sides else None
        if len(priced_sides) < len(sides) and s and s.kind.startswith("uniswap") and cash:
            # No valid oracle price: a pool with a cash side is worth twice that side at its own
            # price (a V2 pair exactly; a V3 pool's balances are its in-range and out-of-range
            # liquidity together, so this is an approximation there), the cash at 1 USD.
            cash_sides = [x for x in sides if x["token"] == cash]
            if cash_sides:
                _, cash_decimals = meta[cash]
                priced_sides = [2 * cash_sides[0]["amount"] * 10 ** (18 - cash_decimals)]
                basis = "pool price, cash at 1 USD"
        rows.append(
            {
                "venue": venue,
                "name": s.name if s else venue,
                "kind": s.kind if s else "unknown",
                "adapter": to_checksum_address(adapter),
                "adapter_name": adapters.get(to_checksum_address(adapter), "unknown"),
                "paused": bool(venue_paused),
                "depth": sides,
                "depth_usd18": sum(priced_sides) if priced_sides else None,
                "depth_basis": basis,
                "unpriced": basis == "oracle" and len(priced_sides) < len(sides),
            }
        )
    return {
        "venues": rows,
        "cash": cash,
        "paused": bool(paused),
        "reveal_window": int(reveal_window),
        "symbols": {a: sym for sym, a in symbols.items()},
    }


def _keep_only(source: ChainSource, routes: list[ChainEvent]) -> None:
    """The per-route caches keep this chain's routes the page shows (other chains' as they are):
    at most MAX_ROUTES a chain."""
    shown = {(source.chain_id, r.tx_hash, r.log_index) for r in routes}
    with _quotes_lock:
        for cache in (_best_single, _oracle_prices, _probe):
            for key in [k for k in cache if k[0] == source.chain_id and k not in shown]:
                del cache[key]


def _best_singles(source: ChainSource, routes: list[ChainEvent]) -> None:
    """Fills `_best_single` for the routes not yet in it: one batch of historical quotes."""
    missing = [
        r
        for r in routes
        if (source.chain_id, r.tx_hash, r.log_index) not in _best_single and r.block_number > 0
    ]
    if not missing:
        return
    aggregator = source.contract(AGGREGATOR)
    probes = [max(int(r.args["amountIn"]) // PROBE_DIVISOR, 1) for r in missing]
    quotes = batch_call(
        source,
        [
            (
                aggregator,
                "quote",
                (r.args["tokenIn"], r.args["tokenOut"], [r.args["amountIn"], probe], []),
            )
            for r, probe in zip(missing, probes, strict=True)
        ],
        blocks=[r.block_number - 1 for r in missing],
        allow_failure=True,
    )
    if source.has(ORACLE):
        oracle = source.contract(ORACLE)
        prices = batch_call(
            source,
            [
                (oracle, "price", (r.args[side],))
                for r in missing
                for side in ("tokenIn", "tokenOut")
            ],
            blocks=[r.block_number - 1 for r in missing for _ in range(2)],
            allow_failure=True,
        )
        with _quotes_lock:
            for k, r in enumerate(missing):
                pair = tuple(
                    None if isinstance(p, str) or not int(p) else int(p)
                    for p in prices[2 * k : 2 * k + 2]
                )
                _oracle_prices[(source.chain_id, r.tx_hash, r.log_index)] = pair  # type: ignore[assignment]
    with _quotes_lock:
        for r, probe, quoted in zip(missing, probes, quotes, strict=True):
            if isinstance(quoted, str):  # e.g. the node keeps no state that old
                _best_single[(source.chain_id, r.tx_hash, r.log_index)] = (None, 0, quoted)
                continue
            venues, outputs = quoted
            probe_out = max((int(o[1]) for o in outputs if len(o) > 1), default=0)
            _probe[(source.chain_id, r.tx_hash, r.log_index)] = (probe, probe_out)
            best = max(
                ((to_checksum_address(v), int(o[0])) for v, o in zip(venues, outputs, strict=True)),
                key=lambda pair: pair[1],
                default=(None, 0),
            )
            _best_single[(source.chain_id, r.tx_hash, r.log_index)] = (
                (*best, None) if best[1] > 0 else (None, 0, None)
            )


def _fills(
    source: ChainSource, route: dict[str, Any], names: dict[str, str], listed: set[str]
) -> list[dict[str, Any]]:
    """A route's fills with the token each hop sold: a leg's first hop sells the route's tokenIn,
    a later hop what the hop before bought (a leg ends at the route's tokenOut)."""
    fills = decode_fills(bytes.fromhex(route["fills"].removeprefix("0x")))
    token_out = to_checksum_address(route["tokenOut"])
    meta = _listed(token_meta(source, [route["tokenIn"], *(f.token_out for f in fills)]), listed)
    rows = []
    selling = to_checksum_address(route["tokenIn"])
    for f in fills:
        (sym_in, dec_in), (sym_out, dec_out) = meta[selling], meta[f.token_out]
        rows.append(
            {
                "venue": f.venue,
                "venue_name": names.get(f.venue, f.venue),
                "token_in": sym_in,
                "token_out": sym_out,
                "amount_in": f.amount_in,
                "amount_out": f.amount_out,
                "amount_in_display": f"{f.amount_in / 10**dec_in:,.4f}",
                "amount_out_display": f"{f.amount_out / 10**dec_out:,.4f}",
            }
        )
        selling = to_checksum_address(route["tokenIn"]) if f.token_out == token_out else f.token_out
    return rows


def _listed(meta: dict[str, tuple[str, int]], listed: set[str]) -> dict[str, tuple[str, int]]:
    """`meta` with each token the record does not list named with its address as well."""
    return {
        t: (sym if t in listed else f"{sym} ({t[:6]}…{t[-4:]})", dec)
        for t, (sym, dec) in meta.items()
    }


def read_routes(
    source: ChainSource,
    index: EventIndex,
    names: dict[str, str],
    symbols: dict[str, str],
    block: int,
) -> tuple[list[dict[str, Any]], int]:
    """The newest routes up to `block` (the index may have moved past the block the page reads),
    and how many of them could not be read (left out)."""
    routes = index.events(contract=AGGREGATOR, names=["RouteExecuted"], until_block=block)
    routes = routes[-MAX_ROUTES:]
    revealed = {
        e.tx_hash for e in index.events(contract=AGGREGATOR, names=["Revealed"], until_block=block)
    }
    _best_singles(source, routes)
    _keep_only(source, routes)
    listed = {to_checksum_address(a) for a in symbols}
    rows = []
    unreadable = 0
    for r in reversed(routes):
        try:
            rows.append(_route_row(source, r, names, listed, r.tx_hash in revealed))
        except Exception:  # noqa: BLE001 - one route's bad data never takes the page down
            unreadable += 1
    return rows, unreadable


def _route_row(
    source: ChainSource,
    r: ChainEvent,
    names: dict[str, str],
    listed: set[str],
    committed: bool,
) -> dict[str, Any]:
    a = r.args
    meta = _listed(token_meta(source, [a["tokenIn"], a["tokenOut"]]), listed)
    (sym_in, dec_in), (sym_out, dec_out) = meta[a["tokenIn"]], meta[a["tokenOut"]]
    best_venue, best_out, unquoted = _best_single[(source.chain_id, r.tx_hash, r.log_index)]
    fills = _fills(source, a, names, listed)
    return {
        "block": r.block_number,
        "time": r.block_time,
        "tx": r.tx_hash,
        "log_index": r.log_index,
        "payer": a["payer"],
        "token_in": sym_in,
        "token_out": sym_out,
        "amount_in": int(a["amountIn"]),
        "amount_out": int(a["amountOut"]),
        "amount_in_display": f"{int(a['amountIn']) / 10**dec_in:,.4f}",
        "amount_out_display": f"{int(a['amountOut']) / 10**dec_out:,.4f}",
        "fills": fills,
        "committed": committed,
        "best_single_venue": names.get(best_venue, best_venue) if best_venue else None,
        "best_single_out": best_out,
        "best_single_unavailable": unquoted,
        "best_single_out_display": f"{best_out / 10**dec_out:,.4f}",
        "improvement_bps": (int(a["amountOut"]) - best_out) * BPS / best_out if best_out else None,
        **_against_oracle(source, r, dec_in, dec_out, best_out),
    }


def _against_oracle(
    source: ChainSource, r: ChainEvent, dec_in: int, dec_out: int, best_out: int
) -> dict[str, Any]:
    """The route's output against the oracle's value of its order at the block before, and the
    venues' best price for a small probe order (PROBE_DIVISOR-th of it: no price impact) against
    the oracle's (bps; None without two usable prices); the best single venue is off the market
    when that is beyond STALE_QUOTE_BPS (a stale pool: an improvement over it says nothing)."""
    key = (source.chain_id, r.tx_hash, r.log_index)
    price_in, price_out = _oracle_prices.get(key, (None, None))
    none = {
        "oracle_out": None,
        "route_vs_oracle_bps": None,
        "best_vs_oracle_bps": None,
        "best_single_stale": False,
    }
    if not price_in or not price_out:
        return none

    def fair(amount_in: int) -> int:
        return amount_in * price_in * 10**dec_out // (price_out * 10**dec_in)

    whole = fair(int(r.args["amountIn"]))
    if whole == 0:
        return {**none, "oracle_out": 0}
    probe_in, probe_out = _probe.get(key, (0, 0))
    probe_fair = fair(probe_in)
    best_vs = (probe_out - probe_fair) * BPS / probe_fair if probe_out and probe_fair else None
    return {
        "oracle_out": whole,
        "route_vs_oracle_bps": (int(r.args["amountOut"]) - whole) * BPS / whole,
        "best_vs_oracle_bps": best_vs,
        "best_single_stale": best_vs is not None and abs(best_vs) > STALE_QUOTE_BPS,
    }


def read_commits(
    source: ChainSource, index: EventIndex, block: int, reveal_window: int
) -> list[dict[str, Any]]:
    commits = index.events(contract=AGGREGATOR, names=["Committed"], until_block=block)
    commits = commits[-MAX_COMMITS:]
    aggregator = source.contract(AGGREGATOR)
    states = batch_call(
        source,
        [(aggregator, "commitments", (bytes.fromhex(c.args["commitment"][2:]),)) for c in commits],
        block,
    )
    rows = []
    for c, state in zip(reversed(commits), reversed(states), strict=True):
        committed_at = int(c.args["blockNumber"])
        last_block = committed_at + reveal_window
        if int(state) == USED:
            status = "revealed"
        elif block > last_block:
            status = "expired"
        else:
            status = "pending"
        rows.append(
            {
                "commitment": c.args["commitment"],
                "sender": c.args["sender"],
                "committed_block": committed_at,
                "time": c.block_time,
                "reveal_from_block": committed_at + 1,
                "last_block": last_block,
                "blocks_left": max(last_block - block, 0),
                "status": status,
            }
        )
    return rows


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    block = index.head
    venues = read_venues(source, index, block)
    names = {v["venue"]: v["name"] for v in venues["venues"]}
    commits = read_commits(source, index, block, venues["reveal_window"])
    routes, unreadable = read_routes(source, index, names, venues["symbols"], block)
    return {
        "block": block,
        **venues,
        "routes": routes,
        "unreadable_routes": unreadable,
        "commits": commits,
        "pending_commits": sum(1 for c in commits if c["status"] == "pending"),
        "max_routes": MAX_ROUTES,
        "stale_quote_bps": STALE_QUOTE_BPS,
        "max_commits": MAX_COMMITS,
    }


# ---------------------------------------------------------------- actions


def _pause(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """pauseVenue (GUARDIAN, at once) or unpauseVenue (GOVERNOR, behind its delay) of a listed
    venue whose state it changes."""
    venue, operation = form["venue"], form["operation"]
    aggregator = source.contract(AGGREGATOR)
    adapter, paused = batch_call(
        source, [(aggregator, "adapterOf", (venue,)), (aggregator, "isVenuePaused", (venue,))]
    )
    if int(adapter, 16) == 0:
        raise ActionInputError(f"Venue: {venue} is not listed on the LiquidityAggregator")
    if operation == "pause":
        if paused:
            raise ActionInputError(f"Venue: {venue} is already paused")
        return [Call(AGGREGATOR, "pauseVenue", (venue,))]
    if not paused:
        raise ActionInputError(f"Venue: {venue} is not paused")
    return [Call(AGGREGATOR, "unpauseVenue", (venue,))]


PAUSE = Action(
    name="liquidity-venue-pause",
    title="Pause or unpause a venue",
    fields=(
        Field(
            "venue",
            "Venue",
            "address",
            "a venue listed on the aggregator",
            picks=("venues", "venue", "name"),
        ),
        Field("operation", "Operation", "choice", choices=("pause", "unpause"), default="pause"),
    ),
    build=_pause,
    help="Pause: the GUARDIAN, at once (routes through the venue revert VenuePaused). Unpause: "
    "the GOVERNOR, behind its delay.",
    calls=((AGGREGATOR, "pauseVenue"), (AGGREGATOR, "unpauseVenue")),
)

PAGE = Page("liquidity", "Liquidity", read, (PAUSE,))
