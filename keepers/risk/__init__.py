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
    from keepers.risk.limits import RISK_LIMIT_NAMES
    from keepers.risk.models import VarResult, historical_var, parametric_var
    from keepers.risk.publication import bootstrap_history, observed_history
    from keepers.risk.store import publications
    from keepers.risk.stress import load_scenarios, stress_losses

# The history the risk keeper starts from and the feed rounds it stores: the signal keeper's prices.
_PUBLIC = {"bootstrap_history": "publication", "observed_history": "publication"}
# The operators' return files, read by `quantera risk` and `quantera analytics` alike.
_PUBLIC["load_returns"] = "inputs"
# VaR and ES of a portfolio's return history (the reports' risk section).
_PUBLIC.update({name: "models" for name in ("VarResult", "historical_var", "parametric_var")})
# The stress scenarios and their losses on given weights (the console's risk page).
_PUBLIC.update({"load_scenarios": "stress", "stress_losses": "stress"})
# The engine's RiskLimit names (a check's failure, a halt's reason).
_PUBLIC["RISK_LIMIT_NAMES"] = "limits"
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
# The risk keeper's publications in the keeper store (the console's risk page, the demo).
_PUBLIC.update({name: "store" for name in ("publications",)})
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
