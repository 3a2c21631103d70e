"""The lifecycle domain's test cases, shared by its keeper tests (tests/keepers/lifecycle/) and its
contract tests (tests/contracts/lifecycle/): hypothesis strategies for dates of 1990-2150 biased
toward the cases conventions disagree on (month ends, Feb 28/29, the 30th and 31st, weekends at
month ends) and for schedules whose issue date is on, just off or far from the schedule; and the
published worked examples both sides check.

Published worked examples:
- ISDA, "30/360 Day Count Conventions" (2008-12-22; the worked examples of the 2006 ISDA
  Definitions §4.16(f), https://www.isda.org/2008/12/22/30-360-day-count-conventions/), the
  Bond Basis table (examples 1-3), as QuantLib's test suite lists it (`testThirty360_BondBasis`);
- QuantLib's test suite, `ScheduleTest::testBackwardDatesWithEomAdjustment`: 1996-08-22 to
  1997-08-31, 6 months, Unadjusted, end of month, backward (calendar-independent: Unadjusted).
"""

import calendar
import datetime as dt

from hypothesis import strategies as st

from keepers.lifecycle import BusinessDayConvention, add_months

D = dt.date

FIRST = dt.date(1990, 1, 1)
LAST = dt.date(2150, 12, 31)
FREQUENCIES = (1, 2, 4, 12)
# Leap and common Februaries (2000 is a leap year, 2100 is not), months of 30 and 31 days.
EDGE_DATES = [
    dt.date(1996, 2, 29),
    dt.date(1999, 2, 28),
    dt.date(2000, 2, 28),
    dt.date(2000, 2, 29),
    dt.date(2023, 1, 31),
    dt.date(2024, 1, 31),
    dt.date(2024, 2, 29),
    dt.date(2025, 2, 28),
    dt.date(2025, 8, 29),  # a Friday before a weekend 30th-31st
    dt.date(2025, 8, 31),  # a Sunday month end
    dt.date(2025, 11, 30),
    dt.date(2100, 2, 28),
    dt.date(2100, 3, 1),
]


def _month_end(year: int, month: int, back: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1] - back)


month_ends = st.builds(
    _month_end, st.integers(FIRST.year, LAST.year), st.integers(1, 12), st.integers(0, 3)
)
dates = st.one_of(st.dates(FIRST, LAST), month_ends, st.sampled_from(EDGE_DATES))
rolls = st.sampled_from(list(BusinessDayConvention))
frequencies = st.sampled_from(FREQUENCIES)


@st.composite
def date_pairs(draw):
    """(start, end) with start <= end: mostly within a few years, sometimes decades apart."""
    start = draw(dates)
    gap = draw(st.one_of(st.integers(0, 400), st.integers(0, 20_000), st.sampled_from([0, 1])))
    end = start + dt.timedelta(days=gap)
    if draw(st.booleans()):
        end = draw(dates.filter(lambda d: d >= start)) if start < LAST else start
    return (start, min(end, LAST))


@st.composite
def schedule_terms(draw, max_years: int = 12):
    """(issue, maturity, frequency, roll, end_of_month): the issue date is a random day, or k
    periods before maturity give or take three days (a regular first period, or a tiny stub)."""
    maturity = draw(dates.filter(lambda d: d >= dt.date(1992, 1, 1)))
    frequency = draw(frequencies)
    if draw(st.booleans()):
        issue = maturity - dt.timedelta(days=draw(st.integers(1, 366 * max_years)))
    else:
        k = draw(st.integers(1, max_years * frequency))
        end_of_month = draw(st.booleans())
        issue = add_months(maturity, -k * 12 // frequency, end_of_month)
        issue += dt.timedelta(days=draw(st.integers(-3, 3)))
    return issue, maturity, frequency, draw(rolls), draw(st.booleans())


# ISDA 2008, Bond Basis: (start, end, 30/360 days).
ISDA_BOND_BASIS = [
    # Example 1: end dates do not involve the last day of February.
    (D(2006, 8, 20), D(2007, 2, 20), 180),
    (D(2007, 2, 20), D(2007, 8, 20), 180),
    (D(2007, 8, 20), D(2008, 2, 20), 180),
    (D(2008, 2, 20), D(2008, 8, 20), 180),
    (D(2008, 8, 20), D(2009, 2, 20), 180),
    (D(2009, 2, 20), D(2009, 8, 20), 180),
    # Example 2: end dates include some end-February dates.
    (D(2006, 8, 31), D(2007, 2, 28), 178),
    (D(2007, 2, 28), D(2007, 8, 31), 183),
    (D(2007, 8, 31), D(2008, 2, 29), 179),
    (D(2008, 2, 29), D(2008, 8, 31), 182),
    (D(2008, 8, 31), D(2009, 2, 28), 178),
    (D(2009, 2, 28), D(2009, 8, 31), 183),
    # Example 3: miscellaneous calculations.
    (D(2006, 1, 31), D(2006, 2, 28), 28),
    (D(2006, 1, 30), D(2006, 2, 28), 28),
    (D(2006, 2, 28), D(2006, 3, 3), 5),
    (D(2006, 2, 14), D(2006, 2, 28), 14),
    (D(2006, 9, 30), D(2006, 10, 31), 30),
    (D(2006, 10, 31), D(2006, 11, 28), 28),
    (D(2007, 8, 31), D(2008, 2, 28), 178),
    (D(2008, 2, 28), D(2008, 8, 28), 180),
    (D(2008, 2, 28), D(2008, 8, 30), 182),
    (D(2008, 2, 28), D(2008, 8, 31), 183),
    (D(2007, 2, 26), D(2008, 2, 28), 362),
    (D(2007, 2, 26), D(2008, 2, 29), 363),
    (D(2008, 2, 29), D(2009, 2, 28), 359),
    (D(2008, 2, 28), D(2008, 3, 30), 32),
    (D(2008, 2, 28), D(2008, 3, 31), 33),
]
QUANTLIB_EOM_BACKWARD = (
    (D(1996, 8, 22), D(1997, 8, 31), 2, BusinessDayConvention.UNADJUSTED, True),
    [D(1996, 8, 22), D(1996, 8, 31), D(1997, 2, 28), D(1997, 8, 31)],
)
