// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title VaultSlots
/// @notice The PortfolioVault storage words its basket module (PortfolioBasket, run by
/// DELEGATECALL) reads and writes: the vault's constructor reverts unless they are where stated.
library VaultSlots {
    /// @dev `TradeLoss { uint96 used; uint40 at; }`: `used` the low 96 bits, `at` the next 40.
    uint256 internal constant TRADE_LOSS_SLOT = 10;
    /// @dev `Pending { uint128 shares; uint128 cash; }`: `cash` the high 128 bits.
    uint256 internal constant PENDING_SLOT = 11;
}
