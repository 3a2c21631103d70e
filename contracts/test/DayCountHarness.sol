// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {DayCount} from "../lifecycle/DayCount.sol";
import {BusinessDayConvention, DayCountConvention} from "../../interfaces/IInstrumentRegistry.sol";

/// @title DayCountHarness
/// @notice Test-only: exposes the `DayCount` library so tests can check it against QuantLib, with
/// batch views (one call, many dates) and gas probes for the benchmarks. Never deployed by
/// `scripts/deploy.py`.
contract DayCountHarness {
    /// @notice One date as the library sees it.
    struct DateView {
        uint256 year;
        uint256 month;
        uint256 day;
        uint256 weekday;
        bool businessDay;
        // Rolled by Unadjusted, Following, ModifiedFollowing, Preceding (enum order).
        uint256[4] rolled;
    }

    // ------------------------------------------------------------ single calls (for the reverts)

    function fromCivil(uint256 year, uint256 month, uint256 day) external pure returns (uint256) {
        return DayCount.fromCivil(year, month, day);
    }

    function toCivil(uint256 timestamp) external pure returns (uint256 year, uint256 month, uint256 day) {
        return DayCount.toCivil(timestamp);
    }

    function weekday(uint256 timestamp) external pure returns (uint256) {
        return DayCount.weekday(timestamp);
    }

    function roll(uint256 timestamp, BusinessDayConvention convention) external pure returns (uint256) {
        return DayCount.roll(timestamp, convention);
    }

    function addMonths(uint256 timestamp, int256 months, bool endOfMonth) external pure returns (uint256) {
        return DayCount.addMonths(timestamp, months, endOfMonth);
    }

    function dayCount(DayCountConvention convention, uint256 start, uint256 end) external pure returns (uint256) {
        return DayCount.dayCount(convention, start, end);
    }

    function yearFraction(DayCountConvention convention, uint256 start, uint256 end) external pure returns (uint256) {
        return DayCount.yearFraction(convention, start, end);
    }

    function monthsPerPeriod(uint256 frequency) external pure returns (uint256) {
        return DayCount.monthsPerPeriod(frequency);
    }

    function couponDate(
        uint256 maturity,
        uint256 frequency,
        uint256 k,
        bool endOfMonth,
        BusinessDayConvention convention
    ) external pure returns (uint256) {
        return DayCount.couponDate(maturity, frequency, k, endOfMonth, convention);
    }

    function couponCount(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention
    ) external pure returns (uint256) {
        return DayCount.couponCount(issue, maturity, frequency, endOfMonth, convention);
    }

    function scheduleDate(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention,
        uint256 index
    ) external pure returns (uint256) {
        return DayCount.scheduleDate(issue, maturity, frequency, endOfMonth, convention, index);
    }

    function couponPeriod(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention,
        uint256 number
    ) external pure returns (uint256 start, uint256 end) {
        return DayCount.couponPeriod(issue, maturity, frequency, endOfMonth, convention, number);
    }

    function couponAmount(uint256 face, uint256 rateWad, DayCountConvention convention, uint256 start, uint256 end)
        external
        pure
        returns (uint256)
    {
        return DayCount.couponAmount(face, rateWad, convention, start, end);
    }

    function accrued(
        uint256 face,
        uint256 rateWad,
        DayCountConvention convention,
        uint256 start,
        uint256 end,
        uint256 settlement
    ) external pure returns (uint256) {
        return DayCount.accrued(face, rateWad, convention, start, end, settlement);
    }

    // ------------------------------------------------------------ batches (one call, many dates)

    function describe(uint256[] calldata timestamps) external pure returns (DateView[] memory views) {
        views = new DateView[](timestamps.length);
        for (uint256 i; i < timestamps.length; ++i) {
            uint256 t = timestamps[i];
            (uint256 year, uint256 month, uint256 day) = DayCount.toCivil(t);
            uint256[4] memory rolled;
            for (uint256 c; c < 4; ++c) {
                rolled[c] = DayCount.roll(t, BusinessDayConvention(c));
            }
            views[i] = DateView(year, month, day, DayCount.weekday(t), DayCount.isBusinessDay(t), rolled);
        }
    }

    function fromCivilBatch(uint256[3][] calldata dates) external pure returns (uint256[] memory timestamps) {
        timestamps = new uint256[](dates.length);
        for (uint256 i; i < dates.length; ++i) {
            timestamps[i] = DayCount.fromCivil(dates[i][0], dates[i][1], dates[i][2]);
        }
    }

    function addMonthsBatch(uint256[] calldata timestamps, int256[] calldata months, bool endOfMonth)
        external
        pure
        returns (uint256[] memory moved)
    {
        moved = new uint256[](timestamps.length);
        for (uint256 i; i < timestamps.length; ++i) {
            moved[i] = DayCount.addMonths(timestamps[i], months[i], endOfMonth);
        }
    }

    /// @notice Each pair's day count and year fraction under each convention (enum order).
    function dayCounts(uint256[] calldata starts, uint256[] calldata ends)
        external
        pure
        returns (uint256[3][] memory counts, uint256[3][] memory fractions)
    {
        counts = new uint256[3][](starts.length);
        fractions = new uint256[3][](starts.length);
        for (uint256 i; i < starts.length; ++i) {
            for (uint256 c; c < 3; ++c) {
                counts[i][c] = DayCount.dayCount(DayCountConvention(c), starts[i], ends[i]);
                fractions[i][c] = DayCount.yearFraction(DayCountConvention(c), starts[i], ends[i]);
            }
        }
    }

    /// @notice The whole schedule, `scheduleDate(i)` for i = 0 .. couponCount (bounded by
    /// `DayCount.MAX_COUPONS`), and the coupon dates counted back from maturity by `couponDate`.
    function schedule(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention
    ) external pure returns (uint256[] memory dates, uint256[] memory backFromMaturity) {
        uint256 count = DayCount.couponCount(issue, maturity, frequency, endOfMonth, convention);
        dates = new uint256[](count + 1);
        backFromMaturity = new uint256[](count);
        for (uint256 i; i <= count; ++i) {
            dates[i] = DayCount.scheduleDate(issue, maturity, frequency, endOfMonth, convention, i);
        }
        for (uint256 k; k < count; ++k) {
            backFromMaturity[k] = DayCount.couponDate(maturity, frequency, k, endOfMonth, convention);
        }
    }

    /// @notice Interest accrued at each settlement date of the period [start, end].
    function accruedBatch(
        uint256 face,
        uint256 rateWad,
        DayCountConvention convention,
        uint256 start,
        uint256 end,
        uint256[] calldata settlements
    ) external pure returns (uint256[] memory amounts) {
        amounts = new uint256[](settlements.length);
        for (uint256 i; i < settlements.length; ++i) {
            amounts[i] = DayCount.accrued(face, rateWad, convention, start, end, settlements[i]);
        }
    }

    // ------------------------------------------------------------ gas probes (scripts/bench_lifecycle.py)

    /// @notice `yearFraction` and the gas its library code used inside this call.
    function gasOfYearFraction(DayCountConvention convention, uint256 start, uint256 end)
        external
        view
        returns (uint256 fraction, uint256 gasUsed)
    {
        uint256 before = gasleft();
        fraction = DayCount.yearFraction(convention, start, end);
        gasUsed = before - gasleft();
    }

    /// @notice `accrued` and the gas its library code used inside this call.
    function gasOfAccrued(
        uint256 face,
        uint256 rateWad,
        DayCountConvention convention,
        uint256 start,
        uint256 end,
        uint256 settlement
    ) external view returns (uint256 amount, uint256 gasUsed) {
        uint256 before = gasleft();
        amount = DayCount.accrued(face, rateWad, convention, start, end, settlement);
        gasUsed = before - gasleft();
    }

    /// @notice `couponPeriod` (a coupon's start and end dates) and the gas it used in this call.
    function gasOfCouponPeriod(
        uint256 issue,
        uint256 maturity,
        uint256 frequency,
        bool endOfMonth,
        BusinessDayConvention convention,
        uint256 number
    ) external view returns (uint256 start, uint256 end, uint256 gasUsed) {
        uint256 before = gasleft();
        (start, end) = DayCount.couponPeriod(issue, maturity, frequency, endOfMonth, convention, number);
        gasUsed = before - gasleft();
    }
}
