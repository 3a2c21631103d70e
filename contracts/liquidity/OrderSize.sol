// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title OrderSize
/// @notice What a caller has sold of one token for one other token (a pair, as a hop trades it) in
/// the current transaction, at any hop of any of its routes, kept in transient storage (EIP-1153):
/// the order the large-order threshold applies to (SEC-54, SEC-144, SEC-172). Two routes of one
/// order, in a `multicall` or in two calls of one transaction, add up at whichever hop they sell
/// the token for the other, whatever output the route names; sales of the token for different
/// tokens (a vault's buys of several assets) are different orders; a new transaction starts from
/// zero.
library OrderSize {
    /// @dev keccak256("quantera.liquidity.orderSize") - 1: each (payer, token sold, token bought)
    /// has the slot keccak256(payer, sold, bought, SLOT), which no storage variable can collide
    /// with. The token bought is the hop's (what the venue trades, SEC-141), never the route's
    /// `tokenOut` (SEC-144): a route names no output that makes part of an order an order of its own.
    bytes32 internal constant SLOT = 0xf103688d7a81bd6fe328f17a651abc34338c28b896f8d71c1a7175d7165b74f1;

    /// @notice Adds `amount` to what `payer` has sold of `sold` for `bought` in this transaction.
    /// @return total The order's size with it.
    function add(address payer, address sold, address bought, uint256 amount) internal returns (uint256 total) {
        assembly ("memory-safe") {
            let free := mload(0x40)
            let mask := 0xffffffffffffffffffffffffffffffffffffffff
            mstore(free, and(payer, mask))
            mstore(add(free, 0x20), and(sold, mask))
            mstore(add(free, 0x40), and(bought, mask))
            mstore(add(free, 0x60), SLOT)
            let slot := keccak256(free, 0x80)
            // No overflow: only tokens GOVERNOR gave a policy are counted, and each amount is a
            // leg's (below 2**128) or what a hop delivered (a balance of that token's supply).
            total := add(tload(slot), amount)
            tstore(slot, total)
        }
    }
}
