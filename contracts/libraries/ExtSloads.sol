// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IExtSloads} from "../../interfaces/IExtSloads.sol";

/// @title ExtSloads
/// @notice IExtSloads for a core contract whose periphery reads its storage.
abstract contract ExtSloads is IExtSloads {
    /// @inheritdoc IExtSloads
    function extSloads(bytes32[] calldata slots) external view returns (bytes32[] memory) {
        // Encodes the returned array in place (offset, length, words) and returns it.
        assembly ("memory-safe") {
            let out := mload(0x40)
            mstore(out, 0x20)
            mstore(add(out, 0x20), slots.length)
            let words := add(out, 0x40)
            for { let i := 0 } lt(i, slots.length) { i := add(i, 1) } {
                mstore(add(words, shl(5, i)), sload(calldataload(add(slots.offset, shl(5, i)))))
            }
            return(out, add(0x40, shl(5, slots.length)))
        }
    }
}
