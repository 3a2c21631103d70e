"""Risk keeper: observes every price-feed round of the portfolio's assets, keeps the price history
in the keeper store, calls the RiskEngine's `sync` (which halts the portfolio itself on a hard
limit: drawdown beyond its cap, or no price at all), and publishes the model update (vols,
correlations, ES multiplier, stress shocks, metrics) within the engine's per-update bounds.

Run: `SILVERBACK_SIGNER_ALIAS=<risk keeper> silverback run keepers.risk.bot:bot --network <choice>`.
Its key holds RISK_KEEPER only: it can publish bounded model data, never move funds.
Restart-safe: observations are keyed by (chain, feed, round); publications by (chain, portfolio,
update id), confirmed against the engine's own update id, which refuses replays.
Reorganisation-safe: rounds observed on orphaned blocks are dropped and read again from the
canonical ones, and a publication the engine no longer holds is marked `reorged` and its id
published again. One cycle at a time (the keeper's store lock), so two workers never publish at
once.
"""

from __future__ import annotations

from ape import chain, project
from ape.logging import logger
from silverback import StateSnapshot

from keepers.core import metrics, store
from keepers.core.artifacts import project_at
from keepers.core.bot import keeper_bot
from keepers.core.faults import crash_point
from keepers.core.metrics import observed
from keepers.core.record import connected_record, portfolio_feeds
from keepers.core.retries import with_retries
from keepers.core.scan import block_hash, finish_scan, scan_range
from keepers.core.units import FEED_DECIMALS
from keepers.risk import store as risk_store
from keepers.risk.feed_health import feed_health
from keepers.risk.publication import bootstrap_history, observe, observed_history, publish
from keepers.vault import load_portfolio

KEEPER_NAME = "risk"
# A second cursor: the block in which the keeper's last `sync` was mined (with its hash), so a sync
# lost to a crash or to a reorganisation is sent again.
SYNC_MARK = "risk.sync"

bot = keeper_bot("risk")
record = connected_record()
portfolio = load_portfolio()
risk = project_at("RiskEngine", record.address_of("RiskEngine"))
lens = project.RiskLens.at(record.address_of("RiskLens"))
vault, router, feeds = portfolio_feeds(record, portfolio)
db = store.open_store()
bootstrap = bootstrap_history(portfolio)
_answer_updated = next(iter(feeds.values())).AnswerUpdated.abi
tokens = dict(zip(feeds, vault.assets()))  # symbol -> token, in the vault's asset order


def catch_up(block_number: int) -> int:
    scan = scan_range(
        db,
        KEEPER_NAME,
        record,
        block_number,
        lambda ancestor: risk_store.forget_price_observations_after(db, chain.chain_id, ancestor),
    )
    if scan is None:
        return 0
    new = observe(db, chain.chain_id, feeds, _answer_updated, scan.start, scan.stop)
    crash_point("risk.after_observe")
    finish_scan(db, KEEPER_NAME, scan)
    return new


def sync_due() -> bool:
    """Whether rounds were observed in or after the block of the keeper's last sync, or that sync's
    block was orphaned."""
    observed = risk_store.latest_observation_block(db, chain.chain_id)
    marks = store.checkpoints(db, SYNC_MARK, chain.chain_id)
    if marks and block_hash(marks[0][0]) != marks[0][1]:
        store.rewind_cursor(db, SYNC_MARK, chain.chain_id, -1)
        return observed is not None
    # `>=`: a round mined in the block of the last sync may have come after the sync in that block
    # (two transactions of one block: seen under load, when the demo's last report and the keeper's
    # sync met, and the keeper never synced that day). Syncing once more costs one transaction.
    return observed is not None and (not marks or observed >= marks[0][0])


def cycle(block) -> dict:
    """One cycle under the keeper's lock (a worker that finds it held skips: the next block's cycle
    catches up from the cursor)."""
    with store.keeper_lock(db, KEEPER_NAME) as mine:
        result = _cycle(block) if mine else {"skipped": True}
    if metrics.serving():
        export_feeds(int(block.timestamp))
    return result


def export_feeds(block_time: int) -> None:
    """Each feed's age, last move and router status into the keeper's metrics (three reads a
    feed: only when the metrics are served; a feed that cannot be read is counted, never fails
    the cycle, and leaves the others' figures to be read)."""
    for symbol, feed in feeds.items():
        metrics.guarded(KEEPER_NAME, lambda s=symbol, f=feed: _export_feed(s, f, block_time))


def _export_feed(symbol: str, feed, block_time: int) -> None:
    health = feed_health(feed, router, tokens[symbol], block_time, project.ReporterPriceFeed.at)
    metrics.FEED_AGE.labels(symbol).set(health.age_seconds)
    metrics.FEED_MOVE.labels(symbol).set(health.last_move_bps)
    metrics.FEED_STATUS.labels(symbol).set(health.status)
    if health.deviation_bps is not None:
        metrics.FEED_DEVIATION.labels(symbol).set(health.deviation_bps)
        metrics.FEED_MAX_DEVIATION.labels(symbol).set(health.max_deviation_bps)


def _cycle(block) -> dict:
    new_rounds = catch_up(block.number)
    result: dict = {"new_rounds": new_rounds}
    if bot.signer is None:
        logger.warning("risk keeper has no signer: observing only")
        return result
    if sync_due():
        was_halted = risk.isHalted(vault)
        receipt = with_retries(lambda: risk.sync(vault, sender=bot.signer))
        crash_point("risk.after_sync")
        store.advance_cursor(
            db, SYNC_MARK, chain.chain_id, receipt.block_number, block_hash(receipt.block_number)
        )
        result["halted"] = risk.isHalted(vault)
        if result["halted"] and not was_halted:
            logger.warning(f"portfolio {vault.address} halted by the engine on sync")
    prices, as_of = observed_history(db, chain.chain_id, feeds, FEED_DECIMALS, bootstrap)
    outcome = publish(
        db,
        chain.chain_id,
        risk,
        vault,
        router,
        portfolio,
        prices,
        as_of,
        block.timestamp,
        bot.signer,
        head=block.number,
        lens=lens,
    )
    if "reason" in outcome:
        logger.info(f"no model update: {outcome.pop('reason')}")
    # Silverback metrics are numbers only.
    result.update({k: v for k, v in outcome.items() if isinstance(v, (int, float, bool))})
    return result


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
@observed("risk")
def on_block(block) -> dict:
    return cycle(block)
