"""Forward-priced dealing (IPortfolioVault "Dealing at the next price", SEC-53): a deposit into a
vault whose NAV depends on oracle prices is provisional until `settleDeal` prices it at the first
round of every holding's primary feed published after it. This module finds those rounds (the
hints `settleDeal` checks) from the chain, and settles.

Rounds are walked back from each feed's latest: the first round after the deal is the one whose
predecessor (in its phase) was published at or before the deal. A deal is best settled soon after
its prices arrive; the walk is one `getRoundData` per round published since.
"""

from __future__ import annotations

from typing import Any

from keepers.core.artifacts import project_at

PHASE_OFFSET = 64
# Rounds walked back per feed before giving up (a settled deal needs only the first after it).
MAX_ROUNDS_BACK = 10_000


def _round_at(feed: Any, round_id: int) -> int | None:
    """The publication time of `round_id`, None when the feed has no such round."""
    try:
        updated_at = int(feed.getRoundData(round_id)[3])
    except Exception:  # noqa: BLE001 - Chainlink aggregators revert on an unknown round
        return None
    return updated_at or None


def first_round_after(feed: Any, time: int) -> int:
    """The id of the first round of `feed` published after `time`; 0 when none is yet."""
    latest = int(feed.latestRoundData()[0])
    if (_round_at(feed, latest) or 0) <= time:
        return 0
    round_id = latest
    for _ in range(MAX_ROUNDS_BACK):
        if round_id & ((1 << PHASE_OFFSET) - 1) <= 1:
            return round_id  # a phase's first round: its predecessor is not walkable
        previous = _round_at(feed, round_id - 1)
        if previous is None or previous <= time:
            return round_id
        round_id -= 1
    raise RuntimeError(f"more than {MAX_ROUNDS_BACK} rounds of {feed.address} since {time}")


def settlement_rounds(vault: Any, holder: str) -> list[int]:
    """`settleDeal(holder, rounds)`'s hints: for each of the vault's assets, in its order, the
    first round of its primary feed after the holder's deal (0 for an asset the vault does not
    hold, nor when the feed has not published since)."""
    from ape import project

    dealt_at = int(vault.dealOf(holder).dealtAt)
    router = project_at("OracleRouter", vault.oracle())
    assets, holdings = vault.positions()
    rounds = []
    for index, (asset, held) in enumerate(zip(assets, holdings)):
        # The settlement asset converts the others: its price is needed when any other is held.
        needed = held != 0 if index else any(h != 0 for h in holdings[1:])
        if not needed:
            rounds.append(0)
            continue
        feed = project.ReporterPriceFeed.at(router.feedOf(asset)[0])
        rounds.append(first_round_after(feed, dealt_at))
    return rounds
