// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title OrderSize
/// @notice What a caller has sold of one token in the current transaction, at any hop of any of
/// its routes, kept in transient storage (EIP-1153): the order the large-order threshold applies
/// to (SEC-54, SEC-144). Two routes of one order, in a `multicall` or in two calls of one
/// transaction, add up whatever they buy and at whichever hop they sell the token; a new
/// transaction starts from zero.
library OrderSize {
    /// @dev keccak256("quantera.liquidity.orderSize") - 1: each (payer, token sold) has the slot
    /// keccak256(payer, token, SLOT), which no storage variable can collide with. No output token
    /// in the key (SEC-144): what a route buys never makes part of an order an order of its own.
    bytes32 internal constant SLOT = 0xf103688d7a81bd6fe328f17a651abc34338c28b896f8d71c1a7175d7165b74f1;

    /// @notice Adds `amount` to what `payer` has sold of `token` in this transaction.
    /// @return total The order's size with it.
    function add(address payer, address token, uint256 amount) internal returns (uint256 total) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            let mask := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(free, and(payer, mask))
            mstore(add(free, 0x20), and(token, mask))
            mstore(add(free, 0x40), SLOT)
            let slot := keccak256(free, 0x60)
            // No overflow: only tokens GOVERNOR gave a policy are counted, and each amount is a
            // leg's (below 2**128) or what a hop delivered (a balance of that token's supply).
            total := add(tload(slot), amount)
            tstore(slot, total)
        }
    }
}
