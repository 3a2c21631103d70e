"""The RFQ market maker keeper: firm quotes around the oracle price, signed with its key.

A quote is for at most `max_quote_usd`, at the oracle mid less `spread_bps`, valid `ttl` seconds,
with a fresh nonce (unordered nonces on chain, so quotes never block each other), and names its
taker: the client who asked, who alone can fill it, directly or through the aggregator (the venue
takes the route's taker from the aggregator). It quotes only what its inventory covers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from keepers.core.errors import QuanteraError
from keepers.liquidity.rfq import SignedQuote, make_quote, sign_quote


@dataclass
class MarketMaker:
    address: str
    private_key: bytes | str
    venue: str
    chain_id: int
    oracle: object  # OracleRouter contract
    spread_bps: int = 8
    max_quote_usd: float = 1_500_000
    ttl_seconds: int = 120

    def quote(self, token_in, token_out, amount_in: int, now: int, taker: str) -> SignedQuote:
        """A signed quote, for `taker` only, selling `token_out` against up to `amount_in` of
        `token_in`."""
        if int(taker, 16) == 0:
            raise QuanteraError(
                "the market maker quotes a named taker only (an open quote is anyone's to take)"
            )
        price_in, price_out = (int(self.oracle.price(t)) for t in (token_in, token_out))
        if price_in == 0 or price_out == 0:
            raise QuanteraError("no oracle price for the pair: the market maker does not quote")
        dec_in, dec_out = int(token_in.decimals()), int(token_out.decimals())
        value_usd = amount_in * price_in / 10**dec_in / 1e18
        if value_usd > self.max_quote_usd:
            amount_in = int(self.max_quote_usd * 1e18 * 10**dec_in // price_in)
        # raw tokenOut per raw tokenIn at mid
        rate = price_in / price_out * 10 ** (dec_out - dec_in)
        quote = make_quote(
            self.address,
            token_in.address,
            token_out.address,
            amount_in,
            rate,
            self.spread_bps,
            secrets.randbits(64),
            now + self.ttl_seconds,
            taker=taker,
        )
        inventory = int(token_out.balanceOf(self.address))
        if quote.amount_out > inventory:
            scaled = amount_in * inventory // max(quote.amount_out, 1)
            quote = make_quote(
                self.address,
                token_in.address,
                token_out.address,
                scaled,
                rate,
                self.spread_bps,
                quote.nonce,
                quote.expiry,
                taker=taker,
            )
        return sign_quote(quote, self.private_key, self.chain_id, self.venue)
