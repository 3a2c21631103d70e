"""Multi-hop paths over the token graph: Bellman-Ford on -log(rate).

An edge u -> v carries the best rate any source gives for a probe amount of u (fees included,
in whole-token terms). The cheapest path from tokenIn to tokenOut with at most `max_hops` edges
is the best multi-hop route; a cycle of negative total weight is an arbitrage, reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Edge:
    source: int  # token index
    target: int
    rate: float  # whole tokens of target per whole token of source
    venue: str


@dataclass(frozen=True)
class PathResult:
    tokens: list[int]
    venues: list[str]
    rate: float  # product of edge rates


@dataclass(frozen=True)
class Arbitrage:
    tokens: list[int]
    gain: float  # product of rates around the cycle, > 1


def best_path(
    n_tokens: int, edges: list[Edge], start: int, end: int, max_hops: int
) -> PathResult | None:
    """Hop-bounded Bellman-Ford (max_hops rounds, each relaxing from the previous round's distances,
    so a path never has more than max_hops edges)."""
    if not edges:
        return None
    src = np.array([e.source for e in edges])
    dst = np.array([e.target for e in edges])
    weight = -np.log(np.array([e.rate for e in edges], dtype=float))
    dist = np.full(n_tokens, np.inf)
    dist[start] = 0.0
    parents: list[np.ndarray] = []
    best_at_end, best_round = np.inf, -1
    history = [dist.copy()]
    for _ in range(max_hops):
        candidate = history[-1][src] + weight
        new = history[-1].copy()
        parent = np.full(n_tokens, -1)
        # For each target keep the best candidate edge (vectorised argmin by target).
        order = np.lexsort((candidate, dst))
        first = np.ones(len(order), dtype=bool)
        first[1:] = dst[order][1:] != dst[order][:-1]
        winners = order[first]
        improve = candidate[winners] < new[dst[winners]]
        new[dst[winners][improve]] = candidate[winners][improve]
        parent[dst[winners][improve]] = winners[improve]
        parents.append(parent)
        history.append(new)
        if new[end] < best_at_end:
            best_at_end, best_round = new[end], len(parents)
    if best_round < 0 or not np.isfinite(best_at_end):
        return None
    tokens, venues = [end], []
    node = end
    for round_ in range(best_round, 0, -1):
        edge_index = parents[round_ - 1][node]
        if edge_index < 0:
            continue  # Distance carried over from an earlier round: no edge taken in this one.
        edge = edges[int(edge_index)]
        venues.append(edge.venue)
        node = edge.source
        tokens.append(node)
        if node == start:
            break
    if node != start:
        return None
    tokens.reverse()
    venues.reverse()
    return PathResult(tokens, venues, float(np.exp(-best_at_end)))


def find_arbitrage(n_tokens: int, edges: list[Edge]) -> Arbitrage | None:
    """Classic Bellman-Ford from a virtual source: a relaxation in round n means a negative
    cycle."""
    if not edges:
        return None
    src = np.array([e.source for e in edges])
    dst = np.array([e.target for e in edges])
    weight = -np.log(np.array([e.rate for e in edges], dtype=float))
    dist = np.zeros(n_tokens)
    parent = np.full(n_tokens, -1)
    changed = -1
    for _ in range(n_tokens):
        changed = -1
        candidate = dist[src] + weight
        for i in np.flatnonzero(candidate < dist[dst] - 1e-12):
            if candidate[i] < dist[dst[i]] - 1e-12:
                dist[dst[i]] = candidate[i]
                parent[dst[i]] = i
                changed = int(dst[i])
        if changed < 0:
            return None
    node = changed
    for _ in range(n_tokens):  # step back n times to land inside the cycle
        node = int(edges[int(parent[node])].source)
    cycle, gain_log, current = [node], 0.0, node
    while True:
        edge = edges[int(parent[current])]
        gain_log += -np.log(edge.rate)
        current = edge.source
        cycle.append(current)
        if current == node or len(cycle) > n_tokens + 1:
            break
    cycle.reverse()
    return Arbitrage(cycle, float(np.exp(-gain_log)))
