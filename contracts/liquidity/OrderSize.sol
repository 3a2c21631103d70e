// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title OrderSize
/// @notice What a caller has sold of one token for another in the current transaction, kept in
/// transient storage (EIP-1153): the order the large-order threshold applies to (SEC-54). Two
/// routes of one order, in a `multicall` or in two calls of one transaction, add up; a new
/// transaction starts from zero.
library OrderSize {
    /// @dev keccak256("quantera.liquidity.orderSize") - 1: each (payer, tokenIn, tokenOut) has the
    /// slot keccak256(payer, tokenIn, tokenOut, SLOT), which no storage variable can collide with.
    bytes32 internal constant SLOT = 0xf103688d7a81bd6fe328f17a651abc34338c28b896f8d71c1a7175d7165b74f1;

    /// @notice Adds `amount` to `payer`'s order of `tokenIn` for `tokenOut` in this transaction.
    /// @return total The order's size with it.
    function add(address payer, address tokenIn, address tokenOut, uint256 amount) internal returns (uint256 total) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            let mask := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(free, and(payer, mask))
            mstore(add(free, 0x20), and(tokenIn, mask))
            mstore(add(free, 0x40), and(tokenOut, mask))
            mstore(add(free, 0x60), SLOT)
            let slot := keccak256(free, 0x80)
            // No overflow: amounts are route amounts (at most MAX_LEGS x 2**128 each).
            total := add(tload(slot), amount)
            tstore(slot, total)
        }
    }
}
