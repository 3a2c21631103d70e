// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title TradePayment
/// @notice The vault's running trade, in transient storage (EIP-1153): which venue may ask to be
/// paid (`ISwapPayer.payForSwap`), in which token, and how much it may still ask for. Opened just
/// before the vault calls the venue and closed right after, so outside that call nothing can be
/// paid, and within it only the trade's venue, only its sell token, at most its sell amount in
/// total. This replaces the exact allowance a trade used to write and reset (two `approve` calls).
library TradePayment {
    /// @dev keccak256("quantera.vault.tradePayment") - 1, then the next two slots.
    bytes32 internal constant VENUE_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b0;
    bytes32 internal constant TOKEN_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b1;
    bytes32 internal constant REMAINING_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b2;

    function open(address venue, address token, uint256 amount) internal {
        assembly ("memory-safe") {
            tstore(VENUE_SLOT, venue)
            tstore(TOKEN_SLOT, token)
            tstore(REMAINING_SLOT, amount)
        }
    }

    /// @dev Ends the trade's payments (the venue slot is what `current` is checked by).
    function close() internal {
        assembly ("memory-safe") {
            tstore(VENUE_SLOT, 0)
        }
    }

    /// @return venue The venue of the running trade (zero: none is running).
    /// @return token Its sell token.
    /// @return remaining What it may still be paid.
    function current() internal view returns (address venue, address token, uint256 remaining) {
        assembly ("memory-safe") {
            venue := tload(VENUE_SLOT)
            token := tload(TOKEN_SLOT)
            remaining := tload(REMAINING_SLOT)
        }
    }

    function setRemaining(uint256 remaining) internal {
        assembly ("memory-safe") {
            tstore(REMAINING_SLOT, remaining)
        }
    }
}
