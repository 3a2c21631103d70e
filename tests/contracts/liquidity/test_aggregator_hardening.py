"""LiquidityAggregator hardening, second pass (docs/specs.md SEC-140 to SEC-143). Each test sends
the attack to the aggregator and the real venues the deploy routine builds (the `liquidity`
fixture) and fails, naming what went through, where the attack succeeds; then checks the refusal.
"""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from fast_reverts import assert_reverts, attempt, revert_data
from isolation import isolated
from keepers.liquidity.codec import HEADER_BYTES, encode_legs, encode_route
from keepers.liquidity.fills import decode_fills
from keepers.liquidity.rfq import make_quote, sign_quote

USDC_UNIT, UNIT = 10**6, 10**18
V2A, V2B = "UniswapV2Pair.A.QSPX-USDC", "UniswapV2Pair.B.QSPX-USDC"
V3_05 = "UniswapV3Pool.QSPX-USDC.500"
ZERO_ADDRESS = "0x" + "00" * 20


def deadline(chain):
    return chain.pending_timestamp + 3_600


def one_hop(liq, chain, token_in, token_out, amount, venue, data=b""):
    """A one-leg, one-hop route for the trader, no minimum (the attacks' own routes)."""
    token_out = getattr(token_out, "address", token_out)
    return encode_route(
        token_in,
        token_out,
        amount,
        0,
        liq.trader.address,
        deadline(chain),
        0,
        [(amount, [(venue, token_out, data)])],
    )


def attack(chain, method, *args, sender):
    """An attack step: its refusal (the custom error's name and fields, as `attempt` decodes it)
    or, when the call passes, the receipt of sending it."""
    try:
        revert_data(chain, method, *args, sender=sender)
    except AssertionError:  # it passes: the attack goes through
        return method(*args, sender=sender)
    return attempt(chain, method, *args, sender=sender)


def went_through(outcome) -> bool:
    return not isinstance(outcome, tuple)


def route_executed(receipt) -> str:
    """What the receipt's RouteExecuted records, for a failure message."""
    (done,) = [log for log in receipt.events if log.event_name == "RouteExecuted"]
    return (
        f"RouteExecuted(tokenIn {done.tokenIn}, tokenOut {done.tokenOut}, amountIn "
        f"{done.amountIn}, amountOut {done.amountOut})"
    )


def phantom_beside(deployer, project, token, real):
    """A PhantomToken on the side of `token` that `real` is on: a pool of `token` and `real` sorts
    the phantom where it sorts `real`, so a hop naming it swaps the pool in the real direction."""
    while True:
        phantom = deployer.deploy(project.PhantomToken)
        if (int(phantom.address, 16) < int(token.address, 16)) == (
            int(real.address, 16) < int(token.address, 16)
        ):
            return phantom


def trader_quote(liq, chain, amount_in, nonce=41):
    """The market maker's quote of QSPX for `amount_in` USDC, named for the trader."""
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    quote = make_quote(
        liq.maker.address,
        usdc.address,
        qspx.address,
        amount_in,
        UNIT / USDC_UNIT / 50,
        8,
        nonce,
        chain.pending_timestamp + 600,
        liq.trader.address,
    )
    return sign_quote(quote, liq.maker.private_key, chain.chain_id, liq.deployment.rfq_venue)


def test_sec_140__admin_revokes_an_adapter_its_venues_still_use__refused_until_they_move(
    liquidity, chain, deployer
):
    """SEC-140 (slither's controlled-delegatecall on `_swapHop`): the allow-list was read only
    when a venue was bound, so `setAdapter(adapter, false)` left its venues bound and anyone
    routing through them still had the revoked adapter DELEGATECALLed, with the aggregator's
    access to payers' allowances. Revoking an adapter a listed venue is bound to is now refused
    with `AdapterInUse(adapter, venue)`; once its venues are delisted or moved it is revoked, and
    no venue can be bound to it again."""
    liq, usdc, trader = liquidity, liquidity.tokens["USDC"], liquidity.trader
    agg, rfq_venue = liq.aggregator, liq.deployment.rfq_venue
    rfq_adapter = liq.deployment.adapters["rfq"]
    amount = 1_000 * USDC_UNIT
    route = one_hop(
        liq,
        chain,
        usdc,
        liq.tokens["QSPX"],
        amount,
        rfq_venue,
        trader_quote(liq, chain, amount).hop_data(),
    )
    with isolated(chain):
        revoked = attack(chain, agg.setAdapter, rfq_adapter, False, sender=deployer)
        if went_through(revoked):
            usdc.approve(agg, amount, sender=trader)
            ran = attack(chain, agg.swap, route, sender=trader)
            if went_through(ran):
                pytest.fail(
                    f"ADMIN revoked the RfqAdapter {rfq_adapter} (isAdapter "
                    f"{agg.isAdapter(rfq_adapter)}) and a route through RfqVenue still "
                    f"DELEGATECALLed it: {route_executed(ran)}"
                )
        assert revoked == ("AdapterInUse", {"adapter": rfq_adapter, "venue": rfq_venue})
        assert agg.isAdapter(rfq_adapter)
        # A native kind alike: its venues never DELEGATECALL it, yet it quotes them; the first
        # venue bound to it is named.
        v2_adapter = liq.deployment.adapters["uniswap_v2"]
        name, fields = attempt(chain, agg.setAdapter, v2_adapter, False, sender=deployer)
        assert (name, fields["adapter"]) == ("AdapterInUse", v2_adapter)
        assert agg.adapterOf(fields["venue"]) == v2_adapter
        # Its venue delisted, the adapter is revoked; binding a venue to it again is refused and
        # a route through the venue finds it unlisted.
        agg.setVenue(rfq_venue, ZERO_ADDRESS, sender=deployer)
        agg.setAdapter(rfq_adapter, False, sender=deployer)
        assert not agg.isAdapter(rfq_adapter)
        with ape.reverts(agg.AdapterNotAllowed, adapter=rfq_adapter):
            agg.setVenue(rfq_venue, rfq_adapter, sender=deployer)
        usdc.approve(agg, amount, sender=trader)
        with ape.reverts(agg.VenueNotListed, venue=rfq_venue):
            agg.swap(route, sender=trader)


def test_sec_141__route_names_a_token_the_venue_does_not_trade__refused_nothing_recorded(
    liquidity, chain, project, deployer
):
    """SEC-141 (an attacker's read of the console, SEC-105): with 1 USDC a caller routed through a
    real Uniswap pair naming as `tokenOut` a token of its own whose `balanceOf` rises and whose
    `symbol()` reverts (contracts/test/PhantomToken.sol): the pair sent its QSPX to the recipient,
    the aggregator measured the phantom's "gain", and `RouteExecuted` recorded a trade of USDC for
    the phantom. The same through a V3 pool, and with the phantom as `tokenIn` (the pair's USDC
    donated to it directly). A Uniswap hop's tokens are now checked against the pool's own (their
    key, read when the pool was listed): `VenueDoesNotTrade(venue, tokenIn, tokenOut)` before
    anything is paid. A NAV desk (its markets) and an RFQ quote (its pair) refused the phantom
    already."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg = liq.aggregator
    out_phantom = phantom_beside(deployer, project, usdc, qspx)  # in QSPX's place beside USDC
    in_phantom = phantom_beside(deployer, project, qspx, usdc)  # in USDC's place beside QSPX
    attacks = [
        (V2A, one_hop(liq, chain, usdc, out_phantom, USDC_UNIT, liq.venue(V2A)), usdc, out_phantom),
        (
            V3_05,
            one_hop(liq, chain, usdc, out_phantom, USDC_UNIT, liq.venue(V3_05)),
            usdc,
            out_phantom,
        ),
        (V2B, one_hop(liq, chain, in_phantom, qspx, USDC_UNIT, liq.venue(V2B)), in_phantom, qspx),
    ]
    recorded = []  # every attack that went through, for the failure message
    for name, route, token_in, token_out in attacks:
        venue = liq.venue(name)
        with isolated(chain):
            usdc.approve(agg, USDC_UNIT, sender=trader)
            if token_in is in_phantom:
                usdc.transfer(venue, USDC_UNIT, sender=trader)  # the real input, donated
            usdc_before, qspx_before = usdc.balanceOf(trader), qspx.balanceOf(trader)
            outcome = attack(chain, agg.swap, route, sender=trader)
            if went_through(outcome):
                recorded.append(
                    f"{name} swapped USDC for {qspx.balanceOf(trader) - qspx_before} QSPX base "
                    f"units and the aggregator recorded {route_executed(outcome)}"
                )
                continue
            assert outcome == (
                "VenueDoesNotTrade",
                {"venue": venue, "tokenIn": token_in.address, "tokenOut": token_out.address},
            )
            assert (usdc.balanceOf(trader), qspx.balanceOf(trader)) == (usdc_before, qspx_before)
    if recorded:
        pytest.fail(
            f"phantoms {out_phantom.address} (out), {in_phantom.address} (in): "
            + "; ".join(recorded)
        )
    # Held before: the NAV desk trades its listed markets only, the RFQ adapter the quote's pair.
    nav = project.NavVenue.at(liq.deployment.nav_venue)
    with isolated(chain):
        usdc.approve(agg, USDC_UNIT, sender=trader)
        route = one_hop(liq, chain, usdc, out_phantom, USDC_UNIT, nav.address)
        assert_reverts(
            chain,
            agg.swap,
            route,
            sender=trader,
            error=(nav, "MarketNotListed"),
            token=out_phantom.address,
        )
        signed = trader_quote(liq, chain, USDC_UNIT)
        rfq_route = one_hop(
            liq, chain, usdc, out_phantom, USDC_UNIT, liq.deployment.rfq_venue, signed.hop_data()
        )
        mismatch = keccak(text="QuotePairMismatch(address,address,address,address)")[:4] + encode(
            ["address"] * 4, [usdc.address, qspx.address, usdc.address, out_phantom.address]
        )
        assert_reverts(
            chain,
            agg.swap,
            rfq_route,
            sender=trader,
            error=(agg, "AdapterFailed"),
            venue=liq.deployment.rfq_venue,
            reason=mismatch,
        )


def test_sec_142__large_order_half_named_for_a_phantom_output__threshold_still_applies(
    liquidity, chain, project, deployer
):
    """SEC-142 (found in this pass: SEC-141's hole under SEC-54's bound): an order is a caller's
    routes of one pair in one transaction, keyed by the route's `tokenOut`. Naming a phantom as
    the output of half of a $400,000 USDC order (the pair sent QSPX all the same) made that half
    an order of its own below the $250,000 threshold, so the whole order executed in one
    `multicall` with neither a commitment nor an oracle bound. A route's `tokenOut` is now what
    its last hops' venues trade, so the phantom half is refused and the order stays one order."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, half = liq.aggregator, 200_000 * USDC_UNIT
    phantom = phantom_beside(deployer, project, usdc, qspx)
    calls = [
        agg.swap.encode_input(one_hop(liq, chain, usdc, qspx, half, liq.venue(V2A))),
        agg.swap.encode_input(one_hop(liq, chain, usdc, phantom, half, liq.venue(V2B))),
    ]
    with isolated(chain):
        usdc.approve(agg, 2 * half, sender=trader)
        usdc_before, qspx_before = usdc.balanceOf(trader), qspx.balanceOf(trader)
        outcome = attack(chain, agg.multicall, calls, sender=trader)
        if went_through(outcome):
            pytest.fail(
                f"{(usdc_before - usdc.balanceOf(trader)) / USDC_UNIT:,.0f} USDC sold for "
                f"{(qspx.balanceOf(trader) - qspx_before) / UNIT:,.2f} QSPX in one multicall, "
                "threshold $250,000, without a commitment or an oracle bound"
            )
        # Since SEC-172 the order is what the caller sells of USDC for the token each hop buys,
        # whatever output a route names: the phantom hop names a pair the pool does not trade, and
        # the pool's key refuses it (SEC-141) before the hop pays anything.
        assert outcome == (
            "VenueDoesNotTrade",
            {"venue": liq.venue(V2B), "tokenIn": usdc.address, "tokenOut": phantom.address},
        )
        assert (usdc.balanceOf(trader), qspx.balanceOf(trader)) == (usdc_before, qspx_before)
        # The phantom half alone (below the threshold) is refused by the pair's key (SEC-141).
        assert attempt(chain, agg.multicall, calls[1:], sender=trader) == (
            "VenueDoesNotTrade",
            {"venue": liq.venue(V2B), "tokenIn": usdc.address, "tokenOut": phantom.address},
        )
        # Named honestly, the second half is the same order: the threshold applies to the sum.
        honest = agg.swap.encode_input(one_hop(liq, chain, usdc, qspx, half, liq.venue(V2B)))
        with ape.reverts(agg.CommitmentRequired, amountIn=2 * half):
            agg.multicall([calls[0], honest], sender=trader)


def test_sec_143__leg_through_the_routes_own_tokens__refused_output_is_the_last_hops(
    liquidity, chain, governor
):
    """SEC-143 (found in this pass): a leg could pass through the route's own tokens (USDC ->
    QSPX -> USDC -> QSPX). What a V3 hop of it left unsold (a pool out of range) went back to the
    payer as dust, so with the payer as its recipient the measured `amountOut` counted QSPX the
    route had bought and not sold on, above what its last hop delivered (LIQ-7), and the USDC the
    payer got back stayed in `amountIn`. A leg's intermediate tokens are now neither the route's
    `tokenIn` nor its `tokenOut`: `IntermediateIsRouteToken(leg, hop, token)`, found by the walk of
    the route before any interaction (quotes walk it too)."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, amount = liq.aggregator, 1_000_000 * USDC_UNIT
    legs = [
        (
            amount,
            [
                (liq.venue(V2A), qspx.address, b""),
                (liq.venue(V3_05), usdc.address, b""),  # more QSPX than its range buys
                (liq.venue(V2B), qspx.address, b""),
            ],
        )
    ]
    # The attacker's own bytes: a one-leg route's header, then the legs encoded alone, whatever
    # `encode_route` would check.
    header = encode_route(
        usdc,
        qspx,
        amount,
        0,
        trader.address,
        deadline(chain),
        0,
        [(amount, [(liq.venue(V2B), qspx.address, b"")])],
    )[:HEADER_BYTES]
    route = header + encode_legs(legs, qspx)
    with isolated(chain):
        agg.setTokenPolicy(usdc, (0,), sender=governor)  # no threshold: a direct swap may do it
        usdc.approve(agg, amount, sender=trader)
        outcome = attack(chain, agg.swap, route, sender=trader)
        if went_through(outcome):
            (done,) = [log for log in outcome.events if log.event_name == "RouteExecuted"]
            dust = [
                (log.token, log.amount)
                for log in outcome.events
                if log.event_name == "DustReturned"
            ]
            pytest.fail(
                f"the leg passed through the route's own tokens: {route_executed(outcome)}, its "
                f"last hop delivered {decode_fills(done.fills)[-1].amount_out}, dust returned to "
                f"the payer-recipient {dust}"
            )
        assert outcome == ("IntermediateIsRouteToken", {"leg": 0, "hop": 0, "token": qspx.address})
        with ape.reverts(agg.IntermediateIsRouteToken, leg=0, hop=0, token=qspx.address):
            agg.quoteRoute.call(route)
