"""Lifecycle domain (contracts/lifecycle): the life of an instrument — its conventions
(`conventions`: day counts and business-day rolls, the chain's `DayCount` enums), coupon schedules,
day counts and accrued interest computed with QuantLib and their on-chain encodings (`schedule`, the
off-chain twin of `contracts/lifecycle/DayCount.sol`), the instrument registry's and the settlement
assets' vocabulary with the ISIN and CUSIP check digits (`instruments`, no chain access) and the
domain's deploy steps (`deploy`: the registry, the settlement assets and the fee schedule;
`fund_deploy`: a fund's ERC-7540 dealing vault). The NAV agent and the coupon scheduler: the short
rate (`rates`: French's monthly RF from arch.data, spread daily), the NAV model (`nav`), the coupons
of a bond's terms (`coupons`) — all pure —; the funds read from the registry (`funds`), one fund's
strikes, recorded before they are sent (`striking`), a serviced note's coupons recorded on its
BondServicer (`servicing`), the keeper's cycle (`keeper`), its silverback
bot (`bot`), `quantera instrument|fund` (`cli`) and terms files (`terms_file`). The fee keeper:
what a vault owes its fee recipient and when it is collected (`fees`, pure), the collections,
recorded before they are sent (`collecting`), and its silverback bot (`fee_bot`).

Other domains, the CLI and the demo import the names below from `keepers.lifecycle` only (loaded
on first use: QuantLib is imported then, not when the CLI starts)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.lifecycle.collecting import FeeKeeper
    from keepers.lifecycle.conventions import BusinessDayConvention, DayCountConvention
    from keepers.lifecycle.coupons import (
        Coupon,
        accrued_per_unit,
        all_coupons,
        coming_coupons,
        due_coupons,
        floating_coupon_per_unit,
        next_coupon,
        servicing_bounds,
        with_fixings,
    )
    from keepers.lifecycle.deploy import (
        approve_issuers,
        declarer_steps,
        deploy_bond_share_token,
        deploy_fee_schedule,
        deploy_income_share_logic,
        deploy_income_share_token,
        deploy_instrument_registry,
        deploy_lifecycle,
        deploy_settlement_assets,
        fee_schedule_steps,
        issuer_steps,
        list_settlement_assets,
        rate_index_feed_config,
        set_fee_schedule,
        set_token_issuer,
        settlement_asset_steps,
        token_issuer_steps,
        wire_rate_index,
    )
    from keepers.lifecycle.discovery import (
        DISCOVERY_BLOCKS,
        MAX_INSTRUMENTS,
        MAX_STORE_FUNDS,
        InstrumentParts,
        deployment_instruments,
        discover_instruments,
        known_registries,
        recorded_registries,
        registries_behind,
    )
    from keepers.lifecycle.dividends import Dividend, compute_dividend, is_due, window_start
    from keepers.lifecycle.fees import MAX_COLLECTIONS_PER_CYCLE, FeesDue
    from keepers.lifecycle.fund_deploy import (
        FUND_DESK,
        FUND_VAULT,
        deploy_fund_desk,
        deploy_fund_vault,
        desk_vault_name,
        escrow_steps,
        investment_minimum_steps,
        next_cutoff,
        set_investment_minimums,
    )
    from keepers.lifecycle.funds import Fund, discover_funds, registry_of
    from keepers.lifecycle.instruments import (
        ALL_OPERATIONS,
        COUPON_INDEX_BITS,
        FLOATING_INDEXES,
        LAST_MATURITY,
        MAX_ASSET_DECIMALS,
        MAX_CALL_PRICE_BPS,
        MAX_COUPON_BPS,
        MAX_FACE_VALUE,
        MAX_FLOATING_RATE_BPS,
        MAX_SPREAD_BPS,
        MAX_TERM_DAYS,
        OPERATIONS,
        RATE_INDEX_KEY_DOMAIN,
        RISK_WEIGHT_FLOOR_BPS,
        SERVICER_SCALE,
        CallTerms,
        CouponTerms,
        InstrumentKind,
        InstrumentStatus,
        InstrumentTerms,
        SettlementAssetType,
        cusip_check_digit,
        is_valid_cusip,
        is_valid_isin,
        isin_check_digit,
        rate_index_key,
        utc_midnight,
    )
    from keepers.lifecycle.keeper import LifecycleKeeper
    from keepers.lifecycle.nav import (
        ClassNav,
        Flow,
        Holdings,
        Nav,
        VaultHoldings,
        answer_nav18,
        compute_class_nav,
        compute_nav,
        custodian_value,
        feed_answer,
        move_bps,
        within_move_bound,
    )
    from keepers.lifecycle.rates import MonthlyRates, french_rf
    from keepers.lifecycle.schedule import (
        CouponPeriod,
        CouponSchedule,
        FloatingCoupon,
        accrued_interest,
        accrued_interest_units,
        add_months,
        coupon_amount,
        coupon_amount_units,
        coupon_schedule,
        day_count,
        floating_coupon,
        floating_rate,
        from_timestamp,
        roll,
        to_timestamp,
        to_wad,
        weekday,
        year_fraction,
        year_fraction_wad,
    )
    from keepers.lifecycle.store import (
        income_declaration,
        income_declarations,
        kept_funds,
        nav_strike,
    )
    from keepers.lifecycle.striking import Head

_MODULES = {
    "conventions": ("BusinessDayConvention", "DayCountConvention"),
    # The coupon scheduler (pure) and the NAV agent's model: the short rate, the NAV (pure).
    "coupons": (
        "Coupon",
        "accrued_per_unit",
        "all_coupons",
        "coming_coupons",
        "due_coupons",
        "floating_coupon_per_unit",
        "next_coupon",
        "servicing_bounds",
        "with_fixings",
    ),
    # The daily dividend in new shares (pure).
    "dividends": ("Dividend", "compute_dividend", "is_due", "window_start"),
    "nav": (
        "ClassNav",
        "Flow",
        "Holdings",
        "Nav",
        "VaultHoldings",
        "answer_nav18",
        "compute_class_nav",
        "compute_nav",
        "custodian_value",
        "feed_answer",
        "move_bps",
        "within_move_bound",
    ),
    "rates": ("MonthlyRates", "french_rf"),
    # Schedules, day counts, accrued interest and their on-chain encodings (QuantLib).
    "schedule": (
        "CouponPeriod",
        "CouponSchedule",
        "FloatingCoupon",
        "accrued_interest",
        "accrued_interest_units",
        "add_months",
        "coupon_amount",
        "coupon_amount_units",
        "coupon_schedule",
        "day_count",
        "floating_coupon",
        "floating_rate",
        "from_timestamp",
        "roll",
        "to_timestamp",
        "to_wad",
        "weekday",
        "year_fraction",
        "year_fraction_wad",
    ),
    # The registry's vocabulary and the identifier checks (pure).
    "instruments": (
        "ALL_OPERATIONS",
        "COUPON_INDEX_BITS",
        "FLOATING_INDEXES",
        "LAST_MATURITY",
        "MAX_ASSET_DECIMALS",
        "MAX_CALL_PRICE_BPS",
        "MAX_COUPON_BPS",
        "MAX_FACE_VALUE",
        "MAX_FLOATING_RATE_BPS",
        "MAX_SPREAD_BPS",
        "MAX_TERM_DAYS",
        "OPERATIONS",
        "RATE_INDEX_KEY_DOMAIN",
        "RISK_WEIGHT_FLOOR_BPS",
        "SERVICER_SCALE",
        "CallTerms",
        "CouponTerms",
        "InstrumentKind",
        "InstrumentStatus",
        "InstrumentTerms",
        "SettlementAssetType",
        "cusip_check_digit",
        "is_valid_cusip",
        "is_valid_isin",
        "isin_check_digit",
        "rate_index_key",
        "utc_midnight",
    ),
    # Its deploy steps (the settlement assets, the registry and its validator; listings, issuers;
    # a money-market share class paying its dividend in new shares; a note's share token and its
    # coupon and redemption servicer; a floating index's feed on the router; the fee schedule).
    "deploy": (
        "approve_issuers",
        "deploy_bond_share_token",
        "deploy_fee_schedule",
        "deploy_income_share_logic",
        "deploy_income_share_token",
        "declarer_steps",
        "deploy_instrument_registry",
        "deploy_lifecycle",
        "deploy_settlement_assets",
        "fee_schedule_steps",
        "issuer_steps",
        "list_settlement_assets",
        "rate_index_feed_config",
        "set_fee_schedule",
        "set_token_issuer",
        "settlement_asset_steps",
        "token_issuer_steps",
        "wire_rate_index",
    ),
    # The NAV agent's cycle and the chain head its strikes are timed by (the demo runs them).
    "keeper": ("LifecycleKeeper",),
    "striking": ("Head",),
    # The fee keeper: what a vault owes its fee recipient (pure) and its collection cycle.
    "fees": ("MAX_COLLECTIONS_PER_CYCLE", "FeesDue"),
    "collecting": ("FeeKeeper",),
    # The funds of a deployment as the registry lists them (the reports read their holders').
    "funds": ("Fund", "discover_funds", "registry_of"),
    # The instruments and funds of registries over the read protocol (the console's funds page).
    "discovery": (
        "DISCOVERY_BLOCKS",
        "MAX_INSTRUMENTS",
        "MAX_STORE_FUNDS",
        "InstrumentParts",
        "deployment_instruments",
        "recorded_registries",
        "discover_instruments",
        "known_registries",
        "registries_behind",
    ),
    # What the NAV agent and the fee keeper recorded (the console's funds page, the demo).
    "store": ("income_declaration", "income_declarations", "kept_funds", "nav_strike"),
    # A fund's dealing vault (FundVault) and the share engine's subscription minimums.
    "fund_deploy": (
        "FUND_DESK",
        "FUND_VAULT",
        "deploy_fund_desk",
        "deploy_fund_vault",
        "desk_vault_name",
        "escrow_steps",
        "investment_minimum_steps",
        "next_cutoff",
        "set_investment_minimums",
    ),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
