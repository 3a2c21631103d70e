// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title RiskMath
/// @notice Fixed-point portfolio risk: delta-normal variance from position values, daily
/// volatilities and correlations, and the VaR / ES / stress figures the risk engine checks.
/// @dev Units: values in 18-decimal USD (any common quote), volatilities in parts per million,
/// correlations in 1e-4, shocks and results in basis points of NAV. Arrays are bounded by the
/// caller's MAX_ASSETS (pairs: n(n-1)/2). Callers keep values below 2**100 (about 1.27e12 in
/// 18-decimal units) and volatilities at most 1e6 ppm, which keeps every product in range.
library RiskMath {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant PPM = 1_000_000;
    int256 internal constant CORRELATION_ONE = 10_000;
    /// @notice One-sided standard normal quantiles, ppm: z(0.95) = 1.644854, z(0.99) = 2.326348.
    uint256 internal constant Z95_PPM = 1_644_854;
    uint256 internal constant Z99_PPM = 2_326_348;

    /// @notice Portfolio standard deviation in value units: sqrt(sum_i sum_j s_i s_j rho_ij) with
    /// s_i = value_i * vol_i. `valid` is false when the correlations make the variance negative
    /// (not positive semi-definite for these weights); sigma is then 0.
    function sigma(uint256[] memory values, uint256[] memory volsPpm, int256[] memory correlations)
        internal
        pure
        returns (bool valid, uint256)
    {
        uint256 n = values.length;
        int256[] memory s = new int256[](n);
        int256 diagonal;
        // Bounded: n <= MAX_ASSETS. No overflow: values < 2**100 and vols <= 1e6 ppm, so |s_i| < 2**100,
        // |s_i * s_j * rho| < 2**214 and a sum of at most 136 such terms stays below 2**222.
        unchecked {
            for (uint256 i; i < n; ++i) {
                int256 si = int256(values[i] * volsPpm[i] / PPM);
                s[i] = si;
                diagonal += si * si;
            }
            int256 offDiagonal;
            uint256 pair;
            for (uint256 i; i < n; ++i) {
                int256 si = s[i];
                for (uint256 j = i + 1; j < n; ++j) {
                    if (si != 0) offDiagonal += si * s[j] * correlations[pair];
                    ++pair;
                }
            }
            int256 variance = diagonal + 2 * offDiagonal / CORRELATION_ONE;
            if (variance < 0) return (false, 0);
            return (true, Math.sqrt(uint256(variance)));
        }
    }

    /// @notice `amount` (value units) as basis points of `nav`, rounded up (a risk figure is never
    /// understated). 0 when nav is 0.
    function toBps(uint256 amount, uint256 nav) internal pure returns (uint256) {
        if (nav == 0) return 0;
        return Math.mulDiv(amount, BPS, nav, Math.Rounding.Ceil);
    }

    /// @notice `multiplierPpm` x sigma as basis points of nav, rounded up.
    function scaledBps(uint256 sigmaValue, uint256 multiplierPpm, uint256 nav) internal pure returns (uint256) {
        if (nav == 0) return 0;
        return Math.mulDiv(sigmaValue * multiplierPpm, BPS, nav * PPM, Math.Rounding.Ceil);
    }

    /// @notice Worst scenario loss in basis points of nav (0 if every scenario is a gain), and
    /// which scenario. `shocksBps` is scenario-major: scenario s, asset i at s * n + i.
    function worstStress(uint256[] memory values, int256[] memory shocksBps, uint256 scenarios, uint256 nav)
        internal
        pure
        returns (uint256 lossBps, uint256 scenario)
    {
        uint256 n = values.length;
        if (nav == 0) return (0, 0);
        int256 worst;
        // Bounded: scenarios <= MAX_SCENARIOS, n <= MAX_ASSETS. No overflow: values < 2**100,
        // shocks |x| < 2**15.
        unchecked {
            for (uint256 k; k < scenarios; ++k) {
                int256 loss;
                for (uint256 i; i < n; ++i) {
                    loss += int256(values[i]) * shocksBps[k * n + i];
                }
                if (loss > worst) (worst, scenario) = (loss, k);
            }
        }
        if (worst <= 0) return (0, 0);
        lossBps = Math.ceilDiv(uint256(worst), nav);
    }
}
