// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {RateModel} from "../../interfaces/ILendingPool.sol";
import {BPS, RAY} from "../libraries/Constants.sol";

/// @title PoolMath
/// @notice The lending pool's pure maths, shared by the pool, the broker and their views: the
/// kinked rate model and its bounds, the per-second compounding of the borrow index, the
/// conversions between debt and scaled debt, and the simple-interest spread between touches.
/// @dev Rounding always favours the lenders: debt and spread round up, scaled debt minted for a
/// borrow rounds up, scaled debt burned by a repayment rounds down. keepers/prime/pool_model.py is
/// the same maths in Python (the differential tests hold them equal).
library PoolMath {
    /// @notice Highest share of interest kept as reserves.
    uint256 internal constant MAX_RESERVE_FACTOR_BPS = 5_000;
    /// @notice Steepest slope above the kink: 1000% a year at full utilisation.
    uint256 internal constant MAX_SLOPE2_BPS = 100_000;
    /// @notice The year of the annual rates (a simple annual rate over 365 days).
    uint256 internal constant YEAR = 365 days;

    /// @notice Why `model` is out of bounds, or "" when it is within them.
    function invalidity(RateModel memory model) internal pure returns (string memory) {
        if (model.kinkBps == 0 || model.kinkBps >= BPS) return "kink not in (0, BPS)";
        if (model.reserveFactorBps > MAX_RESERVE_FACTOR_BPS) return "reserve factor above max";
        if (model.slope2Bps > MAX_SLOPE2_BPS) return "slope2 above max";
        if (uint256(model.baseBps) + model.slope1Bps > BPS) return "base + slope1 above BPS";
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

    /// @notice The borrow index after `elapsed` seconds at `rateBps` a year: `index x e^(rt)`, e^x
    /// by three terms of its Taylor expansion (x + x^2/2 + x^3/6, Morpho Blue's
    /// `wTaylorCompounded`), each rounded down.
    function compound(uint256 indexRay, uint256 rateBps, uint256 elapsed) internal pure returns (uint256) {
        uint256 first = rateBps * RAY / (BPS * YEAR) * elapsed;
        uint256 second = Math.mulDiv(first, first, 2 * RAY);
        uint256 third = Math.mulDiv(second, first, 3 * RAY);
        return indexRay + Math.mulDiv(indexRay, first + second + third, RAY);
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
