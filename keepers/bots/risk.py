"""Risk keeper: observes every price-feed round of the portfolio's assets, keeps the price history
in the keeper store, calls the RiskEngine's `sync` (which halts the portfolio itself on a hard
limit: drawdown beyond its cap, or no price at all), and publishes the model update (vols,
correlations, ES multiplier, stress shocks, metrics) within the engine's per-update bounds.

Run: `SILVERBACK_SIGNER_ALIAS=<risk keeper> silverback run keepers.bots.risk:bot --network <choice>`.
Its key holds RISK_KEEPER only: it can publish bounded model data, never move funds.
Restart-safe: observations are keyed by (chain, feed, round); publications by (chain, portfolio,
update id), confirmed against the engine's own update id, which refuses replays.
"""

from __future__ import annotations

from ape import chain, project
from ape.logging import logger
from silverback import SilverbackBot, StateSnapshot

from keepers import store
from keepers.bots.common import connected_record, portfolio_feeds
from keepers.risk.portfolio import load_portfolio
from keepers.risk.publication import bootstrap_history, observe, observed_history, publish, with_retries

KEEPER_NAME = "risk"
FEED_DECIMALS = 8

bot = SilverbackBot()
record = connected_record()
portfolio = load_portfolio()
risk = project.RiskEngine.at(record.address_of("RiskEngine"))
vault, router, feeds = portfolio_feeds(record, portfolio)
db = store.open_store()
bootstrap = bootstrap_history(portfolio)
_answer_updated = next(iter(feeds.values())).AnswerUpdated.abi


def catch_up(block_number: int) -> int:
    cursor = store.get_cursor(db, KEEPER_NAME, chain.chain_id)
    start = (record.block or 0) if cursor is None else cursor + 1
    if start > block_number:
        return 0
    new = observe(db, chain.chain_id, feeds, _answer_updated, start, block_number)
    store.advance_cursor(db, KEEPER_NAME, chain.chain_id, block_number)
    return new


def cycle(block) -> dict:
    new_rounds = catch_up(block.number)
    result: dict = {"new_rounds": new_rounds}
    if bot.signer is None:
        logger.warning("risk keeper has no signer: observing only")
        return result
    if new_rounds:
        was_halted = risk.isHalted(vault)
        with_retries(lambda: risk.sync(vault, sender=bot.signer))
        result["halted"] = risk.isHalted(vault)
        if result["halted"] and not was_halted:
            logger.warning(f"portfolio {vault.address} halted by the engine on sync")
    prices, as_of = observed_history(db, chain.chain_id, feeds, FEED_DECIMALS, bootstrap)
    outcome = publish(db, chain.chain_id, risk, vault, router, portfolio, prices, as_of, block.timestamp, bot.signer)
    if "reason" in outcome:
        logger.info(f"no model update: {outcome.pop('reason')}")
    # Silverback metrics are numbers only.
    result.update({k: v for k, v in outcome.items() if isinstance(v, (int, float, bool))})
    return result


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle(chain.blocks.head)


@bot.on_(chain.blocks)
def on_block(block) -> dict:
    return cycle(block)
