"""Target-weight strategies the selector chooses among, and the projection that makes any target
respect the RiskEngine's limits (per-asset caps, class caps, minimum liquid share, fully invested).

Each strategy sees only returns up to the decision day. Weights are over the portfolio's assets in
its order (asset 0 the settlement stablecoin).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRATEGIES = ("risk_parity", "min_variance", "momentum_tilt", "defensive")
LOOKBACK_DAYS = 63
MOMENTUM_TILT = 0.5


@dataclass(frozen=True)
class Limits:
    """The RiskEngine's weight limits, as fractions: per asset, per class, liquid minimum."""

    max_weight: np.ndarray
    asset_class: np.ndarray  # class index per asset
    class_cap: dict[int, float]  # class index -> cap (only capped classes)
    liquid: np.ndarray  # bool per asset
    min_liquid: float


def project(
    target: np.ndarray, limits: Limits, cash_index: int = 0, reserve_index: int | None = None
) -> np.ndarray:
    """Fully invested weights within the limits: caps clip, class caps scale their class down, and
    the freed weight goes to `reserve_index` (the T-bill fund) up to its cap, then to the other
    liquid assets pro rata to their room."""
    w = np.clip(np.asarray(target, dtype=float), 0.0, None)
    w = w / w.sum() if w.sum() > 0 else np.eye(len(w))[cash_index]
    # bounded: each pass pins at least one constraint
    for _ in range(len(w) + len(limits.class_cap) + 2):
        w = np.minimum(w, limits.max_weight)
        for cls, cap in limits.class_cap.items():
            members = limits.asset_class == cls
            total = w[members].sum()
            if total > cap:
                w[members] *= cap / total
        short = 1.0 - w.sum()
        if reserve_index is not None and short > 1e-12:
            added = min(short, limits.max_weight[reserve_index] - w[reserve_index])
            w[reserve_index] += max(added, 0.0)
            short = 1.0 - w.sum()
        room = np.where(limits.liquid, limits.max_weight - w, 0.0)
        if short <= 1e-12 or room.sum() <= 0:
            break
        w += room * min(1.0, short / room.sum())
    liquid_share = w[limits.liquid].sum()
    if liquid_share < limits.min_liquid:
        w[cash_index] += limits.min_liquid - liquid_share
        illiquid = ~limits.liquid
        w[illiquid] *= (1.0 - w[limits.liquid].sum()) / max(w[illiquid].sum(), 1e-12)
    return w / w.sum()


def target_weights(
    strategy: str,
    returns: np.ndarray,
    limits: Limits,
    momentum: np.ndarray | None = None,
    tbill_index: int = 1,
    cash_index: int = 0,
) -> np.ndarray:
    """`returns`: the last LOOKBACK_DAYS daily returns (rows) of every asset (columns)."""
    n = returns.shape[1]
    risky = np.ones(n, dtype=bool)
    risky[[tbill_index, cash_index]] = False
    # Cash and T-bills have near-zero volatility: inverse-vol over every asset would put everything
    # there. The risky strategies spread risk over the risky assets; the caps send the rest to
    # T-bills.
    vol = returns[:, risky].std(axis=0) * np.sqrt(252)
    vol = np.where(vol > 1e-6, vol, 1e-6)
    raw = np.zeros(n)
    if strategy == "risk_parity":
        raw[risky] = 1.0 / vol
    elif strategy == "min_variance":
        cov = np.cov(returns[:, risky], rowvar=False) + np.eye(int(risky.sum())) * 1e-8
        raw[risky] = np.clip(np.linalg.solve(cov, np.ones(int(risky.sum()))), 0.0, None)
    elif strategy == "momentum_tilt":
        score = (
            np.zeros(int(risky.sum()))
            if momentum is None
            else np.asarray(momentum, dtype=float)[risky]
        )
        tilt = np.exp(MOMENTUM_TILT * 2 * np.clip(score / (np.abs(score).max() + 1e-12), -1, 1))
        raw[risky] = np.where(score < 0, 0.5, 1.0) * tilt / vol
    elif strategy == "defensive":
        raw[tbill_index], raw[cash_index] = 0.7, 0.2
        raw[risky] = 0.1 * (1.0 / vol) / (1.0 / vol).sum()
        return project(raw, limits, cash_index, tbill_index)
    else:
        raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})")
    if raw.sum() <= 0:
        raw[tbill_index] = 1.0
    return project(raw / raw.sum(), limits, cash_index, tbill_index)
