"""Token metadata and USD prices as the console's pages show them: each ERC-20's symbol and
decimals (read once per process: they never change), and its OracleRouter price with the router's
status, so a page can say when a price is not valid rather than show a stale one as current.

Any ERC-20 is read with OpenZeppelin's IERC20Metadata ABI (`keepers.core.tokens.ERC20`:
`symbol`, `decimals`, `balanceOf`); the deployment's tokens are its SecurityTokens and stablecoins.
A page also names tokens that events name (a route's `tokenOut` is whatever its payer wrote), so
metadata is read allowing failure: a token whose `symbol()` or `decimals()` reverts, or answers
what an ERC-20 does not, is shown as UNKNOWN_SYMBOL with its amounts in base units (decimals 0),
never fails the page; a symbol is cut to printable text of at most MAX_SYMBOL_CHARS.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from keepers.console.calls import CallFailure, ViewCall, batch_call
from keepers.console.source import ChainSource
from keepers.core.tokens import ERC20
from keepers.core.units import PRICE_STATUS, USABLE_PRICE_STATUS

ORACLE = "OracleRouter"
VALID_STATUSES = frozenset(range(USABLE_PRICE_STATUS))
UNKNOWN_SYMBOL = "?"
MAX_SYMBOL_CHARS = 16
# A token whose metadata could not be read is asked again after this long (the node may have
# been away), not on every page read.
RETRY_UNREADABLE_SECONDS = 60.0

_meta_lock = threading.Lock()
_meta: dict[tuple[int, str], tuple[str, int]] = {}  # (chain id, token) -> (symbol, decimals)
_unreadable: dict[tuple[int, str], float] = {}  # (chain id, token) -> when to ask again


@dataclass(frozen=True)
class OraclePrice:
    status: int
    price18: int
    updated_at: int

    @property
    def valid(self) -> bool:
        return self.status in VALID_STATUSES and self.price18 > 0

    @property
    def status_name(self) -> str:
        return PRICE_STATUS[self.status] if self.status < len(PRICE_STATUS) else str(self.status)


def erc20(source: ChainSource, token: str) -> Any:
    return source.contract(ERC20, token, abi_of=ERC20)


def token_meta(source: ChainSource, tokens: Sequence[str]) -> dict[str, tuple[str, int]]:
    """Checksummed address -> (symbol, decimals) of each token; read in one batch the first time,
    then cached per chain and address. A token whose metadata does not read is
    (UNKNOWN_SYMBOL, 0), asked again after RETRY_UNREADABLE_SECONDS."""
    wanted = [to_checksum_address(t) for t in tokens]
    now = time.monotonic()
    with _meta_lock:
        missing = sorted(
            {
                t
                for t in wanted
                if (source.chain_id, t) not in _meta
                and _unreadable.get((source.chain_id, t), 0.0) <= now
            }
        )
    if missing:
        calls = [(erc20(source, t), name, ()) for t in missing for name in ("symbol", "decimals")]
        values = batch_call(source, calls, allow_failure=True)
        with _meta_lock:
            for k, token in enumerate(missing):
                symbol, decimals = values[2 * k], values[2 * k + 1]
                if isinstance(symbol, CallFailure) or isinstance(decimals, CallFailure):
                    _unreadable[(source.chain_id, token)] = now + RETRY_UNREADABLE_SECONDS
                    continue
                _meta[(source.chain_id, token)] = (_printable(str(symbol)), int(decimals))
                _unreadable.pop((source.chain_id, token), None)
    with _meta_lock:
        return {t: _meta.get((source.chain_id, t), (UNKNOWN_SYMBOL, 0)) for t in wanted}


def _printable(symbol: str) -> str:
    text = "".join(c for c in symbol if c.isprintable()).strip()
    if len(text) > MAX_SYMBOL_CHARS:
        text = text[: MAX_SYMBOL_CHARS - 1] + "…"
    return text or UNKNOWN_SYMBOL


def oracle_calls(source: ChainSource, tokens: Sequence[str]) -> list[ViewCall]:
    """The OracleRouter's `priceOf` of each token, for a batch (none without a router)."""
    if not source.has(ORACLE):
        return []
    router = source.contract(ORACLE)
    return [(router, "priceOf", (to_checksum_address(t),)) for t in tokens]


def oracle_prices(results: Sequence[Any]) -> list[OraclePrice]:
    return [OraclePrice(int(s), int(p), int(u)) for s, p, u in results]


def value_usd18(amount: int, decimals: int, price18: int) -> int:
    """USD with 18 decimals of `amount` token units at `price18` USD (18 decimals) per token."""
    return amount * price18 // 10**decimals
