// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IRiskEngine, AssetRisk, RiskLimits} from "./IRiskEngine.sol";

/// @title IRiskLens
/// @notice Read-only periphery of the RiskEngine: the views its own checks do not need, computed
/// from the engine's storage words (`IRiskEngine.extSloads`) at the slots `RiskLayout` describes.
/// Stateless: one lens serves every engine. Its figures are exactly the engine's (same layout
/// library, same math library), checked by a round-trip test against what was published.
/// @dev Not checked: that `engine` is a Quantera RiskEngine. Another contract's words decode to
/// meaningless figures; callers name the engine from the deployment record.
interface IRiskLens {
    /// @notice The model inputs last published for `portfolio` (what the next update's change
    /// bounds apply to): daily volatilities (ppm), the upper-triangle correlations row by row
    /// (1e-4), the ES multiplier (ppm) and the stress shocks (bps, scenario-major). Empty for a
    /// portfolio never configured. Warning: after `configure` changes the asset list, the inputs
    /// of the previous list until the next model (the engine's checks refuse as `StaleModel`).
    function modelInputsOf(IRiskEngine engine, address portfolio)
        external
        view
        returns (uint32[] memory volsPpm, int16[] memory correlations, uint32 esMultiplierPpm, int16[] memory stressBps);

    /// @notice The limits and asset risk parameters `configure` last set for `portfolio` (assets
    /// in the order of its `assets()`); all zero, with no assets, for a portfolio never
    /// configured. The `PortfolioConfigured` events carry the same values, previous and next.
    function limitsOf(IRiskEngine engine, address portfolio)
        external
        view
        returns (RiskLimits memory limits, AssetRisk[] memory assets);

    /// @notice Parametric 1-day VaR at 95% and 99% and ES for the given holdings (token units,
    /// `assets()` order), at the engine's snapshot prices and published model, as 18-decimal
    /// fractions of NAV (1e18 = 100%; the engine's checks compare the same figures rounded up to
    /// basis points). Warning: zero when the NAV is zero, when no model was published yet (the
    /// volatilities are zero) or when the model makes the variance negative — cases the engine's
    /// check refuses as `StaleModel` or `InvalidModel`, not "no risk": read `metricsOf` (update id,
    /// asOf) beside it. Reverts with the engine's errors: `PortfolioNotConfigured`,
    /// `HoldingsLengthMismatch`, `PositionTooLarge`.
    function portfolioRisk(IRiskEngine engine, address portfolio, uint256[] calldata holdings)
        external
        view
        returns (uint256 var95Wad, uint256 var99Wad, uint256 esWad);
}
