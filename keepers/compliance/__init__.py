"""Compliance domain (contracts/compliance, contracts/identity): jurisdiction defaults
(`jurisdictions`), onboarding (`onboarding`, `onboard_chain`), sanctions screening (`screening`),
reports (`report`, `report_chain`) and the sanctions screening keeper (`bot`).

The CLI imports the names below from `keepers.compliance` only (loaded on first use, so the
quantera CLI starts without ape)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.compliance.onboard_chain import onboard
    from keepers.compliance.report_chain import build_chain_report, parse_time

_PUBLIC = {"build_chain_report": "report_chain", "onboard": "onboard_chain", "parse_time": "report_chain"}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
