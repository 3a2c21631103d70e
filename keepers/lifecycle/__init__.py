"""Lifecycle domain (contracts/lifecycle): the instrument registry's and the settlement assets'
vocabulary with the ISIN and CUSIP check digits (`instruments`, no chain access) and their deploy
steps (`deploy`).

Other domains, the CLI and the demo import the names below from `keepers.lifecycle` only (loaded
on first use)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.lifecycle.deploy import (
        approve_issuers,
        deploy_instrument_registry,
        deploy_lifecycle,
        deploy_settlement_assets,
        issuer_steps,
        list_settlement_assets,
        settlement_asset_steps,
    )
    from keepers.lifecycle.instruments import (
        ALL_OPERATIONS,
        FLOATING_INDEXES,
        OPERATIONS,
        RISK_WEIGHT_FLOOR_BPS,
        BusinessDayRoll,
        CallTerms,
        CouponTerms,
        DayCount,
        InstrumentKind,
        InstrumentStatus,
        InstrumentTerms,
        SettlementAssetType,
        cusip_check_digit,
        is_valid_cusip,
        is_valid_isin,
        isin_check_digit,
        utc_midnight,
    )

# The registry's vocabulary and the identifier checks (pure).
_PUBLIC = {
    name: "instruments"
    for name in (
        "ALL_OPERATIONS",
        "FLOATING_INDEXES",
        "OPERATIONS",
        "RISK_WEIGHT_FLOOR_BPS",
        "BusinessDayRoll",
        "CallTerms",
        "CouponTerms",
        "DayCount",
        "InstrumentKind",
        "InstrumentStatus",
        "InstrumentTerms",
        "SettlementAssetType",
        "cusip_check_digit",
        "is_valid_cusip",
        "is_valid_isin",
        "isin_check_digit",
        "utc_midnight",
    )
}
# Its deploy steps (the settlement assets, the registry and its validator; listings, issuers).
_PUBLIC.update(
    {
        name: "deploy"
        for name in (
            "approve_issuers",
            "deploy_instrument_registry",
            "deploy_lifecycle",
            "deploy_settlement_assets",
            "issuer_steps",
            "list_settlement_assets",
            "settlement_asset_steps",
        )
    }
)
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
