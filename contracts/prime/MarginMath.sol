// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title MarginMath
/// @notice The prime broker's margin arithmetic, pure (docs/prime.md "Health" and "Liquidation";
/// mirrored by keepers/prime/model.py, which the differential tests compare it with). USD figures
/// have 18 decimals; a price is the USD value of one whole token (10^decimals units), 18 decimals.
/// Rounding is always against the account: collateral rounds down, debt rounds up.
library MarginMath {
    /// @notice Haircut per unit of risk weight: Basel's 8% minimum capital ratio, so a 100% risk
    /// weight costs an 8% haircut and Basel's 1250% (full deduction) a 100% one.
    uint256 internal constant HAIRCUT_PER_RISK_WEIGHT_BPS = 800;
    /// @notice The ratio of an account without debt.
    uint256 internal constant NO_DEBT_RATIO = type(uint256).max;

    /// @return The haircut of an asset of risk weight `riskWeightBps`, bps: min(BPS, rw x 8%).
    function haircutBps(uint256 riskWeightBps) internal pure returns (uint256) {
        return Math.min(BPS, riskWeightBps * HAIRCUT_PER_RISK_WEIGHT_BPS / BPS);
    }

    /// @return The USD value of `amount` units at `price18` per whole token, rounded down.
    function valueDown(uint256 amount, uint256 price18, uint8 decimals) internal pure returns (uint256) {
        return Math.mulDiv(amount, price18, 10 ** decimals);
    }

    /// @return The USD value of `amount` units at `price18` per whole token, rounded up.
    function valueUp(uint256 amount, uint256 price18, uint8 decimals) internal pure returns (uint256) {
        return Math.mulDiv(amount, price18, 10 ** decimals, Math.Rounding.Ceil);
    }

    /// @return Collateral value after its haircut (rounded down).
    function adjustedCollateral(uint256 valueUsd, uint256 haircut) internal pure returns (uint256) {
        return valueUsd * (BPS - haircut) / BPS;
    }

    /// @return Debt value with the borrowed asset's haircut added (rounded up).
    function adjustedDebt(uint256 valueUsd, uint256 haircut) internal pure returns (uint256) {
        return Math.mulDiv(valueUsd, BPS + haircut, BPS, Math.Rounding.Ceil);
    }

    /// @return The margin ratio in bps, rounded down (NO_DEBT_RATIO without debt).
    function ratioBps(uint256 adjustedCollateralUsd, uint256 adjustedDebtUsd) internal pure returns (uint256) {
        if (adjustedDebtUsd == 0) return NO_DEBT_RATIO;
        return Math.mulDiv(adjustedCollateralUsd, BPS, adjustedDebtUsd);
    }

    /// @return Adjusted collateral to add for the ratio to reach `targetBps` (0 when it is there).
    function shortfall(uint256 adjustedCollateralUsd, uint256 adjustedDebtUsd, uint256 targetBps)
        internal
        pure
        returns (uint256)
    {
        uint256 needed = Math.mulDiv(adjustedDebtUsd, targetBps, BPS, Math.Rounding.Ceil);
        return needed > adjustedCollateralUsd ? needed - adjustedCollateralUsd : 0;
    }

    /// @return Most of a debt one liquidation may repay: the close factor's share, all of it once the
    /// ratio is below 100% (the account no longer covers its debt at haircut values).
    function maxRepay(uint256 debt, uint256 ratio, uint256 closeFactorBps) internal pure returns (uint256) {
        if (ratio < BPS) return debt;
        return debt * closeFactorBps / BPS;
    }

    /// @notice The bonus a liquidation pays: the tier's, reduced so that seizing collateral of haircut
    /// `collateralHaircut` against debt of haircut `debtHaircut` does not lower a ratio of `ratio`
    /// (Euler v2's dynamic discount): (1 + b)(1 - hc) / (1 + hd) <= ratio, floored at zero.
    /// A collateral with a 100% haircut counts nothing: the tier's bonus applies.
    function bonusBps(uint256 tierBonusBps, uint256 ratio, uint256 collateralHaircut, uint256 debtHaircut)
        internal
        pure
        returns (uint256)
    {
        if (collateralHaircut >= BPS) return tierBonusBps;
        // The largest (1 + b) keeping the ratio: ratio x (1 + hd) / (1 - hc), in bps.
        uint256 neutral = Math.mulDiv(Math.min(ratio, type(uint128).max), BPS + debtHaircut, BPS - collateralHaircut);
        if (neutral <= BPS) return 0;
        return Math.min(tierBonusBps, neutral - BPS);
    }

    /// @return Collateral units worth `repaid` units of debt plus the bonus at oracle prices (down).
    function seized(
        uint256 repaid,
        uint256 debtPrice18,
        uint8 debtDecimals,
        uint256 collateralPrice18,
        uint8 collateralDecimals,
        uint256 bonus
    ) internal pure returns (uint256) {
        uint256 valueUsd = Math.mulDiv(valueDown(repaid, debtPrice18, debtDecimals), BPS + bonus, BPS);
        return Math.mulDiv(valueUsd, 10 ** collateralDecimals, collateralPrice18);
    }

    /// @return The debt units `seizedUnits` of collateral pays for with the bonus (the inverse of
    /// `seized`, rounded down: used when the collateral runs out).
    function repayable(
        uint256 seizedUnits,
        uint256 collateralPrice18,
        uint8 collateralDecimals,
        uint256 debtPrice18,
        uint8 debtDecimals,
        uint256 bonus
    ) internal pure returns (uint256) {
        return repayableFor(
            valueDown(seizedUnits, collateralPrice18, collateralDecimals), debtPrice18, debtDecimals, bonus
        );
    }

    /// @return The debt units collateral worth `valueUsd` pays for with the bonus, rounded down (0:
    /// dust no liquidation of that debt can take).
    function repayableFor(uint256 valueUsd, uint256 debtPrice18, uint8 debtDecimals, uint256 bonus)
        internal
        pure
        returns (uint256)
    {
        return Math.mulDiv(Math.mulDiv(valueUsd, BPS, BPS + bonus), 10 ** debtDecimals, debtPrice18);
    }
}
