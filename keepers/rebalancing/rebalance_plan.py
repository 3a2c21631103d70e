"""Python mirror of contracts/libraries/RebalanceMath.sol (integer maths, same rounding), so the
signal keeper can preview a rebalance exactly and the tests can check the library against it."""

from __future__ import annotations

from dataclasses import dataclass

from keepers.core.units import BPS


@dataclass(frozen=True)
class PlannedTrade:
    sell_index: int
    buy_index: int
    sell_amount: int
    min_buy_amount: int
    value: int  # 18-decimal USD at oracle prices


def plan(
    holdings: list[int],
    prices: list[int],
    units: list[int],
    settlement: int,
    target_bps: list[int],
    max_trade_bps: int,
    slippage_bps: int,
) -> tuple[list[PlannedTrade], int]:
    n = len(holdings)
    if not (len(prices) == len(units) == len(target_bps) == n):
        raise ValueError("lengths")
    if sum(target_bps) != BPS:
        raise ValueError("targets must sum to 10000 bps")
    values = [h * p // u for h, p, u in zip(holdings, prices, units)]
    nav = sum(values)
    cap = nav * max_trade_bps // BPS

    def min_out(value: int, i: int) -> int:
        return (value * (BPS - slippage_bps) // BPS) * units[i] // prices[i]

    trades, proceeds = [], 0
    for i in range(n):
        target = nav * target_bps[i] // BPS
        if i == settlement or values[i] <= target:
            continue
        value = min(values[i] - target, cap)
        amount = value * units[i] // prices[i]
        if amount:
            trades.append(PlannedTrade(i, settlement, amount, min_out(value, settlement), value))
            proceeds += value
    wants = [0] * n
    for i in range(n):
        target = nav * target_bps[i] // BPS
        if i != settlement and values[i] < target:
            wants[i] = min(target - values[i], cap)
    wanted = sum(wants)
    settlement_target = nav * target_bps[settlement] // BPS
    budget = max(values[settlement] + proceeds - settlement_target, 0)
    for i in range(n):
        if not wants[i]:
            continue
        value = wants[i] * budget // wanted if wanted > budget else wants[i]
        amount = value * units[settlement] // prices[settlement]
        if amount:
            trades.append(PlannedTrade(settlement, i, amount, min_out(value, i), value))
    return trades, nav
