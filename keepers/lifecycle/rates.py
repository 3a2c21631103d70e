"""The money-market fund's short rate: the risk-free rate of Kenneth R. French's data library as
shipped with arch (`arch.data.frenchdata`, column `RF`). Pure: no chain access.

The series. `RF` is the one-month US Treasury bill return of each month (Ibbotson Associates'
series, as French publishes it), in percent per month with two decimals, July 1926 to November
2018 (1,109 months, no gap): 0.15 means the bill returned 0.15% over the month. It is read exactly
(`Decimal(str(value)) / 100`), never through a float sum.

Daily from monthly. A month's return is spread geometrically over its calendar days, every day
alike (a T-bill's price accretes on weekends and holidays too): the daily rate of month `m` with
`n_m` days is `r_day = (1 + RF_m)^(1 / n_m) - 1`, so the days of a month compound to exactly
its `RF_m`. Within a day the exponent is pro rata in seconds, so the growth of one unit from `t0`
to `t1` (unix seconds) is

    G(t0, t1) = prod over months m of (1 + RF_m)^(s_m / S_m)

with `s_m` the seconds of [t0, t1) in month m and `S_m = 86,400 n_m` the month's seconds (UTC).

Dates outside the series. Before July 1926: an error. After November 2018 the last month's rate
holds (`RateQuote.held` says so, and the keeper records it): the series stops there. To replay
history on a chain whose clock is today, `QUANTERA_NAV_RF_SHIFT_DAYS` moves every chain time that
many days back before the series is read (6,300 days, say, reads 2026-01-15 as 2008-10-16)."""

from __future__ import annotations

import calendar
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

SHIFT_ENV = "QUANTERA_NAV_RF_SHIFT_DAYS"
SERIES = "arch.data.frenchdata RF (Kenneth R. French data library: one-month T-bill, % per month)"
DAY_SECONDS = 86_400
PRECISION = 50  # significant digits of every Decimal computed here

Month = tuple[int, int]  # (year, month)


def _next(month: Month) -> Month:
    year, m = month
    return (year + 1, 1) if m == 12 else (year, m + 1)


def month_of(timestamp: int) -> Month:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return (date.year, date.month)


def month_start(month: Month) -> int:
    """Unix seconds of the month's first instant (UTC)."""
    return calendar.timegm((month[0], month[1], 1, 0, 0, 0))


def month_seconds(month: Month) -> int:
    return calendar.monthrange(*month)[1] * DAY_SECONDS


@dataclass(frozen=True)
class RateQuote:
    """The monthly rate used for a month: the month asked, the series' month that answered, the
    rate (a fraction: 0.0015 = 0.15%), and whether it is held past the series' end."""

    month: Month
    source_month: Month
    monthly: Decimal
    held: bool


@dataclass(frozen=True)
class MonthlyRates:
    """A monthly return series (consecutive months from `first`), read at chain time shifted back
    `shift_days` days."""

    first: Month
    monthly: tuple[Decimal, ...]
    shift_days: int = 0

    def __post_init__(self):
        if not self.monthly:
            raise ValueError("a rate series needs at least one month")
        if self.shift_days < 0:
            raise ValueError(f"shift_days {self.shift_days} is negative")
        if any(r <= -1 for r in self.monthly):
            raise ValueError("a monthly return must be above -100%")

    @classmethod
    def from_months(cls, rates: Mapping[Month, Decimal], shift_days: int = 0) -> MonthlyRates:
        """From {(year, month): monthly fraction}; the months must be consecutive."""
        months = sorted(rates)
        if not months:
            raise ValueError("a rate series needs at least one month")
        expected = months[0]
        for month in months:
            if month != expected:
                raise ValueError(f"the rate series has a gap: {expected} is missing")
            expected = _next(month)
        return cls(months[0], tuple(Decimal(rates[m]) for m in months), shift_days)

    @property
    def last(self) -> Month:
        year, month = self.first
        index = year * 12 + month - 1 + len(self.monthly) - 1
        return (index // 12, index % 12 + 1)

    def _shifted(self, timestamp: int) -> int:
        return timestamp - self.shift_days * DAY_SECONDS

    def quote(self, month: Month) -> RateQuote:
        """The monthly rate of `month` (a series month, not shifted)."""
        index = (month[0] - self.first[0]) * 12 + month[1] - self.first[1]
        if index < 0:
            raise ValueError(f"no rate before {self.first[0]}-{self.first[1]:02d}: {month}")
        if index >= len(self.monthly):
            return RateQuote(month, self.last, self.monthly[-1], True)
        return RateQuote(month, month, self.monthly[index], False)

    def daily_rate(self, timestamp: int) -> Decimal:
        """`(1 + RF_m)^(1 / n_m) - 1` of the month of chain time `timestamp`."""
        month = month_of(self._shifted(timestamp))
        days = calendar.monthrange(*month)[1]
        with localcontext() as context:
            context.prec = PRECISION
            return (1 + self.quote(month).monthly) ** (Decimal(1) / days) - 1

    def quotes(self, start: int, end: int) -> list[RateQuote]:
        """The months [start, end) (chain time) spans, each with its rate."""
        return [self.quote(m) for m, _ in self._overlaps(start, end)]

    def growth(self, start: int, end: int) -> Decimal:
        """G(start, end): what one unit invested at chain time `start` is worth at `end`."""
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        with localcontext() as context:
            context.prec = PRECISION
            factor = Decimal(1)
            for month, seconds in self._overlaps(start, end):
                exponent = Decimal(seconds) / month_seconds(month)
                factor *= (1 + self.quote(month).monthly) ** exponent
            return factor

    def _overlaps(self, start: int, end: int) -> list[tuple[Month, int]]:
        """(month, seconds of [start, end) in it), shifted: one entry per month spanned."""
        lo, hi = self._shifted(start), self._shifted(end)
        spans = []
        month = month_of(lo)
        while month_start(month) < hi:
            begin, stop = max(lo, month_start(month)), min(hi, month_start(_next(month)))
            spans.append((month, stop - begin))
            month = _next(month)
        return spans


def french_rf(shift_days: int | None = None) -> MonthlyRates:
    """The `RF` column of `arch.data.frenchdata` as monthly fractions, shifted by `shift_days`
    (default: $QUANTERA_NAV_RF_SHIFT_DAYS, else 0)."""
    from arch.data import frenchdata

    if shift_days is None:
        shift_days = shift_from_env()
    rf = frenchdata.load()["RF"]
    # frenchdata's index encodes YYYYMM as nanoseconds since the epoch.
    months = {
        (int(v) // 100, int(v) % 100): Decimal(str(x)) / 100 for v, x in zip(rf.index.asi8, rf)
    }
    return MonthlyRates.from_months(months, shift_days)


def shift_from_env() -> int:
    raw = os.environ.get(SHIFT_ENV, "0").strip() or "0"
    try:
        shift = int(raw)
    except ValueError:
        raise ValueError(f"{SHIFT_ENV}={raw!r} is not a whole number of days") from None
    if shift < 0:
        raise ValueError(f"{SHIFT_ENV}={shift} is negative")
    return shift
