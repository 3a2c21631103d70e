"""Bounded log fetching: one eth_getLogs per MAX_LOG_RANGE blocks, never an empty range."""

from __future__ import annotations

from collections.abc import Iterator

from ape import chain
from ape.types import LogFilter
from eth_utils import encode_hex, keccak

# Largest block range one eth_getLogs call asks for (public RPCs cap ranges).
MAX_LOG_RANGE = 2_000


def fetch_logs(address: str | list[str], event_abis: list, start: int, stop: int) -> Iterator:
    """Decoded logs of `event_abis` emitted by `address` (one or several contracts) in blocks
    [start, stop], one eth_getLogs per MAX_LOG_RANGE blocks (bounded: ceil((stop - start + 1) /
    MAX_LOG_RANGE) calls; none when start > stop: an empty range is never sent)."""
    addresses = [address] if isinstance(address, str) else list(address)
    topics = [[encode_hex(keccak(text=abi.selector)) for abi in event_abis]]
    for chunk_start in range(start, stop + 1, MAX_LOG_RANGE):
        log_filter = LogFilter(
            addresses=addresses,
            events=event_abis,
            topic_filter=topics,
            start_block=chunk_start,
            stop_block=min(chunk_start + MAX_LOG_RANGE - 1, stop),
        )
        yield from chain.provider.get_contract_logs(log_filter)
