// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PackedAmount
/// @notice Governance-set limits in 40 bits: a 32-bit mantissa times a power of ten (8-bit
/// exponent), value = mantissa * 10**exponent. Lets one slot hold every token-wide limit.
/// @dev Exact only: `encodeExact` reverts unless the amount is representable (at most 9-10
/// significant digits), so a limit is never silently changed. Running totals use `PackedTotal`.
library PackedAmount {
    uint256 internal constant MANTISSA_LIMIT = 1 << 32;

    /// @notice The amount has more significant digits than 32 bits of mantissa hold.
    error AmountNotRepresentable(uint256 amount);

    function decode(uint40 packed) internal pure returns (uint256) {
        return uint256(packed >> 8) * 10 ** uint256(packed & 0xff);
    }

    /// @notice Exact encoding; reverts `AmountNotRepresentable` when rounding would be needed.
    function encodeExact(uint256 amount) internal pure returns (uint40) {
        (uint256 mantissa, uint256 exponent, bool exact) = _split(amount);
        if (!exact) revert AmountNotRepresentable(amount);
        return uint40((mantissa << 8) | exponent);
    }

    /// @dev Smallest exponent whose rounded-up mantissa fits in 32 bits, and whether it is exact.
    function _split(uint256 amount) private pure returns (uint256 mantissa, uint256 exponent, bool exact) {
        if (amount < MANTISSA_LIMIT) return (amount, 0, true);
        // amount >= 2**32 > 10**9, so log10 >= 9: mantissa = ceil(amount / 10**exponent) is in [1e9, 1e10].
        exponent = Math.log10(amount) - 9;
        uint256 scale = 10 ** exponent;
        mantissa = Math.ceilDiv(amount, scale);
        if (mantissa >= MANTISSA_LIMIT) {
            ++exponent;
            scale *= 10;
            mantissa = Math.ceilDiv(amount, scale);
        }
        exact = amount % scale == 0;
    }
}
