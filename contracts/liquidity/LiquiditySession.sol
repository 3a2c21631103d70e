// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title LiquiditySession
/// @notice Transient storage shared by the aggregator and its delegatecalled adapters for the
/// duration of one pool call: which pool may call back, who pays, in which token, and how much at
/// most. Cleared by the callback, so a second callback (or one from any other address) fails.
library LiquiditySession {
    // keccak256("quantera.liquidity.callback") - 1, then the next three slots.
    bytes32 internal constant POOL_SLOT = 0x5d3e1f0f87a4ed4d0a8c3c5d7d8f3bfc1f3d0b6a0c1e6d9c1b3b4b6a5e0f9a10;
    bytes32 internal constant PAYER_SLOT = 0x5d3e1f0f87a4ed4d0a8c3c5d7d8f3bfc1f3d0b6a0c1e6d9c1b3b4b6a5e0f9a11;
    bytes32 internal constant TOKEN_SLOT = 0x5d3e1f0f87a4ed4d0a8c3c5d7d8f3bfc1f3d0b6a0c1e6d9c1b3b4b6a5e0f9a12;
    bytes32 internal constant MAX_SLOT = 0x5d3e1f0f87a4ed4d0a8c3c5d7d8f3bfc1f3d0b6a0c1e6d9c1b3b4b6a5e0f9a13;

    function expect(address pool, address payer, address token, uint256 maxAmount) internal {
        assembly ("memory-safe") {
            tstore(POOL_SLOT, pool)
            tstore(PAYER_SLOT, payer)
            tstore(TOKEN_SLOT, token)
            tstore(MAX_SLOT, maxAmount)
        }
    }

    /// @notice The expected callback, cleared as it is read (one payment per pool call).
    function take() internal returns (address pool, address payer, address token, uint256 maxAmount) {
        assembly ("memory-safe") {
            pool := tload(POOL_SLOT)
            payer := tload(PAYER_SLOT)
            token := tload(TOKEN_SLOT)
            maxAmount := tload(MAX_SLOT)
            tstore(POOL_SLOT, 0)
        }
    }

    /// @notice True while a pool call is waiting for its callback.
    function pending() internal view returns (bool waiting) {
        assembly ("memory-safe") {
            waiting := iszero(iszero(tload(POOL_SLOT)))
        }
    }
}
