// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FeeKind} from "../../interfaces/IFeeSchedule.sol";
import {BPS} from "../libraries/Constants.sol";
import {FeeWord} from "../types/FeeWords.sol";

/// @title FeeMath
/// @notice The fee schedule's arithmetic (see IFeeSchedule's notice for the formulas); its words
/// are `FeeWord` and `TierWord` (contracts/types/FeeWords.sol).
library FeeMath {
    /// @notice The management fee's year: 365 days (ACT/365F).
    uint256 internal constant YEAR = 365 days;
    /// @notice Longest interval one management accrual charges (a fund not accrued for longer is
    /// charged this much): with the schedule's maximum management rate, f <= 15% < 1.
    uint256 internal constant MAX_ACCRUAL = 5 * 365 days;
    /// @notice Shortest interval a management accrual mints a fee for (SEC-232): a mint's clock
    /// is rounded to the second, so each mint is off by at most half a second's fee, however
    /// often anyone accrues (about 0.16% at worst: the interval counts the fraction a mint left,
    /// so a mint may pay for about 300 s of it, round 10 I-1).
    uint256 internal constant MIN_BILLED = 10 minutes;
    /// @notice Rates are scaled by BPS once more inside `fee` (the urgency premium's fraction).
    uint256 internal constant RATE_SCALE = BPS * BPS * BPS;

    /// @notice The rate of `kind` in units of 1e-12 (bps x bps x bps... see `fee`): the base fee of
    /// the kind times BPS, plus for an instant redemption the urgency premium times the
    /// utilisation (capped at 100%).
    function rate(FeeWord w, FeeKind kind, uint256 utilisationBps) internal pure returns (uint256) {
        if (kind == FeeKind.Subscription) return w.subscriptionBps() * BPS;
        if (kind == FeeKind.Redemption) return w.redemptionBps() * BPS;
        if (kind == FeeKind.InstantSubscription) return (w.subscriptionBps() + w.instantBps()) * BPS;
        return (w.redemptionBps() + w.instantBps()) * BPS + w.urgencyBps() * Math.min(utilisationBps, BPS);
    }

    /// @notice `ceil(amount * rate * (BPS - discountBps) / BPS^3)`: at most `amount` when the rate
    /// is at most 100% (the schedule's maximums keep it far below).
    function fee(uint256 amount, uint256 rate_, uint256 discountBps_) internal pure returns (uint256) {
        if (rate_ == 0 || amount == 0) return 0;
        return Math.mulDiv(amount, rate_ * (BPS - discountBps_), RATE_SCALE, Math.Rounding.Ceil);
    }

    /// @notice `floor(base * f / (1 - f))`, `f = managementBps * elapsed / (BPS * YEAR)`.
    /// @dev `elapsed` is capped at `MAX_ACCRUAL` so that `f < 1` (management <= 300 bps).
    function managementShares(uint256 base, uint256 managementBps_, uint256 elapsed) internal pure returns (uint256) {
        uint256 accrued = managementBps_ * Math.min(elapsed, MAX_ACCRUAL);
        if (accrued == 0 || base == 0) return 0;
        return Math.mulDiv(base, accrued, BPS * YEAR - accrued);
    }

    /// @notice The seconds `shares` of management fee on `base` pay for (`managementShares`'
    /// inverse, `shares x BPS x YEAR / ((base + shares) x managementBps)`), rounded to the nearest
    /// second: at most `elapsed` when `shares` is `managementShares(base, managementBps, elapsed)`
    /// (at most the exact fee, and `elapsed` a whole number of seconds); `elapsed` past
    /// `MAX_ACCRUAL` (the time beyond it is not charged).
    function managementSeconds(uint256 shares, uint256 base, uint256 managementBps_, uint256 elapsed)
        internal
        pure
        returns (uint256)
    {
        if (elapsed > MAX_ACCRUAL) return elapsed;
        // No overflow: shares and base below 2^97 (a 2^96 supply cap), the rate below 2^16.
        unchecked {
            return (Math.mulDiv(shares, 2 * BPS * YEAR, (base + shares) * managementBps_) + 1) / 2;
        }
    }
}
