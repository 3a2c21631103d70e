"""LiquidityAggregator on the real venues (docs/specs.md LIQ-1 to LIQ-9; LIQ-7: the fill logs
decoded in the swap tests)."""

import ape
from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from fast_reverts import assert_reverts
from isolation import isolated
from keepers.core.typed_data import permit_message, sign_typed
from keepers.liquidity.artifacts import container
from keepers.liquidity.codec import encode_route
from keepers.liquidity.fills import decode_fills
from keepers.liquidity.rfq import make_quote, sign_quote, typed_message

USDC_UNIT, UNIT = 10**6, 10**18
V2A, V2B = "UniswapV2Pair.A.QSPX-USDC", "UniswapV2Pair.B.QSPX-USDC"
V3_05, V3_30 = "UniswapV3Pool.QSPX-USDC.500", "UniswapV3Pool.QSPX-USDC.3000"
SIX = [V2A, V2B, V3_05, V3_30, "RfqVenue", "NavVenue"]
ZERO_ADDRESS = "0x" + "00" * 20


def deadline(chain):
    return chain.pending_timestamp + 3_600


def single(liq, chain, name, token_in, token_out, amount, min_out=1, bps=0, data=b""):
    return encode_route(
        token_in,
        token_out,
        amount,
        min_out,
        liq.trader.address,
        deadline(chain),
        bps,
        [(amount, [(liq.venue(name), token_out, data)])],
    )


def rfq_data(liq, chain, token_in, token_out, amount_in, price, nonce=1, taker=None, expiry=None):
    quote = make_quote(
        liq.maker.address,
        token_in.address,
        token_out.address,
        amount_in,
        price,
        8,
        nonce,
        expiry or chain.pending_timestamp + 600,
        taker or "0x" + "00" * 20,
    )
    return sign_quote(quote, liq.maker.private_key, chain.chain_id, liq.deployment.rfq_venue)


def balances_of_aggregator(liq):
    return {s: int(t.balanceOf(liq.aggregator)) for s, t in liq.tokens.items()}


def test_quote__six_sources_quote_qspx_usdc(liquidity, chain):
    liq, usdc, qspx = liquidity, liquidity.tokens["USDC"], liquidity.tokens["QSPX"]
    signed = rfq_data(liq, chain, usdc, qspx, 100_000 * USDC_UNIT, UNIT / USDC_UNIT / 50)
    venues = [v.lower() for v in liq.aggregator.venues()]
    data = [b""] * len(venues)
    data[venues.index(liq.deployment.rfq_venue.lower())] = signed.hop_data()
    listed, outs = liq.aggregator.quote.call(usdc, qspx, [10_000 * USDC_UNIT], data)
    by_name = {name: int(outs[venues.index(liq.venue(name).lower())][0]) for name in SIX}
    # Every source gives about 200 QSPX for $10,000 at $50 (fees, spreads and impact below 2%).
    for name, out in by_name.items():
        assert 196 * UNIT < out < 200 * UNIT, (name, out)
    # Pairs a venue does not trade quote 0.
    assert int(outs[venues.index(liq.venue("UniswapV2Pair.A.QTB-USDC").lower())][0]) == 0


def test_swap__v2_single_source_matches_router02(liquidity, chain):
    """LIQ-1 on the real Uniswap V2: same state, same output as the venue's own router."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    amount = 25_000 * USDC_UNIT
    router02 = container("UniswapV2Router02").at(liq.deployment.router02)
    with isolated(chain):
        usdc.approve(router02, amount, sender=trader)
        before = qspx.balanceOf(trader)
        router02.swapExactTokensForTokens(
            amount, 0, [usdc, qspx], trader, deadline(chain), sender=trader
        )
        via_router02 = qspx.balanceOf(trader) - before
    with isolated(chain):
        usdc.approve(liq.aggregator, amount, sender=trader)
        before = qspx.balanceOf(trader)
        receipt = liq.aggregator.swap(single(liq, chain, V2A, usdc, qspx, amount), sender=trader)
        received = qspx.balanceOf(trader) - before
        assert received == via_router02 > 0
        assert usdc.allowance(trader, liq.aggregator) == 0  # LIQ-3: the exact approval is consumed
        assert all(v == 0 for v in balances_of_aggregator(liq).values())  # LIQ-2
        done = [log for log in receipt.events if log.event_name == "RouteExecuted"]
        assert len(done) == 1 and done[0].amountIn == amount and done[0].amountOut == received
        (fill,) = decode_fills(done[0].fills)
        assert (fill[0].lower(), fill[1].lower(), fill[2], fill[3]) == (
            liq.venue(V2A).lower(),
            qspx.address.lower(),
            amount,
            received,
        )


def test_swap__v3_single_source_matches_swap_router(liquidity, chain):
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    amount = 500 * UNIT
    swap_router = container("SwapRouter").at(liq.deployment.swap_router)
    with isolated(chain):
        qspx.approve(swap_router, amount, sender=trader)
        before = usdc.balanceOf(trader)
        swap_router.exactInputSingle(
            (qspx, usdc, 500, trader, deadline(chain), amount, 0, 0), sender=trader
        )
        via_router = usdc.balanceOf(trader) - before
    with isolated(chain):
        qspx.approve(liq.aggregator, amount, sender=trader)
        before = usdc.balanceOf(trader)
        liq.aggregator.swap(single(liq, chain, V3_05, qspx, usdc, amount), sender=trader)
        assert usdc.balanceOf(trader) - before == via_router > 0
        assert all(v == 0 for v in balances_of_aggregator(liq).values())


def test_swap__split_over_six_sources_with_events(liquidity, chain):
    """A route over all six sources: per-source amounts in events sum to the measured output."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    share = 20_000 * USDC_UNIT
    signed = rfq_data(liq, chain, usdc, qspx, share, UNIT / USDC_UNIT / 50)
    legs = [
        (share, [(liq.venue(name), qspx.address, signed.hop_data() if name == "RfqVenue" else b"")])
        for name in SIX
    ]
    route = encode_route(usdc, qspx, share * 6, 1, trader.address, deadline(chain), 0, legs)
    with isolated(chain):
        predicted, _ = liq.aggregator.quoteRoute.call(route)
        usdc.approve(liq.aggregator, share * 6, sender=trader)
        before = qspx.balanceOf(trader)
        receipt = liq.aggregator.swap(route, sender=trader)
        received = qspx.balanceOf(trader) - before
        (done,) = [log for log in receipt.events if log.event_name == "RouteExecuted"]
        # (venue, tokenOut, amountIn, amountOut) per source, in order
        fills = decode_fills(done.fills)
        assert [f[0].lower() for f in fills] == [liq.venue(n).lower() for n in SIX]
        assert sum(f[3] for f in fills) == received == predicted == done.amountOut
        assert all(f[2] == share for f in fills)
        assert all(v == 0 for v in balances_of_aggregator(liq).values())
        assert usdc.allowance(trader, liq.aggregator) == 0
        assert liq.tokens["USDC"].allowance(liq.aggregator, liq.deployment.rfq_venue) == 0
        assert liq.tokens["USDC"].allowance(liq.aggregator, liq.deployment.nav_venue) == 0


def test_swap__multi_hop_through_an_intermediate_token(liquidity, chain):
    """USDC -> QCORP -> QSPX on two V2 pairs: the intermediate never stays in the aggregator."""
    liq, trader = liquidity, liquidity.trader
    usdc, qcorp, qspx = (liq.tokens[s] for s in ("USDC", "QCORP", "QSPX"))
    amount = 5_000 * USDC_UNIT
    route = encode_route(
        usdc,
        qspx,
        amount,
        1,
        trader.address,
        deadline(chain),
        0,
        [
            (
                amount,
                [
                    (liq.venue("UniswapV2Pair.A.QCORP-USDC"), qcorp.address, b""),
                    (liq.venue("UniswapV2Pair.A.QSPX-QCORP"), qspx.address, b""),
                ],
            )
        ],
    )
    with isolated(chain):
        predicted, hops = liq.aggregator.quoteRoute.call(route)
        usdc.approve(liq.aggregator, amount, sender=trader)
        before = qspx.balanceOf(trader)
        receipt = liq.aggregator.swap(route, sender=trader)
        assert qspx.balanceOf(trader) - before == predicted > 0
        assert len(hops[0]) == 2 and hops[0][1] == predicted
        (done,) = [log for log in receipt.events if log.event_name == "RouteExecuted"]
        first, second = decode_fills(done.fills)
        assert (first.venue.lower(), first.token_out, first.amount_in, first.amount_out) == (
            liq.venue("UniswapV2Pair.A.QCORP-USDC").lower(),
            qcorp.address,
            amount,
            hops[0][0],
        )
        assert (second.venue.lower(), second.token_out, second.amount_in, second.amount_out) == (
            liq.venue("UniswapV2Pair.A.QSPX-QCORP").lower(),
            qspx.address,
            hops[0][0],
            predicted,
        )
        assert all(v == 0 for v in balances_of_aggregator(liq).values())


def test_swap__bad_routes_revert_with_context(liquidity, chain, accounts):
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, amount = liq.aggregator, 1_000 * USDC_UNIT
    usdc.approve(agg, amount, sender=trader)
    quoted = agg.quoteRoute.call(single(liq, chain, V2A, usdc, qspx, amount))[0]
    with ape.reverts(agg.InsufficientOutput, amountOut=quoted, minAmountOut=quoted + 1):
        agg.swap(single(liq, chain, V2A, usdc, qspx, amount, min_out=quoted + 1), sender=trader)
    expired = encode_route(
        usdc,
        qspx,
        amount,
        1,
        trader.address,
        chain.pending_timestamp - 1,
        0,
        [(amount, [(liq.venue(V2A), qspx.address, b"")])],
    )
    with ape.reverts(agg.RouteExpired):
        agg.swap(expired, sender=trader)
    stray = encode_route(
        usdc,
        qspx,
        amount,
        1,
        trader.address,
        deadline(chain),
        0,
        [(amount, [(accounts[19].address, qspx.address, b"")])],
    )
    with ape.reverts(agg.VenueNotListed, venue=accounts[19].address):
        agg.swap(stray, sender=trader)
    with ape.reverts(agg.SlippageAboveCap, maxSlippageBps=301, cap=300):
        agg.swap(single(liq, chain, V2A, usdc, qspx, amount, bps=301), sender=trader)
    hop = (liq.venue(V2A), qspx.address, b"")
    good = encode_route(
        usdc, qspx, amount, 1, trader.address, deadline(chain), 0, [(amount, [hop])]
    )
    malformed = [
        # data length cut
        (good[:-1], agg.MalformedRoute, {"at": len(good) - 22, "length": len(good) - 1}),
        # a byte left over
        (good + b"\x00", agg.MalformedRoute, {"at": len(good), "length": len(good) + 1}),
        (good[:83], agg.MalformedRoute, {"at": 0, "length": 83}),  # no whole header
        (
            encode_route(usdc, qspx, 0, 1, trader.address, deadline(chain), 0, [(0, [hop])]),
            agg.ZeroLegAmount,
            {"leg": 0},
        ),
        (
            encode_route(
                usdc,
                usdc,
                amount,
                1,
                trader.address,
                deadline(chain),
                0,
                [(amount, [(liq.venue(V2A), usdc.address, b"")])],
            ),
            agg.SameToken,
            {"token": usdc.address},
        ),
        (
            encode_route(usdc, qspx, amount, 1, agg.address, deadline(chain), 0, [(amount, [hop])]),
            agg.InvalidRecipient,
            {"recipient": agg.address},
        ),
        (encode_route(usdc, qspx, 0, 1, trader.address, deadline(chain), 0, []), agg.NoLegs, {}),
        (
            encode_route(
                usdc,
                qspx,
                amount,
                1,
                trader.address,
                deadline(chain),
                0,
                [(amount, [hop]), (0, [hop])],
            ),
            agg.ZeroLegAmount,
            {"leg": 1},
        ),
        (
            encode_route(usdc, qspx, amount, 1, trader.address, deadline(chain), 0, [(amount, [])]),
            agg.EmptyLeg,
            {"leg": 0},
        ),
    ]
    for route, error, fields in malformed:
        with ape.reverts(error, **fields):
            agg.swap(route, sender=trader)
    # quotes walk it too
    with ape.reverts(agg.MalformedRoute, at=len(good) - 22, length=len(good) - 1):
        agg.quoteRoute.call(good[:-1])


def test_callback__only_from_the_pool_being_called(liquidity, project, deployer, chain):
    """LIQ-4: a V3 callback from anyone but the pool in the current call is refused; a listed venue
    that re-enters the aggregator reverts the whole route."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    with ape.reverts(liq.aggregator.UnexpectedCallback, caller=trader.address):
        liq.aggregator.uniswapV3SwapCallback(10**18, 0, b"", sender=trader)
    hostile = deployer.deploy(project.HostileVenue, liq.aggregator, usdc, qspx)
    with isolated(chain):
        liq.aggregator.setVenue(hostile, liq.deployment.adapters["uniswap_v2"], sender=deployer)
        amount = 1_000 * USDC_UNIT
        route = encode_route(
            usdc,
            qspx,
            amount,
            1,
            trader.address,
            deadline(chain),
            0,
            [(amount, [(hostile.address, qspx.address, b"")])],
        )
        # A Uniswap V2 venue is swapped by the aggregator's built-in code: the refusal comes up as
        # is.
        refusals = {
            False: (liq.aggregator.ReentrancyGuardReentrantCall, {}),
            True: (liq.aggregator.UnexpectedCallback, {"caller": hostile.address}),
        }
        for via_callback, (error, fields) in refusals.items():
            hostile.arm(route, via_callback, sender=deployer)
            usdc.approve(liq.aggregator, amount, sender=trader)
            before = usdc.balanceOf(trader)
            with ape.reverts(error, **fields):
                liq.aggregator.swap(route, sender=trader)
            assert usdc.balanceOf(trader) == before


def test_v3_callback__pool_asks_twice_above_its_input_or_through_an_accomplice__refused(
    liquidity, project, deployer, chain
):
    """LIQ-4: a listed V3 pool is paid by the callback once, at most the hop's input, and only
    the pool being called: a pool that asks a second time (after its first payment arrived in
    full), asks one unit more than the hop's input, or has an accomplice ask, reverts the route
    with `UnexpectedCallback(caller)`; the payer keeps its funds and the aggregator holds
    nothing."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    pool = deployer.deploy(project.HostileV3Pool, liq.aggregator, usdc, qspx)
    accomplice = deployer.deploy(project.HostileV3Pool, liq.aggregator, usdc, qspx)
    amount = 1_000 * USDC_UNIT
    with isolated(chain):
        liq.aggregator.setVenue(pool, liq.deployment.adapters["uniswap_v3"], sender=deployer)
        route = encode_route(
            usdc,
            qspx,
            amount,
            1,
            trader.address,
            deadline(chain),
            0,
            [(amount, [(pool.address, qspx.address, b"")])],
        )
        twice, above_input, through_accomplice = 0, 1, 2
        # The second payment is asked by the pool itself (through `claim`, so the callback's caller
        # is the pool): the pool reports its refusal after checking the first arrived in full.
        unexpected_from_pool = keccak(text="UnexpectedCallback(address)")[:4] + encode(
            ["address"], [pool.address]
        )
        refusals = {
            twice: ((pool, "SecondPaymentRefused"), {"reason": unexpected_from_pool}),
            above_input: ((liq.aggregator, "UnexpectedCallback"), {"caller": pool.address}),
            through_accomplice: (
                (liq.aggregator, "UnexpectedCallback"),
                {"caller": accomplice.address},
            ),
        }
        for mode, (error, fields) in refusals.items():
            pool.arm(mode, accomplice, usdc, sender=deployer)
            # more than the hop: not the bound
            usdc.approve(liq.aggregator, 10 * amount, sender=trader)
            before = usdc.balanceOf(trader)
            # The error and every field, decoded from the revert data (ape.reverts skips bytes
            # fields).
            assert_reverts(chain, liq.aggregator.swap, route, sender=trader, error=error, **fields)
            with ape.reverts():
                liq.aggregator.swap(route, sender=trader)
            assert usdc.balanceOf(trader) == before
            assert usdc.balanceOf(pool) == usdc.balanceOf(accomplice) == 0
            assert balances_of_aggregator(liq) == {s: 0 for s in liq.tokens}
            usdc.approve(liq.aggregator, 0, sender=trader)


def test_commit_reveal__large_orders_only_by_reveal(liquidity, chain, project, deployer, accounts):
    """LIQ-5: a large order needs a commitment; reveal only by its sender, not in the commit's
    block, not after the window, once."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    # threshold: $250,000; the NAV desk fills it at NAV
    agg, amount = liq.aggregator, 260_000 * USDC_UNIT
    route = single(liq, chain, "NavVenue", usdc, qspx, amount, bps=300)
    salt = b"\x01" * 32
    with isolated(chain):
        usdc.approve(agg, amount, sender=trader)
        with ape.reverts(
            agg.CommitmentRequired,
            token=usdc.address,
            amountIn=amount,
            threshold=250_000 * USDC_UNIT,
        ):
            agg.swap(route, sender=trader)
        unbounded = single(liq, chain, "NavVenue", usdc, qspx, amount, bps=0)
        agg.commit(agg.commitmentOf(trader, unbounded, salt), sender=trader)
        chain.mine(1)
        with ape.reverts(agg.OracleBoundRequired):
            agg.revealSwap(unbounded, salt, sender=trader)
        commitment = agg.commitmentOf(trader, route, salt)
        agg.commit(commitment, sender=trader)
        with ape.reverts(agg.CommitmentExists, commitment=commitment):
            agg.commit(commitment, sender=accounts[19])
        chain.mine(1)
        with ape.reverts(agg.CommitmentNotFound):
            agg.revealSwap(route, salt, sender=accounts[19])  # another sender: another commitment
        receipt = agg.revealSwap(route, salt, sender=trader)
        assert [
            e.event_name for e in receipt.events if e.event_name in ("Revealed", "RouteExecuted")
        ] == ["Revealed", "RouteExecuted"]
        with ape.reverts(agg.CommitmentUsed, commitment=commitment):
            agg.revealSwap(route, salt, sender=trader)
    with isolated(chain):
        usdc.approve(agg, amount, sender=trader)
        commitment = agg.commitmentOf(trader, route, salt)
        receipt = agg.commit(commitment, sender=trader)
        chain.mine(agg.revealWindow())  # the window's last block is committedAt + window
        with ape.reverts(
            agg.CommitmentExpired, commitment=commitment, committedAt=receipt.block_number
        ):
            agg.revealSwap(route, salt, sender=trader)
    revealer = deployer.deploy(project.SameBlockRevealer)
    small = single(liq, chain, V2A, usdc, qspx, 10 * USDC_UNIT)
    with ape.reverts(agg.RevealTooEarly):
        revealer.commitAndReveal(agg, small, salt, sender=trader)


def test_oracle_bound__refuses_output_below_oracle_value(liquidity, chain, reporter):
    """LIQ-6: a pool 10% off the oracle price cannot fill a route with a 3% oracle bound."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, amount = liq.aggregator, 10_000 * USDC_UNIT
    with isolated(chain):
        usdc.approve(agg, amount, sender=trader)
        # at the oracle price: passes
        agg.swap(single(liq, chain, V2A, usdc, qspx, amount, bps=100), sender=trader)
    with isolated(chain):
        # oracle now says $45: the pool's 200 QSPX < 216
        liq.feeds["QSPX"].report(45 * 10**8, sender=reporter)
        usdc.approve(agg, amount, sender=trader)
        with ape.reverts(agg.OracleBoundBreached):
            agg.swap(single(liq, chain, V2A, usdc, qspx, amount, bps=300), sender=trader)
        # no bound asked: minOut only
        agg.swap(single(liq, chain, V2A, usdc, qspx, amount, bps=0), sender=trader)
    with isolated(chain):
        chain.pending_timestamp += 2 * 86_400  # feeds stale (heartbeat one day)
        chain.mine(1)
        usdc.approve(agg, amount, sender=trader)
        with ape.reverts(agg.OraclePriceUnavailable):
            agg.swap(single(liq, chain, V2A, usdc, qspx, amount, bps=100), sender=trader)


def test_pause__guardian_stops_every_venue_or_one(liquidity, chain, guardian, governor):
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg = liq.aggregator
    with isolated(chain):
        agg.pause(sender=guardian)
        assert agg.paused() and all(agg.isVenuePaused(v) for v in agg.venues())
        usdc.approve(agg, USDC_UNIT, sender=trader)
        for name in (V2A, V3_05):
            with ape.reverts(agg.VenuePaused, venue=liq.venue(name)):
                agg.swap(single(liq, chain, name, usdc, qspx, USDC_UNIT), sender=trader)
        agg.unpause(sender=governor)
        agg.swap(single(liq, chain, V2A, usdc, qspx, USDC_UNIT), sender=trader)
    with isolated(chain):
        agg.pauseVenue(liq.venue(V2B), sender=guardian)
        usdc.approve(agg, 2 * USDC_UNIT, sender=trader)
        with ape.reverts(agg.VenuePaused, venue=liq.venue(V2B)):
            agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)
        # the others still trade
        agg.swap(single(liq, chain, V2A, usdc, qspx, USDC_UNIT), sender=trader)
    with ape.reverts(agg.AccessManagedUnauthorized):
        agg.pause(sender=trader)


def test_pause__guardian_cannot_resume_and_lifting_the_global_pause_keeps_a_venues_own(
    liquidity, chain, guardian, governor
):
    """SEC-12 (attacker's read L1): the guardian halts and never resumes (Roles), yet
    `setPaused(false)` / `setVenuePaused(v, false)` were the guardian's; and lifting the global
    pause cleared every venue's own pause, so a venue paused for an incident traded again with the
    rest."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, incident = liq.aggregator, liq.venue(V2B)
    with isolated(chain):
        agg.pauseVenue(incident, sender=guardian)
        agg.pause(sender=guardian)
        for resume in (
            lambda: agg.unpause(sender=guardian),
            lambda: agg.unpauseVenue(incident, sender=guardian),
        ):
            with ape.reverts(agg.AccessManagedUnauthorized):
                resume()
        agg.unpause(sender=governor)
        assert not agg.paused() and agg.isVenuePaused(incident)
        usdc.approve(agg, USDC_UNIT, sender=trader)
        with ape.reverts(agg.VenuePaused, venue=incident):
            agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)
        agg.unpauseVenue(incident, sender=governor)
        agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)


def test_set_venue__uniswap_kind_without_code__refused_at_listing(
    liquidity, chain, deployer, accounts
):
    """A Uniswap venue is listed with the two tokens it answers (SEC-141): an account that answers
    nothing (no code, listed by mistake) is refused with its address when ADMIN lists it, rather
    than listed and failing every route. A route through it finds it unlisted."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, empty = liq.aggregator, accounts[17].address
    route = encode_route(
        usdc,
        qspx,
        USDC_UNIT,
        1,
        trader.address,
        deadline(chain),
        0,
        [(USDC_UNIT, [(empty, qspx.address, b"")])],
    )
    with isolated(chain):
        for kind in ("uniswap_v2", "uniswap_v3"):
            with ape.reverts(agg.VenueTokensUnreadable, venue=empty):
                agg.setVenue(empty, liq.deployment.adapters[kind], sender=deployer)
        usdc.approve(agg, USDC_UNIT, sender=trader)
        with ape.reverts(agg.VenueNotListed, venue=empty):
            agg.swap(route, sender=trader)


def test_adapter_swap__called_directly__reverts_delegate_call_only(
    liquidity, chain, project, accounts
):
    """LIQ-18: an adapter's `swap` acts for the aggregator's caller only inside the aggregator's
    DELEGATECALL. Called directly, it would spend whatever was approved to the adapter (here a
    mistaken approval by the trader) and hand it to anyone: every adapter refuses."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    attacker = accounts[17]
    types = {
        "uniswap_v2": project.UniswapV2Adapter,
        "uniswap_v3": project.UniswapV3Adapter,
        "rfq": project.RfqAdapter,
        "nav": project.NavVenueAdapter,
    }
    assert set(liq.deployment.adapters) == set(types)
    with isolated(chain):
        for kind, address in liq.deployment.adapters.items():
            adapter = types[kind].at(address)
            usdc.approve(adapter, USDC_UNIT, sender=trader)
            before = usdc.balanceOf(trader)
            with ape.reverts(adapter.DelegateCallOnly, adapter=address):
                adapter.swap(
                    liq.venue(V2A), usdc, qspx, USDC_UNIT, trader, attacker, b"", sender=attacker
                )
            assert usdc.balanceOf(trader) == before, kind
    # Through the aggregator the same adapters still trade (its DELEGATECALL passes the guard).
    with isolated(chain):
        usdc.approve(liq.aggregator, USDC_UNIT, sender=trader)
        before = qspx.balanceOf(trader)
        liq.aggregator.swap(single(liq, chain, "NavVenue", usdc, qspx, USDC_UNIT), sender=trader)
        assert qspx.balanceOf(trader) > before


def trader_permit(liq, chain, amount) -> tuple:
    """The trader's ERC-2612 permit of `amount` USDC for the aggregator:
    (value, deadline, v, r, s)."""
    usdc, trader = liq.tokens["USDC"], liq.trader
    expiry = chain.pending_timestamp + 600
    message = permit_message(
        usdc.name(),
        chain.chain_id,
        usdc.address,
        trader.address,
        liq.aggregator.address,
        amount,
        usdc.nonces(trader),
        expiry,
    )
    signed = sign_typed(message, trader.private_key)
    return amount, expiry, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def test_swap_with_permit__no_standing_allowance(liquidity, chain):
    """LIQ-3: a wallet signs an ERC-2612 permit for exactly the order and sends it with the swap in
    one multicall; nothing remains approved."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    amount = 2_000 * USDC_UNIT
    permit = trader_permit(liq, chain, amount)
    with isolated(chain):
        agg = liq.aggregator
        assert usdc.allowance(trader, agg) == 0
        before = qspx.balanceOf(trader)
        agg.multicall(
            [
                agg.selfPermit.encode_input(usdc, *permit),
                agg.swap.encode_input(single(liq, chain, V2A, usdc, qspx, amount)),
            ],
            sender=trader,
        )
        assert qspx.balanceOf(trader) > before
        assert usdc.allowance(trader, agg) == 0
        # The same permit again (its nonce is spent) and no allowance in place: refused with
        # context.
        with ape.reverts(agg.PermitFailed, token=usdc.address, allowance=0, value=amount):
            agg.selfPermit(usdc, *permit, sender=trader)


def test_swap_with_permit__front_run_permit_tolerated(liquidity, chain, accounts):
    """LIQ-3: a permit a front-runner submitted first still lets the wallet's multicall swap."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    amount = 1_000 * USDC_UNIT
    permit = trader_permit(liq, chain, amount)
    with isolated(chain):
        agg = liq.aggregator
        usdc.permit(trader, agg, *permit, sender=accounts[0])  # the front-runner
        before = qspx.balanceOf(trader)
        agg.multicall(
            [
                agg.selfPermit.encode_input(usdc, *permit),
                agg.swap.encode_input(single(liq, chain, V2A, usdc, qspx, amount)),
            ],
            sender=trader,
        )
        assert qspx.balanceOf(trader) > before
        assert usdc.allowance(trader, agg) == 0


def test_rfq_quote_typed_data_matches_the_venue(liquidity, chain, project):
    liq = liquidity
    signed = rfq_data(
        liq, chain, liq.tokens["USDC"], liq.tokens["QSPX"], 10 * USDC_UNIT, 0.02 * 10**12
    )
    venue = project.RfqVenue.at(liq.deployment.rfq_venue)
    digest = encode_typed_data(
        full_message=typed_message(signed.quote, chain.chain_id, venue.address)
    )
    from eth_utils import keccak

    expected = keccak(b"\x19\x01" + digest.header + digest.body)
    assert bytes(venue.hashQuote(signed.quote.as_tuple())) == expected


def test_sec_56__admin_sets_a_paused_venue_again__guardians_pause_holds(
    liquidity, chain, guardian, governor, deployer
):
    """SEC-56 (red team L7, against SEC-12): ADMIN's `setVenue` rewrote the venue's word with the
    global pause bit only, so listing a guardian-paused venue again (same adapter, or delisted and
    listed back) lifted the guardian's pause without GOVERNOR's `unpauseVenue`."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, incident = liq.aggregator, liq.venue(V2B)
    adapter = agg.adapterOf(incident)
    with isolated(chain):
        agg.pauseVenue(incident, sender=guardian)
        agg.setVenue(incident, adapter, sender=deployer)  # the same adapter, set again
        assert agg.isVenuePaused(incident)
        usdc.approve(agg, USDC_UNIT, sender=trader)
        with ape.reverts(agg.VenuePaused, venue=incident):
            agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)
        agg.setVenue(incident, ZERO_ADDRESS, sender=deployer)  # delisted, then listed back
        agg.setVenue(incident, adapter, sender=deployer)
        assert agg.isVenuePaused(incident)
        with ape.reverts(agg.VenuePaused, venue=incident):
            agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)
        agg.unpauseVenue(incident, sender=governor)  # only governance resumes it
        agg.swap(single(liq, chain, V2B, usdc, qspx, USDC_UNIT), sender=trader)


def test_sec_54__two_routes_in_one_multicall__threshold_applies_to_their_sum(liquidity, chain):
    """SEC-54 (red team L5): the large-order threshold was checked per route, so a $400,000 order
    sent as two $200,000 routes in one `multicall` executed with neither a commitment nor an oracle
    bound. The threshold now applies to what the caller sells of the token for the same output
    token within the transaction (every route of it, revealed ones included)."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, half = liq.aggregator, 200_000 * USDC_UNIT
    first = single(liq, chain, V2A, usdc, qspx, half)
    second = single(liq, chain, V2B, usdc, qspx, half)
    calls = [agg.swap.encode_input(first), agg.swap.encode_input(second)]
    with isolated(chain):
        usdc.approve(agg, 2 * half, sender=trader)
        with ape.reverts(
            agg.CommitmentRequired,
            token=usdc.address,
            amountIn=2 * half,
            threshold=250_000 * USDC_UNIT,
        ):
            agg.multicall(calls, sender=trader)
        # Each alone, in its own transaction, is an order below the threshold.
        agg.swap(first, sender=trader)
        agg.swap(second, sender=trader)
    with isolated(chain):
        # A committed large order does not carry an uncommitted one in the same transaction.
        large = single(liq, chain, "NavVenue", usdc, qspx, 260_000 * USDC_UNIT, bps=300)
        salt = b"\x02" * 32
        agg.commit(agg.commitmentOf(trader, large, salt), sender=trader)
        chain.mine(1)
        usdc.approve(agg, 260_000 * USDC_UNIT + half, sender=trader)
        with ape.reverts(agg.CommitmentRequired, amountIn=260_000 * USDC_UNIT + half):
            agg.multicall([agg.revealSwap.encode_input(large, salt), calls[0]], sender=trader)
