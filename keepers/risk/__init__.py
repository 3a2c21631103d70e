"""Risk domain (contracts/risk): pure models (`models`), stress scenarios (`stress`), input files
(`inputs`), the keeper cycle (`cycle`), the on-chain model update (`publication`), `quantera risk`
(`cli`) and the risk keeper (`bot`).

Other domains and the demo import the names below from `keepers.risk` only (loaded on first use)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.risk.deploy import (
        configure_steps,
        deploy_feeds,
        deploy_oracle,
        deploy_risk_engine,
        feed_config,
        feed_steps,
        set_feeds,
    )
    from keepers.risk.inputs import load_returns
    from keepers.risk.models import VarResult, historical_var, parametric_var
    from keepers.risk.publication import bootstrap_history, observed_history

# The history the risk keeper starts from and the feed rounds it stores: the signal keeper's prices.
_PUBLIC = {"bootstrap_history": "publication", "observed_history": "publication"}
# The operators' return files, read by `quantera risk` and `quantera analytics` alike.
_PUBLIC["load_returns"] = "inputs"
# VaR and ES of a portfolio's return history (the reports' risk section).
_PUBLIC.update({name: "models" for name in ("VarResult", "historical_var", "parametric_var")})
# Its deploy steps (the oracle router and feeds, the engine and its lens, a portfolio's limits).
_PUBLIC.update(
    {
        name: "deploy"
        for name in (
            "configure_steps",
            "deploy_feeds",
            "deploy_oracle",
            "deploy_risk_engine",
            "feed_config",
            "feed_steps",
            "set_feeds",
        )
    }
)
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
