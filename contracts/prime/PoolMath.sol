// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {RateModel} from "../../interfaces/ILendingPool.sol";
import {BPS, RAY} from "../libraries/Constants.sol";

/// @title PoolMath
/// @notice The lending pool's pure maths, shared by the pool, the broker and their views: the
/// kinked rate model and its bounds, the borrow index compounded exactly (e^(rt) over any gap,
/// saturating at its ceiling), the conversions between debt and scaled debt, and the
/// simple-interest spread between touches.
/// @dev Rounding always favours the lenders: debt and spread round up, scaled debt minted for a
/// borrow rounds up, scaled debt burned by a repayment rounds down; the index rounds down (by at
/// most a unit of RAY per Taylor term, relative 1e-25). keepers/prime/pool_model.py is the same
/// maths in Python (the differential tests hold them equal).
library PoolMath {
    /// @notice Highest share of interest kept as reserves.
    uint256 internal constant MAX_RESERVE_FACTOR_BPS = 5_000;
    /// @notice Highest borrow rate a model may reach (at full utilisation): 400% a year. With the
    /// index's ceilings below, a pool borrowed in full at this rate compounds exactly for at least
    /// 14 years (a debt of 10^13 units, ten million USDC) to 21 years (one unit) before it
    /// saturates (and never reverts); the deployed pools' rates at full utilisation (65% and
    /// 103.5%, keepers/data/prime.yaml) for 55 to 134 years (docs/prime.md "Interest").
    uint256 internal constant MAX_BORROW_RATE_BPS = 40_000;
    /// @notice The year of the annual rates (a simple annual rate over 365 days).
    uint256 internal constant YEAR = 365 days;
    /// @notice The index's ceiling: 216 bits, e^87.5 times its start.
    uint256 internal constant MAX_INDEX_RAY = type(uint216).max;
    /// @notice The total debt the index may compound to: 2^126 units. Every amount derived from
    /// it (the interest and the reserves' share of it, a spread, a write-off) then stays within
    /// the pool's 128-bit fields, so no accrual can ever revert: the pool never freezes.
    uint256 internal constant MAX_TOTAL_DEBT = 2 ** 126;
    /// @notice ln 2 in RAY, rounded down: e^x = 2^k e^(x - k ln 2).
    uint256 internal constant LN2_RAY = 693_147_180_559_945_309_417_232_121;
    /// @notice Bound of the Taylor series of e^f for 0 <= f < ln 2: its 27th term is below one unit
    /// of RAY (0.7^27 / 27! < 1e-27), so the series has ended (a zero term) by then.
    uint256 internal constant MAX_EXP_TERMS = 27;

    /// @notice Why `model` is out of bounds, or "" when it is within them.
    function invalidity(RateModel memory model) internal pure returns (string memory) {
        if (model.kinkBps == 0 || model.kinkBps >= BPS) return "kink not in (0, BPS)";
        if (model.reserveFactorBps > MAX_RESERVE_FACTOR_BPS) return "reserve factor above max";
        if (uint256(model.baseBps) + model.slope1Bps > BPS) return "base + slope1 above BPS";
        if (uint256(model.baseBps) + model.slope1Bps + model.slope2Bps > MAX_BORROW_RATE_BPS) {
            return "rate at full utilisation above max";
        }
        return "";
    }

    /// @notice debt / (cash + debt) in bps, rounded down; 0 for an empty pool.
    function utilisationBps(uint256 cash, uint256 debt) internal pure returns (uint256) {
        if (debt == 0) return 0;
        return Math.mulDiv(debt, BPS, cash + debt);
    }

    /// @notice The annual borrow rate at `utilisation` (bps, at most BPS), bps, rounded down.
    function borrowRateBps(RateModel memory model, uint256 utilisation) internal pure returns (uint256) {
        uint256 kink = model.kinkBps;
        if (utilisation <= kink) return model.baseBps + uint256(model.slope1Bps) * utilisation / kink;
        // No underflow: kink < utilisation <= BPS, and kink < BPS (`invalidity`).
        return model.baseBps + uint256(model.slope1Bps) + uint256(model.slope2Bps) * (utilisation - kink) / (BPS - kink);
    }

    /// @notice The highest index `totalScaled` of scaled debt may reach: MAX_INDEX_RAY, or lower
    /// so that the total debt stays within MAX_TOTAL_DEBT.
    function indexCeiling(uint256 totalScaled) internal pure returns (uint256) {
        if (totalScaled == 0) return MAX_INDEX_RAY;
        return Math.min(MAX_INDEX_RAY, Math.mulDiv(MAX_TOTAL_DEBT, RAY, totalScaled));
    }

    /// @notice The borrow index after `elapsed` seconds at `rateBps` a year: `index x e^(rt)`,
    /// exactly for any gap (x = rt, reduced to 2^k e^f with 0 <= f < ln 2, e^f by its Taylor
    /// series to its last nonzero term), each step rounded down; at most `ceilingRay`, and never
    /// below `indexRay` (an index at or above its ceiling stays where it is).
    function compound(uint256 indexRay, uint256 rateBps, uint256 elapsed, uint256 ceilingRay)
        internal
        pure
        returns (uint256)
    {
        if (indexRay >= ceilingRay) return indexRay;
        // No overflow: rateBps <= MAX_BORROW_RATE_BPS and elapsed < 2^40.
        uint256 x = Math.mulDiv(rateBps * elapsed, RAY, BPS * YEAR);
        uint256 k = x / LN2_RAY;
        // Past 2^216 whatever the index: saturated (and 2^k below fits a word).
        if (k > 216) return ceilingRay;
        uint256 f = x - k * LN2_RAY;
        uint256 sum = RAY;
        uint256 term = RAY;
        // Bounded by MAX_EXP_TERMS; ends at the first zero term (a few for a block's gap).
        for (uint256 i = 1; i <= MAX_EXP_TERMS && term != 0; ++i) {
            // No overflow: term <= RAY and f < RAY.
            term = term * f / (i * RAY);
            sum += term;
        }
        uint256 grown = Math.mulDiv(indexRay, sum, RAY);
        if (grown > ceilingRay >> k) return ceilingRay;
        return grown << k;
    }

    /// @notice The debt of `scaled` at `indexRay`, rounded up.
    function toDebt(uint256 scaled, uint256 indexRay) internal pure returns (uint256) {
        return Math.mulDiv(scaled, indexRay, RAY, Math.Rounding.Ceil);
    }

    /// @notice The scaled debt `assets` of debt are at `indexRay`, rounded up (a borrow's) or down
    /// (a repayment's).
    function toScaled(uint256 assets, uint256 indexRay, bool up) internal pure returns (uint256) {
        return Math.mulDiv(assets, RAY, indexRay, up ? Math.Rounding.Ceil : Math.Rounding.Floor);
    }

    /// @notice The spread on `debt` at `spreadBps` a year for `elapsed` seconds (simple interest),
    /// rounded up.
    function spread(uint256 debt, uint256 spreadBps, uint256 elapsed) internal pure returns (uint256) {
        return Math.mulDiv(debt, spreadBps * elapsed, BPS * YEAR, Math.Rounding.Ceil);
    }
}
