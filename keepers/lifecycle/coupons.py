"""The coupon scheduler: for a bond instrument of the registry, its coupons — accrual period,
payment date, record date, amount per unit — and the interest accrued on a date, from the
registry's terms and keepers/lifecycle/schedule.py (QuantLib). Pure: no chain access.

From the terms (`InstrumentTerms`, as registered):
- the schedule is QuantLib's backward schedule from the issue date to the maturity date, 12 /
  `frequency` months a period, every date rolled by the terms' business-day convention over
  weekends (`schedule.coupon_schedule`); without the end-of-month rule, which the registry's terms
  do not carry (a parameter here, off by default);
- coupon n accrues from schedule date n - 1 to schedule date n and is paid on date n;
- its record date is the payment date less `recordDateOffsetDays` calendar days (not rolled): the
  holders at the end of that day are the holders of record;
- its amount per unit is the coupon on one whole share's face value (`faceValue`, 18 decimals of
  the currency) at `fixedRateBps`, by the terms' day count: floor(face x rate x dayCount /
  (denominator x 1e18)), rounded down once as on chain (`schedule.coupon_amount_units`), with the
  exact figure beside it;
- the accrued interest on a date is the coupon of [period start, date] of the period accruing then.

Fixed-coupon notes only have amounts in the schedule: a floating-rate note's dates are scheduled
the same way but its amount needs the index's fixing (`None` here); given a fixing,
`floating_coupon_per_unit` is the coupon the BondServicer pays (differential-tested against
QuantLib's `IborCoupon`, `schedule.floating_coupon`); bills and fund share classes have no
coupon. No payment is made here: the on-chain coupon payment (income, issue 17 item 5) is another
contract's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from keepers.core.units import BPS, WAD
from keepers.lifecycle.instruments import (
    MAX_FLOATING_RATE_BPS,
    InstrumentKind,
    InstrumentTerms,
)
from keepers.lifecycle.schedule import (
    CouponSchedule,
    accrued_interest_units,
    coupon_amount,
    coupon_amount_units,
    floating_rate,
    from_timestamp,
    to_wad,
)

BOND_KINDS = (InstrumentKind.FIXED_COUPON_NOTE, InstrumentKind.FLOATING_RATE_NOTE)


@dataclass(frozen=True)
class Coupon:
    """Coupon `number` (1 = the first). Amounts are per whole share, in 18-decimal units of the
    instrument's currency; `rate_wad` the annual rate (1e18 = 100%). All three None for a
    floating coupon whose rate is not fixed yet (`with_fixings` sets those the chain fixed)."""

    number: int
    accrual_start: dt.date
    payment_date: dt.date
    record_date: dt.date
    amount_per_unit: int | None
    amount: Decimal | None
    rate_wad: int | None = None

    def as_json(self) -> dict:
        return {
            "number": self.number,
            "accrual_start": self.accrual_start.isoformat(),
            "payment_date": self.payment_date.isoformat(),
            "record_date": self.record_date.isoformat(),
            "amount_per_unit": None if self.amount_per_unit is None else str(self.amount_per_unit),
            "amount": None if self.amount is None else str(self.amount),
            "rate": None if self.rate_wad is None else str(Decimal(self.rate_wad) / WAD),
        }


def is_bond(terms: InstrumentTerms) -> bool:
    return terms.kind in BOND_KINDS and terms.coupon.frequency != 0


def rate_wad(terms: InstrumentTerms) -> int:
    """The fixed rate as the chain's 18-decimal fraction (425 bps -> 0.0425e18)."""
    return terms.coupon.fixed_rate_bps * WAD // BPS


def floating_coupon_per_unit(
    terms: InstrumentTerms, number: int, index: Decimal, end_of_month: bool = False
) -> int:
    """Floating coupon `number` per whole share (18-decimal units of the currency, rounded down
    once as on chain) when its index is fixed at `index` (an annual fraction, 0.0530 = 5.30%):
    the chain's `couponAmount` at `floating_rate(index, spreadBps)` floored to 1e18 (the
    BondServicer's fixing; QuantLib's `IborCoupon` at that fixing is `schedule.floating_coupon`)."""
    if terms.kind is not InstrumentKind.FLOATING_RATE_NOTE:
        raise ValueError(f"a {terms.kind.name} has no floating coupon")
    periods = coupon_schedule_of(terms, end_of_month).periods()
    if not 1 <= number <= len(periods):
        raise ValueError(f"coupon {number} is not one of 1..{len(periods)}")
    period = periods[number - 1]
    rate = to_wad(floating_rate(index, terms.coupon.spread_bps))
    return coupon_amount_units(
        terms.face_value, rate, terms.coupon.day_count, period.start, period.end
    )


def coupon_schedule_of(terms: InstrumentTerms, end_of_month: bool = False) -> CouponSchedule:
    """The terms' schedule (QuantLib); ValueError for an instrument without coupons."""
    if not is_bond(terms):
        raise ValueError(f"a {terms.kind.name} has no coupon schedule")
    return CouponSchedule(
        issue=from_timestamp(terms.issue_date),
        maturity=from_timestamp(terms.maturity_date),
        frequency=terms.coupon.frequency,
        rate=Decimal(terms.coupon.fixed_rate_bps) / BPS,
        day_count=terms.coupon.day_count,
        roll=terms.coupon.roll,
        end_of_month=end_of_month,
    )


def all_coupons(terms: InstrumentTerms, end_of_month: bool = False) -> list[Coupon]:
    """Every coupon of the instrument, in order (none without coupons)."""
    if not is_bond(terms):
        return []
    schedule = coupon_schedule_of(terms, end_of_month)
    fixed = terms.kind is InstrumentKind.FIXED_COUPON_NOTE
    offset = dt.timedelta(days=terms.coupon.record_date_offset_days)
    result = []
    for period in schedule.periods():
        units = exact = None
        if fixed:
            units = coupon_amount_units(
                terms.face_value, rate_wad(terms), schedule.day_count, period.start, period.end
            )
            exact = coupon_amount(
                terms.face_value, schedule.rate, schedule.day_count, period.start, period.end
            )
        result.append(
            Coupon(
                period.number,
                period.start,
                period.end,
                period.end - offset,
                units,
                exact,
                rate_wad(terms) if fixed else None,
            )
        )
    return result


def with_fixings(
    terms: InstrumentTerms, coupons: list[Coupon], fixings: dict[int, int]
) -> list[Coupon]:
    """`coupons` with each floating coupon the chain has fixed (`fixings`: number -> the rate of
    its `CouponFixed`, WAD) given that rate and its amount at it (rounded as on chain); the
    others as they are (a fixed coupon has its rate; an unfixed floating one none)."""
    result = []
    for c in coupons:
        rate = fixings.get(c.number)
        if c.rate_wad is None and rate is not None:
            units = coupon_amount_units(
                terms.face_value, rate, terms.coupon.day_count, c.accrual_start, c.payment_date
            )
            exact = coupon_amount(
                terms.face_value,
                Decimal(rate) / WAD,
                terms.coupon.day_count,
                c.accrual_start,
                c.payment_date,
            )
            c = replace(c, amount_per_unit=units, amount=exact, rate_wad=rate)
        result.append(c)
    return result


def coming_coupons(
    terms: InstrumentTerms, today: dt.date, count: int | None = None, end_of_month: bool = False
) -> list[Coupon]:
    """The coupons paid on or after `today`, the first `count` of them (all when None)."""
    if count is not None and count < 0:
        raise ValueError(f"count {count} is negative")
    coming = [c for c in all_coupons(terms, end_of_month) if c.payment_date >= today]
    return coming if count is None else coming[:count]


def next_coupon(
    terms: InstrumentTerms, today: dt.date, end_of_month: bool = False
) -> Coupon | None:
    """The next coupon whose record date is on or after `today` (its holders of record are not
    fixed yet), or None when every record date has passed (or the instrument pays none)."""
    for coupon in all_coupons(terms, end_of_month):
        if coupon.record_date >= today:
            return coupon
    return None


def due_coupons(terms: InstrumentTerms, today: dt.date, end_of_month: bool = False) -> list[Coupon]:
    """The coupons whose holders of record are fixed by `today` (record date on or before it)."""
    return [c for c in all_coupons(terms, end_of_month) if c.record_date <= today]


def accrued_per_unit(
    terms: InstrumentTerms, today: dt.date, end_of_month: bool = False
) -> int | None:
    """Interest accrued on one whole share's face on `today` (18 decimals, rounded down as on
    chain): 0 before the first accrual or from maturity on, None for a floating coupon."""
    if not is_bond(terms):
        return 0
    if terms.kind is InstrumentKind.FLOATING_RATE_NOTE:
        return None
    for coupon in all_coupons(terms, end_of_month):
        if coupon.accrual_start <= today < coupon.payment_date:
            return accrued_interest_units(
                terms.face_value,
                rate_wad(terms),
                terms.coupon.day_count,
                coupon.accrual_start,
                coupon.payment_date,
                today,
            )
    return 0


@dataclass(frozen=True)
class ServicingBounds:
    """The largest values a note's BondServicer reaches over the note's whole life (IBondServicer;
    per whole share, payment-asset base units x 1e18, as on chain): its coupon index after every
    coupon at the highest rate the terms can pay (a fixed note's rate; a floating note's cap,
    `MAX_FLOATING_RATE_BPS`), and its redemption price (face value, or the call price plus a
    whole period's coupon, whichever is larger)."""

    coupon_index: int
    redemption_price: int


def servicing_bounds(
    terms: InstrumentTerms, asset_decimals: int, end_of_month: bool = False
) -> ServicingBounds:
    """The servicer's largest coupon index and redemption price for `terms` paid in an asset of
    `asset_decimals` decimals (`ServicingBounds`), rounded as on chain."""
    asset_unit = 10**asset_decimals
    index = longest = 0
    if is_bond(terms):
        fixed = terms.kind is InstrumentKind.FIXED_COUPON_NOTE
        bps = terms.coupon.fixed_rate_bps if fixed else MAX_FLOATING_RATE_BPS
        rate = bps * WAD // BPS
        for period in coupon_schedule_of(terms, end_of_month).periods():
            per_share = coupon_amount_units(
                terms.face_value, rate, terms.coupon.day_count, period.start, period.end
            )
            index += per_share * asset_unit
            longest = max(longest, per_share * asset_unit)
    price = terms.face_value * asset_unit
    if terms.call.callable:
        price = max(
            price, terms.face_value * terms.call.call_price_bps // BPS * asset_unit + longest
        )
    return ServicingBounds(index, price)
