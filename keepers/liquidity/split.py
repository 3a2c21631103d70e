"""Optimal split of one order across sources, from sampled output curves.

Each source's output for the amounts of a shared grid (one batched quote) is a concave curve for
AMMs (marginal price falls with size), linear up to a size for RFQ quotes and depth-limited desks.
Water-filling on the piecewise-linear curves equalises marginal prices: segments of every source
are taken in order of their marginal rate, best first, until the order is filled. A source is
used only when its extra output beats the gas it costs: every subset of the best sources is
solved and the highest output net of gas wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

MAX_SUBSET_SOURCES = 6  # subsets are enumerated among the best this many sources


class SplitError(ValueError):
    """The order cannot be routed (no source quotes it)."""


@dataclass(frozen=True)
class Allocation:
    amounts_in: np.ndarray  # per source, integer units of tokenIn
    expected_out: float  # from the sampled curves (the exact figure comes from quoteRoute)
    gas: int
    net_out: float  # expected_out - gas cost in tokenOut units

    @property
    def used(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.amounts_in)]


def curves(grid: np.ndarray, outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monotone concave-hull-free curves: (x, y) per source with x = [0, grid...], y = outputs,
    cut at the first amount a source cannot fill (quote 0) or where output stops growing."""
    grid = np.asarray(grid, dtype=float)
    order = np.argsort(grid)
    x = np.concatenate([[0.0], grid[order]])
    y = np.concatenate(
        [np.zeros((outputs.shape[0], 1)), np.asarray(outputs, dtype=float)[:, order]], axis=1
    )
    # A zero after a positive quote means "cannot fill this much": the curve ends before it.
    feasible = np.concatenate([np.ones((y.shape[0], 1), dtype=bool), y[:, 1:] > 0], axis=1)
    feasible = np.logical_and.accumulate(feasible, axis=1)
    y = np.where(feasible, y, np.nan)
    return x, y


def water_fill(
    x: np.ndarray, y: np.ndarray, total: float, sources: list[int]
) -> tuple[np.ndarray, float]:
    """Fills `total` with the steepest segments first among `sources`; returns (amounts, output)."""
    seg_source, seg_width, seg_slope = [], [], []
    for s in sources:
        valid = ~np.isnan(y[s])
        xs, ys = x[valid], y[s][valid]
        if len(xs) < 2:
            continue
        widths = np.diff(xs)
        slopes = np.diff(ys) / np.where(widths > 0, widths, 1.0)
        # Concavity guard: a later segment may not be steeper (quote rounding); take the running
        # min.
        slopes = np.minimum.accumulate(slopes)
        seg_source.append(np.full(len(widths), s))
        seg_width.append(widths)
        seg_slope.append(slopes)
    amounts = np.zeros(y.shape[0])
    if not seg_source:
        return amounts, 0.0
    src = np.concatenate(seg_source)
    width = np.concatenate(seg_width)
    slope = np.concatenate(seg_slope)
    order = np.argsort(-slope, kind="stable")
    cumulative = np.cumsum(width[order])
    take = np.clip(total - (cumulative - width[order]), 0.0, width[order])
    np.add.at(amounts, src[order], take)
    out = float(np.sum(take * slope[order]))
    if cumulative[-1] < total - 1e-9 * max(total, 1.0):
        return amounts, -np.inf  # The sources together cannot fill the order.
    return amounts, out


def best_split(
    grid: np.ndarray,
    outputs: np.ndarray,
    total: int,
    gas_per_source: np.ndarray,
    gas_cost_out: float,
    base_gas: int = 0,
) -> Allocation:
    """The allocation maximising output net of gas. `outputs[s, j]`: source s's output for grid[j];
    `gas_cost_out`: tokenOut units one unit of gas costs (0 ignores gas)."""
    x, y = curves(grid, outputs)
    n = y.shape[0]
    usable = [s for s in range(n) if np.sum(~np.isnan(y[s])) >= 2]
    if not usable:
        raise SplitError("no source quotes this pair")
    # Rank sources by their best marginal rate (first segment) and enumerate subsets of the best.
    first_rate = np.array([(y[s][1] / x[1]) if not np.isnan(y[s][1]) else 0.0 for s in usable])
    ranked = [usable[i] for i in np.argsort(-first_rate)][:MAX_SUBSET_SOURCES]
    best: Allocation | None = None
    for k in range(1, len(ranked) + 1):
        for subset in combinations(ranked, k):
            amounts, out = water_fill(x, y, float(total), list(subset))
            if not np.isfinite(out):
                continue
            used = np.flatnonzero(amounts > 0)
            gas = base_gas + int(np.sum(gas_per_source[used]))
            net = out - gas * gas_cost_out
            if best is None or net > best.net_out:
                best = Allocation(_integer_amounts(amounts, total), out, gas, net)
    if best is None:
        raise SplitError(f"the sources together cannot fill {total}")
    return best


def _integer_amounts(amounts: np.ndarray, total: int) -> np.ndarray:
    """Rounds down and gives the remainder to the largest leg, so legs sum exactly to `total`."""
    ints = np.floor(amounts).astype(object)
    ints = np.array([int(v) for v in ints], dtype=object)
    remainder = int(total) - int(sum(ints))
    if remainder:
        ints[int(np.argmax(amounts))] += remainder
    return ints
