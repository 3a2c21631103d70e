// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {DealingMath} from "../lifecycle/DealingMath.sol";
import {
    AccrualWord,
    AccrualWordLibrary,
    Claim,
    ClaimLibrary,
    Dealing,
    DealingLibrary,
    FeeLedger,
    InstantWord,
    InstantWordLibrary,
    Late,
    Position,
    StrikeWord,
    StrikeWordLibrary
} from "../types/FundWords.sol";

/// @title FundMathHarness
/// @notice Test-only: exposes the FundVault's libraries (DealingMath, the FundWords value types) so
/// tests can check them against Python references. Never deployed by `scripts/deploy.py`.
contract FundMathHarness {
    function fulfil(uint256[4] memory queue, uint256 pending, uint256 fulfilled, uint256 nav18)
        external
        pure
        returns (uint256[4] memory next, bool closed, uint256 closedA)
    {
        DealingMath.Queue memory n;
        (n, closed, closedA) =
            DealingMath.fulfil(DealingMath.Queue(queue[0], queue[1], queue[2], queue[3]), pending, fulfilled, nav18);
        next = [n.c, n.a, n.era, n.scale];
    }

    function progress(
        uint256 shares,
        uint256[4] memory entry,
        uint256[4] memory current,
        uint256 closedAtEntry,
        uint256 closedAfterEntry
    ) external pure returns (uint256 remaining, uint256 navShares) {
        return DealingMath.progress(
            shares,
            DealingMath.Queue(entry[0], entry[1], entry[2], entry[3]),
            DealingMath.Queue(current[0], current[1], current[2], current[3]),
            closedAtEntry,
            closedAfterEntry
        );
    }

    function position(uint256 depositAssets, uint256 depositPeriod, uint256 redeemShares, uint256 redeemPeriod)
        external
        pure
        returns (uint256 word, uint256[4] memory fields)
    {
        Position p = Position.wrap(type(uint256).max).setDeposit(depositAssets, depositPeriod)
            .setRedeem(redeemShares, redeemPeriod);
        return (Position.unwrap(p), [p.depositAssets(), p.depositPeriod(), p.redeemShares(), p.redeemPeriod()]);
    }

    function claim(uint256 assets, uint256 shares) external pure returns (uint256 word, uint256[2] memory fields) {
        Claim c = ClaimLibrary.pack(assets, shares);
        return (Claim.unwrap(c), [c.assets(), c.shares()]);
    }

    function dealing(uint256 period, uint256 cutoff, uint256 deposits, uint256 redemptions)
        external
        pure
        returns (uint256 word, uint256[4] memory fields)
    {
        Dealing d = DealingLibrary.pack(period, cutoff, deposits, redemptions);
        return (Dealing.unwrap(d), [d.period(), d.cutoff(), d.deposits(), d.redemptions()]);
    }

    function late(uint256 deposits, uint256 redemptions, uint256 gateBps, uint256 interval)
        external
        pure
        returns (uint256 word, uint256[4] memory fields)
    {
        Late l = Late.wrap(type(uint256).max).setGateBps(gateBps).setInterval(interval)
            .setRequests(deposits, redemptions);
        return (Late.unwrap(l), [l.deposits(), l.redemptions(), l.gateBps(), l.interval()]);
    }

    function strikeWords(uint256 c, uint256 nav18, uint256 era, bool refused, uint256 a, uint256 scale)
        external
        pure
        returns (uint256 strikeWord, uint256 accrualWord, uint256[6] memory fields)
    {
        StrikeWord s = StrikeWordLibrary.pack(c, nav18, era, refused);
        AccrualWord w = AccrualWordLibrary.pack(a, scale);
        return (
            StrikeWord.unwrap(s),
            AccrualWord.unwrap(w),
            [s.c(), s.nav(), s.era(), s.depositsRefused() ? 1 : 0, w.a(), w.scale()]
        );
    }

    /// @notice A FeeLedger built from `start` by the setters in the vault's order (terms, clock,
    /// amounts), and its fields.
    function feeLedger(
        uint256 start,
        uint256 shares,
        uint256 assets,
        uint256 accruedAt,
        uint256 managementBps,
        bool charges
    ) external pure returns (uint256 word, uint256[5] memory fields) {
        FeeLedger f = FeeLedger.wrap(start).setTerms(managementBps, charges).setAccruedAt(accruedAt)
            .setAmounts(shares, assets);
        return (FeeLedger.unwrap(f), [f.shares(), f.assets(), f.accruedAt(), f.managementBps(), f.charges() ? 1 : 0]);
    }

    function instantWord(uint256 period, uint256 subscribed, uint256 redeemed)
        external
        pure
        returns (uint256 word, uint256[3] memory fields)
    {
        InstantWord w = InstantWordLibrary.pack(period, subscribed, redeemed);
        return (InstantWord.unwrap(w), [w.period(), w.subscribed(), w.redeemed()]);
    }
}
