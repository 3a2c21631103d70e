"""The RFQ market maker's side: EIP-712 firm quotes for RfqVenue, signed off-chain.

The typed data mirrors `RfqVenue.QUOTE_TYPEHASH` (domain "Quantera RFQ", version "1", chain id,
venue address), so a quote signed here recovers to the maker on chain and nowhere else.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

from eth_abi import encode

from keepers.core.typed_data import sign_typed
from keepers.core.typed_data import typed_message as _typed_message

QUOTE_FIELDS = [
    {"name": "maker", "type": "address"},
    {"name": "taker", "type": "address"},
    {"name": "tokenIn", "type": "address"},
    {"name": "tokenOut", "type": "address"},
    {"name": "amountIn", "type": "uint256"},
    {"name": "amountOut", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "expiry", "type": "uint64"},
]
QUOTE_ABI = "(address,address,address,address,uint256,uint256,uint256,uint64)"
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class RfqQuote:
    maker: str
    taker: str
    token_in: str
    token_out: str
    amount_in: int
    amount_out: int
    nonce: int
    expiry: int

    def as_tuple(self) -> tuple:
        return astuple(self)

    def fill_output(self, amount_in: int) -> int:
        """What the venue pays for a partial fill (rounded down, as on chain)."""
        if amount_in <= 0 or amount_in > self.amount_in:
            return 0
        return amount_in * self.amount_out // self.amount_in


@dataclass(frozen=True)
class SignedQuote:
    quote: RfqQuote
    signature: bytes

    def hop_data(self) -> bytes:
        """The aggregator hop data for RfqAdapter: abi.encode(RfqQuote, bytes)."""
        return encode([QUOTE_ABI, "bytes"], [self.quote.as_tuple(), self.signature])


def typed_message(quote: RfqQuote, chain_id: int, venue: str) -> dict:
    return _typed_message(
        "RfqQuote",
        QUOTE_FIELDS,
        "Quantera RFQ",
        "1",
        chain_id,
        venue,
        {
            "maker": quote.maker,
            "taker": quote.taker,
            "tokenIn": quote.token_in,
            "tokenOut": quote.token_out,
            "amountIn": quote.amount_in,
            "amountOut": quote.amount_out,
            "nonce": quote.nonce,
            "expiry": quote.expiry,
        },
    )


def sign_quote(quote: RfqQuote, private_key: bytes | str, chain_id: int, venue: str) -> SignedQuote:
    return SignedQuote(
        quote, bytes(sign_typed(typed_message(quote, chain_id, venue), private_key).signature)
    )


def make_quote(
    maker: str,
    token_in: str,
    token_out: str,
    amount_in: int,
    price_out_per_in: float,
    spread_bps: int,
    nonce: int,
    expiry: int,
    taker: str = ZERO_ADDRESS,
) -> RfqQuote:
    """A firm quote for up to `amount_in`, at `price_out_per_in` (raw units) less the maker's
    spread."""
    amount_out = int(amount_in * price_out_per_in * (10_000 - spread_bps) / 10_000)
    return RfqQuote(
        maker, taker, token_in, token_out, int(amount_in), amount_out, int(nonce), int(expiry)
    )
