// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {WAD} from "../libraries/Constants.sol";
import {BusinessDayConvention, DayCountConvention} from "../../interfaces/IInstrumentRegistry.sol";

/// @title DayCount
/// @notice Civil dates, business-day rolls, year fractions, coupon schedules and accrued interest
/// on unix timestamps, for the lifecycle domain's bonds and funds. Every function is a closed form
/// (no loop at all), so its gas does not depend on the dates.
/// @dev Dates are unix timestamps read at day precision: the UTC calendar day of the timestamp,
/// time of day ignored; every date returned is 00:00:00 UTC of its day. The domain is 1970-01-01
/// to 2200-12-31 (a timestamp cannot be earlier; a later one reverts `DateOutOfRange`).
/// Civil-date arithmetic follows Howard Hinnant's published algorithms `days_from_civil` and
/// `civil_from_days` ("chrono-Compatible Low-Level Date Algorithms",
/// http://howardhinnant.github.io/date_algorithms.html), restricted to unsigned years >= 1969.
/// Warning: there is NO holiday calendar on chain. Business days are Monday to Friday
/// (QuantLib's `WeekendsOnly` calendar): a public holiday is treated as a business day. This is a
/// non-goal: an instrument whose terms need a market's holiday calendar must have its dates
/// computed off chain (keepers/lifecycle/schedule.py) and supplied, not rolled here.
/// Schedules match QuantLib 1.44's `Schedule(issue, maturity, Period(12 / frequency, Months),
/// WeekendsOnly(), convention, convention, DateGeneration::Backward, endOfMonth)` date for date.
/// Amounts round down once (never in the holder's favour): a coupon is
/// floor(face * rateWad * days / (denominator * 1e18)), exact to the unit of the settlement asset.
library DayCount {
    uint256 internal constant SECONDS_PER_DAY = 86_400;
    uint256 internal constant MIN_YEAR = 1970;
    uint256 internal constant MAX_YEAR = 2200;
    /// @notice Day number (days since 1970-01-01) of 2200-12-31, the last day of the domain.
    uint256 internal constant MAX_DAY = 84_370;
    /// @notice The last second of 2200-12-31: the largest timestamp any function accepts.
    uint256 internal constant MAX_TIMESTAMP = (MAX_DAY + 1) * SECONDS_PER_DAY - 1;
    /// @notice The most coupon periods a schedule inside the domain can have (231 years of
    /// monthly coupons): the bound of any loop over a schedule's dates.
    uint256 internal constant MAX_COUPONS = (MAX_YEAR - MIN_YEAR + 1) * 12;

    /// @dev Hinnant: days from 0000-03-01 to 1970-01-01, and days in a 400-year era.
    uint256 private constant EPOCH_SHIFT = 719_468;
    uint256 private constant DAYS_PER_ERA = 146_097;

    /// @notice The timestamp is after 2200-12-31 (the domain's end, `maxTimestamp`).
    error DateOutOfRange(uint256 timestamp, uint256 maxTimestamp);
    /// @notice Not a date of 1970-2200 (month 1-12, day within the month).
    error InvalidCivilDate(uint256 year, uint256 month, uint256 day);
    /// @notice `timestamp` moved by `months` leaves 1970-2200.
    error MonthsOutOfRange(uint256 timestamp, int256 months);
    /// @notice The `k`-th coupon date back from `maturity` would be before 1970.
    error CouponDateOutOfRange(uint256 maturity, uint256 k);
    /// @notice Coupons per year must be 1, 2, 4 or 12.
    error InvalidFrequency(uint256 frequency);
    /// @notice A period's start is after its end (compared by day).
    error StartAfterEnd(uint256 start, uint256 end);
    /// @notice The settlement date is not within [start, end] (compared by day).
    error SettlementOutsidePeriod(uint256 settlement, uint256 start, uint256 end);
    /// @notice No coupon period: the issue date is not before maturity, or both roll to one day.
    error EmptySchedule(uint256 issue, uint256 maturity);
    /// @notice A schedule date index past the schedule's last date (`count`, the maturity).
    error ScheduleIndexOutOfRange(uint256 index, uint256 count);

    /// @dev A schedule's maturity, decomposed once: its day number, month index
    /// (year * 12 + month - 1), day of month and month length.
    struct Anchor {
        uint256 day;
        uint256 monthIndex;
        uint256 dayOfMonth;
        uint256 monthLength;
    }

    // ---------------------------------------------------------------- civil dates

    /// @notice The day number (days since 1970-01-01) of `timestamp`.
    function toDay(uint256 timestamp) internal pure returns (uint256) {
        if (timestamp > MAX_TIMESTAMP) revert DateOutOfRange(timestamp, MAX_TIMESTAMP);
        unchecked {
            return timestamp / SECONDS_PER_DAY;
        }
    }

    /// @notice The timestamp (00:00 UTC) of a civil date of 1970-2200; reverts
    /// `InvalidCivilDate` for anything else (month 0 or 13, Feb 29 of a common year, 1969, ...).
    function fromCivil(uint256 year, uint256 month, uint256 day) internal pure returns (uint256) {
        if (
            year < MIN_YEAR || year > MAX_YEAR || month == 0 || month > 12 || day == 0 || day > daysInMonth(year, month)
        ) revert InvalidCivilDate(year, month, day);
        unchecked {
            return daysFromCivil(year, month, day) * SECONDS_PER_DAY;
        }
    }

    /// @notice The civil date (year, month 1-12, day 1-31) of `timestamp`.
    function toCivil(uint256 timestamp) internal pure returns (uint256 year, uint256 month, uint256 day) {
        return civilFromDays(toDay(timestamp));
    }

    /// @notice Hinnant's `days_from_civil`: the day number of a valid civil date, unchecked.
    /// @dev The caller guarantees a valid date on or after 1970-01-01 (then every intermediate is
    /// non-negative: the year shifted to start in March is >= 1969).
    function daysFromCivil(uint256 year, uint256 month, uint256 day) internal pure returns (uint256) {
        unchecked {
            if (month <= 2) --year; // the computational year starts on March 1st
            uint256 era = year / 400;
            uint256 yearOfEra = year - era * 400; // [0, 399]
            uint256 dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1; // [0, 365]
            uint256 dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear; // [0, 146096]
            return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT;
        }
    }

    /// @notice Hinnant's `civil_from_days`: the civil date of a day number.
    /// @dev No overflow for any day number below 2**200; the result is valid for every one.
    function civilFromDays(uint256 dayNumber) internal pure returns (uint256 year, uint256 month, uint256 day) {
        unchecked {
            uint256 shifted = dayNumber + EPOCH_SHIFT;
            uint256 era = shifted / DAYS_PER_ERA;
            uint256 dayOfEra = shifted - era * DAYS_PER_ERA; // [0, 146096]
            uint256 yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365; // [0, 399]
            uint256 dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100); // [0, 365]
            uint256 shiftedMonth = (5 * dayOfYear + 2) / 153; // [0, 11], March = 0
            day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
            month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
            year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        }
    }

    /// @notice Gregorian leap year.
    function isLeapYear(uint256 year) internal pure returns (bool) {
        return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    /// @notice Days in `month` (1-12) of `year`.
    function daysInMonth(uint256 year, uint256 month) internal pure returns (uint256) {
        if (month == 2) return isLeapYear(year) ? 29 : 28;
        // 31 for odd months up to July and even months from August: parity of month + month / 8.
        return 30 + ((month + month / 8) & 1);
    }

    /// @notice ISO 8601 weekday of `timestamp`: 1 Monday ... 6 Saturday, 7 Sunday (Python's
    /// `date.isoweekday()`; QuantLib's `Weekday` is this + 1 modulo 7, Sunday = 1).
    function weekday(uint256 timestamp) internal pure returns (uint256) {
        return _weekday(toDay(timestamp));
    }

    /// @notice Monday to Friday (no holidays: see the library's warning).
    function isBusinessDay(uint256 timestamp) internal pure returns (bool) {
        return _weekday(toDay(timestamp)) < 6;
    }

    /// @notice `timestamp`'s day moved off a weekend by `convention` (00:00 UTC).
    /// @dev Warning: weekends only, no holidays. A roll past 2200-12-31 is returned as it is
    /// (2200-12-31 is a Wednesday: no date of the domain rolls out of it).
    function roll(uint256 timestamp, BusinessDayConvention convention) internal pure returns (uint256) {
        uint256 dayNumber = toDay(timestamp);
        uint256 dayOfMonth;
        uint256 monthLength;
        if (convention == BusinessDayConvention.ModifiedFollowing) {
            (uint256 year, uint256 month, uint256 day) = civilFromDays(dayNumber);
            (dayOfMonth, monthLength) = (day, daysInMonth(year, month));
        }
        unchecked {
            return _roll(dayNumber, dayOfMonth, monthLength, convention) * SECONDS_PER_DAY;
        }
    }

    /// @notice `timestamp` moved by `months` calendar months, QuantLib's `Date + Period(n, Months)`:
    /// the same day of the target month, or its last day when the month is shorter (Jan 31 + 1
    /// month = Feb 28, or 29 in a leap year). With `endOfMonth`, a date on its month's last day
    /// goes to the target month's last day (Feb 28 + 1 month = Mar 31; QuantLib's
    /// `NullCalendar().advance(date, Period(n, Months), Unadjusted, true)`).
    /// @dev Reverts `MonthsOutOfRange` when the target month is outside 1970-2200.
    function addMonths(uint256 timestamp, int256 months, bool endOfMonth) internal pure returns (uint256) {
        (uint256 year, uint256 month, uint256 day) = toCivil(timestamp);
        int256 index = int256(year * 12 + month - 1); // [23640, 26411]: no overflow below
        if (months < int256(MIN_YEAR * 12) - index || months > int256(MAX_YEAR * 12 + 11) - index) {
            revert MonthsOutOfRange(timestamp, months);
        }
        (uint256 target,,) = _monthDate(uint256(index + months), day, endOfMonth && day == daysInMonth(year, month));
        unchecked {
            return target * SECONDS_PER_DAY;
        }
    }

    // ---------------------------------------------------------------- day counts

    /// @notice The days between `start` and `end` under `convention` (QuantLib's
    /// `DayCounter::dayCount`): actual days for ACT/360 and ACT/365F; 30/360 Bond Basis days.
    /// @dev Reverts `StartAfterEnd` when `start`'s day is after `end`'s.
    function dayCount(DayCountConvention convention, uint256 start, uint256 end) internal pure returns (uint256) {
        uint256 startDay = toDay(start);
        uint256 endDay = toDay(end);
        if (startDay > endDay) revert StartAfterEnd(start, end);
        if (convention != DayCountConvention.Thirty360BondBasis) {
            unchecked {
                return endDay - startDay;
            }
        }
        (uint256 y1, uint256 m1, uint256 d1) = civilFromDays(startDay);
        (uint256 y2, uint256 m2, uint256 d2) = civilFromDays(endDay);
        if (d1 == 31) d1 = 30;
        if (d2 == 31 && d1 == 30) d2 = 30;
        // No underflow: for start <= end the adjusted (Y, M, D) never decrease (D1 <= 30 after the
        // first rule, and D2 becomes 30 only when D1 is 30).
        unchecked {
            return (y2 * 360 + m2 * 30 + d2) - (y1 * 360 + m1 * 30 + d1);
        }
    }

    /// @notice The year fraction from `start` to `end` in 1e18 fixed point:
    /// floor(dayCount * 1e18 / denominator), denominator 360 (ACT/360, 30/360) or 365 (ACT/365F).
    /// Exact floor of the rational QuantLib's `yearFraction` approximates in a double.
    function yearFraction(DayCountConvention convention, uint256 start, uint256 end) internal pure returns (uint256) {
        uint256 days_ = dayCount(convention, start, end);
        unchecked {
            return days_ * WAD / _denominator(convention); // days_ <= MAX_DAY: no overflow
        }
    }

    // ---------------------------------------------------------------- coupons

    /// @notice A coupon of `face` at `rateWad` (1e18 = 100% a year) for [start, end]:
    /// floor(face * rateWad * dayCount / (denominator * 1e18)), in `face`'s units.
    /// @dev One rounding, down. Checked arithmetic: reverts (panic) only when
    /// face * rateWad * days >= 2**256 (e.g. face 1e30 units at 100% over 230 years is 8e52).
    function couponAmount(uint256 face, uint256 rateWad, DayCountConvention convention, uint256 start, uint256 end)
        internal
        pure
        returns (uint256)
    {
        return face * rateWad * dayCount(convention, start, end) / (_denominator(convention) * WAD);
    }

    /// @notice Interest accrued on `face` from the period's `start` to `settlement`
    /// (QuantLib's `FixedRateCoupon::accruedAmount`): the coupon of [start, settlement], rounded
    /// down; 0 at `start`, the whole coupon at `end`.
    /// @dev Reverts `SettlementOutsidePeriod` unless start <= settlement <= end (by day).
    function accrued(
        uint256 face,
        uint256 rateWad,
        DayCountConvention convention,
        uint256 start,
        uint256 end,
        uint256 settlement
    ) internal pure returns (uint256) {
        uint256 settlementDay = toDay(settlement);
        if (settlementDay < toDay(start) || settlementDay > toDay(end)) {
            revert SettlementOutsidePeriod(settlement, start, end);
        }
        return couponAmount(face, rateWad, convention, start, settlement);
    }

    /// @notice Months between two coupon dates: 12 / frequency for 1, 2, 4 or 12 coupons a year.
    function monthsPerPeriod(uint256 frequency) internal pure returns (uint256) {
        if (frequency == 2) return 6;
        if (frequency == 4) return 3;
        if (frequency == 1 || frequency == 12) return 12 / frequency;
        revert InvalidFrequency(frequency);
    }

    /// @notice The `k`-th coupon date back from `maturity` (k = 0: maturity itself) of a
    /// schedule generated backward every 12 / `frequency` months, rolled by `convention`: the
    /// schedule's date `couponCount - k` for k < couponCount.
    /// @dev QuantLib's rules: the unrolled date is maturity - k * 12 / frequency months (the day
    /// clamped to the month's length). With `endOfMonth`, when maturity is on or after its month's
    /// last business day (QuantLib's `Calendar::isEndOfMonth`, e.g. Friday the 29th before a
    /// weekend 30th-31st), every date before maturity is the last calendar day of its month,
    /// then rolled; maturity itself is only rolled.
    function couponDate(
        uint256 maturity,
        uint256 frequency,
        uint256 k,
        bool endOfMonth,
        BusinessDayConvention convention
    ) internal pure returns (uint256) {
        uint256 step = monthsPerPeriod(frequency);
        Anchor memory anchor = _anchor(toDay(maturity));
        unchecked {
            return _couponDay(anchor, step, k, endOfMonth, convention) * SECONDS_PER_DAY;
        }
    }

    /// @notice The number of coupon periods of the schedule from `issue` to `maturity`
    /// (QuantLib: `len(schedule) - 1`). The first period is a short stub when the issue date is
    /// not on the schedule; a stub that would roll onto the first regular date merges into it.
    /// @dev Reverts `EmptySchedule` when there is none (issue on or after maturity, or both roll
    /// to the same day), `InvalidFrequency`, `DateOutOfRange`.
    function couponCount(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention
    ) internal pure returns (uint256 count) {
        (count,) = _count(issue, maturity, monthsPerPeriod(frequency), endOfMonth, convention);
    }

    /// @notice The schedule's date `index` (QuantLib's `schedule[index]`): index 0 is the issue
    /// date rolled, index `couponCount` the maturity rolled, coupon n pays on date n and accrues
    /// from date n - 1.
    function scheduleDate(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention,
        uint256 index
    ) internal pure returns (uint256) {
        uint256 step = monthsPerPeriod(frequency);
        (uint256 count, Anchor memory anchor) = _count(issue, maturity, step, endOfMonth, convention);
        if (index > count) revert ScheduleIndexOutOfRange(index, count);
        if (index == 0) return roll(issue, convention);
        unchecked {
            return _couponDay(anchor, step, count - index, endOfMonth, convention) * SECONDS_PER_DAY;
        }
    }

    /// @notice Coupon `number`'s accrual period (1 = the first, `couponCount` = the last):
    /// its start and end dates, `scheduleDate(number - 1)` and `scheduleDate(number)`.
    function couponPeriod(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention,
        uint256 number
    ) internal pure returns (uint256 start, uint256 end) {
        uint256 step = monthsPerPeriod(frequency);
        (uint256 count, Anchor memory anchor) = _count(issue, maturity, step, endOfMonth, convention);
        if (number == 0 || number > count) revert ScheduleIndexOutOfRange(number, count);
        unchecked {
            start = number == 1
                ? roll(issue, convention)
                : _couponDay(anchor, step, count - number + 1, endOfMonth, convention) * SECONDS_PER_DAY;
            end = _couponDay(anchor, step, count - number, endOfMonth, convention) * SECONDS_PER_DAY;
        }
    }

    // ---------------------------------------------------------------- internal

    function _anchor(uint256 dayNumber) private pure returns (Anchor memory anchor) {
        (uint256 year, uint256 month, uint256 day) = civilFromDays(dayNumber);
        unchecked {
            anchor = Anchor(dayNumber, year * 12 + month - 1, day, daysInMonth(year, month));
        }
    }

    function _weekday(uint256 dayNumber) private pure returns (uint256) {
        unchecked {
            return (dayNumber + 3) % 7 + 1; // 1970-01-01 was a Thursday (4)
        }
    }

    function _denominator(DayCountConvention convention) private pure returns (uint256) {
        return convention == DayCountConvention.Actual365Fixed ? 365 : 360;
    }

    /// @dev `dayNumber` rolled; `dayOfMonth` and `monthLength` are read by ModifiedFollowing only.
    function _roll(uint256 dayNumber, uint256 dayOfMonth, uint256 monthLength, BusinessDayConvention convention)
        private
        pure
        returns (uint256)
    {
        uint256 weekday_ = _weekday(dayNumber);
        if (weekday_ < 6 || convention == BusinessDayConvention.Unadjusted) return dayNumber;
        // Saturday (6) or Sunday (7): the next Monday is 8 - w days on, the previous Friday
        // w - 5 days back. No underflow: the first weekend day of the domain is day 2.
        unchecked {
            if (
                convention == BusinessDayConvention.Preceding
                    || (convention == BusinessDayConvention.ModifiedFollowing
                        && dayOfMonth + (8 - weekday_) > monthLength)
            ) return dayNumber - (weekday_ - 5);
            return dayNumber + (8 - weekday_);
        }
    }

    /// @dev Day number (with its day of month and month length) of day `dayOfMonth` of month
    /// `monthIndex`, clamped to the month's length; its last day when `lastDay`.
    function _monthDate(uint256 monthIndex, uint256 dayOfMonth, bool lastDay)
        private
        pure
        returns (uint256 dayNumber, uint256 day, uint256 length)
    {
        unchecked {
            uint256 year = monthIndex / 12;
            uint256 month = monthIndex % 12 + 1;
            length = daysInMonth(year, month);
            day = lastDay || dayOfMonth > length ? length : dayOfMonth;
            dayNumber = daysFromCivil(year, month, day);
        }
    }

    /// @dev QuantLib's `WeekendsOnly().isEndOfMonth(maturity)`: no business day after it in its
    /// month, i.e. on or after the month's last business day.
    function _atMonthEnd(Anchor memory anchor) private pure returns (bool) {
        unchecked {
            uint256 lastWeekday = _weekday(anchor.day + (anchor.monthLength - anchor.dayOfMonth));
            uint256 weekendTail = lastWeekday < 6 ? 0 : lastWeekday - 5; // month ends Sat: 1, Sun: 2
            return anchor.dayOfMonth + weekendTail >= anchor.monthLength;
        }
    }

    /// @dev The rolled day number of the k-th date back from the anchor (see `couponDate`).
    function _couponDay(
        Anchor memory anchor,
        uint256 step,
        uint256 k,
        bool endOfMonth,
        BusinessDayConvention convention
    ) private pure returns (uint256) {
        if (k == 0) {
            return _roll(anchor.day, anchor.dayOfMonth, anchor.monthLength, convention);
        }
        // k * step months back must stay in 1970 or later (the check also bounds k).
        if (k > (anchor.monthIndex - MIN_YEAR * 12) / step) {
            revert CouponDateOutOfRange(anchor.day * SECONDS_PER_DAY, k);
        }
        unchecked {
            (uint256 dayNumber, uint256 day, uint256 length) =
                _monthDate(anchor.monthIndex - k * step, anchor.dayOfMonth, endOfMonth && _atMonthEnd(anchor));
            return _roll(dayNumber, day, length, convention);
        }
    }

    /// @dev QuantLib's backward generation in closed form. Unrolled dates u(k) = maturity - k
    /// months-steps (each at its month's end when `endOfMonth` and maturity is a calendar month
    /// end) are kept while u(k) >= issue; the issue date is prepended unless it rolls onto the
    /// earliest kept date. The earliest kept k is in the issue's month or the one after it.
    function _count(uint256 issue, uint256 maturity, uint256 step, bool endOfMonth, BusinessDayConvention convention)
        private
        pure
        returns (uint256 count, Anchor memory anchor)
    {
        uint256 issueDay = toDay(issue);
        anchor = _anchor(toDay(maturity));
        if (issueDay >= anchor.day) revert EmptySchedule(issue, maturity);
        (uint256 year, uint256 month, uint256 day) = civilFromDays(issueDay);
        bool monthEnds = endOfMonth && anchor.dayOfMonth == anchor.monthLength;
        unchecked {
            // issue < maturity, so its month index is at most maturity's.
            uint256 k = (anchor.monthIndex - (year * 12 + month - 1)) / step;
            (uint256 earliest, uint256 earliestDay, uint256 earliestLength) =
                _monthDate(anchor.monthIndex - k * step, anchor.dayOfMonth, monthEnds);
            if (earliest < issueDay) {
                // In the issue's month but before it; k >= 1 since u(0) = maturity > issue.
                --k;
                (earliest, earliestDay, earliestLength) =
                    _monthDate(anchor.monthIndex - k * step, anchor.dayOfMonth, monthEnds);
            }
            uint256 rolledIssue = _roll(issueDay, day, daysInMonth(year, month), convention);
            count = _roll(earliest, earliestDay, earliestLength, convention) == rolledIssue ? k : k + 1;
        }
        if (count == 0) revert EmptySchedule(issue, maturity);
    }
}
