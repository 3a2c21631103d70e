// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IRiskEngine, ModelUpdate, RiskLimits} from "../../interfaces/IRiskEngine.sol";
import {RiskMath} from "../libraries/RiskMath.sol";

/// @title RiskUpdateRules
/// @notice What the risk engine accepts from governance (limits) and from the risk keeper (model
/// updates): ranges, shapes and per-update change bounds, reverting with IRiskEngine's errors.
library RiskUpdateRules {
    uint256 internal constant BPS = 10_000;

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
