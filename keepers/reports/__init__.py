"""Reports domain (no contracts): PDF reports for clients and regulators. Pure building blocks
(`pdf`: the document template, tables, charts, the footer with the data's block and time and the
page number; `client`: the client report's data, computed with keepers.analytics and keepers.risk,
and its rendering; `compliance_pdf`: the compliance report's rows rendered). Every renderer takes
plain data, so it is tested without a chain; the chain reads are apart (`client_chain`: a client's
share of a PortfolioVault and its fund shares, fees and income), and `quantera report` (`cli`).

The CLI imports the names below from `keepers.reports` only (loaded on first use: reportlab,
matplotlib and pandas are imported then, not when the CLI starts)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.reports.client import (
        ClientReport,
        FeeIncome,
        Holding,
        ReportError,
        RiskFigure,
        client_report,
        render_client,
    )
    from keepers.reports.client_chain import client_report_at_head
    from keepers.reports.compliance_pdf import render_compliance
    from keepers.reports.pdf import DataStamp

_MODULES = {
    "pdf": ("DataStamp",),
    "client": (
        "ClientReport",
        "FeeIncome",
        "Holding",
        "ReportError",
        "RiskFigure",
        "client_report",
        "render_client",
    ),
    "client_chain": ("client_report_at_head",),
    "compliance_pdf": ("render_compliance",),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
