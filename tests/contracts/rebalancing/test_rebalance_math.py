"""RebalanceMath (issue 6, execution maths): the library equals its Python mirror to the unit
(docs/specs.md RBL-1, differential, hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.rebalancing.rebalance_plan import plan


@st.composite
def markets(draw):
    n = draw(st.integers(2, 8))
    units = [10**6] + [10 ** draw(st.sampled_from([6, 8, 18])) for _ in range(n - 1)]
    prices = [10**18] + [draw(st.integers(10**15, 10**22)) for _ in range(n - 1)]
    holdings = [draw(st.integers(0, 10**9)) * u // 100 for u in units]
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
    targets = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000])]
    return holdings, prices, units, targets


@settings(max_examples=40, deadline=None)
@given(market=markets(), max_trade_bps=st.integers(0, 10_000), slippage_bps=st.integers(0, 500))
def test_plan__library_equals_python_mirror(harness, market, max_trade_bps, slippage_bps):
    holdings, prices, units, targets = market
    trades, nav = harness.planRebalance(
        (holdings, prices, units, 0), targets, max_trade_bps, slippage_bps
    )
    expected, expected_nav = plan(holdings, prices, units, 0, targets, max_trade_bps, slippage_bps)
    assert nav == expected_nav
    assert [tuple(t) for t in trades] == [
        (e.sell_index, e.buy_index, e.sell_amount, e.min_buy_amount, e.value) for e in expected
    ]
