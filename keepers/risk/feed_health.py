"""Each portfolio feed's health as the risk keeper exports it (issue 33 §5): its age at the block,
its last report's move against the one before, and the oracle router's status for the asset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepers.core.units import BPS


@dataclass(frozen=True)
class FeedHealth:
    age_seconds: int  # block time less the feed's last update (0 if dated after the block)
    last_move_bps: int  # |last answer - the one before| / the one before, 0 for a first round
    status: int  # the router's PriceStatus (0 Ok, 1 PrimaryOnly, 2 Fallback, 3+ no price)


def move_bps(answer: int, previous: int) -> int:
    """The move from `previous` to `answer` in whole basis points, rounded down; 0 when there is no
    positive previous answer."""
    if previous <= 0:
        return 0
    return abs(answer - previous) * BPS // previous


def feed_health(feed: Any, router: Any, token: str, block_time: int) -> FeedHealth:
    """Three reads: the feed's latest round and the one before, and the router's status."""
    round_id, answer, _, updated_at, _ = feed.latestRoundData()
    previous = int(feed.getRoundData(round_id - 1)[1]) if int(round_id) > 1 else 0
    status = int(router.priceOf(token)[0])
    return FeedHealth(max(0, block_time - int(updated_at)), move_bps(int(answer), previous), status)
