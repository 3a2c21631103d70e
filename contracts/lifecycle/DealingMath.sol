// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title DealingMath
/// @notice The FundVault's arithmetic: conversions at a struck NAV, and the redemption queue's
/// O(1) pro-rata accounting across periods (docs/lifecycle.md, "Dealing").
///
/// The queue. A strike with `P` shares pending fulfils `F` of them: ratio `r = F / P` for every
/// pending share. The vault keeps, after each strike, the running product `C` of `(1 - r)` and the
/// running sum `A` of `C_before * r * nav`. A request of `s` shares whose first strike is period
/// `e` (so its entry state is the one after strike `e - 1`) has, after strike `q`:
///     still pending   s * C[q] / C[e-1]
///     earned          s * (A[q] - A[e-1]) / C[e-1]     (shares x nav18: value, not assets yet)
/// since the fraction of it pending before strike `k` is C[k-1] / C[e-1] and strike `k` serves
/// `r_k` of that at `nav_k`. Two numbers per strike, one multiplication and one division per
/// claim: no loop, whatever the number of requests or of periods since `e`.
///
/// Eras and scales. A strike that serves the whole queue (F == P) would make C zero: the era ends,
/// its final A is recorded, and the next era starts at C = ONE, A = 0. While the queue is never
/// cleared, C shrinks; to keep its precision, when a strike leaves C below FLOOR (2^63) it is
/// multiplied by 2^64 (twice if once is not enough: (1 - r) >= 1/P > 2^-96) and a new scale
/// starts at A = 0, the closed scale's final A recorded (as in Liquity's stability pool). A request
/// is followed exactly into the scale after its own (C[q] and A[q] of that scale are divided by an
/// extra 2^64); from two scales on, what would still be pending is below 2^-64 of the request
/// (C[q] / (C[e-1] * 2^128) < 2^127 / 2^191) and is treated as served: those shares stay in the
/// queue unowned, and their later earnings are not paid (the fund's favour, below 2^32 base units
/// of shares per request).
///
/// Precision and rounding. C is kept in [2^63, 2^127]: every update `C * (P - F) / P` rounds down
/// with a relative error below 2^-63. A's terms `C * nav * F / P` round down (C * nav < 2^223, so
/// mulDiv keeps them exact to 1 unit; per scale sum(C_before * r) <= C at the scale's start, so
/// A < 2^127 * 2^96 = 2^223 fits its 224 bits). Because each computed C is at most the exact
/// product (floors only), a request's computed pending part and earnings are at most its exact
/// ones (induction on the strikes since its entry), and the sum of what all requests can claim is
/// at most the sum of every strike's `F * nav`, which the vault reserves rounded up. Earnings are
/// converted to assets rounding down. An investor's loss to rounding per request is below
/// `s / C[e-1] + 1` units of (share base units x nav18) per strike since its entry — under 2^34
/// (s < 2^96, C >= 2^63), a value of 2^34 / (10^shareDecimals * 1e18) currency units — plus the
/// shares carried rounded down (relative error below 2^-63 per strike) and one asset base unit per
/// conversion.
library DealingMath {
    /// @notice C at the start of an era.
    uint256 internal constant ONE = 1 << 127;
    /// @notice A strike leaving C below this starts a new scale (C multiplied by 2^SCALE_BITS).
    uint256 internal constant FLOOR = 1 << 63;
    uint256 internal constant SCALE_BITS = 64;
    /// @notice The largest NAV a strike accepts (18 decimals: about 7.9e10 currency units per share).
    uint256 internal constant MAX_NAV = type(uint96).max;
    /// @notice NAVs are 18-decimal values of one whole share.
    uint256 internal constant NAV_UNIT = 1e18;

    /// @notice Where the redemption queue stands after a strike.
    struct Queue {
        /// Running product of (1 - r), in [FLOOR, ONE].
        uint256 c;
        /// Running sum of C_before * r * nav in this era and scale.
        uint256 a;
        uint256 era;
        uint256 scale;
    }

    /// @notice Shares `assets` buy at `nav18`, rounded down:
    /// `assets * shareUnit * 1e18 / (nav18 * assetUnit)`.
    /// @param shareScale `10**shareDecimals * NAV_UNIT`.
    function sharesFor(uint256 assets, uint256 nav18, uint256 assetUnit, uint256 shareScale)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(assets, shareScale, nav18 * assetUnit);
    }

    /// @notice Assets worth `navShares` (shares x nav18), rounded as asked.
    function assetsFor(uint256 navShares, uint256 assetUnit, uint256 shareScale, Math.Rounding rounding)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(navShares, assetUnit, shareScale, rounding);
    }

    /// @notice The queue after a strike that fulfils `fulfilled` of `pending` shares at `nav18`.
    /// @return next The new state.
    /// @return closed Whether `q`'s era-and-scale ended (its final A must be recorded).
    /// @return closedA That final A (q.a plus this strike's term).
    function fulfil(Queue memory q, uint256 pending, uint256 fulfilled, uint256 nav18)
        internal
        pure
        returns (Queue memory next, bool closed, uint256 closedA)
    {
        if (fulfilled == 0) return (q, false, 0);
        // q.c * nav18 < 2^127 * 2^96; fulfilled <= pending.
        uint256 a = q.a + Math.mulDiv(q.c * nav18, fulfilled, pending);
        if (fulfilled == pending) return (Queue(ONE, 0, q.era + 1, 0), true, a);
        // No underflow: fulfilled < pending here.
        uint256 rest = pending - fulfilled;
        uint256 c = Math.mulDiv(q.c, rest, pending);
        if (c >= FLOOR) return (Queue(c, a, q.era, q.scale), false, 0);
        // rest / pending >= 1 / pending > 2^-96, so at most two rescales bring c back above FLOOR:
        // q.c * 2^128 * 2^-96 >= 2^63 * 2^32. No overflow: q.c << 128 < 2^255.
        uint256 scale = q.scale + 1;
        c = Math.mulDiv(q.c << SCALE_BITS, rest, pending);
        if (c < FLOOR) {
            c = Math.mulDiv(q.c << (2 * SCALE_BITS), rest, pending);
            scale += 1;
        }
        return (Queue(c, 0, q.era, scale), true, a);
    }

    /// @notice How `current` relates to a request's `entry`: 0 same era and scale, 1 the next scale
    /// of the same era, 2 beyond (a later era, or two scales on).
    function distance(Queue memory entry, Queue memory current) internal pure returns (uint256) {
        if (current.era != entry.era) return 2;
        if (current.scale == entry.scale) return 0;
        return current.scale == entry.scale + 1 ? 1 : 2;
    }

    /// @notice A request of `shares` that entered at `entry`, seen at `current`.
    /// @param closedAtEntry Final A of the entry's era-and-scale (read when `distance >= 1`).
    /// @param closedAfterEntry Final A of the scale after it (read when `distance == 2`; 0 when the
    /// era ended in the entry's scale or that scale was skipped by a double rescale).
    /// @return remaining Shares still pending (rounded down).
    /// @return navShares Earned value, shares x nav18 (rounded down).
    function progress(
        uint256 shares,
        Queue memory entry,
        Queue memory current,
        uint256 closedAtEntry,
        uint256 closedAfterEntry
    ) internal pure returns (uint256 remaining, uint256 navShares) {
        uint256 d = distance(entry, current);
        if (d == 0) {
            return (Math.mulDiv(shares, current.c, entry.c), Math.mulDiv(shares, current.a - entry.a, entry.c));
        }
        navShares = Math.mulDiv(shares, closedAtEntry - entry.a, entry.c);
        // No overflow: entry.c <= 2^127.
        uint256 rescaled = entry.c << SCALE_BITS;
        if (d == 1) {
            remaining = Math.mulDiv(shares, current.c, rescaled);
            navShares += Math.mulDiv(shares, current.a, rescaled);
        } else {
            navShares += Math.mulDiv(shares, closedAfterEntry, rescaled);
        }
    }
}
