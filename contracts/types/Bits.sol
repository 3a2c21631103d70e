// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title Bits
/// @notice The one field writer of every packed storage word in `contracts/types/`: each word's
/// `setX` is `T.wrap(Bits.set(T.unwrap(w), X_OFFSET, X_MASK, value))`.
library Bits {
    /// @notice `word` with the bits `mask << offset` replaced by `value << offset`, every other bit
    /// kept.
    /// @dev `value` must fit `mask`: it is NOT masked (every setter passes a value of its field's
    /// own type, or masks it first), so a wider value would spill into the fields above.
    function set(uint256 word, uint256 offset, uint256 mask, uint256 value) internal pure returns (uint256) {
        return (word & ~(mask << offset)) | value << offset;
    }
}
