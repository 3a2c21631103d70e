"""SEC-3: an RFQ quote named for a client binds through the aggregator too (issue 15, finding "RFQ
quotes cannot be bound to their requester").

The attack, as found: through the aggregator the venue's caller is the aggregator, so a quote for a
route could only name the aggregator as taker, and then anyone could fill it through the aggregator
(a free option at a stale price) or spend its nonce with a dust fill ahead of the client. Now the
aggregator tells the venue who its route's taker is, and the venue fills a named quote for that
taker only.
"""

import ape
import pytest
from eth_abi import encode
from eth_utils import keccak

from isolation import isolated
from keepers.liquidity.codec import encode_route
from keepers.liquidity.rfq import make_quote, sign_quote

USDC_UNIT, UNIT = 10**6, 10**18
PRICE = UNIT / USDC_UNIT / 50  # QSPX at 50 USD


@pytest.fixture
def intruder(liquidity, accounts, operator, chain):
    """A verified trader with cash: anyone who sees the client's quote in the mempool."""
    with isolated(chain):
        account = accounts[23]
        registry = ape.project.IdentityRegistry.at(liquidity.tokens["QSPX"].identityRegistry())
        registry.registerInvestor(account, "0x" + "e2" * 20, 840, 4, 2**40 - 1, sender=operator)
        liquidity.tokens["USDC"].mint(account, 1_000_000 * USDC_UNIT, sender=operator)
        yield account


def taker_mismatch(rfq_venue, taker, caller) -> bytes:
    """The venue's refusal, as the aggregator passes it on (AdapterFailed's reason)."""
    return keccak(text="QuoteTakerMismatch(address,address)")[:4] + encode(
        ["address", "address"], [taker, caller]
    )


def quote(liq, chain, taker, amount_in=100_000 * USDC_UNIT, nonce=7):
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    signed = make_quote(
        liq.maker.address,
        usdc.address,
        qspx.address,
        amount_in,
        PRICE,
        8,
        nonce,
        chain.pending_timestamp + 600,
        taker,
    )
    return sign_quote(signed, liq.maker.private_key, chain.chain_id, liq.deployment.rfq_venue)


def rfq_route(liq, chain, who, signed, amount):
    usdc, qspx = liq.tokens["USDC"], liq.tokens["QSPX"]
    return encode_route(
        usdc,
        qspx,
        amount,
        1,
        who.address,
        chain.pending_timestamp + 3_600,
        0,
        [(amount, [(liq.deployment.rfq_venue, qspx.address, signed.hop_data())])],
    )


def test_rfq__quote_for_the_client__nobody_else_fills_or_dust_kills_it_through_the_aggregator(
    liquidity, rfq_venue, intruder, chain
):
    liq, usdc, qspx, client = (
        liquidity,
        liquidity.tokens["USDC"],
        liquidity.tokens["QSPX"],
        liquidity.trader,
    )
    aggregator = liq.aggregator
    signed = quote(liq, chain, taker=client.address)
    with isolated(chain):
        # The intruder copies the client's quote into its own route: a full fill, then a dust fill.
        for amount in (signed.quote.amount_in, 1):
            usdc.approve(aggregator, amount, sender=intruder)
            with ape.reverts(
                aggregator.AdapterFailed,
                venue=rfq_venue.address,
                reason=taker_mismatch(rfq_venue, client.address, intruder.address),
            ):
                aggregator.swap(rfq_route(liq, chain, intruder, signed, amount), sender=intruder)
        # The aggregator quotes it as nothing for anyone but its taker.
        venues = [v.lower() for v in aggregator.venues()]
        data = [b""] * len(venues)
        data[venues.index(liq.deployment.rfq_venue.lower())] = signed.hop_data()
        at = venues.index(liq.deployment.rfq_venue.lower())
        assert (
            aggregator.quote.call(usdc, qspx, [10_000 * USDC_UNIT], data, sender=intruder)[1][at][0]
            == 0
        )
        assert (
            aggregator.quote.call(usdc, qspx, [10_000 * USDC_UNIT], data, sender=client)[1][at][0]
            > 0
        )
        # Nor directly at the venue; and only the aggregator may name a taker.
        usdc.approve(rfq_venue, signed.quote.amount_in, sender=intruder)
        with ape.reverts(
            rfq_venue.QuoteTakerMismatch, taker=client.address, caller=intruder.address
        ):
            rfq_venue.fill(signed.quote.as_tuple(), signed.signature, 1, intruder, sender=intruder)
        with ape.reverts(
            rfq_venue.OnlyAggregator, caller=intruder.address, aggregator=aggregator.address
        ):
            rfq_venue.fillFor(
                signed.quote.as_tuple(), signed.signature, 1, intruder, client, sender=intruder
            )
        # The nonce is intact: the client fills its quote through the aggregator.
        assert not rfq_venue.isNonceUsed(liq.maker, signed.quote.nonce)
        usdc.approve(aggregator, signed.quote.amount_in, sender=client)
        before = qspx.balanceOf(client)
        receipt = aggregator.swap(
            rfq_route(liq, chain, client, signed, signed.quote.amount_in), sender=client
        )
        assert qspx.balanceOf(client) - before == signed.quote.amount_out
        [filled] = receipt.decode_logs(rfq_venue.QuoteFilled)
        assert (filled.taker, filled.recipient) == (client.address, client.address)


def test_rfq__quote_naming_the_aggregator__no_longer_anyones_to_take(
    liquidity, rfq_venue, intruder, chain
):
    """The old workaround (name the aggregator as taker) is refused for everyone: through the
    aggregator the taker is its caller, and the aggregator itself never calls `fill`."""
    liq, usdc, aggregator = liquidity, liquidity.tokens["USDC"], liquidity.aggregator
    signed = quote(liq, chain, taker=aggregator.address)
    with isolated(chain):
        usdc.approve(aggregator, signed.quote.amount_in, sender=intruder)
        with ape.reverts(
            aggregator.AdapterFailed,
            venue=rfq_venue.address,
            reason=taker_mismatch(rfq_venue, aggregator.address, intruder.address),
        ):
            aggregator.swap(
                rfq_route(liq, chain, intruder, signed, signed.quote.amount_in), sender=intruder
            )
