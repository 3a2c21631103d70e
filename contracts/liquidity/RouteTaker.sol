// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title RouteTaker
/// @notice The taker of the route the aggregator is executing or quoting (its caller), kept in
/// transient storage (EIP-1153) for the length of the call: venues that bind an order to its
/// taker (RFQ quotes) learn it from the aggregator instead of seeing the aggregator as the taker.
/// The same word says how the route's payer (the taker) pays its inputs: by allowance, or by its
/// `ISwapPayer.payForSwap` callback (bit 160; RoutePayer reads it), and whether the route was
/// revealed from a commitment (bit 161; the large-order threshold of a hop reads it, SEC-144).
/// @dev Written by the aggregator only, at the start of `swap`, `swapWithCallback`, `revealSwap`,
/// `quote` and `quoteRoute`; read by adapters running in its DELEGATECALL and, through
/// `ILiquidityAggregator.currentTaker`, by adapters it CALLs to quote.
library RouteTaker {
    /// @dev keccak256("quantera.liquidity.routeTaker") - 1: no storage variable can collide with it.
    bytes32 internal constant SLOT = 0x26c8e688e8a0a40a8d8a6ae084abca8acbe3e7c4eca632d5b52f495f24396d81;
    uint256 internal constant BY_CALLBACK = 1 << 160;
    uint256 internal constant REVEALED = 1 << 161;

    /// @param byCallback Whether the taker pays by `ISwapPayer.payForSwap` (else by allowance).
    /// @param revealed Whether the route executes from a commitment (`revealSwap`).
    function set(address taker, bool byCallback, bool revealed) internal {
        assembly ("memory-safe") {
            tstore(
                SLOT,
                or(
                    or(shr(96, shl(96, taker)), shl(160, iszero(iszero(byCallback)))),
                    shl(161, iszero(iszero(revealed)))
                )
            )
        }
    }

    function get() internal view returns (address taker) {
        assembly ("memory-safe") {
            taker := and(tload(SLOT), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @notice Whether the route being executed was revealed from a commitment.
    function revealed() internal view returns (bool isRevealed) {
        assembly ("memory-safe") {
            isRevealed := iszero(iszero(and(tload(SLOT), REVEALED)))
        }
    }

    /// @notice Whether the route being executed is paid by its payer's callback.
    function paysByCallback() internal view returns (bool byCallback) {
        assembly ("memory-safe") {
            byCallback := iszero(iszero(and(tload(SLOT), BY_CALLBACK)))
        }
    }
}
