"""Each portfolio feed's health as the risk keeper exports it (issue 33 §5): its age at the block,
its last report's move against the one before, the oracle router's status for the asset, and,
where the router cross-checks it against a secondary feed, the gap between the two answers as the
router measures it (|primary - secondary| / the smaller, in basis points: the router refuses the
price past the feed's `maxDeviationBps`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keepers.core.units import BPS


@dataclass(frozen=True)
class FeedHealth:
    age_seconds: int  # block time less the feed's last update (0 if dated after the block)
    last_move_bps: int  # |last answer - the one before| / the one before, 0 for a first round
    status: int  # the router's PriceStatus (0 Ok, 1 PrimaryOnly, 2 Fallback, 3+ no price)
    deviation_bps: int | None = None  # primary against secondary; None without a secondary
    max_deviation_bps: int | None = None  # the router's bound for the feed


def move_bps(answer: int, previous: int) -> int:
    """The move from `previous` to `answer` in whole basis points, rounded down; 0 when there is no
    positive previous answer."""
    if previous <= 0:
        return 0
    return abs(answer - previous) * BPS // previous


def deviation_bps(
    primary: int, primary_decimals: int, secondary: int, secondary_decimals: int
) -> int:
    """|primary - secondary| / min(primary, secondary) in whole basis points, rounded down, the
    answers first brought to the same decimals (the router's measure, at 18); 0 when either is not
    positive."""
    scale = max(primary_decimals, secondary_decimals)  # exact for any decimals (the ratio's)
    a = primary * 10 ** (scale - primary_decimals)
    b = secondary * 10 ** (scale - secondary_decimals)
    if a <= 0 or b <= 0:
        return 0
    return abs(a - b) * BPS // min(a, b)


def feed_health(
    feed: Any, router: Any, token: str, block_time: int, feed_at: Any = None
) -> FeedHealth:
    """Three reads: the feed's latest round and the one before, and the router's status; with
    `feed_at` (address -> a feed contract), the router's configuration and, when it names a
    secondary feed, both feeds' answers and decimals."""
    round_id, answer, _, updated_at, _ = feed.latestRoundData()
    previous = int(feed.getRoundData(round_id - 1)[1]) if int(round_id) > 1 else 0
    status = int(router.priceOf(token)[0])
    health = FeedHealth(
        max(0, block_time - int(updated_at)), move_bps(int(answer), previous), status
    )
    if feed_at is None:
        return health
    config = router.feedOf(token)
    secondary = str(config[2])
    if int(secondary, 16) == 0:
        return health
    other = feed_at(secondary)
    gap = deviation_bps(
        int(answer), int(feed.decimals()), int(other.latestRoundData()[1]), int(other.decimals())
    )
    return FeedHealth(health.age_seconds, health.last_move_bps, status, gap, int(config[4]))
