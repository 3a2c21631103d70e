"""Brinson-Fachler performance attribution, per segment (asset class) and per period, linked over
periods with Carino's logarithmic smoothing. Pure numpy: no chain access.

One period. Segment i holds portfolio weight w_i earning r_i and benchmark weight W_i earning b_i;
the portfolio returns R = sum w_i r_i and the benchmark B = sum W_i b_i. Brinson and Fachler
(1985, "Measuring non-US equity portfolio performance", Journal of Portfolio Management 11(3))
split the excess return R - B into

    allocation   A_i = (w_i - W_i) (b_i - B)     over/underweighting segments that beat B
    selection    S_i = W_i (r_i - b_i)           beating the benchmark within a segment
    interaction  I_i = (w_i - W_i) (r_i - b_i)   the two decisions together

and sum_i (A_i + S_i + I_i) = R - B exactly (sum w_i = sum W_i = 1). This is the form of Bacon,
"Practical Portfolio Performance Measurement and Attribution" (2nd ed., Wiley 2008), chapter 5.

Several periods. Per-period effects do not add up to the excess of the compounded returns
R = prod(1 + R_t) - 1 and B = prod(1 + B_t) - 1. Carino (1999, "Combining attribution effects
over time", Journal of Performance Measurement 3(4)) scales period t's effects by

    k_t / K,   k_t = (ln(1 + R_t) - ln(1 + B_t)) / (R_t - B_t),
               K   = (ln(1 + R) - ln(1 + B)) / (R - B)

(k = 1 / (1 + R) where the two returns are equal), so that the scaled effects of all periods and
segments sum to R - B exactly: sum_t k_t (R_t - B_t) = ln(1 + R) - ln(1 + B) = K (R - B)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from keepers.analytics.errors import AnalyticsError

WEIGHT_TOLERANCE = 1e-9  # weights of a period must sum to 1 within this

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Attribution:
    """Brinson-Fachler effects, shape (periods, segments), and the returns they explain."""

    segments: tuple[str, ...]
    allocation: Array
    selection: Array
    interaction: Array
    portfolio_returns: Array  # R_t, shape (periods,)
    benchmark_returns: Array  # B_t

    @property
    def excess_returns(self) -> Array:
        """R_t - B_t of each period (the sum of its effects)."""
        return self.portfolio_returns - self.benchmark_returns

    @property
    def portfolio_return(self) -> float:
        """The compounded portfolio return over all periods."""
        return float(np.prod(1.0 + self.portfolio_returns) - 1.0)

    @property
    def benchmark_return(self) -> float:
        return float(np.prod(1.0 + self.benchmark_returns) - 1.0)

    @property
    def excess_return(self) -> float:
        """R - B of the compounded returns: what the linked effects sum to."""
        return self.portfolio_return - self.benchmark_return

    def carino_coefficients(self) -> Array:
        """k_t / K of each period (Carino 1999)."""
        k_t = _log_ratio(self.portfolio_returns, self.benchmark_returns)
        total = _log_ratio(np.array([self.portfolio_return]), np.array([self.benchmark_return]))
        return k_t / total[0]

    def linked(self) -> LinkedAttribution:
        """Each period's effects scaled by Carino's coefficient: they add over periods."""
        scale = self.carino_coefficients()[:, None]
        return LinkedAttribution(
            segments=self.segments,
            allocation=self.allocation * scale,
            selection=self.selection * scale,
            interaction=self.interaction * scale,
            excess_return=self.excess_return,
        )


@dataclass(frozen=True)
class LinkedAttribution:
    """Carino-linked effects, shape (periods, segments): any sum of them adds up, and all of them
    sum to the compounded excess return."""

    segments: tuple[str, ...]
    allocation: Array
    selection: Array
    interaction: Array
    excess_return: float

    def by_segment(self) -> dict[str, dict[str, float]]:
        """Each segment's allocation, selection and interaction over all periods."""
        effects = {"allocation": self.allocation, "selection": self.selection}
        effects["interaction"] = self.interaction
        return {
            name: {effect: float(values[:, i].sum()) for effect, values in effects.items()}
            for i, name in enumerate(self.segments)
        }

    def by_period(self) -> list[dict[str, float]]:
        """Each period's allocation, selection and interaction over all segments (linked: the
        periods add up to the totals)."""
        sums = {
            "allocation": self.allocation.sum(axis=1),
            "selection": self.selection.sum(axis=1),
            "interaction": self.interaction.sum(axis=1),
        }
        periods = self.allocation.shape[0]
        return [{name: float(v[t]) for name, v in sums.items()} for t in range(periods)]

    def totals(self) -> dict[str, float]:
        return {
            "allocation": float(self.allocation.sum()),
            "selection": float(self.selection.sum()),
            "interaction": float(self.interaction.sum()),
            "excess_return": self.excess_return,
        }


def _log_ratio(portfolio: Array, benchmark: Array) -> Array:
    """(ln(1 + R) - ln(1 + B)) / (R - B), and its limit 1 / (1 + R) where R = B."""
    difference = portfolio - benchmark
    logs = np.log1p(portfolio) - np.log1p(benchmark)
    equal = np.abs(difference) < 1e-15
    safe = np.where(equal, 1.0, difference)
    return np.where(equal, 1.0 / (1.0 + portfolio), logs / safe)


def _periods(name: str, values: ArrayLike) -> Array:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] == 0:
        expected = "(segments,) or (periods, segments)"
        raise AnalyticsError(f"{name}: expected {expected}, got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise AnalyticsError(f"{name}: every value must be finite")
    return array


def brinson_fachler(
    portfolio_weights: ArrayLike,
    portfolio_returns: ArrayLike,
    benchmark_weights: ArrayLike,
    benchmark_returns: ArrayLike,
    segments: Sequence[str] | None = None,
) -> Attribution:
    """Brinson-Fachler effects of each period and segment. Inputs are fractions (0.05 = 5 %), of
    shape (segments,) for one period or (periods, segments); each period's weights sum to 1."""
    w = _periods("portfolio_weights", portfolio_weights)
    r = _periods("portfolio_returns", portfolio_returns)
    big_w = _periods("benchmark_weights", benchmark_weights)
    b = _periods("benchmark_returns", benchmark_returns)
    if not (w.shape == r.shape == big_w.shape == b.shape):
        shapes = [w.shape, r.shape, big_w.shape, b.shape]
        raise AnalyticsError(f"weights and returns must have one shape, got {shapes}")
    for name, weights in (("portfolio_weights", w), ("benchmark_weights", big_w)):
        sums = weights.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > WEIGHT_TOLERANCE)
        if bad.size:
            raise AnalyticsError(f"{name} of period {bad[0]} sum to {sums[bad[0]]:.12g}, not 1")
    if np.any(r <= -1.0) or np.any(b <= -1.0):
        raise AnalyticsError("a return of -100 % or less cannot be compounded")
    names = tuple(segments) if segments is not None else tuple(map(str, range(w.shape[1])))
    if len(names) != w.shape[1]:
        raise AnalyticsError(f"{len(names)} segment names for {w.shape[1]} segments")

    total_portfolio = (w * r).sum(axis=1)
    total_benchmark = (big_w * b).sum(axis=1)
    active_weight = w - big_w
    return Attribution(
        segments=names,
        allocation=active_weight * (b - total_benchmark[:, None]),
        selection=big_w * (r - b),
        interaction=active_weight * (r - b),
        portfolio_returns=total_portfolio,
        benchmark_returns=total_benchmark,
    )


def _segment_returns(weights: Array, returns: Array, membership: Array, fill: Array) -> Array:
    """Each segment's return: its assets' returns weighted within it; `fill` where it holds
    nothing (the segment's return then only ever meets a zero weight or a convention)."""
    segment_weights = weights @ membership
    held = segment_weights > 0
    contribution = (weights * returns) @ membership
    return np.where(held, contribution / np.where(held, segment_weights, 1.0), fill)


def from_holdings(
    portfolio_weights: ArrayLike,
    benchmark_weights: ArrayLike,
    asset_returns: ArrayLike,
    asset_classes: Sequence[str],
) -> Attribution:
    """Brinson-Fachler by asset class from asset-level holdings: weights and returns of shape
    (periods, assets), each asset in one class. A class's weight is the sum of its assets'
    weights and its return their weighted mean. Conventions where a side holds nothing of a
    class: the benchmark's class return is then the benchmark's total (no allocation effect for
    a class it does not hold), and the portfolio's class return is the benchmark's class return
    (no selection in a class the portfolio does not hold)."""
    w = _periods("portfolio_weights", portfolio_weights)
    big_w = _periods("benchmark_weights", benchmark_weights)
    returns = _periods("asset_returns", asset_returns)
    if not (w.shape == big_w.shape == returns.shape):
        raise AnalyticsError(f"holdings shapes differ: {[w.shape, big_w.shape, returns.shape]}")
    if len(asset_classes) != w.shape[1]:
        raise AnalyticsError(f"{len(asset_classes)} asset classes for {w.shape[1]} assets")
    names, index = np.unique(np.asarray(asset_classes, dtype=str), return_inverse=True)
    membership = np.zeros((w.shape[1], names.size))
    membership[np.arange(w.shape[1]), index] = 1.0
    benchmark_total = (big_w * returns).sum(axis=1, keepdims=True)
    b = _segment_returns(big_w, returns, membership, benchmark_total)
    r = _segment_returns(w, returns, membership, b)
    return brinson_fachler(w @ membership, r, big_w @ membership, b, tuple(names))
