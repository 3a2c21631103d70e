"""LCY-2 to LCY-7: keepers.lifecycle.schedule, QuantLib's schedules, day counts and accrued
interest, and the on-chain encodings of them (the Python side of the differential tests; the
chain's side is tests/contracts/lifecycle/test_day_count.py).

Published worked examples:
- ISDA, "30/360 Day Count Conventions" (2008-12-22; the worked examples of the 2006 ISDA
  Definitions §4.16(f), https://www.isda.org/2008/12/22/30-360-day-count-conventions/), the
  Bond Basis table (examples 1-3), as QuantLib's test suite lists it (`testThirty360_BondBasis`);
- QuantLib's test suite, `ScheduleTest::testBackwardDatesWithEomAdjustment`: 1996-08-22 to
  1997-08-31, 6 months, Unadjusted, end of month, backward.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.core.units import WAD
from keepers.lifecycle import (
    BusinessDayConvention,
    CouponSchedule,
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
from keepers.lifecycle.schedule import (
    day_counter,
    denominator,
    ql_date,
    ql_roll,
    year_fraction_exact,
)
from lifecycle_cases import (
    ISDA_BOND_BASIS,
    QUANTLIB_EOM_BACKWARD,
    date_pairs,
    dates,
    schedule_terms,
)

D = dt.date
ACT360, ACT365F, BOND_BASIS = DayCountConvention


def test_isda_bond_basis_examples__day_counts_and_fractions__as_published():
    for start, end, days in ISDA_BOND_BASIS:
        assert day_count(BOND_BASIS, start, end) == days, (start, end)
        assert year_fraction_exact(BOND_BASIS, start, end) == Fraction(days, 360)
        assert year_fraction_wad(BOND_BASIS, start, end) == days * WAD // 360
        # ACT/360 and ACT/365F count the calendar days (Python's date arithmetic).
        assert day_count(ACT360, start, end) == day_count(ACT365F, start, end) == (end - start).days


def test_quantlib_eom_backward_example__schedule__as_published():
    terms, expected = QUANTLIB_EOM_BACKWARD
    assert coupon_schedule(*terms) == expected


@settings(max_examples=150, deadline=None)
@given(pair=date_pairs())
def test_year_fraction__any_two_dates__quantlibs_ratio_exactly_and_its_double(pair):
    start, end = pair
    for convention in DayCountConvention:
        counter = day_counter(convention)
        days = counter.dayCount(ql_date(start), ql_date(end))
        exact = Fraction(days, denominator(convention))
        assert day_count(convention, start, end) == days
        assert abs(Fraction(year_fraction(convention, start, end)) - exact) <= exact / 10**48
        assert year_fraction_wad(convention, start, end) == exact.numerator * WAD // (
            exact.denominator
        )
        # QuantLib's own yearFraction: the same ratio, correctly rounded to a double.
        assert counter.yearFraction(ql_date(start), ql_date(end)) == float(exact)


@settings(max_examples=100, deadline=None)
@given(date=dates, months=st.integers(-240, 240), end_of_month=st.booleans())
def test_dates__any_day__quantlib_calendar_and_encodings(date, months, end_of_month):
    assert weekday(date) == date.isoweekday()
    for convention in BusinessDayConvention:
        rolled = roll(date, convention)
        assert rolled == ql.WeekendsOnly().adjust(ql_date(date), ql_roll(convention)).to_date()
        assert rolled.isoweekday() < 6 or convention is BusinessDayConvention.UNADJUSTED
    moved = add_months(date, months, end_of_month)
    month_index = date.year * 12 + date.month - 1 + months
    assert (moved.year * 12 + moved.month - 1) == month_index
    assert to_timestamp(date) == int(dt.datetime(*date.timetuple()[:3], tzinfo=dt.UTC).timestamp())
    assert from_timestamp(to_timestamp(date) + 86_399) == date


@settings(max_examples=80, deadline=None)
@given(terms=schedule_terms())
def test_coupon_schedule__any_terms__is_quantlibs_backward_schedule(terms):
    issue, maturity, frequency, convention, end_of_month = terms
    try:
        dates_ = coupon_schedule(issue, maturity, frequency, convention, end_of_month)
    except ValueError:
        # Only when the issue and maturity roll onto one day: QuantLib's degenerate schedule.
        assert roll(issue, convention) == roll(maturity, convention)
        return
    assert dates_[0] == roll(issue, convention)
    assert dates_[-1] == roll(maturity, convention)
    assert dates_ == sorted(set(dates_))
    reference = ql.Schedule(
        ql_date(issue),
        ql_date(maturity),
        ql.Period(12 // frequency, ql.Months),
        ql.WeekendsOnly(),
        ql_roll(convention),
        ql_roll(convention),
        ql.DateGeneration.Backward,
        end_of_month,
    )
    assert dates_ == [d.to_date() for d in reference]


@settings(max_examples=80, deadline=None)
@given(
    terms=schedule_terms(max_years=4),
    day_count_=st.sampled_from(list(DayCountConvention)),
    face_units=st.integers(0, 10**13),
    rate_wad=st.integers(0, 2 * 10**17),
    fraction=st.fractions(0, 1),
)
def test_coupons_and_accrued__any_period__exact_and_within_one_unit_of_quantlib(
    terms, day_count_, face_units, rate_wad, fraction
):
    """Faces up to 10**13 units (ten million of a 6-decimal asset): there QuantLib's doubles are
    well within a unit, so the exact floor is within one unit of QuantLib's amount."""
    issue, maturity, frequency, convention, end_of_month = terms
    if roll(issue, convention) == roll(maturity, convention):
        return
    dates_ = coupon_schedule(issue, maturity, frequency, convention, end_of_month)
    start, end = dates_[0], dates_[1]
    settlement = start + dt.timedelta(days=int((end - start).days * fraction))
    rate = Decimal(rate_wad) / WAD
    days = day_count(day_count_, start, end)
    amount = coupon_amount_units(face_units, rate_wad, day_count_, start, end)
    assert amount == face_units * rate_wad * days // (denominator(day_count_) * WAD)
    assert amount == int(coupon_amount(face_units, rate, day_count_, start, end))
    accrued = accrued_interest_units(face_units, rate_wad, day_count_, start, end, settlement)
    assert accrued == int(accrued_interest(face_units, rate, day_count_, start, end, settlement))
    assert accrued <= amount
    coupon = ql.FixedRateCoupon(
        ql_date(end), face_units, float(rate), day_counter(day_count_), ql_date(start), ql_date(end)
    )
    assert abs(amount - coupon.amount()) <= 1
    if settlement > start:  # QuantLib accrues nothing on the start date, as the chain
        assert abs(accrued - coupon.accruedAmount(ql_date(settlement))) <= 1
    else:
        assert accrued == 0


def test_coupon_terms__a_two_year_semi_annual_note__quantlibs_bond_cash_flows():
    """The note of the lifecycle demo's shape: 2 years, 4.25 % semi-annual, 30/360, Following,
    issued 2024-01-15: QuantLib's FixedRateBond pays the same coupons and accrues the same."""
    terms = CouponSchedule(
        issue=D(2024, 1, 15),
        maturity=D(2026, 1, 15),
        frequency=2,
        rate=Decimal("0.0425"),
        day_count=BOND_BASIS,
        roll=BusinessDayConvention.FOLLOWING,
    )
    face = Decimal(1_000_000)
    periods = terms.periods()
    assert [(p.start, p.end) for p in periods] == [
        (D(2024, 1, 15), D(2024, 7, 15)),
        (D(2024, 7, 15), D(2025, 1, 15)),
        (D(2025, 1, 15), D(2025, 7, 15)),
        (D(2025, 7, 15), D(2026, 1, 15)),
    ]
    assert [terms.coupon(face, p) for p in periods] == [Decimal("21250")] * 4
    schedule = ql.Schedule(
        ql_date(terms.issue),
        ql_date(terms.maturity),
        ql.Period(6, ql.Months),
        ql.WeekendsOnly(),
        ql.Following,
        ql.Following,
        ql.DateGeneration.Backward,
        False,
    )
    bond = ql.FixedRateBond(0, float(face), schedule, [0.0425], day_counter(BOND_BASIS))
    coupons = [c.amount() for c in bond.cashflows()][:-1]  # the last flow is the redemption
    assert coupons == pytest.approx([21_250.0] * 4, abs=1e-6)
    settlement = D(2024, 10, 1)  # 76 days of 30/360 into the second period
    assert terms.period_at(settlement).number == 2
    accrued = terms.accrued(face, settlement)
    assert abs(accrued - Decimal("8972.222222222222222222222222222222222")) < Decimal("1e-30")
    per_100 = bond.accruedAmount(ql_date(settlement))
    assert float(accrued) == pytest.approx(per_100 * 10_000, rel=1e-12)
    assert terms.encoded() == {
        "issue": 1_705_276_800,
        "maturity": 1_768_435_200,
        "frequency": 2,
        "rateWad": 42_500_000_000_000_000,
        "dayCount": 2,
        "roll": 1,
        "endOfMonth": False,
    }


def test_bad_input__each_kind__one_clear_error():
    with pytest.raises(ValueError, match="frequency 3 is not one of"):
        coupon_schedule(D(2024, 1, 1), D(2025, 1, 1), 3)
    with pytest.raises(ValueError, match="issue 2025-01-01 is not before maturity"):
        coupon_schedule(D(2025, 1, 1), D(2025, 1, 1), 2)
    with pytest.raises(ValueError, match="no coupon period"):  # Sat and Sun roll to one Monday
        coupon_schedule(D(2025, 3, 1), D(2025, 3, 2), 12, BusinessDayConvention.FOLLOWING)
    with pytest.raises(ValueError, match="start 2025-02-01 is after end 2025-01-01"):
        day_count(ACT360, D(2025, 2, 1), D(2025, 1, 1))
    with pytest.raises(ValueError, match="outside 1970-01-01 .. 2199-12-31"):
        year_fraction(ACT360, D(1969, 12, 31), D(2025, 1, 1))
    with pytest.raises(ValueError, match="settlement 2025-03-01 is outside the period"):
        accrued_interest(100, Decimal("0.05"), ACT360, D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    with pytest.raises(TypeError, match="not a float"):
        coupon_amount(100, 0.05, ACT360, D(2025, 1, 1), D(2025, 2, 1))
    with pytest.raises(ValueError, match="is negative"):
        to_wad(Decimal("-0.01"))
    assert to_wad(Decimal("0.0425")) == 42_500_000_000_000_000
    assert to_wad(Fraction(1, 3)) == 333_333_333_333_333_333
