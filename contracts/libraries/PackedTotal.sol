// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title PackedTotal
/// @notice Totals in 23 bits, rounded up: an 18-bit mantissa times a power of ten (5-bit exponent),
/// value = mantissa * 10**exponent. The compliance engine keeps an identity's two previous window
/// buckets in this format, next to the exact current ones in the identity's windows word; it
/// encodes a bucket once, when the bucket stops being current, so the bound below holds per bucket
/// whatever the number of sends in it (SEC-71). Encoding a running total again after every
/// addition would add the rounding up each time: do not.
/// @dev Decimal, so the round amounts institutions send (6,000,000.00 tokens) are kept exactly and
/// a limit can be used to the last unit. `decode(encodeUp(x)) >= x` always (a total is never
/// understated), equal when x has at most 5 significant digits (or is below 2**18), and above it by
/// less than x / 26,000 otherwise. Totals beyond the format (above about 2.6e36, far beyond any
/// limit `setLimits` accepts) saturate at `MAX`, whose decoded value exceeds every such limit.
library PackedTotal {
    uint256 internal constant BITS = 23;
    uint256 internal constant MASK = (1 << BITS) - 1;
    uint256 internal constant MAX = MASK;
    uint256 private constant MANTISSA_BITS = 18;
    uint256 private constant MANTISSA_LIMIT = 1 << MANTISSA_BITS;
    uint256 private constant MAX_EXPONENT = (1 << (BITS - MANTISSA_BITS)) - 1;

    function decode(uint256 packed) internal pure returns (uint256) {
        // No overflow: mantissa < 2**18 and exponent <= 31.
        unchecked {
            return (packed & (MANTISSA_LIMIT - 1)) * 10 ** ((packed >> MANTISSA_BITS) & MAX_EXPONENT);
        }
    }

    /// @notice Encoding rounded up: decode(encodeUp(x)) >= x.
    function encodeUp(uint256 amount) internal pure returns (uint256) {
        if (amount < MANTISSA_LIMIT) return amount;
        // No overflow or underflow: amount is in [2**18, 2**256), so its bit length is in [19, 256],
        // its decimal digits minus one (`digits`) in [5, 77], and every power below is < 10**78.
        unchecked {
            // floor(log10(amount)) from its bit length (x * 1233 >> 12 = floor(x * log10(2)) here),
            // corrected once by a comparison (the classic bit-length method, no division loop).
            uint256 digits = ((Math.log2(amount) + 1) * 1233) >> 12;
            uint256 power = 10 ** digits;
            if (amount < power) (digits, power) = (digits - 1, power / 10);
            // ceil(amount / 10**(digits - 5)) is in [1e5, 1e6]; one more power of ten when it does
            // not fit the 18-bit mantissa.
            uint256 exponent = digits - 5;
            uint256 scale = power / 1e5;
            uint256 mantissa = (amount - 1) / scale + 1;
            if (mantissa >= MANTISSA_LIMIT) {
                ++exponent;
                scale *= 10;
                mantissa = (amount - 1) / scale + 1;
            }
            if (exponent > MAX_EXPONENT) return MAX;
            return exponent << MANTISSA_BITS | mantissa;
        }
    }
}
