"""Rebalancing domain (contracts/rebalancing): market features (`features`), target-weight
strategies (`strategies`), a strategy-selector network in numpy (`network`, `model`) with the
out-of-sample evaluation that says how good (or not) it is, rebalance plans mirroring
`RebalanceMath` (`rebalance_plan`), signed intents (`intent`), the signal keeper's cycle (`cycle`,
`keeper`), `quantera signal` (`cli`), the signal keeper (`bot`) and its deploy steps (`deploy`);
the asset manager's model portfolios and client drift (`models`), bulk rebalancing of every client
of a model (`bulk`) and `quantera manager` (`manager_cli`).

The demo imports the names below from `keepers.rebalancing` only (loaded on first use, so the
quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.rebalancing.bulk import BulkRebalance, BulkReport, ClientOutcome, bulk_rebalance
    from keepers.rebalancing.cycle import DOMAIN, load_market
    from keepers.rebalancing.deploy import (
        deploy_client_portfolios,
        deploy_rebalancer,
        fund_client_portfolios,
        rebalance_vault,
        strategy_steps,
    )
    from keepers.rebalancing.intent import account_signer
    from keepers.rebalancing.keeper import KeeperConfig, SignalKeeper
    from keepers.rebalancing.model import DEFAULT_MODEL, TrainedSelector
    from keepers.rebalancing.models import (
        Positions,
        assign_model,
        assignments,
        client_drifts,
        clients_of,
        define_model,
        get_model,
        list_models,
    )
    from keepers.rebalancing.store import bulk_outcomes, model_assignments, model_portfolios

_PUBLIC = {
    "BulkRebalance": "bulk",
    "BulkReport": "bulk",
    "ClientOutcome": "bulk",
    "Positions": "models",
    "assign_model": "models",
    "assignments": "models",
    "get_model": "models",
    "bulk_rebalance": "bulk",
    "client_drifts": "models",
    "clients_of": "models",
    "define_model": "models",
    "deploy_client_portfolios": "deploy",
    "fund_client_portfolios": "deploy",
    "list_models": "models",
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
# The book and the bulk runs in the keeper store (the console's manager page).
_PUBLIC.update(
    {name: "store" for name in ("bulk_outcomes", "model_assignments", "model_portfolios")}
)
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
