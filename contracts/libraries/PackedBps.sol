// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title PackedBps
/// @notice Up to 16 uint16 values (weights in bps, token decimals) in one storage word: a
/// portfolio's per-asset bounds cost one SLOAD instead of one per asset. Slot i is bits
/// [16 i, 16 i + 16). The vault's MAX_ASSETS is 16, so every portfolio fits.
library PackedBps {
    uint256 internal constant CAPACITY = 16;

    error TooManyValues(uint256 count, uint256 capacity);

    function pack(uint16[] memory values) internal pure returns (uint256 word) {
        uint256 count = values.length;
        if (count > CAPACITY) revert TooManyValues(count, CAPACITY);
        // Bounded: count <= CAPACITY.
        for (uint256 i; i < count; ++i) {
            word |= uint256(values[i]) << (16 * i);
        }
    }

    function at(uint256 word, uint256 i) internal pure returns (uint16) {
        return uint16(word >> (16 * i));
    }

    function unpack(uint256 word, uint256 count) internal pure returns (uint16[] memory values) {
        if (count > CAPACITY) revert TooManyValues(count, CAPACITY);
        values = new uint16[](count);
        // Bounded: count <= CAPACITY.
        for (uint256 i; i < count; ++i) {
            values[i] = uint16(word >> (16 * i));
        }
    }
}
