// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {FeeKind} from "../../interfaces/IFeeSchedule.sol";
import {BPS} from "../libraries/Constants.sol";

/// @notice A fund's fee rates and recipient (FeeSchedule's first word):
/// subscriptionBps 0..15 | redemptionBps 16..31 | instantBps 32..47 | urgencyBps 48..63 |
/// managementBps 64..79 | tierCount 80..87 | recipient 88..247.
type FeeWord is uint256;

/// @notice Two volume tiers: minVolume(2k) 0..95 | discountBps(2k) 96..111 |
/// minVolume(2k+1) 112..207 | discountBps(2k+1) 208..223.
type TierWord is uint256;

using FeeMath for FeeWord global;
using FeeMath for TierWord global;

/// @title FeeMath
/// @notice The fee schedule's words and arithmetic (see IFeeSchedule's notice for the formulas).
/// @dev `pack`/`withTier` expect in-range values (FeeSchedule bounds them); they mask nothing.
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

    uint256 internal constant MASK_16 = type(uint16).max;
    uint256 internal constant MASK_96 = type(uint96).max;
    uint256 internal constant TIER_BITS = 112;

    // ---------------------------------------------------------------- FeeWord
    function pack(
        uint256 subscriptionBps_,
        uint256 redemptionBps_,
        uint256 instantBps_,
        uint256 urgencyBps_,
        uint256 managementBps_,
        uint256 tierCount_,
        address recipient_
    ) internal pure returns (FeeWord) {
        return FeeWord.wrap(
            subscriptionBps_ | (redemptionBps_ << 16) | (instantBps_ << 32) | (urgencyBps_ << 48)
                | (managementBps_ << 64) | (tierCount_ << 80) | (uint256(uint160(recipient_)) << 88)
        );
    }

    function subscriptionBps(FeeWord w) internal pure returns (uint256) {
        return FeeWord.unwrap(w) & MASK_16;
    }

    function redemptionBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> 16) & MASK_16;
    }

    function instantBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> 32) & MASK_16;
    }

    function urgencyBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> 48) & MASK_16;
    }

    function managementBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> 64) & MASK_16;
    }

    function tierCount(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> 80) & type(uint8).max;
    }

    function recipient(FeeWord w) internal pure returns (address) {
        return address(uint160(FeeWord.unwrap(w) >> 88));
    }

    // ---------------------------------------------------------------- TierWord
    /// @notice Tier `slot` (0 or 1) of the word.
    function minVolume(TierWord w, uint256 slot) internal pure returns (uint256) {
        return (TierWord.unwrap(w) >> (slot * TIER_BITS)) & MASK_96;
    }

    function discountBps(TierWord w, uint256 slot) internal pure returns (uint256) {
        return (TierWord.unwrap(w) >> (slot * TIER_BITS + 96)) & MASK_16;
    }

    function withTier(TierWord w, uint256 slot, uint256 minVolume_, uint256 discountBps_)
        internal
        pure
        returns (TierWord)
    {
        uint256 shift = slot * TIER_BITS;
        uint256 cleared = TierWord.unwrap(w) & ~(((1 << TIER_BITS) - 1) << shift);
        return TierWord.wrap(cleared | ((minVolume_ | (discountBps_ << 96)) << shift));
    }

    // ---------------------------------------------------------------- maths
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
