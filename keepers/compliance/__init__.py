"""Compliance domain (contracts/compliance, contracts/identity): jurisdiction defaults
(`jurisdictions`), onboarding (`onboarding`, `onboard_chain`), sanctions screening (`screening`),
reports (`report`, `report_chain`), its deploy steps (`deploy`) and the sanctions screening keeper
(`bot`).

The CLI imports the names below from `keepers.compliance` only (loaded on first use, so the
quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.compliance.capabilities import AgentCapability
    from keepers.compliance.deploy import (
        bind_share_compliance,
        default_jurisdictions,
        deploy_compliance,
        deploy_registry,
        deploy_security,
        deploy_share_compliance,
        deploy_token_admin,
    )
    from keepers.compliance.jurisdictions import INVESTOR_CLASSES, load_jurisdictions
    from keepers.compliance.migration_view import read_migration
    from keepers.compliance.onboard_chain import onboard
    from keepers.compliance.onboarding import OnChainInvestor, parse_kyc_csv, plan
    from keepers.compliance.report_chain import build_chain_report, parse_time
    from keepers.compliance.store import decisions

_PUBLIC = {
    "AgentCapability": "capabilities",
    "INVESTOR_CLASSES": "jurisdictions",
    "OnChainInvestor": "onboarding",
    "parse_kyc_csv": "onboarding",
    "plan": "onboarding",
    "bind_share_compliance": "deploy",
    "build_chain_report": "report_chain",
    "default_jurisdictions": "deploy",
    "deploy_compliance": "deploy",
    "deploy_registry": "deploy",
    "deploy_security": "deploy",
    "deploy_share_compliance": "deploy",
    "deploy_token_admin": "deploy",
    "load_jurisdictions": "jurisdictions",
    "onboard": "onboard_chain",
    "parse_time": "report_chain",
    "read_migration": "migration_view",
}
# The screening keeper's decisions in the keeper store (the console's compliance page).
_PUBLIC.update({name: "store" for name in ("decisions",)})
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
