// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// Up to 16 weights in one word (Uniswap v4's `Slot0` pattern: one value type and one library, the
// only description of its layout). The table lists the fields from bit 0.
//
// PackedBps: RebalancePortfolio.lastTargets (word 5), the last executed targets
// | bits        | field          | kind   |
// | ----------- | -------------- | ------ |
// | 16i..15+16i | bps[i], i < 16 | uint16 |

/// @notice Up to 16 uint16 values (weights in bps) in one storage word (table above): a
/// portfolio's targets cost one SLOAD instead of one per asset. The vault's MAX_ASSETS is 16, so
/// every portfolio fits.
type PackedBps is uint256;

using PackedBpsLibrary for PackedBps global;

/// @title PackedBpsLibrary
/// @notice The one description of `PackedBps`.
library PackedBpsLibrary {
    uint256 internal constant CAPACITY = 16;
    uint256 internal constant VALUE_BITS = 16;
    uint256 internal constant VALUE_MASK = type(uint16).max;

    error TooManyValues(uint256 count, uint256 capacity);

    function pack(uint16[] memory values) internal pure returns (PackedBps) {
        uint256 count = values.length;
        if (count > CAPACITY) revert TooManyValues(count, CAPACITY);
        uint256 word;
        // Bounded: count <= CAPACITY.
        for (uint256 i; i < count; ++i) {
            word |= uint256(values[i]) << (VALUE_BITS * i);
        }
        return PackedBps.wrap(word);
    }

    /// @dev `i` < CAPACITY (not checked: a larger index reads zero or another value's bits).
    function at(PackedBps word, uint256 i) internal pure returns (uint16) {
        return uint16(PackedBps.unwrap(word) >> (VALUE_BITS * i));
    }

    /// @dev `i` < CAPACITY (not checked).
    function setAt(PackedBps word, uint256 i, uint16 value) internal pure returns (PackedBps) {
        uint256 offset = VALUE_BITS * i;
        return PackedBps.wrap((PackedBps.unwrap(word) & ~(VALUE_MASK << offset)) | uint256(value) << offset);
    }

    function unpack(PackedBps word, uint256 count) internal pure returns (uint16[] memory values) {
        if (count > CAPACITY) revert TooManyValues(count, CAPACITY);
        values = new uint16[](count);
        // Bounded: count <= CAPACITY.
        for (uint256 i; i < count; ++i) {
            values[i] = word.at(i);
        }
    }
}
