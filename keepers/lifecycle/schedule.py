"""Coupon schedules, day counts and accrued interest, computed with QuantLib 1.44 (the reference
for bond schedules and day counts), and their on-chain encodings: the same conventions as
`contracts/lifecycle/DayCount.sol`, which the differential tests hold to the same results
(tests/contracts/lifecycle/test_day_count.py).

Pure: no chain access. The coupon scheduler keeper and `quantera instrument` build on it.

Conventions, each the QuantLib class named and the Solidity enum member at the same position:

- day counts (`DayCountConvention`): ACT/360 `ql.Actual360()`, ACT/365 (Fixed)
  `ql.Actual365Fixed()`, 30/360 ISDA Bond Basis `ql.Thirty360(ql.Thirty360.BondBasis)`;
- business-day rolls (`BusinessDayConvention`): `ql.Unadjusted`, `ql.Following`,
  `ql.ModifiedFollowing`, `ql.Preceding`, over `ql.WeekendsOnly()`: Saturdays and Sundays, no
  holidays — the chain has no holiday calendar either;
- schedules: `ql.Schedule(issue, maturity, ql.Period(12 // frequency, ql.Months),
  ql.WeekendsOnly(), roll, roll, ql.DateGeneration.Backward, end_of_month)`, 1, 2, 4 or 12
  coupons a year; the first period is a short stub when the issue date is not on the schedule.

Exactness: a day count is QuantLib's integer `dayCount`; a year fraction is that count over the
convention's denominator (360 or 365) as an exact rational, returned as a Decimal of 50
significant digits, or floored to 1e18 (the chain's encoding, `year_fraction_wad`). QuantLib's own
`yearFraction` is the same ratio rounded to a double. A coupon is face x rate x year fraction;
in settlement-asset units it is rounded down once (`coupon_amount_units`), as on chain.

Floating coupons: `floating_coupon` is QuantLib's `IborCoupon` fixed in arrears at the record
date at a given index value, the index floored at 0 and the rate at 0 (`floating_rate`, the
BondServicer's rule); on chain the coupon is then the fixed-rate formula at that rate.

Dates are `datetime.date`s within 1970-01-01 .. 2199-12-31: the chain's domain (1970-2200) cut
to QuantLib's (1901-2199).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import QuantLib as ql

from keepers.core.units import WAD
from keepers.lifecycle.conventions import BusinessDayConvention, DayCountConvention

SECONDS_PER_DAY = 86_400
EPOCH = dt.date(1970, 1, 1)
FIRST_DATE = EPOCH
LAST_DATE = dt.date(2199, 12, 31)  # QuantLib's last date (the chain goes on to 2200-12-31)
FREQUENCIES = (1, 2, 4, 12)
DECIMAL_DIGITS = 50  # significant digits of every Decimal returned


_DENOMINATOR = {
    DayCountConvention.ACTUAL_360: 360,
    DayCountConvention.ACTUAL_365_FIXED: 365,
    DayCountConvention.THIRTY_360_BOND_BASIS: 360,
}
_ROLL = {
    BusinessDayConvention.UNADJUSTED: ql.Unadjusted,
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.MODIFIED_FOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.PRECEDING: ql.Preceding,
}
_CALENDAR = ql.WeekendsOnly()


def day_counter(convention: DayCountConvention) -> ql.DayCounter:
    """The QuantLib day counter of `convention`."""
    convention = DayCountConvention(convention)
    if convention is DayCountConvention.ACTUAL_360:
        return ql.Actual360()
    if convention is DayCountConvention.ACTUAL_365_FIXED:
        return ql.Actual365Fixed()
    return ql.Thirty360(ql.Thirty360.BondBasis)


def ql_roll(convention: BusinessDayConvention) -> int:
    """The QuantLib business-day convention of `convention`."""
    return _ROLL[BusinessDayConvention(convention)]


def denominator(convention: DayCountConvention) -> int:
    """Days in the year of `convention`: 360 or 365."""
    return _DENOMINATOR[DayCountConvention(convention)]


# ------------------------------------------------------------------------------------- dates


def _checked(date: dt.date, what: str = "date") -> dt.date:
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise TypeError(f"{what} must be a datetime.date, not {type(date).__name__}")
    if not FIRST_DATE <= date <= LAST_DATE:
        raise ValueError(f"{what} {date} is outside {FIRST_DATE} .. {LAST_DATE}")
    return date


def ql_date(date: dt.date) -> ql.Date:
    """`date` as a QuantLib date."""
    _checked(date)
    return ql.Date(date.day, date.month, date.year)


def py_date(date: ql.Date) -> dt.date:
    """A QuantLib date as a `datetime.date`."""
    return dt.date(date.year(), date.month(), date.dayOfMonth())


def weekday(date: dt.date) -> int:
    """ISO weekday, 1 Monday .. 7 Sunday (QuantLib's `Weekday` is 1 Sunday .. 7 Saturday)."""
    return (ql_date(date).weekday() + 5) % 7 + 1


def is_business_day(date: dt.date) -> bool:
    """Monday to Friday (`ql.WeekendsOnly()`: no holidays)."""
    return _CALENDAR.isBusinessDay(ql_date(date))


def roll(date: dt.date, convention: BusinessDayConvention) -> dt.date:
    """`date` moved off a weekend by `convention` (`ql.WeekendsOnly().adjust`)."""
    return py_date(_CALENDAR.adjust(ql_date(date), ql_roll(convention)))


def add_months(date: dt.date, months: int, end_of_month: bool = False) -> dt.date:
    """`date` plus `months` calendar months, the day clamped to the month's length (Jan 31 + 1
    month = Feb 28/29); with `end_of_month`, a month's last day goes to the last day
    (`ql.NullCalendar().advance(date, ql.Period(months, ql.Months), ql.Unadjusted, eom)`)."""
    moved = ql.NullCalendar().advance(
        ql_date(date), ql.Period(int(months), ql.Months), ql.Unadjusted, bool(end_of_month)
    )
    return _checked(py_date(moved), f"{date} + {months} months")


# ------------------------------------------------------------------------------- day counts


def _period(start: dt.date, end: dt.date) -> tuple[ql.Date, ql.Date]:
    _checked(start, "start")
    _checked(end, "end")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    return ql_date(start), ql_date(end)


def day_count(convention: DayCountConvention, start: dt.date, end: dt.date) -> int:
    """QuantLib's day count from `start` to `end` (actual days; 30/360 Bond Basis days)."""
    first, last = _period(start, end)
    return day_counter(convention).dayCount(first, last)


def _decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = DECIMAL_DIGITS
        return Decimal(value.numerator) / Decimal(value.denominator)


def year_fraction_exact(convention: DayCountConvention, start: dt.date, end: dt.date) -> Fraction:
    """The year fraction as an exact rational: QuantLib's day count over 360 or 365."""
    return Fraction(day_count(convention, start, end), denominator(convention))


def year_fraction(convention: DayCountConvention, start: dt.date, end: dt.date) -> Decimal:
    """The year fraction from `start` to `end` (50 significant digits)."""
    return _decimal(year_fraction_exact(convention, start, end))


def coupon_amount(
    face: Decimal | int,
    rate: Decimal | int,
    convention: DayCountConvention,
    start: dt.date,
    end: dt.date,
) -> Decimal:
    """Interest on `face` at the annual `rate` (0.05 = 5 %) for [start, end]: face x rate x year
    fraction, not rounded (50 significant digits). QuantLib's `FixedRateCoupon.amount()`."""
    face, rate = _non_negative(face, "face"), _non_negative(rate, "rate")
    exact = Fraction(face) * Fraction(rate) * year_fraction_exact(convention, start, end)
    return _decimal(exact)


def accrued_interest(
    face: Decimal | int,
    rate: Decimal | int,
    convention: DayCountConvention,
    start: dt.date,
    end: dt.date,
    settlement: dt.date,
) -> Decimal:
    """Interest accrued on `face` from the period's `start` to `settlement`, which must be within
    [start, end]: the coupon of [start, settlement] (QuantLib's `FixedRateCoupon.accruedAmount`)."""
    _require_within(settlement, start, end)
    return coupon_amount(face, rate, convention, start, settlement)


# A floating coupon's rate is capped at 150% a year (IBondServicer.MAX_RATE_BPS, the registry's
# largest fixed coupon plus its largest spread: the rate the coupon index is sized for).
MAX_FLOATING_RATE = Decimal(15_000) / 10_000


def floating_rate(index: Decimal, spread_bps: int) -> Decimal:
    """A floating coupon's annual rate as `BondServicer` fixes it: min(cap, max(0, max(0, index)
    + spread)) (a negative index counts as 0, and so does a rate a negative spread takes below 0;
    above `MAX_FLOATING_RATE`, 150% a year, it is the cap)."""
    if isinstance(index, float):
        raise TypeError("index must be a Decimal, not a float")
    rate = max(Decimal(0), max(Decimal(0), Decimal(index)) + Decimal(spread_bps) / 10_000)
    return min(rate, MAX_FLOATING_RATE)


@dataclass(frozen=True)
class FloatingCoupon:
    """QuantLib's `IborCoupon` of a floating-rate period, fixed in arrears at a given index value:
    its fixing date, accrual days, rate and amount (doubles, as QuantLib computes them)."""

    fixing_date: dt.date
    accrual_days: int
    rate: float
    amount: float


_RATE_INDEX = "QuanteraRateIndex"  # QuantLib keeps fixings by index name: cleared after each use


def floating_coupon(
    face: Decimal | int,
    index: Decimal,
    spread_bps: int,
    convention: DayCountConvention,
    start: dt.date,
    end: dt.date,
    fixing_days: int = 0,
) -> FloatingCoupon:
    """The coupon on `face` for [start, end] of a note paying `index` + `spread_bps`, fixed in
    arrears `fixing_days` calendar days before `end` (the record date), computed by QuantLib's
    `IborCoupon` over an index whose fixing on that date is max(0, `index`) (the zero floor on
    the index); a rate a negative spread takes below 0 pays 0 (`floating_rate`). The chain's cap
    (`MAX_FLOATING_RATE`, 150% a year) is not applied here: it is a bound, not a term."""
    _period(start, end)
    floored = max(Decimal(0), Decimal(index))
    settings = ql.Settings.instance()
    evaluation = settings.evaluationDate
    rate_index = ql.IborIndex(
        _RATE_INDEX,
        ql.Period((end - start).days, ql.Days),  # the tenor matters only for forecasts: none here
        0,
        ql.USDCurrency(),
        ql.NullCalendar(),  # calendar days: the fixing date is the record date, weekend or not
        ql.Unadjusted,
        False,
        day_counter(convention),
    )
    coupon = ql.IborCoupon(
        ql_date(end),
        float(_non_negative(face, "face")),
        ql_date(start),
        ql_date(end),
        int(fixing_days),
        rate_index,
        1.0,
        float(Decimal(spread_bps) / 10_000),
        ql.Date(),
        ql.Date(),
        day_counter(convention),
        True,  # in arrears: fixed at the record date, not at the period's start
    )
    # In arrears QuantLib's pricer asks for a volatility (its convexity adjustment, 0 for a fixing
    # already known): a flat zero one.
    volatility = ql.ConstantOptionletVolatility(
        0, ql.NullCalendar(), ql.Unadjusted, 0.0, day_counter(convention)
    )
    coupon.setPricer(ql.BlackIborCouponPricer(ql.OptionletVolatilityStructureHandle(volatility)))
    try:
        settings.evaluationDate = coupon.fixingDate()  # a past (known) fixing: no curve needed
        rate_index.addFixing(coupon.fixingDate(), float(floored), True)
        rate, amount = coupon.rate(), coupon.amount()
        fixing_date = py_date(coupon.fixingDate())
    finally:
        rate_index.clearFixings()
        settings.evaluationDate = evaluation
    if rate < 0:
        rate = amount = 0.0
    return FloatingCoupon(fixing_date, coupon.accrualDays(), rate, amount)


def _non_negative(value: Decimal | int, what: str) -> Decimal | int:
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal or an int, not a float")
    if value < 0:
        raise ValueError(f"{what} {value} is negative")
    return value


def _require_within(settlement: dt.date, start: dt.date, end: dt.date) -> None:
    _period(start, end)
    if not start <= _checked(settlement, "settlement") <= end:
        raise ValueError(f"settlement {settlement} is outside the period {start} .. {end}")


# -------------------------------------------------------------------------------- schedules


def months_per_period(frequency: int) -> int:
    """12 / frequency, for 1, 2, 4 or 12 coupons a year."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency {frequency} is not one of {FREQUENCIES} coupons a year")
    return 12 // frequency


def coupon_schedule(
    issue: dt.date,
    maturity: dt.date,
    frequency: int,
    convention: BusinessDayConvention = BusinessDayConvention.UNADJUSTED,
    end_of_month: bool = False,
) -> list[dt.date]:
    """QuantLib's backward schedule from `issue` to `maturity`, rolled by `convention` (the
    maturity too): date 0 is the issue date rolled, coupon n accrues from date n - 1 to date n."""
    step = months_per_period(frequency)
    first, last = ql_date(issue), ql_date(maturity)
    if issue >= maturity:
        raise ValueError(f"issue {issue} is not before maturity {maturity}")
    roll_ = ql_roll(convention)
    try:
        schedule = ql.Schedule(
            first,
            last,
            ql.Period(step, ql.Months),
            _CALENDAR,
            roll_,
            roll_,
            ql.DateGeneration.Backward,
            bool(end_of_month),
        )
    except RuntimeError as err:  # QuantLib: "degenerate single date schedule"
        raise ValueError(f"no coupon period from {issue} to {maturity}: {err}") from None
    return [py_date(date) for date in schedule]


@dataclass(frozen=True)
class CouponPeriod:
    """Coupon `number` (1 = the first): it accrues from `start` and is paid on `end`."""

    number: int
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class CouponSchedule:
    """A fixed-rate instrument's coupon terms, validated on construction."""

    issue: dt.date
    maturity: dt.date
    frequency: int
    rate: Decimal
    day_count: DayCountConvention
    roll: BusinessDayConvention = BusinessDayConvention.UNADJUSTED
    end_of_month: bool = False

    def __post_init__(self):
        _checked(self.issue, "issue")
        _checked(self.maturity, "maturity")
        if self.issue >= self.maturity:
            raise ValueError(f"issue {self.issue} is not before maturity {self.maturity}")
        months_per_period(self.frequency)
        object.__setattr__(self, "rate", Decimal(_non_negative(self.rate, "rate")))
        object.__setattr__(self, "day_count", DayCountConvention(self.day_count))
        object.__setattr__(self, "roll", BusinessDayConvention(self.roll))

    def schedule(self) -> list[dt.date]:
        return coupon_schedule(
            self.issue, self.maturity, self.frequency, self.roll, self.end_of_month
        )

    def periods(self) -> list[CouponPeriod]:
        dates = self.schedule()
        return [CouponPeriod(n, dates[n - 1], dates[n]) for n in range(1, len(dates))]

    def period_at(self, settlement: dt.date) -> CouponPeriod:
        """The period accruing on `settlement`: start <= settlement < end (on a coupon date the
        coupon is paid and the next period starts, as QuantLib's bonds settle by default)."""
        for period in self.periods():
            if period.start <= settlement < period.end:
                return period
        raise ValueError(f"settlement {settlement} is in no coupon period of {self}")

    def coupon(self, face: Decimal | int, period: CouponPeriod) -> Decimal:
        return coupon_amount(face, self.rate, self.day_count, period.start, period.end)

    def accrued(self, face: Decimal | int, settlement: dt.date) -> Decimal:
        period = self.period_at(settlement)
        return accrued_interest(
            face, self.rate, self.day_count, period.start, period.end, settlement
        )

    def encoded(self) -> dict[str, int | bool]:
        """The terms as the chain takes them (timestamps, 1e18 rate, enum values)."""
        return {
            "issue": to_timestamp(self.issue),
            "maturity": to_timestamp(self.maturity),
            "frequency": self.frequency,
            "rateWad": to_wad(self.rate),
            "dayCount": int(self.day_count),
            "roll": int(self.roll),
            "endOfMonth": bool(self.end_of_month),
        }


# ------------------------------------------------------------------- on-chain encodings


def to_timestamp(date: dt.date) -> int:
    """The chain's encoding of a date: its 00:00:00 UTC unix timestamp."""
    return (_checked(date) - EPOCH).days * SECONDS_PER_DAY


def from_timestamp(timestamp: int) -> dt.date:
    """The UTC date of a unix timestamp (time of day dropped, as on chain)."""
    if timestamp < 0:
        raise ValueError(f"timestamp {timestamp} is before 1970")
    return _checked(EPOCH + dt.timedelta(days=timestamp // SECONDS_PER_DAY), f"{timestamp}")


def to_wad(value: Decimal | Fraction | int) -> int:
    """floor(value x 1e18): the chain's 18-decimal fixed point (rates, year fractions)."""
    if isinstance(value, float):
        raise TypeError("to_wad takes a Decimal, a Fraction or an int, not a float")
    if value < 0:
        raise ValueError(f"{value} is negative")
    return int(Fraction(value) * WAD)  # int() truncates: floor for a non-negative value


def year_fraction_wad(convention: DayCountConvention, start: dt.date, end: dt.date) -> int:
    """The chain's `yearFraction`: floor(day count x 1e18 / denominator), exactly."""
    return day_count(convention, start, end) * WAD // denominator(convention)


def coupon_amount_units(
    face_units: int,
    rate_wad: int,
    convention: DayCountConvention,
    start: dt.date,
    end: dt.date,
) -> int:
    """The chain's `couponAmount` in settlement-asset units: floor(face x rate_wad x days /
    (denominator x 1e18)), one rounding, down (never in the holder's favour)."""
    _non_negative(face_units, "face_units")
    _non_negative(rate_wad, "rate_wad")
    days = day_count(convention, start, end)
    return face_units * rate_wad * days // (denominator(convention) * WAD)


def accrued_interest_units(
    face_units: int,
    rate_wad: int,
    convention: DayCountConvention,
    start: dt.date,
    end: dt.date,
    settlement: dt.date,
) -> int:
    """The chain's `accrued`: `coupon_amount_units` of [start, settlement]."""
    _require_within(settlement, start, end)
    return coupon_amount_units(face_units, rate_wad, convention, start, settlement)
