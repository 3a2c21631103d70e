// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title PhantomToken
/// @notice Test-only: the red team's token (docs/specs.md SEC-141, the console's SEC-105). Any
/// account's `balanceOf` grows from one read to the next (it answers a constant less the gas left),
/// `transfer` and `transferFrom` answer true and move nothing, `symbol()` and `decimals()` revert.
/// Named as a hop's token in place of one a pool trades, it makes a route look as if it had bought
/// (or sold) it while the pool trades its own tokens.
contract PhantomToken {
    /// @dev Above any gas left, below uint128 (the aggregator's fill log packs amounts in 128 bits).
    uint256 internal constant BASE = 1e30;

    function balanceOf(address) external view returns (uint256) {
        return BASE - gasleft();
    }

    function transfer(address, uint256) external pure returns (bool) {
        return true;
    }

    function transferFrom(address, address, uint256) external pure returns (bool) {
        return true;
    }

    function symbol() external pure returns (string memory) {
        revert("no symbol");
    }

    function decimals() external pure returns (uint8) {
        revert("no decimals");
    }
}
