// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IRiskEngine, ModelRule, ModelUpdate, RiskConfigRule, RiskLimits} from "../../interfaces/IRiskEngine.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {RiskMath} from "../libraries/RiskMath.sol";
import {BPS} from "../libraries/Constants.sol";
import {ModelWord, RiskBoundsWord} from "../types/RiskWords.sol";

/// @title RiskUpdateRules
/// @notice What the risk engine accepts from governance (limits) and from the risk keeper (model
/// updates): ranges, shapes and change bounds (per update, or scaled by the time since the last
/// model: RSK-17), reverting with IRiskEngine's errors.
library RiskUpdateRules {
    /// @notice Longest `boundWindowHours` accepted: one year.
    uint256 internal constant MAX_BOUND_WINDOW_HOURS = 8_760;
    /// @notice A share numerator (`changeShare`) that lets any change pass: the first model's.
    uint256 internal constant FREE = 2 ** 128;

    /// @notice Limits a portfolio may be configured with.
    function validateLimits(address portfolio, RiskLimits calldata l) internal pure {
        uint256 largest = Math.max(l.minLiquidBps, Math.max(l.maxDrawdownBps, l.hardDrawdownBps));
        if (largest > BPS) revert IRiskEngine.InvalidRiskConfig(portfolio, RiskConfigRule.LimitBps, largest);
        if (l.hardDrawdownBps != 0 && l.hardDrawdownBps < l.maxDrawdownBps) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, RiskConfigRule.HardDrawdownBelowMax, l.hardDrawdownBps);
        }
        if (l.maxModelAge == 0 || l.maxPriceAge == 0) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, RiskConfigRule.ZeroMaxAge, 0);
        }
        if (l.maxVolChangeBps == 0 || l.maxCorrelationChange == 0 || l.maxStressChangeBps == 0) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, RiskConfigRule.ZeroChangeBound, 0);
        }
        if (l.boundWindowHours > MAX_BOUND_WINDOW_HOURS) {
            revert IRiskEngine.InvalidRiskConfig(portfolio, RiskConfigRule.BoundWindowHours, l.boundWindowHours);
        }
    }

    /// @notice Reverts unless `u` follows the model `m` (the stored model word): its id the next
    /// one, its as-of time after the model's and not in the future, and the minimum delay of the
    /// bounds word `b` passed since the model was published (none before the first).
    function checkSequence(address portfolio, ModelUpdate calldata u, ModelWord m, RiskBoundsWord b) internal view {
        if (u.updateId != m.updateId() + 1) revert IRiskEngine.StaleUpdate(portfolio, m.updateId() + 1, u.updateId);
        if (u.asOf <= m.asOf() || u.asOf > block.timestamp) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.AsOf, u.asOf);
        }
        if (m.publishedAt() != 0 && block.timestamp < uint256(m.publishedAt()) + b.minUpdateDelay()) {
            revert IRiskEngine.UpdateTooSoon(portfolio, m.publishedAt(), b.minUpdateDelay());
        }
    }

    /// @notice Array lengths and scalar ranges of a model update for an n-asset portfolio.
    function checkShapes(address portfolio, ModelUpdate calldata u, uint256 n, uint256 maxScenarios) internal pure {
        if (u.volsPpm.length != n) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.VolsLength, u.volsPpm.length);
        }
        if (u.correlations.length != n * (n - 1) / 2) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.CorrelationsLength, u.correlations.length);
        }
        uint256 shocks = u.stressLossBps.length;
        if (shocks % n != 0 || shocks / n > maxScenarios) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.StressLength, shocks);
        }
        if (u.esMultiplierPpm < RiskMath.PPM || u.esMultiplierPpm > 10 * RiskMath.PPM) {
            revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.EsMultiplier, u.esMultiplierPpm);
        }
        if (u.metrics.grade > 5) revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.Grade, u.metrics.grade);
    }

    /// @notice Correlations are stored in 1e-4; the tolerance below is one such unit per asset.
    int256 internal constant CORRELATION_UNIT_WAD = 1e14;
    /// @notice Smallest pivot accepted (1e-9): no pivot of a matrix the keeper sends comes near it,
    /// and it keeps every multiplier below 2e27 (see `requireCorrelationMatrix`).
    int256 internal constant PIVOT_FLOOR_WAD = 1e9;

    /// @notice Reverts `InvalidModelUpdate(portfolio, "correlation matrix", i)` unless the n x n
    /// correlation matrix (unit diagonal; `correlations` its upper triangle row by row, in 1e-4)
    /// has no eigenvalue at or below -n x 1e-4: the matrix plus n x 1e-4 on its diagonal must be
    /// positive definite. A positive semi-definite matrix rounded to 1e-4 passes (rounding moves
    /// an eigenvalue by at most n x 0.5e-4); a matrix that is not a correlation matrix (M3: one
    /// that makes some portfolio's variance, hence its VaR, understated or negative) does not.
    /// `i` is the first row of the LDL^T factorisation whose pivot is not above PIVOT_FLOOR_WAD.
    /// @dev Precondition (the caller's, `publishModel`): `correlations` has n(n-1)/2 elements, each
    /// read once through Solidity's decoder and checked within +-10,000 (the assembly below reads
    /// them raw). LDL^T in 1e18 fixed point, row by row, n <= 16: about n^3 / 6 multiply-adds.
    /// Row i's pivot d_i only decreases as its terms m * L_ik (= L_ik^2 d_k >= 0) are subtracted,
    /// so the row stops as soon as d_i falls to the floor. No overflow: every earlier row k passed
    /// (d_k > PIVOT_FLOOR_WAD), and while d_i stays positive Cauchy-Schwarz bounds the running
    /// |m| <= sqrt(M_ii M_kk) < 2.01e18, so |L_ik| = |m| / d_k < 2.01e27 and every product stays
    /// below 1e55.
    function requireCorrelationMatrix(address portfolio, int16[] calldata correlations, uint256 n) internal pure {
        // Row-major n x n words: D on the diagonal, L below it.
        uint256 f;
        assembly ("memory-safe") {
            f := mload(0x40)
            mstore(0x40, add(f, shl(5, mul(n, n))))
        }
        uint256 failed; // 1 + the first row whose pivot is not above the floor (0: none)
        // Bounded: n <= MAX_ASSETS (16), so at most 16 * 16 * 16 / 6 inner steps; every index is
        // below n * n, and every entry is written before it is read (row i reads its own columns
        // l < k and the rows k < i). Pair (k, i), k < i, is at k * n - k * (k + 1) / 2 + i - k - 1.
        assembly ("memory-safe") {
            let one := 1000000000000000000
            let unit := CORRELATION_UNIT_WAD
            let floor := PIVOT_FLOOR_WAD
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let rowI := add(f, shl(5, mul(i, n)))
                let d := add(one, mul(n, unit))
                for { let k := 0 } lt(k, i) { k := add(k, 1) } {
                    let rowK := add(f, shl(5, mul(k, n)))
                    let pair := add(sub(mul(k, n), shr(1, mul(k, add(k, 1)))), sub(sub(i, k), 1))
                    let m := mul(signextend(1, calldataload(add(correlations.offset, shl(5, pair)))), unit)
                    for { let l := 0 } lt(l, k) { l := add(l, 1) } {
                        let dl := mload(add(f, shl(5, add(mul(l, n), l))))
                        m := sub(
                            m,
                            sdiv(mul(sdiv(mul(mload(add(rowI, shl(5, l))), mload(add(rowK, shl(5, l)))), one), dl), one)
                        )
                    }
                    let lik := sdiv(mul(m, one), mload(add(rowK, shl(5, k))))
                    mstore(add(rowI, shl(5, k)), lik)
                    d := sub(d, sdiv(mul(m, lik), one))
                    if iszero(sgt(d, floor)) { break }
                }
                if iszero(sgt(d, floor)) {
                    failed := add(i, 1)
                    break
                }
                mstore(add(rowI, shl(5, i)), d)
            }
        }
        if (failed != 0) revert IRiskEngine.InvalidModelUpdate(portfolio, ModelRule.CorrelationMatrix, failed - 1);
    }

    /// @notice The share `num / den` of its bound a loosening change may use, and whether a
    /// tightening one is free (RSK-17), from the model word `m` and the bounds word `b`: with a
    /// window of `b.boundWindowHours()` hours, min(elapsed, window) / window and free (elapsed:
    /// the time since `m` was published); 1 / 1 and bounded without one (every change its whole
    /// bound per update); FREE / 1 and free for the first model (`m.asOf()` 0: nothing to compare
    /// with).
    function changeShare(ModelWord m, RiskBoundsWord b)
        internal
        view
        returns (uint256 num, uint256 den, bool freeIncrease)
    {
        if (m.asOf() == 0) return (FREE, 1, true);
        uint256 windowHours = b.boundWindowHours();
        if (windowHours == 0) return (1, 1, false);
        den = windowHours * 1 hours;
        uint256 elapsed = block.timestamp - m.publishedAt();
        return (elapsed < den ? elapsed : den, den, true);
    }

    /// @notice Bit i set: asset i has a negative correlation in `correlations` (an n-asset upper
    /// triangle, row by row, of the length `checkShapes` requires). Raising such an asset's
    /// volatility can lower a long-only book's variance (it makes the asset a larger hedge), so
    /// that increase is no tightening (RSK-17).
    function negativelyCorrelated(int16[] calldata correlations, uint256 n) internal pure returns (uint256 mask) {
        (uint256 i, uint256 j) = (0, 1);
        // Bounded: n(n-1)/2 <= 120 pairs; (i, j) walks them in the same order.
        for (uint256 k; k < correlations.length; ++k) {
            if (correlations[k] < 0) mask |= (1 << i) | (1 << j);
            if (++j == n) (i, j) = (i + 1, i + 2);
        }
    }

    /// @notice Reverts `ModelChangeTooLarge(portfolio, index, previous, next)` unless the change
    /// from `previous` to `next` is within `num / den` (`changeShare`) of its bound: previous x
    /// `maxChange` / 10,000 when `relative` (volatilities, the ES multiplier), `maxChange`
    /// otherwise (correlations and shocks, reported offset-binary, value + 10,000, so the error
    /// carries unsigned numbers). An increase passes whatever its size when `freeIncrease` (a
    /// tightening under a window, RSK-17; the caller checks the absolute ranges).
    function requireChange(
        address portfolio,
        uint256 index,
        int256 previous,
        int256 next,
        uint256 maxChange,
        bool relative,
        uint256 num,
        uint256 den,
        bool freeIncrease
    ) internal pure {
        uint256 delta;
        if (next > previous) {
            if (freeIncrease) return;
            delta = uint256(next - previous);
        } else {
            delta = uint256(previous - next);
        }
        // No overflow: delta < 2**33 and 10,000 x den < 2**39; previous x maxChange < 2**49, num <= 2**128.
        uint256 bound = relative ? uint256(previous) * maxChange : maxChange;
        if (delta * (relative ? BPS : 1) * den > bound * num) {
            int256 offset = relative ? int256(0) : int256(10_000);
            revert IRiskEngine.ModelChangeTooLarge(portfolio, index, uint256(previous + offset), uint256(next + offset));
        }
    }
}
