"""The RFQ venue (signed firm quotes) and the issuer's NAV venue (docs/specs.md LIQ-10, LIQ-11)."""

import ape

from isolation import isolated
from keepers.liquidity.rfq import SignedQuote, make_quote, sign_quote
from words import DESK

USDC_UNIT, UNIT = 10**6, 10**18
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO = "0x" + "00" * 20


def quote_for(liq, chain, amount_in=10_000 * USDC_UNIT, nonce=1, taker=ZERO, expiry=None, key=None):
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    quote = make_quote(
        liq.maker.address,
        usdc.address,
        qspx.address,
        amount_in,
        UNIT / USDC_UNIT / 50,
        10,
        nonce,
        expiry or chain.pending_timestamp + 600,
        taker,
    )
    return sign_quote(quote, key or liq.maker.private_key, chain.chain_id, liq.deployment.rfq_venue)


def test_rfq__fill_moves_both_legs_once(liquidity, rfq_venue, chain):
    liq, usdc, qspx, trader, maker = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
        liquidity.maker,
    )
    signed = quote_for(liq, chain)
    half = signed.quote.amount_in // 2
    with isolated(chain):
        usdc.approve(rfq_venue, half, sender=trader)
        maker_usdc, trader_qspx = usdc.balanceOf(maker), qspx.balanceOf(trader)
        rfq_venue.fill(signed.quote.as_tuple(), signed.signature, half, trader, sender=trader)
        assert usdc.balanceOf(maker) - maker_usdc == half
        # pro rata, rounded down
        assert qspx.balanceOf(trader) - trader_qspx == signed.quote.fill_output(half)
        assert rfq_venue.isNonceUsed(maker, signed.quote.nonce)
        usdc.approve(rfq_venue, half, sender=trader)
        with ape.reverts(
            rfq_venue.QuoteNonceUsed, maker=maker.address, nonce=1
        ):  # a quote settles once
            rfq_venue.fill(signed.quote.as_tuple(), signed.signature, half, trader, sender=trader)


def test_rfq__expired_wrong_taker_oversize_bad_or_malleable_signature_refused(
    liquidity, rfq_venue, chain, accounts
):
    liq, usdc, trader = liquidity, liquidity.tokens["USDC"], liquidity.trader
    usdc.approve(rfq_venue, 10**30, sender=trader)
    expired = quote_for(liq, chain, expiry=chain.pending_timestamp - 1)
    with ape.reverts(rfq_venue.QuoteExpired):
        rfq_venue.fill(expired.quote.as_tuple(), expired.signature, 1_000, trader, sender=trader)
    other = quote_for(liq, chain, taker=accounts[19].address)
    with ape.reverts(
        rfq_venue.QuoteTakerMismatch, taker=accounts[19].address, caller=trader.address
    ):
        rfq_venue.fill(other.quote.as_tuple(), other.signature, 1_000, trader, sender=trader)
    signed = quote_for(liq, chain)
    with ape.reverts(
        rfq_venue.FillExceedsQuote,
        amountIn=signed.quote.amount_in + 1,
        quotedAmountIn=signed.quote.amount_in,
    ):
        rfq_venue.fill(
            signed.quote.as_tuple(),
            signed.signature,
            signed.quote.amount_in + 1,
            trader,
            sender=trader,
        )
    # signed by someone else for the maker
    forged = quote_for(liq, chain, key=accounts[19].private_key)
    with ape.reverts(rfq_venue.InvalidQuoteSignature, maker=liq.maker.address):
        rfq_venue.fill(forged.quote.as_tuple(), forged.signature, 1_000, trader, sender=trader)
    # The same signature with s' = n - s and the other v recovers the same key: must be refused.
    r, s, v = (
        signed.signature[:32],
        int.from_bytes(signed.signature[32:64], "big"),
        signed.signature[64],
    )
    malleable = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    with ape.reverts(rfq_venue.InvalidQuoteSignature):
        rfq_venue.fill(signed.quote.as_tuple(), malleable, 1_000, trader, sender=trader)
    tampered = SignedQuote(
        signed.quote.__class__(
            **{**signed.quote.__dict__, "amount_out": signed.quote.amount_out * 2}
        ),
        signed.signature,
    )
    with ape.reverts(rfq_venue.InvalidQuoteSignature):
        rfq_venue.fill(tampered.quote.as_tuple(), tampered.signature, 1_000, trader, sender=trader)


def test_rfq__maker_cancels_a_quote(liquidity, rfq_venue, chain):
    liq, usdc, trader = liquidity, liquidity.tokens["USDC"], liquidity.trader
    signed = quote_for(liq, chain, nonce=77)
    with isolated(chain):
        rfq_venue.cancel(77, sender=liq.maker)
        usdc.approve(rfq_venue, 1_000, sender=trader)
        with ape.reverts(rfq_venue.QuoteNonceUsed):
            rfq_venue.fill(signed.quote.as_tuple(), signed.signature, 1_000, trader, sender=trader)
        amount_out, failure = rfq_venue.quoteFill(
            signed.quote.as_tuple(), signed.signature, trader, 1_000
        )
        assert (amount_out, failure) == (0, 2)


def test_nav__subscribe_and_redeem_at_nav_plus_fee(liquidity, nav_venue, chain):
    usdc, qspx, trader = liquidity.tokens["USDC"], liquidity.tokens["QSPX"], liquidity.trader
    with isolated(chain):
        cash = 10_000 * USDC_UNIT
        usdc.approve(nav_venue, cash, sender=trader)
        before = qspx.balanceOf(trader)
        nav_venue.swap(usdc, qspx, cash, 0, trader, sender=trader)
        # $10,000 less 20 bps at $50: 199.6 QSPX exactly.
        assert qspx.balanceOf(trader) - before == 1996 * UNIT // 10
        qspx.approve(nav_venue, 100 * UNIT, sender=trader)
        before = usdc.balanceOf(trader)
        nav_venue.swap(qspx, usdc, 100 * UNIT, 0, trader, sender=trader)
        assert usdc.balanceOf(trader) - before == 4_990 * USDC_UNIT  # $5,000 less 20 bps


def test_nav__inventory_withdrawal__governor_only_the_day_to_day_operator_refused(
    liquidity, nav_venue, operator, governor, chain
):
    """SEC-8 (attacker's read M5): the NAV desk's inventory is the issuer's capital. OPERATOR is the
    day-to-day role (no execution delay) and used to be wired to `withdrawInventory`: one operator
    key could empty the desk. Withdrawal is now GOVERNOR's (scheduled, visible, cancellable on live
    networks); the operator keeps `setMarket`, whose fees are bounded on-chain."""
    usdc = liquidity.tokens["USDC"]
    held = usdc.balanceOf(nav_venue)
    assert held > 0
    with ape.reverts(nav_venue.AccessManagedUnauthorized, caller=operator.address):
        nav_venue.withdrawInventory(usdc, operator, held, sender=operator)
    with isolated(chain):
        nav_venue.withdrawInventory(usdc, governor, 1, sender=governor)
        assert usdc.balanceOf(nav_venue) == held - 1


def test_nav__capacity_price_and_inventory_limits(liquidity, nav_venue, chain, reporter):
    usdc, qspx, trader = liquidity.tokens["USDC"], liquidity.tokens["QSPX"], liquidity.trader
    usdc.approve(nav_venue, 10**30, sender=trader)
    capacity = nav_venue.remainingCapacity(qspx, True)
    assert capacity == 300_000 * USDC_UNIT
    with ape.reverts(
        nav_venue.CapacityExceeded, token=qspx.address, notional=capacity + 1, remaining=capacity
    ):
        nav_venue.swap(usdc, qspx, capacity + 1, 0, trader, sender=trader)
    assert nav_venue.quote(usdc, qspx, capacity + 1) == 0
    with ape.reverts(nav_venue.InsufficientOutput):
        nav_venue.swap(usdc, qspx, 1_000 * USDC_UNIT, 21 * UNIT, trader, sender=trader)
    with ape.reverts(nav_venue.UnsupportedPair):
        nav_venue.swap(qspx, qspx, 1, 0, trader, sender=trader)
    with isolated(chain):
        chain.pending_timestamp += 2 * 86_400  # the QSPX feed's heartbeat is one day
        chain.mine(1)
        with ape.reverts(nav_venue.NavUnavailable, token=qspx.address):
            nav_venue.swap(usdc, qspx, 1_000 * USDC_UNIT, 0, trader, sender=trader)
        assert nav_venue.quote(usdc, qspx, 1_000 * USDC_UNIT) == 0
    with ape.reverts(nav_venue.AccessManagedUnauthorized):
        nav_venue.setMarket(qspx, (0, 0, 10**30, True, 1), sender=trader)


def test_sec_57__round_trip_at_the_desk__leaves_the_days_capacity_to_traders(
    liquidity, liquidity_deployment, nav_venue, chain, accounts, operator
):
    """SEC-57 (red team L6): the desk counted both directions of a day's fills against one daily
    capacity, so a subscription redeemed at once (about $599 of fees for $300k of fills) used the
    whole day's $300,000 and the next trader's $10,000 subscription reverted `CapacityExceeded`
    until the next UTC day. The capacity now bounds the day's net flow in each direction: a round
    trip nets out; what stays subscribed (or redeemed) is what counts."""
    half = 150_000 * USDC_UNIT  # subscribed, then redeemed: $299,700 of fills
    usdc, qspx, trader = liquidity.tokens["USDC"], liquidity.tokens["QSPX"], liquidity.trader
    griefer = accounts[22]
    registry = liquidity_deployment[0].at("IdentityRegistry")
    with isolated(chain):
        registry.registerInvestor(griefer, "0x" + "e7" * 20, 840, 4, 2**40 - 1, sender=operator)
        usdc.mint(griefer, half, sender=operator)
        usdc.approve(nav_venue, half, sender=griefer)
        nav_venue.swap(usdc, qspx, half, 0, griefer, sender=griefer)
        bought = qspx.balanceOf(griefer)
        qspx.approve(nav_venue, bought, sender=griefer)
        nav_venue.swap(qspx, usdc, bought, 0, griefer, sender=griefer)
        cost = half - usdc.balanceOf(griefer)
        assert 598 * USDC_UNIT < cost < 600 * USDC_UNIT  # the round trip's two fees
        # Net $600 subscribed today: the rest of the capacity is the traders'.
        usdc.approve(nav_venue, 10_000 * USDC_UNIT, sender=trader)
        nav_venue.swap(usdc, qspx, 10_000 * USDC_UNIT, 0, trader, sender=trader)
        # What stays subscribed counts: the day's net subscriptions stop at the capacity, and
        # redemptions may take the net back to the capacity the other way.
        redeemed = bought * 50 // 10**12  # the redemption's notional at $50
        net = half - redeemed + 10_000 * USDC_UNIT
        assert nav_venue.remainingCapacity(qspx, True) == 300_000 * USDC_UNIT - net
        assert nav_venue.remainingCapacity(qspx, False) == 300_000 * USDC_UNIT + net


def test_liq_22__v3_quote__an_order_past_four_times_the_price__quotes_zero_in_bounded_gas(
    liquidity, chain, project
):
    """LIQ-22 on the real V3 0.05% pool ($600,000 a side within ±10%): an order that empties its
    range and would push the price past a quarter quotes 0 (the quoter stops at the adapter's
    limit; unbounded, it walked every empty tick to the range's end and reported the range's
    output for an input the pool cannot take); an order inside the range quotes what QuoterV2
    quotes without a limit; the aggregator's quote of a grid of such orders stays bounded."""
    from keepers.liquidity import container

    liq, usdc, qspx = liquidity, liquidity.tokens["USDC"], liquidity.tokens["QSPX"]
    pool = liq.venue("UniswapV3Pool.QSPX-USDC.500")
    adapter = project.UniswapV3Adapter.at(liq.aggregator.adapterOf(pool))
    quoter = container("QuoterV2").at(liq.deployment.quoter)
    v3 = container("UniswapV3Pool").at(pool)
    sqrt_price = int(v3.slot0()[0])
    zero_for_one = int(qspx.address, 16) < int(usdc.address, 16)
    limit = sqrt_price // 2 if zero_for_one else sqrt_price * 2
    huge = 1_000_000 * UNIT  # $50M of QSPX into $600,000 of USDC
    fee = int(v3.fee())
    out, after, _, _ = quoter.quoteExactInputSingle.call((qspx, usdc, huge, fee, limit))
    assert (
        int(out) > 0 and int(after) == limit
    )  # the branch: stopped at the limit, short of the input
    assert int(adapter.quote.call(pool, qspx, usdc, huge, b"")) == 0
    small = 100 * UNIT
    unlimited = int(quoter.quoteExactInputSingle.call((qspx, usdc, small, fee, 0))[0])
    assert int(adapter.quote.call(pool, qspx, usdc, small, b"")) == unlimited > 0
    # A grid of 16 such orders over every venue, in one eth_call under the block gas limit.
    grid = [huge // 16 * k for k in range(1, 17)]
    venues, outs = liq.aggregator.quote.call(qspx, usdc, grid, [])
    assert int(outs[[v.lower() for v in venues].index(pool.lower())][-1]) == 0


def test_liq_22__venue_whose_quote_burns_all_gas__quotes_zero__the_others_still_quote(
    liquidity, chain, project, deployer
):
    """A listed venue whose read burns every gas unit it gets: capped at QUOTE_HOP_GAS each, it
    quotes 0 and every other venue still quotes what it quotes without it (uncapped, the first
    hop took 63/64 of the call's gas and the venues after it quoted 0 or the call ran out)."""
    liq, usdc, qspx = liquidity, liquidity.tokens["USDC"], liquidity.tokens["QSPX"]
    grid = [10_000 * USDC_UNIT * k for k in range(1, 9)]
    venues, clean = liq.aggregator.quote.call(usdc, qspx, grid, [])
    hostile = deployer.deploy(project.HostileVenue, liq.aggregator, usdc, qspx)
    hostile.setBurnOnRead(True, sender=deployer)
    with isolated(chain):
        liq.aggregator.setVenue(hostile, liq.deployment.adapters["uniswap_v2"], sender=deployer)
        listed, outs = liq.aggregator.quote.call(usdc, qspx, grid, [], gas=30_000_000)
        by_venue = {v.lower(): [int(o) for o in row] for v, row in zip(listed, outs)}
        assert by_venue.pop(hostile.address.lower()) == [0] * len(grid)
        assert by_venue == {v.lower(): [int(o) for o in row] for v, row in zip(venues, clean)}
        assert any(out > 0 for row in by_venue.values() for out in row)


def _storage_writes(chain, txn_hash: str, address: str) -> dict[str, tuple[int, int]]:
    """Every storage slot the transaction changed at `address`: slot -> (before, after), from the
    node's prestate tracer in diff mode (a slot absent before was zero)."""
    diff = chain.provider.make_request(
        "debug_traceTransaction",
        [txn_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
    )
    key = address.lower()
    pre = {k.lower(): v for k, v in diff["pre"].items()}.get(key, {}).get("storage", {})
    post = {k.lower(): v for k, v in diff["post"].items()}.get(key, {}).get("storage", {})
    return {slot: (int(pre.get(slot, "0x0"), 16), int(value, 16)) for slot, value in post.items()}


def test_liq_23__first_fill_of_a_newly_listed_market__rewrites_its_one_word(
    liquidity, nav_venue, chain, agent, operator
):
    """LIQ-23: a market's terms and its day's net flow are one word. The desk kept them in two
    (terms, then the day's usage in a slot of its own), so every fill read two cold slots and the
    first fill of a token wrote a zero slot (22,100 gas instead of 2,900: 4 x 19,200 on a vault's
    first allocation). A fill now changes exactly one slot of the desk, one that listing already
    made non-zero."""
    usdc, qcorp, trader = liquidity.tokens["USDC"], liquidity.tokens["QCORP"], liquidity.trader
    with isolated(chain):
        nav_venue.setMarket(qcorp, (10, 10, 100_000 * USDC_UNIT, True, 10), sender=operator)
        qcorp.mint(nav_venue, 10_000 * UNIT, sender=agent)
        usdc.approve(nav_venue, 1_000 * USDC_UNIT, sender=trader)
        receipt = nav_venue.swap(usdc, qcorp, 1_000 * USDC_UNIT, 0, trader, sender=trader)
        writes = _storage_writes(chain, receipt.txn_hash, nav_venue.address)
        assert len(writes) == 1, writes
        ((before, after),) = writes.values()
        assert before != 0 and after != before  # listed before, the day's net written now
        # The slot is the market's DeskWord, as its layout table (and the mirror) describe it.
        assert DESK.decode(after) == {
            "subscribeFeeBps": 10,
            "redeemFeeBps": 10,
            "maxNavMoveBps": 10,
            "listed": 1,
            "decimals": 18,
            "day": chain.blocks[receipt.block_number].timestamp // 86_400,
            "dailyCapacity": 100_000 * USDC_UNIT,
            "net": 1_000 * USDC_UNIT,
        }
        assert DESK.encode({"net": 0, "day": 0}, base=after) == before  # only the usage moved
        assert nav_venue.remainingCapacity(qcorp, True) == 99_000 * USDC_UNIT
        assert nav_venue.remainingCapacity(qcorp, False) == 101_000 * USDC_UNIT
        # $1,000 less 10 bps at $80: 12.4875 QCORP.
        assert qcorp.balanceOf(trader) == 124_875 * UNIT // 10_000
        # A redemption of $2,000 the same day takes the net below zero: the word holds -$1,000
        # as the low 100 bits of its two's complement (one Bits.set of both usage fields),
        # and the desk reads it back signed.
        qcorp.mint(trader, 25 * UNIT, sender=agent)
        usdc.mint(nav_venue, 2_000 * USDC_UNIT, sender=operator)
        qcorp.approve(nav_venue, 25 * UNIT, sender=trader)
        receipt = nav_venue.swap(qcorp, usdc, 25 * UNIT, 0, trader, sender=trader)
        ((_, redeemed),) = _storage_writes(chain, receipt.txn_hash, nav_venue.address).values()
        assert DESK.decode(redeemed)["net"] == (-1_000 * USDC_UNIT) % 2**100
        assert DESK.encode({"net": 0, "day": 0}, base=redeemed) == before
        assert nav_venue.remainingCapacity(qcorp, True) == 101_000 * USDC_UNIT
        assert nav_venue.remainingCapacity(qcorp, False) == 99_000 * USDC_UNIT


def test_liq_23__set_market__keeps_the_days_net__refuses_what_the_word_cannot_hold(
    liquidity, nav_venue, chain, operator
):
    """LIQ-23: new terms keep what was dealt today (the capacity bounds the day's net flow,
    SEC-57, whatever the terms were when it was dealt); a NAV move above the 500 bps fee cap (it
    could never be listed, SEC-171) or a daily capacity of 2**96 or more is refused with its reason,
    never cut into the next field."""
    usdc, qspx, trader = liquidity.tokens["USDC"], liquidity.tokens["QSPX"], liquidity.trader
    with isolated(chain):
        usdc.approve(nav_venue, 20_000 * USDC_UNIT, sender=trader)
        nav_venue.swap(usdc, qspx, 20_000 * USDC_UNIT, 0, trader, sender=trader)
        nav_venue.setMarket(qspx, (30, 25, 50_000 * USDC_UNIT, True, 20), sender=operator)
        assert tuple(nav_venue.marketOf(qspx)) == (30, 25, 50_000 * USDC_UNIT, True, 20)
        assert nav_venue.remainingCapacity(qspx, True) == 30_000 * USDC_UNIT
        assert nav_venue.remainingCapacity(qspx, False) == 70_000 * USDC_UNIT
        # The widest values the word holds are accepted and read back whole.
        nav_venue.setMarket(qspx, (500, 500, 2**96 - 1, True, 500), sender=operator)
        assert tuple(nav_venue.marketOf(qspx)) == (500, 500, 2**96 - 1, True, 500)
        assert nav_venue.remainingCapacity(qspx, False) == 2**96 - 1 + 20_000 * USDC_UNIT
        # A redemption after the round of new terms nets against the day's subscription.
        held = qspx.balanceOf(trader)
        qspx.approve(nav_venue, 100 * UNIT, sender=trader)
        nav_venue.swap(qspx, usdc, 100 * UNIT, 0, trader, sender=trader)
        assert qspx.balanceOf(trader) == held - 100 * UNIT
        assert nav_venue.remainingCapacity(qspx, True) == 2**96 - 1 - 15_000 * USDC_UNIT
        with ape.reverts(
            nav_venue.InvalidMarket, token=qspx.address, reason="NAV move above 500 bps"
        ):
            nav_venue.setMarket(qspx, (500, 500, 1, False, 501), sender=operator)
        with ape.reverts(
            nav_venue.InvalidMarket, token=qspx.address, reason="daily capacity above 2**96 - 1"
        ):
            nav_venue.setMarket(qspx, (20, 20, 2**96, True, 20), sender=operator)
        assert tuple(nav_venue.marketOf(qspx)) == (500, 500, 2**96 - 1, True, 500)
