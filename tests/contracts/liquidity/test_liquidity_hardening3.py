"""Liquidity hardening, third pass (docs/specs.md SEC-144 to SEC-148): an outside attacker's read of
the liquidity domain (the threshold laundered through a self-quoted RFQ hop, the stale-NAV round
trip at the desk, the guardian's missing halt, donation griefing, quotes through paused venues).
Each test runs the attack on the venues the deploy routine builds (the `liquidity` fixture) and
fails, naming what went through, where the attack succeeds; then checks the refusal or the bound.
"""

from functools import partial

import ape
import pytest

from isolation import isolated
from keepers.liquidity.codec import encode_route
from keepers.liquidity.rfq import RfqQuote, sign_quote

USDC_UNIT, UNIT = 10**6, 10**18
BPS = 10_000
V2A, V2B = "UniswapV2Pair.A.QSPX-USDC", "UniswapV2Pair.B.QSPX-USDC"


def deadline(chain):
    return chain.pending_timestamp + 3_600


def signed_quote(chain, rfq, maker, taker, token_in, token_out, amount_in, amount_out, nonce):
    quote = RfqQuote(
        maker.address,
        taker.address,
        token_in.address,
        token_out.address,
        amount_in,
        amount_out,
        nonce,
        chain.pending_timestamp + 600,
    )
    return sign_quote(quote, maker.private_key, chain.chain_id, rfq)


def outcome_of(chain, method, *args, sender):
    """None when the call reverts (the attack is refused); else the receipt."""
    try:
        return method(*args, sender=sender)
    except ape.exceptions.ContractLogicError:
        return None


@pytest.fixture
def accomplice(liquidity_deployment, accounts, operator):
    """The attacker's second key: its own market maker, a verified investor."""
    d, _ = liquidity_deployment
    account = accounts[22]
    registry = d.at("IdentityRegistry")
    if not registry.isVerified(account):
        registry.registerInvestor(account, "0x" + "e2" * 20, 840, 4, 2**40 - 1, sender=operator)
    return account


def test_sec_144__policy_token_sold_at_an_rfq_intermediate_hop__threshold_applies(
    liquidity, chain, project, deployer, accomplice
):
    """SEC-144 (outside read #1): the large-order threshold was looked up for the route's header
    `tokenIn` and keyed (caller, tokenIn, tokenOut). A JNK -(RFQ, the attacker's own maker)-> USDC
    -> QSPX route sold $400,000 of USDC into a V2 pair in one `swap` (threshold $250,000) without a
    commitment or an oracle bound; a second route USDC -> QSPX -> JNK (RFQ last hop) made half of a
    `multicall` order its own order. Every hop now counts what it sells, per caller and token sold,
    whatever the venue kind: both are refused `CommitmentRequired`."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, rfq, pair = liq.aggregator, liq.deployment.rfq_venue, liq.venue(V2A)
    amount, half = 400_000 * USDC_UNIT, 200_000 * USDC_UNIT
    threshold = agg.tokenPolicy(usdc)[0]
    assert 0 < half < threshold < amount
    with isolated(chain):
        junk = deployer.deploy(project.DecimalsToken, "Junk", "JNK", 6)
        junk.mint(trader, amount, sender=trader)
        junk.mint(accomplice, 10**30, sender=accomplice)
        junk.approve(rfq, 10**30, sender=accomplice)
        usdc.transfer(accomplice, amount, sender=trader)  # the attacker's own USDC
        usdc.approve(rfq, amount, sender=accomplice)
        # A: one swap, USDC bought at the attacker's RFQ quote and sold at the pair.
        quote = signed_quote(chain, rfq, accomplice, trader, junk, usdc, amount, amount, 7)
        laundered = encode_route(
            junk,
            qspx,
            amount,
            0,
            trader.address,
            deadline(chain),
            0,
            [(amount, [(rfq, usdc.address, quote.hop_data()), (pair, qspx.address, b"")])],
        )
        junk.approve(agg, amount, sender=trader)
        pair_usdc = usdc.balanceOf(pair)
        if outcome_of(chain, agg.swap, laundered, sender=trader) is not None:
            pytest.fail(
                f"[A] {(usdc.balanceOf(pair) - pair_usdc) / USDC_UNIT:,.0f} USDC sold into {V2A} "
                f"in one swap, threshold {threshold / USDC_UNIT:,.0f} USDC, no commitment or "
                "oracle bound"
            )
        with ape.reverts(agg.CommitmentRequired, token=usdc.address, amountIn=amount):
            agg.swap(laundered, sender=trader)
        # B: a multicall, the second half named for JNK through an RFQ last hop.
        honest = encode_route(
            usdc,
            qspx,
            half,
            0,
            trader.address,
            deadline(chain),
            0,
            [(half, [(pair, qspx.address, b"")])],
        )
        big = 10**30
        quote = signed_quote(chain, rfq, accomplice, trader, qspx, junk, big, big, 8)
        split = encode_route(
            usdc,
            junk,
            half,
            0,
            trader.address,
            deadline(chain),
            0,
            [(half, [(liq.venue(V2B), qspx.address, b""), (rfq, junk.address, quote.hop_data())])],
        )
        usdc.approve(agg, 2 * half, sender=trader)
        calls = [agg.swap.encode_input(honest), agg.swap.encode_input(split)]
        usdc_before = usdc.balanceOf(trader)
        if outcome_of(chain, agg.multicall, calls, sender=trader) is not None:
            pytest.fail(
                f"[B] {(usdc_before - usdc.balanceOf(trader)) / USDC_UNIT:,.0f} USDC sold in one "
                "multicall without a commitment"
            )
        with ape.reverts(agg.CommitmentRequired, token=usdc.address, amountIn=2 * half):
            agg.multicall(calls, sender=trader)
        # Below the threshold the same two-hop shapes still execute.
        small = 1_000 * USDC_UNIT
        quote = signed_quote(chain, rfq, accomplice, trader, junk, usdc, small, small, 9)
        agg.swap(
            encode_route(
                junk,
                qspx,
                small,
                0,
                trader.address,
                deadline(chain),
                0,
                [(small, [(rfq, usdc.address, quote.hop_data()), (pair, qspx.address, b"")])],
            ),
            sender=trader,
        )


def _market_bound_bps(nav_venue, token) -> int:
    market = nav_venue.marketOf(token)
    # Before SEC-145 the market had no bound: the registry's default NAV move per strike (200 bps).
    return market.maxNavMoveBps if hasattr(market, "maxNavMoveBps") else 200


def _round_trip(nav_venue, trader, give, get, amount: int, between) -> int:
    """Swaps `amount` of `give` for `get` at the desk, runs `between` (a NAV report), swaps all it
    got back; returns the trader's change in `give` (its profit, negative when the fees won)."""
    before = give.balanceOf(trader)
    got_before = get.balanceOf(trader)
    give.approve(nav_venue, amount, sender=trader)
    nav_venue.swap(give, get, amount, 0, trader, sender=trader)
    got = get.balanceOf(trader) - got_before
    between()
    get.approve(nav_venue, got, sender=trader)
    nav_venue.swap(get, give, got, 0, trader, sender=trader)
    return give.balanceOf(trader) - before


def test_sec_145__nav_desk_round_trip_across_a_report_within_the_bound__no_profit(
    liquidity, nav_venue, chain, reporter, operator
):
    """SEC-145 (outside read #2): the desk deals at the last reported NAV, so buying before a
    report and redeeming after it (or redeeming before a fall and subscribing after) took the move
    less 40 bps of fees from the issuer's inventory: +$4,777 on $300,000 across a +2% report. A
    market now states the largest NAV move one report makes (`maxNavMoveBps`) and its round-trip
    fees must cover it: for any report within the bound the round trip makes no profit."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    bound = _market_bound_bps(nav_venue, qspx)
    feed = liq.feeds["QSPX"]
    price = feed.latestRoundData()[1]
    for move in (bound, bound // 2, -bound):
        with isolated(chain):
            report = partial(feed.report, price * (BPS + move) // BPS, sender=reporter)
            if move > 0:  # buy at the old NAV, redeem at the new one
                cash_in = int(nav_venue.remainingCapacity(qspx, True))
                profit = _round_trip(nav_venue, trader, usdc, qspx, cash_in, report)
                unit = f"{profit / USDC_UNIT:,.2f} USDC"
            else:  # redeem at the old NAV, subscribe back at the new one
                profit = _round_trip(nav_venue, trader, qspx, usdc, 2_000 * UNIT, report)
                unit = f"{profit / UNIT:,.4f} QSPX"
            if profit > 0:
                pytest.fail(
                    f"round trip across a {move:+} bps report (bound {bound} bps): profit {unit} "
                    "from the desk's inventory"
                )
    # Fees that do not cover the stated bound are refused at listing (each fee, since SEC-171).
    with ape.reverts(nav_venue.FeeBelowNavMove):
        nav_venue.setMarket(qspx, (20, 20, 300_000 * USDC_UNIT, True, 200), sender=operator)


def test_sec_146__guardian_pauses_the_desk_and_the_rfq_venue__dealing_halts_until_governor(
    liquidity, nav_venue, rfq_venue, chain, guardian, governor, trader
):
    """SEC-146 (outside read #3): GUARDIAN's only halt was the aggregator's pause bits; anyone
    still dealt with NavVenue and RfqVenue directly. Both now have a guardian pause that only
    GOVERNOR lifts (SEC-12's rule); the desk's pause halts `swap`, `swapWithCallback` and
    `swapBasket` alike (every fill prices through `_price`)."""
    usdc, qspx = liquidity.tokens["USDC"], liquidity.tokens["QSPX"]
    with isolated(chain):
        if not hasattr(nav_venue, "pause"):
            pytest.fail("NavVenue has no pause: the guardian cannot halt the desk")
        nav_venue.pause(sender=guardian)
        usdc.approve(nav_venue, 1_000 * USDC_UNIT, sender=trader)
        with ape.reverts(nav_venue.DeskPaused):
            nav_venue.swap(usdc, qspx, 1_000 * USDC_UNIT, 0, trader, sender=trader)
        assert nav_venue.quote(usdc, qspx, 1_000 * USDC_UNIT) == 0
        with ape.reverts(nav_venue.DeskPaused):  # the basket path prices through the same check
            nav_venue.swapBasket(
                [(qspx.address, True, 1_000 * USDC_UNIT, 0)], trader, sender=trader
            )
        with ape.reverts(nav_venue.AccessManagedUnauthorized):
            nav_venue.unpause(sender=guardian)
        nav_venue.unpause(sender=governor)
        nav_venue.swap(usdc, qspx, 1_000 * USDC_UNIT, 0, trader, sender=trader)
        if not hasattr(rfq_venue, "pause"):
            pytest.fail("RfqVenue has no pause: the guardian cannot halt it")
        rfq_venue.pause(sender=guardian)
        quote = signed_quote(
            chain,
            rfq_venue.address,
            liquidity.maker,
            trader,
            usdc,
            qspx,
            1_000 * USDC_UNIT,
            19 * UNIT,
            77,
        )
        usdc.approve(rfq_venue, 1_000 * USDC_UNIT, sender=trader)
        with ape.reverts(rfq_venue.RfqPaused):
            rfq_venue.fill(
                quote.quote.as_tuple(), quote.signature, 1_000 * USDC_UNIT, trader, sender=trader
            )
        with ape.reverts(rfq_venue.AccessManagedUnauthorized):
            rfq_venue.unpause(sender=guardian)
        rfq_venue.unpause(sender=governor)
        rfq_venue.fill(
            quote.quote.as_tuple(), quote.signature, 1_000 * USDC_UNIT, trader, sender=trader
        )


def test_sec_147__wei_donated_to_the_aggregator__next_hop_sells_what_the_last_delivered(
    liquidity, chain, project, deployer, accomplice
):
    """SEC-147 (outside read #4): an intermediate hop sold the aggregator's whole balance, so 1 wei
    of QSPX sent to it before a USDC -> QSPX -> JNK route pushed the RFQ hop, quoted for exactly the
    predicted QSPX, over its quote (`FillExceedsQuote`). A hop now sells what the previous hop
    delivered (the balance delta); the donation stays in the aggregator, neither sold nor
    returned (SEC-170)."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, rfq = liq.aggregator, liq.deployment.rfq_venue
    amount = 10_000 * USDC_UNIT
    with isolated(chain):
        junk = deployer.deploy(project.DecimalsToken, "Junk", "JNK", 18)
        junk.mint(accomplice, 10**30, sender=accomplice)
        junk.approve(rfq, 10**30, sender=accomplice)
        pair = liq.venue(V2A)
        probe = encode_route(
            usdc,
            junk,
            amount,
            0,
            trader.address,
            deadline(chain),
            0,
            [(amount, [(pair, qspx.address, b"")] + [(rfq, junk.address, b"")])],
        )
        hop_outputs = agg.quoteRoute.call(probe, sender=trader)[1]
        predicted = hop_outputs[0][0]
        quote = signed_quote(chain, rfq, accomplice, trader, qspx, junk, predicted, predicted, 11)
        route = encode_route(
            usdc,
            junk,
            amount,
            0,
            trader.address,
            deadline(chain),
            0,
            [(amount, [(pair, qspx.address, b""), (rfq, junk.address, quote.hop_data())])],
        )
        qspx.transfer(agg, 1, sender=trader)  # the griefer's donation
        usdc.approve(agg, amount, sender=trader)
        q0, j0 = qspx.balanceOf(trader), junk.balanceOf(trader)
        if outcome_of(chain, agg.swap, route, sender=trader) is None:
            pytest.fail("1 wei donated to the aggregator made the route revert (FillExceedsQuote)")
        assert junk.balanceOf(trader) - j0 == predicted
        assert qspx.balanceOf(trader) == q0  # no dust: the route's V2 hop sold all it got
        assert qspx.balanceOf(agg) == 1  # the donation, where it was sent (SEC-170)


def test_sec_148__quote_through_a_paused_venue__reports_nothing(
    liquidity, chain, guardian, governor
):
    """SEC-148 (outside read #7): `quote` and `quoteRoute` ignored venue pauses, so the router
    planned through a paused venue and the swap reverted `VenuePaused`. A paused venue (its own
    pause or the global one) now quotes 0, as a venue that cannot fill."""
    liq, usdc, qspx, trader = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    agg, pair = liq.aggregator, liq.venue(V2A)
    amount = 10_000 * USDC_UNIT
    route = encode_route(
        usdc,
        qspx,
        amount,
        0,
        trader.address,
        deadline(chain),
        0,
        [(amount, [(pair, qspx.address, b"")])],
    )
    assert agg.quoteRoute.call(route, sender=trader)[0] > 0
    with isolated(chain):
        agg.pauseVenue(pair, sender=guardian)
        quoted = agg.quoteRoute.call(route, sender=trader)[0]
        venues, outs = agg.quote.call(usdc, qspx, [amount], [], sender=trader)
        by_venue = dict(zip(venues, outs))
        if quoted or by_venue[pair][0]:
            pytest.fail(f"a paused venue quoted {quoted / UNIT:,.2f} QSPX")
        agg.unpauseVenue(pair, sender=governor)
        agg.pause(sender=guardian)
        assert agg.quoteRoute.call(route, sender=trader)[0] == 0
