"""Lifecycle domain (contracts/lifecycle): the life of an instrument — coupon schedules, day
counts and accrued interest computed with QuantLib, and their on-chain encodings (`schedule`, the
off-chain twin of `contracts/lifecycle/DayCount.sol`).

Other domains, the CLI and the demo import the names below from `keepers.lifecycle` only (loaded
on first use: QuantLib is imported then, not when the CLI starts)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.lifecycle.schedule import (
        BusinessDayConvention,
        CouponPeriod,
        CouponTerms,
        DayCountConvention,
        accrued_interest,
        accrued_interest_units,
        add_months,
        coupon_amount,
        coupon_amount_units,
        coupon_schedule,
        day_count,
        from_timestamp,
        roll,
        to_timestamp,
        to_wad,
        weekday,
        year_fraction,
        year_fraction_wad,
    )

# Schedules, day counts, accrued interest and their on-chain encodings.
_PUBLIC = {
    name: "schedule"
    for name in (
        "BusinessDayConvention",
        "CouponPeriod",
        "CouponTerms",
        "DayCountConvention",
        "accrued_interest",
        "accrued_interest_units",
        "add_months",
        "coupon_amount",
        "coupon_amount_units",
        "coupon_schedule",
        "day_count",
        "from_timestamp",
        "roll",
        "to_timestamp",
        "to_wad",
        "weekday",
        "year_fraction",
        "year_fraction_wad",
    )
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
