// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title WadMath
/// @notice 18-decimal fixed-point arithmetic (1e18 = 1.0) with the rounding direction in every name.
/// @dev Built on OpenZeppelin's full-precision `Math.mulDiv`, so intermediate products never
/// overflow; only results that do not fit in 256 bits revert (with Solidity's panic, as OZ does).
/// Callers pick the rounding that favours the protocol: down for what is paid out, up for what is
/// owed.
library WadMath {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint8 internal constant WAD_DECIMALS = 18;
    /// @notice Largest token/feed `decimals` accepted by the scaling helpers (10**77 < 2**256).
    uint8 internal constant MAX_DECIMALS = 77;
    /// @notice Largest input to `sqrtWad`: `x * WAD` must fit in 256 bits.
    uint256 internal constant MAX_SQRT_INPUT = type(uint256).max / WAD;

    /// @notice A scaling helper was given more decimals than 10**decimals can represent.
    error DecimalsTooLarge(uint8 decimals, uint8 maxDecimals);
    /// @notice `sqrtWad` was given a value whose scaled square would overflow.
    error SqrtInputTooLarge(uint256 x, uint256 maxInput);

    function mulWadDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD);
    }

    function mulWadUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, y, WAD, Math.Rounding.Ceil);
    }

    function divWadDown(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y);
    }

    function divWadUp(uint256 x, uint256 y) internal pure returns (uint256) {
        return Math.mulDiv(x, WAD, y, Math.Rounding.Ceil);
    }

    /// @notice Square root of a WAD number, as a WAD number, rounded down: sqrt(x / 1e18) * 1e18.
    function sqrtWad(uint256 x) internal pure returns (uint256) {
        if (x > MAX_SQRT_INPUT) revert SqrtInputTooLarge(x, MAX_SQRT_INPUT);
        // No overflow: x <= type(uint256).max / WAD checked above.
        unchecked {
            return Math.sqrt(x * WAD);
        }
    }

    /// @notice `amount * bps / 10_000`, rounded down.
    function bpsDown(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return Math.mulDiv(amount, bps, BPS);
    }

    /// @notice `amount * bps / 10_000`, rounded up.
    function bpsUp(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return Math.mulDiv(amount, bps, BPS, Math.Rounding.Ceil);
    }

    /// @notice Rescales `amount` given with `decimals` decimals to 18 decimals (rounds down when
    /// `decimals > 18`).
    function toWad(uint256 amount, uint8 decimals) internal pure returns (uint256) {
        if (decimals > MAX_DECIMALS) revert DecimalsTooLarge(decimals, MAX_DECIMALS);
        if (decimals == WAD_DECIMALS) return amount;
        // No underflow in either branch: the comparison picks the positive difference.
        unchecked {
            return decimals < WAD_DECIMALS
                ? amount * 10 ** (WAD_DECIMALS - decimals)
                : amount / 10 ** (decimals - WAD_DECIMALS);
        }
    }

    /// @notice Rescales an 18-decimal `wad` to `decimals` decimals with the given rounding.
    function fromWad(uint256 wad, uint8 decimals, Math.Rounding rounding) internal pure returns (uint256) {
        if (decimals > MAX_DECIMALS) revert DecimalsTooLarge(decimals, MAX_DECIMALS);
        if (decimals == WAD_DECIMALS) return wad;
        // No underflow in either branch: the comparison picks the positive difference.
        unchecked {
            return decimals > WAD_DECIMALS
                ? wad * 10 ** (decimals - WAD_DECIMALS)
                : Math.mulDiv(wad, 1, 10 ** (WAD_DECIMALS - decimals), rounding);
        }
    }

    /// @notice |next - previous| / previous as a WAD ratio, rounded up (the conservative side for
    /// "maximum relative change" bounds). A change from zero is infinite: returns type(uint256).max
    /// unless `next` is zero too.
    function relativeChangeWadUp(uint256 previous, uint256 next) internal pure returns (uint256) {
        if (previous == 0) return next == 0 ? 0 : type(uint256).max;
        uint256 delta = next > previous ? next - previous : previous - next;
        return Math.mulDiv(delta, WAD, previous, Math.Rounding.Ceil);
    }
}
