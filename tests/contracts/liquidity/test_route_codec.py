"""LIQ-17: the Solidity route encoder (RouteCodec.encode, used by the AutoRebalancer) writes exactly
the bytes of the Python encoder (keepers.liquidity.codec), which the aggregator's tests execute."""

import ape
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from keepers.liquidity.codec import decode_route, encode_route

addresses = st.integers(min_value=1, max_value=2**160 - 1).map(lambda i: f"0x{i:040x}")
hops = st.tuples(addresses, addresses, st.binary(max_size=70))
legs = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=2**128 - 1), st.lists(hops, min_size=1, max_size=4)
    ),
    min_size=1,
    max_size=8,
)


def with_last_token(route_legs, token_out):
    """Every leg's last hop buys the route's token (the encoders omit it)."""
    return [
        (amount, [*hop_list[:-1], (hop_list[-1][0], token_out, hop_list[-1][2])])
        for amount, hop_list in route_legs
    ]


@settings(max_examples=40, deadline=None)
@given(
    token_in=addresses,
    token_out=addresses,
    recipient=addresses,
    min_out=st.integers(0, 2**128 - 1),
    deadline=st.integers(0, 2**40 - 1),
    bps=st.integers(0, 2**16 - 1),
    route_legs=legs,
)
def test_encode__solidity_and_python_write_the_same_bytes(
    harness, token_in, token_out, recipient, min_out, deadline, bps, route_legs
):
    route_legs = with_last_token(route_legs, token_out)
    # Both encoders write the routes the aggregator takes: an intermediate hop buying the route's
    # own tokens is refused by the Python one (SEC-143, tests/keepers/liquidity/test_routing.py).
    own = {token_in.lower(), token_out.lower()}
    assume(all(t.lower() not in own for _, hop_list in route_legs for _, t, _ in hop_list[:-1]))
    expected = encode_route(
        token_in,
        token_out,
        sum(a for a, _ in route_legs),
        min_out,
        recipient,
        deadline,
        bps,
        route_legs,
    )
    got = bytes(
        harness.encodeRoute(
            token_in,
            token_out,
            recipient,
            min_out,
            deadline,
            bps,
            [(a, [(v, t, d) for v, t, d in h]) for a, h in route_legs],
        )
    )
    assert got == expected
    assert decode_route(got).legs[-1][1][-1][1].lower() == token_out


def test_encode__refuses_a_leg_ending_in_another_token_and_oversized_fields(harness):
    a, b, c = (f"0x{i:040x}" for i in (1, 2, 3))
    with ape.reverts(harness.LegEndsInWrongToken, leg=0, tokenOut=c, expected=b):
        harness.encodeRoute(a, b, a, 0, 0, 0, [(1, [(a, c, b"")])])
    with ape.reverts(harness.SafeCastOverflowedUintDowncast, bits=128, value=2**128):
        harness.encodeRoute(a, b, a, 2**128, 0, 0, [(1, [(a, b, b"")])])
