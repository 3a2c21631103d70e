"""Morpho Blue's liquidation rules as a model, the stress replay's baseline (issue 19 item 9): the
same book replayed under Morpho's rules (one LLTV, an incentive that grows as the LLTV falls, no
grace period, bad debt realised at once and socialised on the market's suppliers).

Two forms of the same rules:
- `liquidate_exact`: one liquidation in Morpho's integer maths (WAD, 1e36 oracle scale, virtual
  shares, its rounding directions), equal to the contract's result to the unit; the differential
  test checks it against the deployed Morpho (tests/contracts/prime/test_morpho_baseline.py).
- `is_healthy`, `liquidation_incentive_factor`, `liquidate_all`: numpy over accounts, in real
  numbers (token amounts, loan-token prices), for the replay of a whole book at each price step;
  `replay_morpho_path` runs a price path (the 2008 history) through them.

No chain access: pure computation, testable and benchmarkable alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from keepers.core.units import WAD

ORACLE_PRICE_SCALE = 10**36
# ConstantsLib: the liquidation cursor and the incentive's cap.
LIQUIDATION_CURSOR = 0.3
MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15
LIQUIDATION_CURSOR_WAD = 3 * WAD // 10
MAX_LIQUIDATION_INCENTIVE_FACTOR_WAD = 115 * WAD // 100
# SharesMathLib: virtual shares and assets against share-price manipulation.
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1


# ---------------------------------------------------------------------- real numbers, vectorised


def liquidation_incentive_factor(lltv: ArrayLike) -> NDArray[np.float64]:
    """LIF = min(1.15, 1 / (1 - 0.3 x (1 - LLTV))): 1.15 at LLTV <= 50 %, 1.0438 at 86 %."""
    lltv = np.asarray(lltv, dtype=np.float64)
    if np.any((lltv <= 0) | (lltv >= 1)):
        raise ValueError("LLTV must be in (0, 1)")
    return np.minimum(MAX_LIQUIDATION_INCENTIVE_FACTOR, 1 / (1 - LIQUIDATION_CURSOR * (1 - lltv)))


def is_healthy(
    collateral: ArrayLike, price: ArrayLike, lltv: ArrayLike, borrowed: ArrayLike
) -> NDArray[np.bool_]:
    """Morpho's health per account: collateral x price x LLTV >= borrowed (price in loan tokens
    per collateral token; an account without debt is healthy)."""
    c, p, b = (np.asarray(x, dtype=np.float64) for x in (collateral, price, borrowed))
    return c * p * np.asarray(lltv, dtype=np.float64) >= b


@dataclass(frozen=True)
class BookLiquidation:
    """The outcome per account of liquidating every unhealthy account of a book in full."""

    liquidated: NDArray[np.bool_]
    repaid: NDArray[np.float64]
    seized: NDArray[np.float64]
    bad_debt: NDArray[np.float64]
    collateral_after: NDArray[np.float64]
    borrowed_after: NDArray[np.float64]

    @property
    def total_bad_debt(self) -> float:
        """Bad debt realised: the loss socialised on the market's suppliers."""
        return float(self.bad_debt.sum())


def liquidate_all(
    collateral: ArrayLike, borrowed: ArrayLike, price: ArrayLike, lltv: float
) -> BookLiquidation:
    """Liquidates every unhealthy account as a liquidator maximising the seizure would: repay the
    whole debt if the collateral covers it with the incentive (seized = repaid x LIF / price),
    else seize all the collateral (repaid = collateral x price / LIF), and the debt left over is
    bad debt, realised at once (Morpho: when a position's collateral reaches zero)."""
    c, b = (np.asarray(x, dtype=np.float64) for x in (collateral, borrowed))
    p = np.broadcast_to(np.asarray(price, dtype=np.float64), c.shape)
    if np.any(p <= 0):
        raise ValueError("prices must be positive")
    lif = float(liquidation_incentive_factor(lltv))
    liquidated = ~is_healthy(c, p, lltv, b)
    needed = b * lif / p  # collateral that repays the whole debt with the incentive
    seized = np.where(liquidated, np.minimum(needed, c), 0.0)
    repaid = np.where(liquidated, np.minimum(b, seized * p / lif), 0.0)
    collateral_after = c - seized
    bad_debt = np.where(liquidated & (needed >= c), b - repaid, 0.0)
    return BookLiquidation(
        liquidated=liquidated,
        repaid=repaid,
        seized=seized,
        bad_debt=bad_debt,
        collateral_after=np.where(needed >= c, 0.0, collateral_after),
        borrowed_after=b - repaid - bad_debt,
    )


@dataclass(frozen=True)
class MorphoPathReplay:
    """A price path replayed on a book under Morpho's rules: each step's `BookLiquidation` (per
    account), and per step the accounts liquidated and the debt repaid, collateral seized and bad
    debt realised."""

    steps: tuple[BookLiquidation, ...]

    def _per_step(self, field: str) -> NDArray[np.float64]:
        return np.array([getattr(step, field).sum() for step in self.steps], dtype=np.float64)

    @property
    def liquidations(self) -> NDArray[np.int64]:
        return self._per_step("liquidated").astype(np.int64)

    @property
    def repaid(self) -> NDArray[np.float64]:
        return self._per_step("repaid")

    @property
    def seized(self) -> NDArray[np.float64]:
        return self._per_step("seized")

    @property
    def bad_debt(self) -> NDArray[np.float64]:
        return self._per_step("bad_debt")

    @property
    def total_bad_debt(self) -> float:
        return float(self.bad_debt.sum())

    @property
    def borrowed_after(self) -> NDArray[np.float64]:
        """What each account still owes at the end of the path."""
        return self.steps[-1].borrowed_after


def replay_morpho_path(
    collateral: ArrayLike, borrowed: ArrayLike, prices: ArrayLike, lltv: float
) -> MorphoPathReplay:
    """Replays `prices` (one row per step: a price for every account, or one for all) on a book
    of one Morpho market: at each step every unhealthy account is liquidated in full
    (`liquidate_all`), with no grace period, and the book carries on with what is left. No
    interest: a path of days is short against the rate, and the comparison is of the rules."""
    c = np.asarray(collateral, dtype=np.float64)
    b = np.asarray(borrowed, dtype=np.float64)
    rows = np.asarray(prices, dtype=np.float64)
    if rows.size == 0:
        raise ValueError("the price path is empty")
    steps = []
    for price in rows.reshape(len(rows), -1):
        step = liquidate_all(c, b, price if price.size > 1 else price[0], lltv)
        steps.append(step)
        c, b = step.collateral_after, step.borrowed_after
    return MorphoPathReplay(tuple(steps))


# ---------------------------------------------------------------------- Morpho's integer maths


def _mul_div_down(x: int, y: int, d: int) -> int:
    return x * y // d


def _mul_div_up(x: int, y: int, d: int) -> int:
    return (x * y + d - 1) // d


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    return _mul_div_up(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_assets_up(shares: int, total_assets: int, total_shares: int) -> int:
    return _mul_div_up(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    return _mul_div_down(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def liquidation_incentive_factor_wad(lltv_wad: int) -> int:
    """`Morpho.liquidate`: min(MAX_LIF, WAD.wDivDown(WAD - CURSOR.wMulDown(WAD - lltv)))."""
    cursor_term = LIQUIDATION_CURSOR_WAD * (WAD - lltv_wad) // WAD
    return min(MAX_LIQUIDATION_INCENTIVE_FACTOR_WAD, WAD * WAD // (WAD - cursor_term))


@dataclass(frozen=True)
class MarketState:
    """A market's totals (`Morpho.market(id)`), after interest accrual."""

    total_supply_assets: int
    total_supply_shares: int
    total_borrow_assets: int
    total_borrow_shares: int


@dataclass(frozen=True)
class PositionState:
    """A borrower's position (`Morpho.position(id, borrower)`)."""

    borrow_shares: int
    collateral: int


@dataclass(frozen=True)
class ExactLiquidation:
    """`Morpho.liquidate`'s outcome: what its `Liquidate` event carries and the state after."""

    repaid_assets: int
    repaid_shares: int
    seized_assets: int
    bad_debt_assets: int
    bad_debt_shares: int
    market: MarketState
    position: PositionState


def is_healthy_exact(
    market: MarketState, position: PositionState, price: int, lltv_wad: int
) -> bool:
    """`Morpho._isHealthy`: maxBorrow = collateral.mulDivDown(price, 1e36).wMulDown(lltv) >=
    borrowShares.toAssetsUp(totals)."""
    borrowed = to_assets_up(
        position.borrow_shares, market.total_borrow_assets, market.total_borrow_shares
    )
    max_borrow = _mul_div_down(position.collateral, price, ORACLE_PRICE_SCALE) * lltv_wad // WAD
    return max_borrow >= borrowed


def liquidate_exact(
    market: MarketState,
    position: PositionState,
    price: int,
    lltv_wad: int,
    *,
    seized_assets: int = 0,
    repaid_shares: int = 0,
) -> ExactLiquidation:
    """One `Morpho.liquidate` (exactly one of `seized_assets`, `repaid_shares` non-zero), at the
    oracle's `price` (1e36 scale); raises ValueError where Morpho reverts (healthy position,
    inconsistent input)."""
    if (seized_assets == 0) == (repaid_shares == 0):
        raise ValueError("exactly one of seized_assets and repaid_shares must be non-zero")
    if is_healthy_exact(market, position, price, lltv_wad):
        raise ValueError("healthy position")
    lif = liquidation_incentive_factor_wad(lltv_wad)
    tba, tbs = market.total_borrow_assets, market.total_borrow_shares
    if seized_assets > 0:
        quoted = _mul_div_up(seized_assets, price, ORACLE_PRICE_SCALE)
        repaid_shares = to_shares_up(_mul_div_up(quoted, WAD, lif), tba, tbs)
    else:
        repaid = to_assets_down(repaid_shares, tba, tbs) * lif // WAD
        seized_assets = _mul_div_down(repaid, ORACLE_PRICE_SCALE, price)
    repaid_assets = to_assets_up(repaid_shares, tba, tbs)
    borrow_shares = position.borrow_shares - repaid_shares
    tbs -= repaid_shares
    tba = max(tba - repaid_assets, 0)
    collateral = position.collateral - seized_assets
    if borrow_shares < 0 or collateral < 0:
        raise ValueError("liquidation exceeds the position (Morpho underflows)")
    tsa = market.total_supply_assets
    bad_debt_assets = bad_debt_shares = 0
    if collateral == 0:
        bad_debt_shares = borrow_shares
        bad_debt_assets = min(tba, to_assets_up(bad_debt_shares, tba, tbs))
        tba -= bad_debt_assets
        tsa -= bad_debt_assets  # socialised: every supplier's shares are worth less
        tbs -= bad_debt_shares
        borrow_shares = 0
    return ExactLiquidation(
        repaid_assets=repaid_assets,
        repaid_shares=repaid_shares,
        seized_assets=seized_assets,
        bad_debt_assets=bad_debt_assets,
        bad_debt_shares=bad_debt_shares,
        market=MarketState(tsa, market.total_supply_shares, tba, tbs),
        position=PositionState(borrow_shares, collateral),
    )
