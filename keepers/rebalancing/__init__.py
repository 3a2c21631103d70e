"""Rebalancing domain (contracts/rebalancing): market features (`features`), target-weight
strategies (`strategies`), a strategy-selector network in numpy (`network`, `model`) with the
out-of-sample evaluation that says how good (or not) it is, rebalance plans mirroring
`RebalanceMath` (`rebalance_plan`), signed intents (`intent`), the signal keeper's cycle (`cycle`,
`keeper`), `quantera signal` (`cli`), the signal keeper (`bot`) and its deploy steps (`deploy`).

The demo imports the names below from `keepers.rebalancing` only (loaded on first use, so the
quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.rebalancing.cycle import DOMAIN, load_market
    from keepers.rebalancing.deploy import deploy_rebalancer, rebalance_vault, strategy_steps
    from keepers.rebalancing.intent import account_signer
    from keepers.rebalancing.keeper import KeeperConfig, SignalKeeper
    from keepers.rebalancing.model import DEFAULT_MODEL, TrainedSelector

_PUBLIC = {
    "DEFAULT_MODEL": "model",
    "DOMAIN": "cycle",
    "KeeperConfig": "keeper",
    "SignalKeeper": "keeper",
    "TrainedSelector": "model",
    "account_signer": "intent",
    "deploy_rebalancer": "deploy",
    "load_market": "cycle",
    "rebalance_vault": "deploy",
    "strategy_steps": "deploy",
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
