// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IRiskEngine, ModelUpdate, RiskLimits} from "../../interfaces/IRiskEngine.sol";
import {RiskMath} from "../libraries/RiskMath.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title RiskUpdateRules
/// @notice What the risk engine accepts from governance (limits) and from the risk keeper (model
/// updates): ranges, shapes and per-update change bounds, reverting with IRiskEngine's errors.
library RiskUpdateRules {
    /// @notice Limits a portfolio may be configured with.
    function validateLimits(address portfolio, RiskLimits calldata l) internal pure {
        if (l.minLiquidBps > BPS || l.maxDrawdownBps > BPS || l.hardDrawdownBps > BPS) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, "bps above 10000");
        }
        if (l.hardDrawdownBps != 0 && l.hardDrawdownBps < l.maxDrawdownBps) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, "hardDrawdownBps below maxDrawdownBps");
        }
        if (l.maxModelAge == 0 || l.maxPriceAge == 0) revert IRiskEngine.InvalidRiskConfig(portfolio, "zero max age");
        if (l.maxVolChangeBps == 0 || l.maxCorrelationChange == 0 || l.maxStressChangeBps == 0) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, "zero change bound");
        }
    }

    /// @notice Array lengths and scalar ranges of a model update for an n-asset portfolio.
    function checkShapes(address portfolio, ModelUpdate calldata u, uint256 n, uint256 maxScenarios) internal pure {
        if (u.volsPpm.length != n) revert IRiskEngine.InvalidModelUpdate(portfolio, "vols length", u.volsPpm.length);
        if (u.correlations.length != n * (n - 1) / 2) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, "correlations length", u.correlations.length);
        }
        uint256 shocks = u.stressLossBps.length;
        if (shocks % n != 0 || shocks / n > maxScenarios) revert IRiskEngine.InvalidModelUpdate(portfolio, "stress length", shocks);
        if (u.esMultiplierPpm < RiskMath.PPM || u.esMultiplierPpm > 10 * RiskMath.PPM) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, "esMultiplierPpm", u.esMultiplierPpm);
        }
        if (u.metrics.grade > 5) revert IRiskEngine.InvalidModelUpdate(portfolio, "grade", u.metrics.grade);
    }

    /// @notice Correlations are stored in 1e-4; the tolerance below is one such unit per asset.
    int256 internal constant CORRELATION_UNIT_WAD = 1e14;

    /// @notice Reverts `InvalidModelUpdate(portfolio, "correlation matrix", j)` unless the n x n
    /// correlation matrix (unit diagonal; `correlations` its upper triangle row by row, in 1e-4)
    /// has no eigenvalue at or below -n x 1e-4: the matrix plus n x 1e-4 on its diagonal must be
    /// positive definite. A positive semi-definite matrix rounded to 1e-4 passes (rounding moves
    /// an eigenvalue by at most n x 0.5e-4); a matrix that is not a correlation matrix (M3: one
    /// that makes some portfolio's variance, hence its VaR, understated or negative) does not.
    /// `j` is the first pivot of the LDL^T factorisation that was not positive.
    /// @dev LDL^T in 1e18 fixed point, n <= 16: about n^3 / 6 multiply-adds (680 at 16 assets).
    /// No overflow: the shifted matrix's pivots stay >= its smallest eigenvalue > 0 and its
    /// multipliers |L_ij| <= sqrt(M_ii / D_j), so every product stays far below 2**255.
    function requireCorrelationMatrix(address portfolio, int16[] calldata correlations, uint256 n) internal pure {
        // Row-major n x n words: D on the diagonal, L below it.
        uint256 f;
        assembly ("memory-safe") {
            f := mload(0x40)
            mstore(0x40, add(f, shl(5, mul(n, n))))
        }
        uint256 failed; // 1 + the first pivot that is not positive (0: none)
        // Bounded: n <= MAX_ASSETS (16), so at most 16 * 16 * 16 / 6 inner steps; every index is
        // below n * n. Row j's pairs start at index j * n - j * (j + 1) / 2 of the upper triangle.
        assembly ("memory-safe") {
            let one := 1000000000000000000
            let unit := CORRELATION_UNIT_WAD
            for { let j := 0 } lt(j, n) { j := add(j, 1) } {
                let rowJ := add(f, shl(5, mul(j, n)))
                let d := add(one, mul(n, unit))
                for { let k := 0 } lt(k, j) { k := add(k, 1) } {
                    let ljk := mload(add(rowJ, shl(5, k)))
                    let dk := mload(add(f, shl(5, add(mul(k, n), k))))
                    d := sub(d, sdiv(mul(sdiv(mul(ljk, ljk), one), dk), one))
                }
                if iszero(sgt(d, 0)) {
                    failed := add(j, 1)
                    break
                }
                mstore(add(rowJ, shl(5, j)), d)
                let pair := sub(mul(j, n), shr(1, mul(j, add(j, 1))))
                for { let i := add(j, 1) } lt(i, n) { i := add(i, 1) } {
                    let rowI := add(f, shl(5, mul(i, n)))
                    let rho := signextend(1, calldataload(add(correlations.offset, shl(5, sub(add(pair, i), add(j, 1))))))
                    let m := mul(rho, unit)
                    for { let k := 0 } lt(k, j) { k := add(k, 1) } {
                        let dk := mload(add(f, shl(5, add(mul(k, n), k))))
                        m := sub(m, sdiv(mul(sdiv(mul(mload(add(rowI, shl(5, k))), mload(add(rowJ, shl(5, k)))), one), dk), one))
                    }
                    mstore(add(rowI, shl(5, j)), sdiv(mul(m, one), d))
                }
            }
        }
        if (failed != 0) revert IRiskEngine.InvalidModelUpdate(portfolio, "correlation matrix", failed - 1);
    }

    /// @notice |next - previous| <= previous * maxBps / 10,000.
    function requireRelativeChange(address portfolio, uint256 index, uint256 previous, uint256 next, uint256 maxBps)
        internal
        pure
    {
        uint256 delta = next > previous ? next - previous : previous - next;
        if (delta * BPS > previous * maxBps) revert IRiskEngine.ModelChangeTooLarge(portfolio, index, previous, next);
    }

    /// @notice |next - previous| <= maxDelta.
    function requireAbsoluteChange(address portfolio, uint256 index, int256 previous, int256 next, uint256 maxDelta)
        internal
        pure
    {
        uint256 delta = next > previous ? uint256(next - previous) : uint256(previous - next);
        if (delta > maxDelta) {
            // Reported as offset-binary (value + 10,000) so the error carries unsigned numbers.
            revert IRiskEngine.ModelChangeTooLarge(portfolio, index, uint256(previous + 10_000), uint256(next + 10_000));
        }
    }
}
