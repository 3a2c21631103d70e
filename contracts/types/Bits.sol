// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title Bits
/// @notice The one field writer of the packed storage words in `contracts/types/`: a word's
/// `setX` is `T.wrap(Bits.set(T.unwrap(w), X_OFFSET, X_MASK, value))`, where it does not write its
/// field inline (a flag's `value ? 1 << X_OFFSET : 0`, a multi-field setter, or a library whose
/// inline setters keep its users' bytes: each says so).
library Bits {
    /// @notice `word` with the bits `mask << offset` replaced by `value << offset`, every other bit
    /// kept.
    /// @dev `value` must fit `mask`: it is NOT masked, so a wider value spills into the fields
    /// above. Most setters take their field's own type; those whose parameter is wider than the
    /// field (`setCountedCountry`, `setModuleCount`, the window's sums, `setAssetDecimals`,
    /// `AssetParams.setDecimals`) state the bound their callers keep.
    function set(uint256 word, uint256 offset, uint256 mask, uint256 value) internal pure returns (uint256) {
        return (word & ~(mask << offset)) | value << offset;
    }
}
