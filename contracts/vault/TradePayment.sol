// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title TradePayment
/// @notice The vault's running trade, in transient storage (EIP-1153): which venue may ask to be
/// paid (`ISwapPayer.payForSwap`), in which token, and how much it may still ask for. Opened just
/// before the vault calls the venue and closed right after, so outside that call nothing can be
/// paid, and within it only the trade's venue, only its sell token, at most its sell amount in
/// total. This replaces the exact allowance a trade used to write and reset (two `approve` calls).
/// A basket (`IPortfolioVault.tradeBasket`) opens the venue with the token `BASKET` and an amount
/// per sold asset instead (`allow`), each taken back and cleared after the call (`take`).
library TradePayment {
    /// @dev keccak256("quantera.vault.tradePayment") - 1, then the next two slots.
    bytes32 internal constant VENUE_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b0;
    bytes32 internal constant TOKEN_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b1;
    bytes32 internal constant REMAINING_SLOT = 0xf68466bdc2d3948afe49a9755bd433c29f8b7ac42e93a9c8baab12e6345367b2;
    /// @dev The token slot's value while a basket runs: the venue may then be paid each sold asset
    /// up to its own amount (an address no listed asset has: it holds no code).
    address internal constant BASKET = address(1);

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

    /// @dev A basket's payable `amount` of `token`: in a slot of its own, keccak256(token, VENUE_SLOT).
    function allow(address token, uint256 amount) internal {
        bytes32 slot = _basketSlot(token);
        assembly ("memory-safe") {
            tstore(slot, amount)
        }
    }

    /// @dev The running trade as `token`'s payer sees it: its venue, the token it pays in (a
    /// basket: `token` itself), what it may still pay of it, and the slot that amount is kept in.
    function currentFor(address token)
        internal
        view
        returns (address venue, address sellAsset, uint256 remaining, bytes32 slot)
    {
        (venue, sellAsset) = (address(0), address(0));
        assembly ("memory-safe") {
            venue := tload(VENUE_SLOT)
            sellAsset := tload(TOKEN_SLOT)
        }
        slot = REMAINING_SLOT;
        if (sellAsset == BASKET) (sellAsset, slot) = (token, _basketSlot(token));
        assembly ("memory-safe") {
            remaining := tload(slot)
        }
    }

    /// @dev Stores `remaining` in `slot` (one of `currentFor`).
    function setAt(bytes32 slot, uint256 remaining) internal {
        assembly ("memory-safe") {
            tstore(slot, remaining)
        }
    }

    /// @dev What a basket left unpaid of `token`, its slot cleared (no amount outlives its basket).
    function take(address token) internal returns (uint256 remaining) {
        bytes32 slot = _basketSlot(token);
        assembly ("memory-safe") {
            remaining := tload(slot)
            tstore(slot, 0)
        }
    }

    function _basketSlot(address token) private pure returns (bytes32 slot) {
        assembly ("memory-safe") {
            mstore(0x00, token)
            mstore(0x20, VENUE_SLOT)
            slot := keccak256(0x00, 0x40)
        }
    }
}
