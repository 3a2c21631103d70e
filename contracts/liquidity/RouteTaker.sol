// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title RouteTaker
/// @notice The taker of the route the aggregator is executing or quoting (its caller), kept in
/// transient storage (EIP-1153) for the length of the call: venues that bind an order to its
/// taker (RFQ quotes) learn it from the aggregator instead of seeing the aggregator as the taker.
/// @dev Written by the aggregator only, at the start of `swap`, `revealSwap`, `quote` and
/// `quoteRoute`; read by adapters running in its DELEGATECALL and, through
/// `ILiquidityAggregator.currentTaker`, by adapters it CALLs to quote.
library RouteTaker {
    /// @dev keccak256("quantera.liquidity.routeTaker") - 1: no storage variable can collide with it.
    bytes32 internal constant SLOT = 0x26c8e688e8a0a40a8d8a6ae084abca8acbe3e7c4eca632d5b52f495f24396d81;

    function set(address taker) internal {
        assembly ("memory-safe") {
            tstore(SLOT, taker)
        }
    }

    function get() internal view returns (address taker) {
        assembly ("memory-safe") {
            taker := tload(SLOT)
        }
    }
}
