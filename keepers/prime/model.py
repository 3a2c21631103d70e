"""The prime broker's margin arithmetic in Python (contracts/prime/MarginMath.sol, PrimeLayout's
`_figures`, PrimeMargin's `_quote`), to the wei: the differential tests compare the contracts with
it, the margin keeper and `quantera margin` preview with it, the stress replay runs on it.

USD figures have 18 decimals; a price is the USD value of one whole token, 18 decimals. Rounding
is the contract's: collateral down, debt up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keepers.core.units import BPS

HAIRCUT_PER_RISK_WEIGHT_BPS = 800
NO_DEBT_RATIO = 2**256 - 1
# PrimeLayout.MAX_DUST_USD: collateral left behind is dust (the debts written off) when it is
# worth at most this (18 decimals) and, for pool debt, cannot repay one unit of the debt repaid.
MAX_DUST_USD = 10**18
# PrimeLayout.MAX_LIQUIDATION_SLIPPAGE_BPS: a liquidation's sale fetches at least the oracle value
# of what it sells less this.
MAX_LIQUIDATION_SLIPPAGE_BPS = 300
# PrimeLayout.MAX_RECOVERY_SHORTFALL_BPS: a sale recovering assigned debt fetches at least the
# repayment quoted less this (it recovers what it fetched).
MAX_RECOVERY_SHORTFALL_BPS = 100


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def haircut_bps(risk_weight_bps: int) -> int:
    """min(BPS, risk weight x 8%): Basel's 8% capital ratio per unit of risk weight."""
    return min(BPS, risk_weight_bps * HAIRCUT_PER_RISK_WEIGHT_BPS // BPS)


def value_down(amount: int, price18: int, decimals: int) -> int:
    return amount * price18 // 10**decimals


def value_up(amount: int, price18: int, decimals: int) -> int:
    return ceil_div(amount * price18, 10**decimals)


def ratio_bps(adjusted_collateral: int, adjusted_debt: int) -> int:
    return NO_DEBT_RATIO if adjusted_debt == 0 else adjusted_collateral * BPS // adjusted_debt


@dataclass(frozen=True)
class Holding:
    """One asset of an account: its balance and debt (token units), price, decimals, risk weight,
    and the part of `debt` that is assigned (IPrimeBroker "Assigned debt", SEC-190: written off
    beside a matured note's claim, without interest; a liquidation recovers it first, in full,
    whatever the ratio)."""

    balance: int
    debt: int
    price18: int
    decimals: int
    risk_weight_bps: int
    assigned: int = 0
    # The part of `assigned` its pool still carries at face (IPrimeBroker `carriedDebtOf`, SEC-234).
    carried: int = 0


@dataclass(frozen=True)
class Figures:
    collateral_usd: int
    adjusted_collateral_usd: int
    debt_usd: int
    adjusted_debt_usd: int

    @property
    def ratio_bps(self) -> int:
        return ratio_bps(self.adjusted_collateral_usd, self.adjusted_debt_usd)

    def shortfall(self, target_bps: int) -> int:
        """Adjusted collateral to add for the ratio to reach `target_bps`."""
        needed = ceil_div(self.adjusted_debt_usd * target_bps, BPS)
        return max(0, needed - self.adjusted_collateral_usd)


def figures(holdings: Iterable[Holding]) -> Figures:
    """PrimeLayout._figures: one pass, collateral rounded down, debt up."""
    c = ca = d = da = 0
    for h in holdings:
        hc = haircut_bps(h.risk_weight_bps)
        if h.balance:
            v = value_down(h.balance, h.price18, h.decimals)
            c += v
            ca += v * (BPS - hc) // BPS
        if h.debt:
            v = value_up(h.debt, h.price18, h.decimals)
            d += v
            da += ceil_div(v * (BPS + hc), BPS)
    return Figures(c, ca, d, da)


def max_repay(debt: int, ratio: int, close_factor_bps: int) -> int:
    return debt if ratio < BPS else debt * close_factor_bps // BPS


def bonus_bps(tier_bonus_bps: int, ratio: int, collateral_haircut: int, debt_haircut: int) -> int:
    """The dynamic bonus: the tier's, at most what keeps the ratio ((1+b)(1-hc)/(1+hd) <= ratio)."""
    if collateral_haircut >= BPS:
        return tier_bonus_bps
    neutral = min(ratio, 2**128 - 1) * (BPS + debt_haircut) // (BPS - collateral_haircut)
    return 0 if neutral <= BPS else min(tier_bonus_bps, neutral - BPS)


def seized(repaid: int, debt: Holding, collateral: Holding, bonus: int) -> int:
    usd = value_down(repaid, debt.price18, debt.decimals) * (BPS + bonus) // BPS
    return usd * 10**collateral.decimals // collateral.price18


def repayable_for(value_usd: int, debt: Holding, bonus: int) -> int:
    """MarginMath.repayableFor: the debt units collateral worth `value_usd` pays for with the
    bonus, rounded down (0: dust no liquidation of that debt can take)."""
    return value_usd * BPS // (BPS + bonus) * 10**debt.decimals // debt.price18


def repayable(seized_units: int, collateral: Holding, debt: Holding, bonus: int) -> int:
    return repayable_for(
        value_down(seized_units, collateral.price18, collateral.decimals), debt, bonus
    )


@dataclass(frozen=True)
class Quote:
    repaid: int
    seized: int
    bonus_bps: int
    # What the account keeps cannot repay one unit of the debt: its debts are written off (SEC-23).
    write_off: bool = False


def quote(
    repay: int,
    debt: Holding,
    collateral: Holding,
    ratio: int,
    tier_bonus_bps: int,
    collateral_usd: int | None = None,
    unpriced: bool = False,
) -> Quote:
    """PrimeMargin._quote's amounts (its checks — liquidatable, close factor — are the caller's):
    nothing seized when nothing is repaid, and whether what is left of the account's collateral
    (`collateral_usd` at oracle value before, `figures(...).collateral_usd`: the balances; this
    holding's alone when not given) is dust, written off: at most MAX_DUST_USD whatever matured
    notes' claims the account keeps (SEC-191: a write-off assigns the debts to them), no holding
    without a usable price (`unpriced`, SEC-162), and not a recovery of assigned debt (`debt`'s
    `assigned`: its write-off was made, SEC-190)."""
    b = bonus_bps(
        tier_bonus_bps,
        ratio,
        haircut_bps(collateral.risk_weight_bps),
        haircut_bps(debt.risk_weight_bps),
    )
    s = seized(repay, debt, collateral, b)
    r = repay
    if s > collateral.balance:
        s = collateral.balance
        r = repayable(s, collateral, debt, b)
    if r == 0:
        s = 0
    before = value_down(collateral.balance, collateral.price18, collateral.decimals)
    if collateral_usd is None:
        collateral_usd = before
    left = (
        collateral_usd
        - before
        + value_down(collateral.balance - s, collateral.price18, collateral.decimals)
    )
    dust = left <= MAX_DUST_USD and repayable_for(left, debt, b) == 0
    return Quote(r, s, b, dust and not unpriced and not debt.assigned)


def adjusted_value(balance: int, price18: int, decimals: int, risk_weight_bps: int) -> int:
    """A collateral balance's adjusted value, as `figures` counts it."""
    return value_down(balance, price18, decimals) * (BPS - haircut_bps(risk_weight_bps)) // BPS


# `top_up_units` corrects its estimate one unit at a time at most this often (rounding only).
MAX_TOP_UP_STEPS = 8


def top_up_units(
    adjusted_collateral_usd: int,
    adjusted_debt_usd: int,
    target_bps: int,
    asset: Holding,
) -> int | None:
    """Units of `asset` (whose `balance` is what the account holds of it already) to deposit for
    the ratio to reach `target_bps` (0: it is there; None: the asset counts for nothing, a 100%
    haircut). The smallest such amount to the unit, with the contract's rounding."""
    needed_usd = Figures(0, adjusted_collateral_usd, 0, adjusted_debt_usd).shortfall(target_bps)
    if needed_usd == 0:
        return 0
    haircut = haircut_bps(asset.risk_weight_bps)
    if haircut >= BPS or asset.price18 == 0:
        return None
    usd = ceil_div(needed_usd * BPS, BPS - haircut)
    units = ceil_div(usd * 10**asset.decimals, asset.price18)
    before = adjusted_value(asset.balance, asset.price18, asset.decimals, asset.risk_weight_bps)

    def reached(x: int) -> bool:
        after = adjusted_value(
            asset.balance + x, asset.price18, asset.decimals, asset.risk_weight_bps
        )
        return ratio_bps(adjusted_collateral_usd - before + after, adjusted_debt_usd) >= target_bps

    for _ in range(MAX_TOP_UP_STEPS):
        if reached(units):
            break
        units += 1
    # The ceilings above may overshoot by a unit or two: step back to the smallest.
    for _ in range(MAX_TOP_UP_STEPS):
        if units <= 1 or not reached(units - 1):
            break
        units -= 1
    return units
