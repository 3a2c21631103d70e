"""One signal cycle, chain-agnostic: features from the price history, the model's strategy (or the
rule-based fallback), target weights within the RiskEngine's limits, the rebalance the chain would
compute from them (exact mirror of RebalanceMath), and the signed EIP-712 intent.

The signal keeper (`keepers.rebalancing.bot`) feeds it on-chain holdings and oracle prices and
decides from the RebalancerLens's `previewRebalance` (the rebalancer's own code); the benchmark
times it end to end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from eth_utils import keccak

from keepers.core.units import BPS
from keepers.rebalancing.features import build_features
from keepers.rebalancing.intent import RebalanceIntent, sign_intent
from keepers.rebalancing.model import (
    Signal,
    TrainedSelector,
    portfolio_limits,
    predict,
    strategy_weights,
)
from keepers.rebalancing.rebalance_plan import PlannedTrade, plan
from keepers.rebalancing.strategies import STRATEGIES, Limits

DOMAIN = "Quantera AutoRebalancer"
TBILL_CLASS = "tbill"
RISKY_CLASSES = ("equity", "commodity")


@dataclass(frozen=True)
class Market:
    portfolio: object
    prices: pd.DataFrame  # daily USD prices per asset symbol, oldest first
    limits: Limits
    risky: list[str]
    tbill: str


def load_market(prices: pd.DataFrame | None = None) -> Market:
    """The portfolio of keepers/data/portfolio.yaml and its price history (arch.data unless
    given)."""
    from keepers.vault import history, load_portfolio

    portfolio = load_portfolio()
    prices = history(portfolio) if prices is None else prices
    risky = [a.symbol for a in portfolio.assets if a.asset_class in RISKY_CLASSES]
    tbill = next(a.symbol for a in portfolio.assets if a.asset_class == TBILL_CLASS)
    return Market(portfolio, prices, portfolio_limits(portfolio), risky, tbill)


def to_bps(weights: np.ndarray, cash_index: int = 0) -> tuple[int, ...]:
    """Weights as whole basis points summing to 10,000: rounded down, the remainder to cash (a
    rounding never raises a capped asset above its cap)."""
    bps = np.floor(np.clip(weights, 0, 1) * BPS).astype(int)
    bps[cash_index] += BPS - int(bps.sum())
    return tuple(int(b) for b in bps)


def fit_bounds(
    target_bps: tuple[int, ...], minimum: list[int], maximum: list[int], reserve_index: int
) -> tuple[int, ...]:
    """Targets clipped to the strategy's per-asset bounds, the difference taken from (or given to)
    the reserve asset (the T-bill fund), then the other assets in order, so they sum to 10,000."""
    bps = [min(max(t, lo), hi) for t, lo, hi in zip(target_bps, minimum, maximum)]
    gap = BPS - sum(bps)
    order = [reserve_index] + [i for i in range(len(bps)) if i != reserve_index]
    for i in order:
        if gap == 0:
            break
        step = min(gap, maximum[i] - bps[i]) if gap > 0 else -min(-gap, bps[i] - minimum[i])
        bps[i] += step
        gap -= step
    if gap != 0:
        raise ValueError(f"no targets within the strategy's bounds sum to 10000 (gap {gap})")
    return tuple(bps)


@dataclass(frozen=True)
class SignalResult:
    signal: Signal
    as_of: str
    target_bps: tuple[int, ...]
    signal_hash: bytes  # keccak of the feature row and the decision: what the intent commits to
    model_version: bytes


def compute_signal(market: Market, selector: TrainedSelector | None) -> SignalResult:
    fit_until = selector.network.meta["splits"]["train_until"] if selector else None
    features = build_features(market.prices, market.risky, market.tbill, fit_until=fit_until)
    row = features.iloc[[-1]]
    signal = predict(selector, row)
    day = len(market.prices) - 1
    weights = strategy_weights(market.prices, day, market.limits)[STRATEGIES.index(signal.strategy)]
    target = to_bps(weights)
    payload = (
        row.to_numpy(dtype=float).tobytes() + signal.strategy.encode() + bytes(str(target), "ascii")
    )
    version = (signal.model_version or "rule-based").encode()
    return SignalResult(
        signal,
        str(market.prices.index[-1].date()),
        target,
        keccak(payload),
        hashlib.sha256(version).digest(),
    )


@dataclass(frozen=True)
class SignedIntent:
    intent: RebalanceIntent
    digest: bytes
    signature: bytes
    trades: list[PlannedTrade]


def build_intent(
    result: SignalResult,
    holdings: list[int],
    prices: list[int],
    units: list[int],
    *,
    nonce: int,
    strategy_id: int,
    portfolio: str,
    verifying_contract: str,
    chain_id: int,
    key,
    deadline: int,
    max_slippage_bps: int,
    max_trade_bps: int,
    sign=None,
) -> SignedIntent:
    """The intent for `result` and the trades the chain will compute for it now (exact mirror).
    Signed with `key` (a private key) or by `sign(intent) -> (digest, signature)` (an ape
    account)."""
    trades, _ = plan(
        holdings, prices, units, 0, list(result.target_bps), max_trade_bps, max_slippage_bps
    )
    intent = RebalanceIntent(
        portfolio,
        strategy_id,
        result.target_bps,
        max_slippage_bps,
        nonce,
        deadline,
        result.model_version,
        result.signal_hash,
    )
    if sign is not None:
        digest, signature = sign(intent)
    else:
        digest, signature = sign_intent(intent, key, DOMAIN, chain_id, verifying_contract)
    return SignedIntent(intent, digest, signature, trades)


def signal_cycle(
    market: Market,
    selector: TrainedSelector | None,
    holdings: list[int],
    prices: list[int],
    *,
    nonce: int,
    strategy_id: int,
    portfolio: str,
    verifying_contract: str,
    chain_id: int,
    key,
    deadline: int,
    units: list[int] | None = None,
    max_slippage_bps: int = 100,
    max_trade_bps: int = 4_000,
) -> tuple[SignalResult, SignedIntent]:
    """Signal, plan and signature in one go (what the benchmark times)."""
    result = compute_signal(market, selector)
    units = units or [10**6] + [10**18] * (len(holdings) - 1)
    signed = build_intent(
        result,
        holdings,
        prices,
        units,
        nonce=nonce,
        strategy_id=strategy_id,
        portfolio=portfolio,
        verifying_contract=verifying_contract,
        chain_id=chain_id,
        key=key,
        deadline=deadline,
        max_slippage_bps=max_slippage_bps,
        max_trade_bps=max_trade_bps,
    )
    return result, signed
