"""LCY-1 to LCY-7: contracts/lifecycle/DayCount.sol against QuantLib 1.44 (through
keepers.lifecycle, whose functions are QuantLib's calls), through the test harness
`DayCountHarness` (views, several dates per call).

Exactness: the library's day counts are QuantLib's `dayCount`s, its dates QuantLib's dates, and
its year fraction is floor(dayCount x 1e18 / denominator) — the exact floor of the rational that
QuantLib's `yearFraction` rounds to a double; so these tests assert equality, not a tolerance.
Coupons and accrued interest are floor(face x rate x dayCount / (denominator x 1e18)): equal to
the exact Python figure, and within one unit of QuantLib's double amounts for faces up to 1e13
units.

Published worked examples: ISDA, "30/360 Day Count Conventions" (2008-12-22, the examples of the
2006 ISDA Definitions §4.16(f), https://www.isda.org/2008/12/22/30-360-day-count-conventions/),
Bond Basis table; QuantLib's test suite `ScheduleTest::testBackwardDatesWithEomAdjustment`; and
three published unix times: 946684800 = 2000-01-01T00:00:00Z, 1000000000 =
2001-09-09T01:46:40Z, 2147483647 = 2038-01-19T03:14:07Z (the signed 32-bit limit)."""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import ape
import pytest
import QuantLib as ql
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.core.units import WAD
from keepers.lifecycle import (
    BusinessDayConvention,
    DayCountConvention,
    accrued_interest_units,
    add_months,
    coupon_amount_units,
    coupon_schedule,
    roll,
    to_timestamp,
    weekday,
)
from keepers.lifecycle.schedule import day_counter, denominator, ql_date
from lifecycle_cases import (
    ISDA_BOND_BASIS,
    QUANTLIB_EOM_BACKWARD,
    date_pairs,
    dates,
    schedule_terms,
)

DAY = 86_400
MAX_TIMESTAMP = (dt.date(2201, 1, 1) - dt.date(1970, 1, 1)).days * DAY - 1
ACT360, ACT365F, BOND_BASIS = DayCountConvention
FOLLOWING = BusinessDayConvention.FOLLOWING


@pytest.fixture(scope="module")
def day_count(project, deployer):
    return deployer.deploy(project.DayCountHarness)


def ts(date: dt.date) -> int:
    return to_timestamp(date)


@settings(max_examples=80, deadline=None)
@given(days=st.lists(dates, min_size=1, max_size=12), seconds=st.integers(0, DAY - 1))
def test_civil_dates__days_1990_to_2150__quantlibs_date_weekday_and_rolls(day_count, days, seconds):
    views = day_count.describe([ts(d) + seconds for d in days])  # time of day is ignored
    for date, view in zip(days, views):
        assert (view.year, view.month, view.day) == (date.year, date.month, date.day)
        assert view.weekday == weekday(date) == date.isoweekday()
        assert view.businessDay == (date.isoweekday() < 6)
        assert list(view.rolled) == [ts(roll(date, c)) for c in BusinessDayConvention]
    assert day_count.fromCivilBatch([(d.year, d.month, d.day) for d in days]) == [
        ts(d) for d in days
    ]


@settings(max_examples=80, deadline=None)
@given(
    moves=st.lists(st.tuples(dates, st.integers(-600, 600)), min_size=1, max_size=12),
    end_of_month=st.booleans(),
)
def test_add_months__any_date_and_count__quantlibs_advance(day_count, moves, end_of_month):
    """Jan 31 + 1 month = Feb 28/29; with the end-of-month rule Feb 28 (or 29) + 1 = Mar 31."""
    moves = [(d, n) for d, n in moves if 1970 * 12 <= d.year * 12 + d.month - 1 + n < 2200 * 12]
    moved = day_count.addMonthsBatch([ts(d) for d, _ in moves], [n for _, n in moves], end_of_month)
    assert moved == [ts(add_months(d, n, end_of_month)) for d, n in moves]


def test_add_months__month_end_cases__clamped_or_kept_at_month_end(day_count):
    cases = [
        (dt.date(2023, 1, 31), 1, False, dt.date(2023, 2, 28)),
        (dt.date(2024, 1, 31), 1, False, dt.date(2024, 2, 29)),
        (dt.date(2024, 2, 29), 12, False, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 1, False, dt.date(2024, 3, 29)),
        (dt.date(2024, 2, 29), 1, True, dt.date(2024, 3, 31)),
        (dt.date(2025, 2, 28), -6, True, dt.date(2024, 8, 31)),
        (dt.date(2025, 4, 30), -2, False, dt.date(2025, 2, 28)),
        (dt.date(2100, 1, 31), 1, True, dt.date(2100, 2, 28)),  # 2100 is not a leap year
    ]
    for start, months, end_of_month, expected in cases:
        assert add_months(start, months, end_of_month) == expected
        assert day_count.addMonths(ts(start), months, end_of_month) == ts(expected)


@settings(max_examples=80, deadline=None)
@given(pairs=st.lists(date_pairs(), min_size=1, max_size=10))
def test_day_counts__any_two_dates__quantlibs_count_and_the_exact_fraction_floor(day_count, pairs):
    counts, fractions = day_count.dayCounts([ts(s) for s, _ in pairs], [ts(e) for _, e in pairs])
    for (start, end), count, fraction in zip(pairs, counts, fractions):
        for convention in DayCountConvention:
            counter = day_counter(convention)
            days = counter.dayCount(ql_date(start), ql_date(end))
            assert count[convention] == days, (start, end, convention.name)
            exact = Fraction(days, denominator(convention))
            # Exactly floor(QuantLib's rational x 1e18); QuantLib's double is that rational
            # rounded to 53 bits, so floor(double x 1e18) can be off by ~100 wei: not compared.
            assert fraction[convention] == exact.numerator * WAD // exact.denominator
            assert counter.yearFraction(ql_date(start), ql_date(end)) == float(exact)


def test_day_counts__isda_bond_basis_examples__as_published(day_count):
    counts, fractions = day_count.dayCounts(
        [ts(s) for s, _, _ in ISDA_BOND_BASIS], [ts(e) for _, e, _ in ISDA_BOND_BASIS]
    )
    for (start, end, days), count, fraction in zip(ISDA_BOND_BASIS, counts, fractions):
        assert count[BOND_BASIS] == days, (start, end)
        assert fraction[BOND_BASIS] == days * WAD // 360
        assert count[ACT360] == count[ACT365F] == (end - start).days
        assert fraction[ACT365F] == (end - start).days * WAD // 365


def test_day_counts__thirty_360_day_31_rules__bond_basis_not_eurobond(day_count):
    """D1 = 31 -> 30; D2 = 31 -> 30 only when D1 is 30 or 31 (Eurobond Basis would always)."""
    cases = [
        (dt.date(2024, 3, 31), dt.date(2024, 5, 31), 60),  # D1 31 -> 30, then D2 31 -> 30
        (dt.date(2024, 3, 30), dt.date(2024, 5, 31), 60),
        (dt.date(2024, 3, 29), dt.date(2024, 5, 31), 62),  # D1 < 30: D2 stays 31
        (dt.date(2024, 2, 29), dt.date(2024, 3, 31), 32),  # end of February is not special
        (dt.date(2024, 5, 30), dt.date(2024, 5, 31), 0),
    ]
    counts, _ = day_count.dayCounts([ts(s) for s, _, _ in cases], [ts(e) for _, e, _ in cases])
    for (start, end, days), count in zip(cases, counts):
        assert (
            count[BOND_BASIS]
            == days
            == day_counter(BOND_BASIS).dayCount(ql_date(start), ql_date(end))
        )


@settings(max_examples=200, deadline=None)
@given(terms=schedule_terms())
def test_schedule__any_terms__quantlibs_backward_schedule_date_for_date(day_count, terms):
    issue, maturity, frequency, convention, end_of_month = terms
    try:
        expected = [
            ts(d) for d in coupon_schedule(issue, maturity, frequency, convention, end_of_month)
        ]
    except ValueError:  # QuantLib's degenerate single-date schedule
        with ape.reverts(day_count.EmptySchedule, issue=ts(issue), maturity=ts(maturity)):
            day_count.couponCount(ts(issue), ts(maturity), frequency, end_of_month, convention)
        return
    dates_, back_from_maturity = day_count.schedule(
        ts(issue), ts(maturity), frequency, end_of_month, convention
    )
    assert dates_ == expected
    assert back_from_maturity == expected[:0:-1]


def test_schedule__quantlib_eom_backward_example__as_published(day_count):
    (issue, maturity, frequency, convention, end_of_month), expected = QUANTLIB_EOM_BACKWARD
    dates_, _ = day_count.schedule(ts(issue), ts(maturity), frequency, end_of_month, convention)
    assert dates_ == [ts(d) for d in expected]


def test_schedule__end_of_month_edge_cases__quantlibs_dates(day_count):
    """Maturities on Feb 28 / 29, on a Friday before a weekend month end (QuantLib's business
    end of month), on a Sunday month end, and Jan 31 monthly: every roll, with and without the
    end-of-month rule."""
    maturities = [
        dt.date(2025, 2, 28),
        dt.date(2028, 2, 29),
        dt.date(2025, 8, 29),
        dt.date(2025, 8, 31),
        dt.date(2025, 11, 30),
        dt.date(2026, 1, 31),
    ]
    for maturity in maturities:
        for frequency in (1, 2, 4, 12):
            for convention in BusinessDayConvention:
                for end_of_month in (False, True):
                    issue = maturity - dt.timedelta(days=800)
                    expected = coupon_schedule(issue, maturity, frequency, convention, end_of_month)
                    dates_, _ = day_count.schedule(
                        ts(issue), ts(maturity), frequency, end_of_month, convention
                    )
                    assert dates_ == [ts(d) for d in expected], (maturity, frequency, convention)


@settings(max_examples=80, deadline=None)
@given(
    terms=schedule_terms(max_years=4),
    convention=st.sampled_from(list(DayCountConvention)),
    face_units=st.one_of(st.integers(0, 10**13), st.integers(0, 10**30)),
    rate_wad=st.integers(0, 2 * 10**17),
    number=st.integers(1, 8),
    fractions=st.lists(st.fractions(0, 1), min_size=1, max_size=6),
)
def test_coupon_and_accrued__any_period__exact_and_within_one_unit_of_quantlib(
    day_count, terms, convention, face_units, rate_wad, number, fractions
):
    issue, maturity, frequency, roll_, end_of_month = terms
    try:
        schedule = coupon_schedule(issue, maturity, frequency, roll_, end_of_month)
    except ValueError:
        return
    number = min(number, len(schedule) - 1)
    start, end = schedule[number - 1], schedule[number]
    period = day_count.couponPeriod(ts(issue), ts(maturity), frequency, end_of_month, roll_, number)
    assert (period.start, period.end) == (ts(start), ts(end))
    amount = day_count.couponAmount(face_units, rate_wad, convention, ts(start), ts(end))
    assert amount == coupon_amount_units(face_units, rate_wad, convention, start, end)
    settlements = sorted(
        {start + dt.timedelta(days=int((end - start).days * f)) for f in fractions}
    )
    accrued = day_count.accruedBatch(
        face_units, rate_wad, convention, ts(start), ts(end), [ts(s) for s in settlements]
    )
    assert accrued == [
        accrued_interest_units(face_units, rate_wad, convention, start, end, s) for s in settlements
    ]
    assert accrued == sorted(accrued) and accrued[-1] <= amount
    coupon = ql.FixedRateCoupon(
        ql_date(end),
        face_units,
        float(Decimal(rate_wad) / WAD),
        day_counter(convention),
        ql_date(start),
        ql_date(end),
    )
    # QuantLib computes face x ((1 + rate x t) - 1) in doubles: an error of about face x 2**-53
    # (a thousandth of a unit at 1e13 units), so within one unit up to there, and beyond it
    # within that error.
    tolerance = 1 + face_units / 2**50
    assert abs(amount - coupon.amount()) <= tolerance
    for settlement, value in zip(settlements, accrued):
        expected = coupon.accruedAmount(ql_date(settlement)) if settlement > start else 0
        assert abs(value - expected) <= tolerance


def test_published_unix_times__civil_dates_and_weekdays(day_count):
    views = day_count.describe([946_684_800, 1_000_000_000, 2_147_483_647])
    assert [(v.year, v.month, v.day, v.weekday) for v in views] == [
        (2000, 1, 1, 6),  # a Saturday
        (2001, 9, 9, 7),  # a Sunday
        (2038, 1, 19, 2),  # a Tuesday
    ]
    assert day_count.fromCivil(2000, 1, 1) == 946_684_800


def test_domain_edges__first_and_last_day__accepted(day_count):
    assert day_count.toCivil(0) == (1970, 1, 1)
    assert day_count.toCivil(MAX_TIMESTAMP) == (2200, 12, 31)
    assert day_count.fromCivil(2200, 12, 31) == MAX_TIMESTAMP + 1 - DAY
    assert day_count.weekday(0) == 4  # 1970-01-01 was a Thursday
    assert day_count.roll(2 * DAY, BusinessDayConvention.PRECEDING) == DAY  # Sat 3 Jan -> Fri 2


def test_bad_input__each_kind__reverts_with_its_context(day_count):
    with ape.reverts(
        day_count.DateOutOfRange, timestamp=MAX_TIMESTAMP + 1, maxTimestamp=MAX_TIMESTAMP
    ):
        day_count.toCivil(MAX_TIMESTAMP + 1)
    for year, month, day in [
        (1969, 12, 31),
        (2201, 1, 1),
        (2023, 2, 29),
        (2024, 13, 1),
        (2024, 4, 31),
    ]:
        with ape.reverts(day_count.InvalidCivilDate, year=year, month=month, day=day):
            day_count.fromCivil(year, month, day)
    jan_1970 = ts(dt.date(1970, 1, 15))
    with ape.reverts(day_count.MonthsOutOfRange, timestamp=jan_1970, months=-1):
        day_count.addMonths(jan_1970, -1, False)
    with ape.reverts(day_count.InvalidFrequency, frequency=3):
        day_count.monthsPerPeriod(3)
    start, end = ts(dt.date(2025, 2, 1)), ts(dt.date(2025, 1, 31))
    with ape.reverts(day_count.StartAfterEnd, start=start, end=end):
        day_count.yearFraction(ACT360, start, end)
    with ape.reverts(
        day_count.SettlementOutsidePeriod, settlement=start + 30 * DAY, start=end, end=start
    ):
        day_count.accrued(100, WAD, ACT360, end, start, start + 30 * DAY)
    saturday, sunday = ts(dt.date(2025, 3, 1)), ts(dt.date(2025, 3, 2))
    with ape.reverts(day_count.EmptySchedule, issue=saturday, maturity=sunday):
        day_count.couponCount(saturday, sunday, 12, False, FOLLOWING)  # both roll to Monday
    with ape.reverts(day_count.EmptySchedule, issue=sunday, maturity=sunday):
        day_count.couponCount(sunday, sunday, 12, False, FOLLOWING)
    issue, maturity = ts(dt.date(2024, 1, 15)), ts(dt.date(2026, 1, 15))
    with ape.reverts(day_count.ScheduleIndexOutOfRange, index=5, count=4):
        day_count.scheduleDate(issue, maturity, 2, False, FOLLOWING, 5)
    with ape.reverts(day_count.CouponDateOutOfRange, maturity=maturity, k=113):
        day_count.couponDate(maturity, 2, 113, False, FOLLOWING)  # 2026 - 56.5 years < 1970
