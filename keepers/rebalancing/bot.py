"""Signal keeper: on schedule and on large moves, computes the strategy signal, asks the
RebalancerLens's `previewRebalance` for the trades, cost and benefit, and signs and relays the
intent only when the benefit beats the cost; every prediction, intent and outcome goes to the
keeper store. Retrains the model weekly (a scheduled task) and uses the new weights from then on.

Run: `SILVERBACK_SIGNER_ALIAS=<signal keeper> silverback run keepers.rebalancing.bot:bot --network
<choice>`. The signer must be an authorised intent signer of the portfolio's strategy (deploy
`--signal-signer`); it needs no role: the contract bounds what any intent can do. See
keepers/rebalancing/keeper.py for the restart and failure rules.
"""

from __future__ import annotations

import os
from pathlib import Path

from ape import chain, project
from ape.logging import logger
from silverback import StateSnapshot

from keepers.core import store
from keepers.core.bot import keeper_bot
from keepers.core.metrics import observed
from keepers.core.record import connected_record, portfolio_feeds
from keepers.core.units import FEED_DECIMALS
from keepers.liquidity import Router, sources_from_record
from keepers.rebalancing.cycle import DOMAIN, load_market
from keepers.rebalancing.intent import account_signer
from keepers.rebalancing.keeper import KeeperConfig, SignalKeeper
from keepers.rebalancing.model import DEFAULT_MODEL, TrainedSelector
from keepers.risk import bootstrap_history, observed_history
from keepers.vault import load_portfolio

MODEL_PATH_ENV = "QUANTERA_SIGNAL_MODEL"
RETRAIN_EPOCHS_ENV = "QUANTERA_SIGNAL_RETRAIN_EPOCHS"
MODELS_DIR = Path(".quantera") / "models"

bot = keeper_bot("signal")
record = connected_record()
portfolio = load_portfolio()
rebalancer = project.AutoRebalancer.at(record.address_of("AutoRebalancer"))
rebalancer_lens = project.RebalancerLens.at(record.address_of("RebalancerLens"))
vault, router, feeds = portfolio_feeds(record, portfolio)
aggregator = project.LiquidityAggregator.at(record.address_of("LiquidityAggregator"))
db = store.open_store()
bootstrap = bootstrap_history(portfolio)
model_path = Path(os.environ.get(MODEL_PATH_ENV, DEFAULT_MODEL))
selector = TrainedSelector.load(model_path) if model_path.is_file() else None


def market():
    """The bootstrap history followed by the feed rounds the risk keeper observed."""
    prices, _ = observed_history(db, chain.chain_id, feeds, FEED_DECIMALS, bootstrap)
    return load_market(prices)


def make_keeper() -> SignalKeeper:
    signer = bot.signer
    if signer is None:
        raise RuntimeError(
            "the signal keeper needs SILVERBACK_SIGNER_ALIAS (an authorised intent signer)"
        )
    return SignalKeeper(
        chain,
        rebalancer,
        rebalancer_lens,
        vault,
        router,
        aggregator,
        db,
        market,
        selector,
        account_signer(signer, DOMAIN, chain.chain_id, rebalancer.address),
        signer.address,
        signer,
        KeeperConfig(),
        Router(aggregator, sources_from_record(record.contracts)),
    )


def cycle(trigger: str) -> dict:
    outcome = make_keeper().run()
    logger.info(f"signal cycle ({trigger}): {outcome['decision']}")
    return {k: v for k, v in outcome.items() if isinstance(v, (int, float, bool))}


@bot.on_startup()
def startup(startup_state: StateSnapshot) -> dict:
    return cycle("startup")


@bot.on_(chain.blocks)
@observed("signal")
def on_block(block) -> dict:
    """Large moves: the contract's own checkUpkeep says the weights drifted past the threshold."""
    due, _ = rebalancer_lens.shouldRebalance(rebalancer, vault)
    return cycle("drift") if due else {}


@bot.cron("0 * * * *")
@observed("signal")
def hourly(now) -> dict:
    return cycle("schedule")


@bot.cron("0 3 * * 1")
@observed("signal")
def weekly_retrain(now) -> dict:
    """Retrains on the history known now, saves the weights with their version and data hash, and
    switches to them. The previous weights stay on disk."""
    global selector
    from keepers.rebalancing.model import build_dataset, fit_selector

    data = market()
    dataset = build_dataset(data.prices, data.risky, data.tbill, data.limits)
    trained = fit_selector(dataset, epochs=int(os.environ.get(RETRAIN_EPOCHS_ENV, "60")))
    path = MODELS_DIR / f"{trained.version}.npz"
    trained.save(path)
    selector = trained
    logger.info(f"signal model retrained: {trained.version} -> {path}")
    return {"retrained": True}
