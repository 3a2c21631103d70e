"""Lifecycle domain (contracts/lifecycle): the life of the asset itself (docs/lifecycle.md). This
package so far holds the deploy steps of the dealing core, the FundVault (`fund_deploy`).

Other domains, the CLI and the demo import these names from `keepers.lifecycle` only (loaded on
first use, so the quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.lifecycle.fund_deploy import (
        FUND_VAULT,
        deploy_fund_vault,
        investment_minimum_steps,
        next_cutoff,
        set_investment_minimums,
    )

_PUBLIC = {
    "FUND_VAULT": "fund_deploy",
    "deploy_fund_vault": "fund_deploy",
    "investment_minimum_steps": "fund_deploy",
    "next_cutoff": "fund_deploy",
    "set_investment_minimums": "fund_deploy",
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
