"""Arbitrage keeper: each block, every Uniswap pool of the deployment record that is outside its
no-arbitrage band around the oracle's price is traded back to the band's edge
(keepers/liquidity/arbitrage.py), at most $QUANTERA_ARB_MAX_TRADES (16) trades a block, each at most
$QUANTERA_ARB_MAX_TRADE_USD (10,000,000) of input and gaining at least $QUANTERA_ARB_MIN_GAIN_USD
(50) at oracle prices; pools within $QUANTERA_ARB_MIN_GAP_BPS (25) of their band are left, and so
are pools further than $QUANTERA_ARB_MAX_GAP_BPS (2,000) from the oracle (suspect) and pools whose
token has no `Ok` answer younger than $QUANTERA_ARB_MAX_PRICE_AGE (3,600) seconds; at most
$QUANTERA_ARB_MAX_USD_PER_HOUR (50,000,000) of input an hour. Pools left, and why, are logged when
that changes; each trade is logged.

Run: `SILVERBACK_SIGNER_ALIAS=<arbitrageur> silverback run keepers.liquidity.bot:bot --network …`.
The key is a verified wallet (the pools hold security tokens) with inventory of the pools' tokens;
it needs no role. Without a signer it observes: the pools' gaps are exported, nothing is sent.

Stateless, so restart- and reorganisation-safe: each cycle reads the pools and the oracle again,
and a cycle after a completed one sends nothing. One cycle at a time: each holds the keeper
store's lock (`keepers.core.store.keeper_lock`), so neither overlapping block handlers nor two
workers trade one pool twice; a cycle that finds it held skips the block. A transaction retried
after a transport failure cannot trade twice: its approval is exact (a second transfer finds
none) and its bound (V2: the minimum output from the reserves read; V3: the price limit) refuses
a second fill.
"""

from __future__ import annotations

import os

from ape import chain
from ape.logging import logger
from silverback import StateSnapshot

from keepers.core import metrics, store
from keepers.core.artifacts import project_at
from keepers.core.bot import keeper_bot
from keepers.core.metrics import observed
from keepers.core.record import connected_record
from keepers.liquidity.arbitrage import ArbitrageKeeper

MIN_GAP_ENV = "QUANTERA_ARB_MIN_GAP_BPS"
MAX_TRADE_ENV = "QUANTERA_ARB_MAX_TRADE_USD"
MAX_TRADES_ENV = "QUANTERA_ARB_MAX_TRADES"
MIN_GAIN_ENV = "QUANTERA_ARB_MIN_GAIN_USD"
MAX_GAP_ENV = "QUANTERA_ARB_MAX_GAP_BPS"
MAX_AGE_ENV = "QUANTERA_ARB_MAX_PRICE_AGE"
MAX_HOURLY_ENV = "QUANTERA_ARB_MAX_USD_PER_HOUR"
KEEPER_NAME = "arbitrage"

bot = keeper_bot(KEEPER_NAME)
record = connected_record()
engine = store.open_store()
keeper = ArbitrageKeeper(
    record.contracts,
    project_at("OracleRouter", record.address_of("OracleRouter")),
    min_gap_bps=int(os.environ.get(MIN_GAP_ENV, 25)),
    max_trade_usd=float(os.environ.get(MAX_TRADE_ENV, 10_000_000)),
    max_trades=int(os.environ.get(MAX_TRADES_ENV, 16)),
    min_gain_usd=float(os.environ.get(MIN_GAIN_ENV, 50)),
    max_gap_bps=int(os.environ.get(MAX_GAP_ENV, 2_000)),
    max_price_age=int(os.environ.get(MAX_AGE_ENV, 3_600)),
    max_usd_per_hour=float(os.environ.get(MAX_HOURLY_ENV, 50_000_000)),
)
_left: dict[str, str] = {}  # the pools last logged as left, and why


def cycle(block) -> dict:
    with store.keeper_lock(engine, KEEPER_NAME) as mine:
        if not mine:
            return {"skipped": True}  # another cycle is running; the next block catches up
        keeper.signer = bot.signer
        outcome = keeper.cycle()
        result = outcome.as_dict()
        # Pools left (suspect, stale, empty, over a bound) are logged when that changes.
        left = {**outcome.skipped, **outcome.empty}
        if left != _left:
            for pool, why in sorted(left.items()):
                logger.info(f"arbitrage: {pool} left: {why}")
            _left.clear()
            _left.update(left)
        for trade in outcome.trades:
            logger.info(f"arbitrage: {trade.pool}: {trade.as_dict()}")
        # The gaps the cycle read (and re-read after its trades): no second read per block.
        for pool, gap in outcome.gaps.items():
            metrics.POOL_GAP.labels(KEEPER_NAME, pool).set(gap)
    # Silverback metrics are numbers only.
    return {k: v for k, v in result.items() if isinstance(v, (int, float))}


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
@observed("arbitrage")
def on_block(block) -> dict:
    return cycle(block)
