"""The router's computation (docs/specs.md LIQ-12, LIQ-13): splits equalise marginal prices and pay
for their gas; Bellman-Ford finds hop-bounded best paths and reports arbitrage cycles."""

import numpy as np
import pytest

from keepers.liquidity.fills import decode_fills
from keepers.liquidity.graph import Edge, best_path, find_arbitrage
from keepers.liquidity.router import grid_for
from keepers.liquidity.split import SplitError, best_split

# USDC / QSPX constant-product pools at $2,000
RESERVES = [(5e12, 2.5e21), (2e12, 1e21), (1e12, 5e20)]


def v2_out(amount, reserve_in, reserve_out):
    return amount * 997 * reserve_out // (reserve_in * 1000 + amount * 997)


def v2_outputs(grid, pools=RESERVES):
    return np.array(
        [[v2_out(int(a), int(rin), int(rout)) for a in grid] for rin, rout in pools], dtype=float
    )


def test_split__identical_fee_pools__shares_proportional_to_depth():
    """Equal marginal prices across constant-product pools with one fee: x_i proportional to
    reserves."""
    total = 400_000 * 10**6
    grid = grid_for(total, points=64)
    allocation = best_split(np.array(grid, dtype=float), v2_outputs(grid), total, np.zeros(3), 0.0)
    depth = sum(r for r, _ in RESERVES)
    expected = [total * r / depth for r, _ in RESERVES]
    assert sum(allocation.amounts_in) == total  # integer legs, exactly the order
    for got, want in zip(allocation.amounts_in, expected):
        assert abs(int(got) - want) / want < 0.03
    single = max(v2_out(total, int(r), int(o)) for r, o in RESERVES)
    split = sum(
        v2_out(int(a), int(r), int(o)) for a, (r, o) in zip(allocation.amounts_in, RESERVES)
    )
    assert split > single


def test_split__gas_cost__splits_only_when_the_gain_pays_for_it():
    small, large = 2_000 * 10**6, 2_000_000 * 10**6
    for total, gas_cost, expected_sources in ((small, 1e12, 1), (large, 0.0, 3), (large, 1e18, 1)):
        grid = grid_for(total)
        allocation = best_split(
            np.array(grid, dtype=float), v2_outputs(grid), total, np.full(3, 100_000), gas_cost
        )
        assert len(allocation.used) == expected_sources, (total, gas_cost, allocation.used)


def test_split__depth_limited_source__filled_to_its_size_then_the_pools():
    """An RFQ quote better than the pools but only for 100,000 USDC: taken whole, the rest to
    AMMs."""
    total, rfq_size = 300_000 * 10**6, 100_000 * 10**6
    grid = grid_for(total, extra=[rfq_size])
    # 0.5 QSPX per USDC less 5 bp
    rfq = np.array([a * 5e8 * 0.9995 if a <= rfq_size else 0.0 for a in grid])
    outputs = np.vstack([v2_outputs(grid), rfq])
    allocation = best_split(np.array(grid, dtype=float), outputs, total, np.zeros(4), 0.0)
    assert int(allocation.amounts_in[3]) == rfq_size
    assert sum(allocation.amounts_in) == total


def test_split__nothing_quotes_or_too_little_depth__split_error():
    grid = grid_for(10**6)
    with pytest.raises(SplitError, match="no source"):
        best_split(np.array(grid, dtype=float), np.zeros((2, len(grid))), 10**6, np.zeros(2), 0.0)
    capped = np.array([[a if a <= 10**5 else 0 for a in grid]], dtype=float)
    with pytest.raises(SplitError, match="cannot fill"):
        best_split(np.array(grid, dtype=float), capped, 10**6, np.zeros(1), 0.0)


def test_best_path__hop_bound_and_direction():
    edges = [
        Edge(0, 1, 2.0, "a"),
        Edge(1, 2, 3.0, "b"),
        Edge(0, 2, 5.0, "direct"),
        Edge(2, 3, 1.0, "c"),
    ]
    two_hops = best_path(4, edges, 0, 2, 3)
    assert (
        two_hops.tokens == [0, 1, 2]
        and two_hops.venues == ["a", "b"]
        and two_hops.rate == pytest.approx(6.0)
    )
    one_hop = best_path(4, edges, 0, 2, 1)
    assert one_hop.tokens == [0, 2] and one_hop.rate == pytest.approx(5.0)
    assert best_path(4, edges, 3, 0, 3) is None  # no edge leads back


def test_find_arbitrage__reports_a_profitable_cycle_only():
    fair = [
        Edge(0, 1, 2.0 * 0.997, "p"),
        Edge(1, 0, 0.5 * 0.997, "q"),
        Edge(1, 2, 3.0 * 0.997, "r"),
        Edge(2, 0, 1 / 6 * 0.997, "s"),
    ]
    assert find_arbitrage(3, fair) is None
    mispriced = fair + [Edge(2, 0, 0.2, "stale pool")]
    cycle = find_arbitrage(3, mispriced)
    assert cycle is not None and cycle.gain > 1.0
    assert cycle.tokens[0] == cycle.tokens[-1] and set(cycle.tokens) == {0, 1, 2}


def test_decode_fills__72_bytes_per_hop_in_order():
    """RouteExecuted.fills as FillLog packs them: venue, tokenOut, uint128 amountIn, uint128
    amountOut."""
    venue, token = "0x" + "11" * 20, "0x" + "22" * 20
    packed = (
        bytes.fromhex(venue[2:])
        + bytes.fromhex(token[2:])
        + (5).to_bytes(16, "big")
        + (2**128 - 1).to_bytes(16, "big")
    )
    (fill,) = decode_fills(packed)
    assert (fill.venue.lower(), fill.token_out.lower(), fill.amount_in, fill.amount_out) == (
        venue,
        token,
        5,
        2**128 - 1,
    )
    assert decode_fills(b"") == []
    with pytest.raises(ValueError, match="not a whole number"):
        decode_fills(packed[:-1])


def test_codec__packed_route_round_trips_and_refuses_what_the_aggregator_would():
    """LIQ-17: the Python encoder writes RouteCodec's layout (the contract tests execute it); the
    order's amount is the legs' sum and a leg's last hop buys the route's token by construction;
    an intermediate hop buying one of the route's own tokens is refused (SEC-143)."""
    from keepers.liquidity.codec import RouteError, decode_route, encode_route, with_min_out

    usdc, qspx, qcorp, pair, pool, rfq, me = (f"0x{i:040x}" for i in range(1, 8))
    legs = [(600, [(pair, qspx, b"")]), (400, [(pool, qcorp, b""), (rfq, qspx, b"\x01\x02")])]
    route = encode_route(usdc, qspx, 1_000, 990, me, 1_700_000_000, 50, legs)
    # header 84 + leg 17 + hop 22 + leg 17 + hop with tokenOut 42 + last hop 22 with 2 bytes of data
    assert len(route) == 84 + 17 + 22 + 17 + 42 + 24
    decoded = decode_route(route)
    assert (
        decoded.amount_in == 1_000
        and decoded.min_amount_out == 990
        and decoded.max_slippage_bps == 50
    )
    assert decoded.deadline == 1_700_000_000 and decoded.recipient.lower() == me
    assert [
        (a, [(v.lower(), t.lower(), d) for v, t, d in hops]) for a, hops in decoded.legs
    ] == legs
    assert decode_route(with_min_out(route, 7)).min_amount_out == 7
    with pytest.raises(RouteError, match="legs sum to 1000, not the order's 999"):
        encode_route(usdc, qspx, 999, 0, me, 1, 0, legs)
    with pytest.raises(RouteError, match="leg 0 ends in"):
        encode_route(usdc, qspx, 5, 0, me, 1, 0, [(5, [(pair, qcorp, b"")])])
    with pytest.raises(RouteError, match="does not fit in 16 bytes"):
        encode_route(usdc, qspx, 2**128, 0, me, 1, 0, [(2**128, [(pair, qspx, b"")])])
    for intermediate in (usdc, qspx):  # SEC-143: the aggregator's IntermediateIsRouteToken
        with pytest.raises(RouteError, match="leg 0 hop 0 buys .*, one of the route's own tokens"):
            encode_route(
                usdc, qspx, 5, 0, me, 1, 0, [(5, [(pair, intermediate, b""), (pool, qspx, b"")])]
            )
    with pytest.raises(RouteError, match="1 bytes left over"):
        decode_route(route + b"\x00")
    with pytest.raises(RouteError, match="reading"):
        decode_route(route[:-1])


@pytest.mark.parametrize(
    "amount, message",
    [
        ("NaN", "--amount must be a positive amount, not NaN"),
        ("Infinity", "--amount must be a positive amount, not Infinity"),
        ("-5", "--amount must be a positive amount, not -5"),
        ("1e-30", "--amount 1e-30 has more than 6 decimals"),
        ("lots", "--amount 'lots' is not a number"),
    ],
)
def test_sec_97__route_amount__not_a_positive_amount_of_the_token__refused(amount, message):
    """SEC-97: `route quote|execute --amount` is parsed by the shared `parse_units`: NaN and
    infinity (a decimal error or an overflow before) and an amount finer than the token's
    decimals (1e-30 USDC was quoted as 0 base units) are refused with one line."""
    from keepers.core.errors import QuanteraError
    from keepers.liquidity.cli import parse_amount

    with pytest.raises(QuanteraError) as refused:
        parse_amount(amount, 6)
    assert str(refused.value) == message
    assert parse_amount("2500000.5", 6) == 2_500_000_500_000


def test_sec_149__route_execute_for_another_recipient__rfq_quote_names_the_sender(monkeypatch):
    """SEC-149 (outside read #6): `route execute --recipient X --rfq-maker M` asked the maker for a
    quote named for X, but on chain the route's taker is its sender (the account), so the RFQ leg
    reverted `QuoteTakerMismatch` and the whole order failed. The sender is now the quote's taker
    and the aggregator is quoted as from it; the recipient only receives."""
    from contextlib import contextmanager
    from types import SimpleNamespace

    from click.testing import CliRunner

    import keepers.core.chain as core_chain
    from keepers.liquidity import cli

    account = SimpleNamespace(address="0x" + "aa" * 20)
    recipient = "0x" + "bb" * 20
    seen = {}

    @contextmanager
    def connected(_network):
        yield SimpleNamespace()

    def plan(record, token_in, token_out, amount, to, rfq_maker, *rest, taker=None):
        seen.update(recipient=to, taker=taker or to)  # `_plan` quotes for `taker or recipient`
        return SimpleNamespace(as_dict=lambda: {}), None, None

    monkeypatch.setattr(core_chain, "connected", connected)
    monkeypatch.setattr(core_chain, "load_account", lambda alias: account)
    monkeypatch.setattr(cli, "_plan", plan)
    monkeypatch.setattr(cli, "execute_plan", lambda *args: {})
    monkeypatch.setattr(cli, "_show", lambda *args: None)
    result = CliRunner().invoke(
        cli.route,
        [
            "execute",
            "--network",
            "ethereum:local:test",
            "--token-in",
            "USDC",
            "--token-out",
            "QSPX",
            "--amount",
            "1",
            "--rfq-maker",
            "TEST::20",
            "--account",
            "TEST::7",
            "--recipient",
            recipient,
        ],
    )
    assert result.exit_code == 0, result.output
    assert seen["recipient"] == recipient
    if seen["taker"] != account.address:
        pytest.fail(f"the RFQ quote names {seen['taker']}, the route's taker is {account.address}")


def test_plan__amounts_shown_in_whole_units_with_symbols_beside_the_raw():
    """Issue 33 §2: a quote's amounts as a person reads them (whole units and the symbol); the
    JSON keeps the exact base units beside them; without decimals, base units and the token."""
    from keepers.liquidity.router import Plan

    plan = Plan(
        token_in="0xin",
        token_out="0xout",
        amount_in=2_500_000 * 10**6,
        route=b"",
        predicted_out=2_155_263_319_448_713_504_395,
        legs=[("RfqVenue", 2_500_000 * 10**6, 2_155_263_319_448_713_504_395)],
        best_single=("UniswapV2Pair.A", 1_769 * 10**18),
        gas_estimate=135_000,
        compute_ms=1.0,
    )
    assert plan.shown_in(plan.amount_in) == "2500000000000 (base units of 0xin)"
    plan.decimals_in, plan.decimals_out, plan.symbol_in, plan.symbol_out = 6, 18, "USDC", "QSPX"
    data = plan.as_dict()
    assert data["amount_in"] == "2500000000000"  # raw, exact
    assert data["display"] == {
        "amount_in": "2,500,000 USDC",
        "predicted_out": "2,155.263319448713504395 QSPX",
        "best_single_out": "1,769 QSPX",
    }
