"""The rebalance plan's guarantees at oracle prices (docs/specs.md RBL-2, hypothesis): no sale below
target, no purchase beyond the shortfall, no trade above the cap, settlement never spent below its
target, minimum outputs equal to the oracle value less the slippage bound."""

from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.rebalancing.rebalance_plan import BPS, plan


@st.composite
def markets(draw):
    n = draw(st.integers(2, 10))
    units = [10**6] + [10 ** draw(st.sampled_from([6, 8, 18])) for _ in range(n - 1)]
    prices = [10**18] + [draw(st.integers(10**15, 10**22)) for _ in range(n - 1)]
    holdings = [draw(st.integers(0, 10**9)) * u // 100 for u in units]
    cuts = sorted(draw(st.lists(st.integers(0, BPS), min_size=n - 1, max_size=n - 1)))
    return holdings, prices, units, [b - a for a, b in zip([0, *cuts], [*cuts, BPS])]


@settings(max_examples=400, deadline=None)
@given(market=markets(), max_trade_bps=st.integers(0, BPS), slippage_bps=st.integers(0, 500))
def test_plan__never_overshoots_and_respects_every_bound(market, max_trade_bps, slippage_bps):
    holdings, prices, units, targets = market
    trades, nav = plan(holdings, prices, units, 0, targets, max_trade_bps, slippage_bps)
    values = [h * p // u for h, p, u in zip(holdings, prices, units)]
    target = [nav * t // BPS for t in targets]
    cap = nav * max_trade_bps // BPS
    sold = [0] * len(values)
    bought = [0] * len(values)
    for t in trades:
        assert t.value <= cap and t.sell_amount > 0
        if t.buy_index == 0:  # a sale into settlement
            assert t.sell_amount * prices[t.sell_index] // units[t.sell_index] <= t.value
            assert (
                t.min_buy_amount == (t.value * (BPS - slippage_bps) // BPS) * units[0] // prices[0]
            )
            sold[t.sell_index] += t.value
        else:  # a purchase with settlement
            assert t.sell_index == 0
            bought[t.buy_index] += t.value
    for i in range(1, len(values)):
        assert values[i] - sold[i] >= target[i] or sold[i] == 0
        assert values[i] + bought[i] <= max(target[i], values[i])
        assert not (sold[i] and bought[i])
    settlement_after = values[0] + sum(sold) - sum(bought)
    assert settlement_after >= min(target[0], values[0] + sum(sold))
    # sales first
    assert [t.buy_index for t in trades] == sorted(
        (t.buy_index for t in trades), key=lambda b: b != 0
    )


def test_plan__four_assets_three_trades_example():
    """USDC 40%, QTF 10%, QSPX 40%, QOIL 10% of $1,000,000 towards 25/25/25/25: one sale, two
    buys."""
    units, prices = (
        [10**6, 10**18, 10**18, 10**18],
        [10**18, 100 * 10**18, 2_000 * 10**18, 50 * 10**18],
    )
    holdings = [400_000 * 10**6, 1_000 * 10**18, 200 * 10**18, 2_000 * 10**18]
    trades, nav = plan(holdings, prices, units, 0, [2_500] * 4, 10_000, 50)
    assert nav == 1_000_000 * 10**18
    assert [(t.sell_index, t.buy_index, t.value // 10**18) for t in trades] == [
        (2, 0, 150_000),
        (0, 1, 150_000),
        (0, 3, 150_000),
    ]
    assert trades[0].sell_amount == 75 * 10**18 and trades[0].min_buy_amount == 149_250 * 10**6
