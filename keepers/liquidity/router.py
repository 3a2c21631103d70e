"""The smart order router against a deployed LiquidityAggregator.

1. one eth_call to `quote` returns every source's output on a grid of sizes (RFQ quotes passed in);
2. `split.best_split` picks the allocation with the highest output net of gas;
3. for multi-hop, one JSON-RPC batch of probe quotes builds the token graph and Bellman-Ford finds
   the best path (and reports arbitrage cycles);
4. the chosen route is priced exactly with `quoteRoute` (the prediction the order's minimum output
   derives from) and encoded as calldata for `swap` or `revealSwap`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keepers.core.errors import QuanteraError
from keepers.core.units import BPS
from keepers.liquidity.codec import encode_route, with_min_out
from keepers.liquidity.graph import Arbitrage, Edge, PathResult, best_path, find_arbitrage
from keepers.liquidity.split import Allocation, SplitError, best_split

GRID_POINTS = 16
# Gas one extra source adds to a route, by venue kind (benchmarks/gas.json, plain ERC-20 pairs);
# the router's only use of them is to decide whether a split pays for itself.
GAS_PER_SOURCE = {"uniswap_v2": 75_000, "uniswap_v3": 105_000, "rfq": 95_000, "nav": 90_000}
BASE_ROUTE_GAS = 60_000
GAS_PER_HOP = 80_000


@dataclass(frozen=True)
class Source:
    address: str
    name: str
    kind: str


@dataclass
class Plan:
    token_in: str
    token_out: str
    amount_in: int
    route: bytes  # packed (keepers.liquidity.codec)
    predicted_out: int
    legs: list[tuple[str, int, int]]  # (source name, amount in, predicted out)
    best_single: tuple[str, int]  # (source name, output for the whole order)
    gas_estimate: int
    compute_ms: float
    path: list[str] = field(default_factory=list)  # token symbols/addresses of a multi-hop route
    arbitrage: Arbitrage | None = None
    calldata: str = ""  # `swap(route)` for the aggregator, 0x-hex (set by Router.plan)
    # The tokens' decimals and symbols (set by the CLI, which reads them): amounts shown in
    # whole units with the symbol (else base units and the token's address).
    decimals_in: int | None = None
    decimals_out: int | None = None
    symbol_in: str = ""
    symbol_out: str = ""

    def shown_in(self, amount: int) -> str:
        """`amount` of token-in as a person reads it: whole units and the symbol (base units when
        the decimals are not known)."""
        return _shown(amount, self.decimals_in, self.symbol_in or self.token_in)

    def shown_out(self, amount: int) -> str:
        return _shown(amount, self.decimals_out, self.symbol_out or self.token_out)

    @property
    def improvement_bps(self) -> float:
        single = self.best_single[1]
        return (self.predicted_out - single) / single * BPS if single else float("inf")

    def as_dict(self) -> dict:
        return {
            "token_in": self.token_in,
            "token_out": self.token_out,
            "amount_in": str(self.amount_in),
            "predicted_out": str(self.predicted_out),
            "legs": [
                {"source": n, "amount_in": str(a), "predicted_out": str(o)} for n, a, o in self.legs
            ],
            "best_single_source": {
                "source": self.best_single[0],
                "amount_out": str(self.best_single[1]),
            },
            "improvement_bps": round(self.improvement_bps, 2),
            "gas_estimate": self.gas_estimate,
            "compute_ms": round(self.compute_ms, 3),
            "path": self.path,
            "arbitrage": None
            if self.arbitrage is None
            else {"tokens": self.arbitrage.tokens, "gain": self.arbitrage.gain},
            "calldata": self.calldata,
            # Beside the exact base units above, what a person reads (issue 33 §2).
            "display": {
                "amount_in": self.shown_in(self.amount_in),
                "predicted_out": self.shown_out(self.predicted_out),
                "best_single_out": self.shown_out(self.best_single[1]),
            },
        }


def grid_for(amount: int, extra: list[int] | None = None, points: int = GRID_POINTS) -> list[int]:
    """Evenly spaced sizes up to the order, plus sizes where a source's depth ends (RFQ quote size,
    NAV capacity), so depth-limited sources are walked to their last fillable unit."""
    sizes = {int(amount * k // points) for k in range(1, points + 1)}
    sizes.update(int(e) for e in (extra or []) if 0 < e < amount)
    return sorted(s for s in sizes if s > 0)


class Router:
    def __init__(
        self,
        aggregator,
        sources: list[Source],
        gas_cost_out: float = 0.0,
        only_kinds: tuple[str, ...] = (),
        reads: Any = None,
    ):
        """`gas_cost_out`: tokenOut units one unit of gas costs (0: split for output alone).
        `only_kinds`: route through these source kinds only (e.g. ("nav",)); empty = every venue.
        `reads`: the batched reads' transport (keepers.core.reads; default ape's provider)."""
        self.aggregator = aggregator
        self.reads = reads
        self.sources = sources
        self.by_address = {s.address.lower(): s for s in sources}
        self.gas_cost_out = gas_cost_out
        self.only_kinds = only_kinds

    # ---------------------------------------------------------------- direct split
    def plan(
        self,
        token_in: str,
        token_out: str,
        amount: int,
        recipient: str,
        deadline: int,
        max_slippage_bps: int = 0,
        slippage_tolerance_bps: int = 0,
        source_data: dict[str, bytes] | None = None,
        depth_hints: list[int] | None = None,
        taker: str | None = None,
    ) -> Plan:
        """`taker` sends the swap (default: the recipient): quotes are asked as from it, since an
        RFQ quote named for a taker fills, and quotes, for that taker only."""
        source_data = source_data or {}
        venues = [v for v in self.aggregator.venues()]
        data = [source_data.get(v.lower(), b"") for v in venues]
        grid = grid_for(amount, depth_hints)
        as_taker = {"sender": taker or recipient} if int(taker or recipient, 16) else {}
        _, outputs = self.aggregator.quote.call(token_in, token_out, grid, data, **as_taker)
        started = time.perf_counter()
        outs = np.array([[int(o) for o in row] for row in outputs], dtype=float)
        if self.only_kinds:  # excluded venues quote nothing
            outs[[i for i, v in enumerate(venues) if self._kind(v) not in self.only_kinds]] = 0.0
        gas = np.array([GAS_PER_SOURCE.get(self._kind(v), 100_000) for v in venues])
        try:
            allocation: Allocation = best_split(
                np.array(grid, dtype=float), outs, amount, gas, self.gas_cost_out, BASE_ROUTE_GAS
            )
        except SplitError as err:
            raise QuanteraError(f"no route for {amount} {token_in} -> {token_out}: {err}") from None
        compute_ms = (time.perf_counter() - started) * 1000
        legs = [
            (int(allocation.amounts_in[i]), [(venues[i], token_out, data[i])])
            for i in allocation.used
        ]
        route = encode_route(
            token_in, token_out, amount, 0, recipient, deadline, max_slippage_bps, legs
        )
        predicted, hop_outputs = self.aggregator.quoteRoute.call(route, **as_taker)
        predicted = int(predicted)
        if predicted == 0:  # a minimum output of 0 would accept anything
            raise QuanteraError(f"no route for {amount} {token_in} -> {token_out}: it quotes 0")
        min_out = predicted * (BPS - slippage_tolerance_bps) // BPS
        route = with_min_out(route, min_out)
        full = grid.index(amount)
        single_index = int(np.argmax(outs[:, full]))
        plan = Plan(
            token_in,
            token_out,
            amount,
            route,
            predicted,
            [
                (self._name(venues[i]), int(allocation.amounts_in[i]), int(hop_outputs[k][0]))
                for k, i in enumerate(allocation.used)
            ],
            (self._name(venues[single_index]), int(outs[single_index, full])),
            allocation.gas,
            compute_ms,
        )
        plan.calldata = "0x" + bytes(self.aggregator.swap.encode_input(route)).hex()
        return plan

    # ---------------------------------------------------------------- multi-hop
    def graph_edges(self, tokens: list[str], probes: dict[str, int]) -> list[Edge]:
        """Every ordered token pair's best source rate for a probe amount, in one JSON-RPC batch."""
        pairs = [(i, j) for i in range(len(tokens)) for j in range(len(tokens)) if i != j]
        results = batch_quotes(
            self.aggregator,
            [(tokens[i], tokens[j], [probes[tokens[i]]]) for i, j in pairs],
            self.reads,
        )
        edges = []
        for (i, j), (venues, outputs) in zip(pairs, results):
            for venue, row in zip(venues, outputs):
                out = int(row[0])
                if out > 0:
                    edges.append(Edge(i, j, out / probes[tokens[i]], venue))
        return edges

    def best_path(
        self,
        tokens: list[str],
        token_in: str,
        token_out: str,
        probes: dict[str, int],
        max_hops: int = 3,
    ) -> tuple[PathResult | None, Arbitrage | None]:
        edges = self.graph_edges(tokens, probes)
        start, end = tokens.index(token_in), tokens.index(token_out)
        return best_path(len(tokens), edges, start, end, max_hops), find_arbitrage(
            len(tokens), edges
        )

    def plan_path(
        self,
        path: PathResult,
        tokens: list[str],
        amount: int,
        recipient: str,
        deadline: int,
        max_slippage_bps: int = 0,
    ) -> tuple[tuple, int]:
        hops = [(venue, tokens[t], b"") for venue, t in zip(path.venues, path.tokens[1:])]
        route = encode_route(
            tokens[path.tokens[0]],
            tokens[path.tokens[-1]],
            amount,
            0,
            recipient,
            deadline,
            max_slippage_bps,
            [(amount, hops)],
        )
        predicted, _ = self.aggregator.quoteRoute.call(route)
        if int(predicted) == 0:  # a minimum output of 0 would accept anything
            hops = len(path.venues)
            raise QuanteraError(f"no route for {amount} on the {hops}-hop path: it quotes 0")
        return with_min_out(route, int(predicted)), int(predicted)

    def _kind(self, venue: str) -> str:
        source = self.by_address.get(venue.lower())
        return source.kind if source else "unknown"

    def _name(self, venue: str) -> str:
        source = self.by_address.get(venue.lower())
        return source.name if source else venue


def batch_quotes(
    aggregator, requests: list[tuple[str, str, list[int]]], reads: Any = None
) -> list[tuple[list[str], list[list[int]]]]:
    """Many `quote` eth_calls in JSON-RPC batches (keepers.core.reads: one round trip each; `reads`
    the transport, ape's provider by default)."""
    if reads is None:
        from keepers.core.reads import ApeReads

        reads = ApeReads()
    calls = [(aggregator, "quote", (t_in, t_out, amounts, [])) for t_in, t_out, amounts in requests]
    return [
        (list(venues), [list(row) for row in outputs]) for venues, outputs in reads.views(calls)
    ]


def sources_from_record(contracts: dict[str, str]) -> list[Source]:
    """Aggregator sources named as the deploy script records them."""
    kinds = (
        ("UniswapV2Pair.", "uniswap_v2"),
        ("UniswapV3Pool.", "uniswap_v3"),
        ("RfqVenue", "rfq"),
        ("NavVenue", "nav"),
    )
    found = []
    for name, address in contracts.items():
        for prefix, kind in kinds:
            if name.startswith(prefix):
                found.append(Source(address, name, kind))
    return found


def _shown(amount: int, decimals: int | None, symbol: str) -> str:
    from keepers.core.units import format_units

    if decimals is None:
        return f"{amount} (base units of {symbol})"
    return f"{format_units(amount, decimals)} {symbol}"
