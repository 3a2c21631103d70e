// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title Delegation7702
/// @notice Tells an EIP-7702 delegated account (an EOA whose code is the 23-byte designator
/// 0xef0100 ‖ target) from a contract. Such an account runs its target's code, and its key can
/// re-delegate it to other code at any time, unannounced, while its own code hash stays the
/// designator's: code it runs is never fixed, so no contract of the protocol takes one for a
/// module or an implementation.
/// NOT detected: a contract whose own code forwards elsewhere (a proxy, a beacon proxy, an
/// ERC-1167 clone — of a delegated account or of anything), which is indistinguishable on chain
/// from any other code; read the announced code.
library Delegation7702 {
    /// @dev The designator's prefix (EIP-7702), and its length with the 20-byte target.
    bytes3 internal constant PREFIX = 0xef0100;
    uint256 internal constant LENGTH = 23;

    /// @dev Whether `account`'s code is an EIP-7702 delegation designator.
    function isDelegated(address account) internal view returns (bool) {
        return account.code.length == LENGTH && bytes3(account.code) == PREFIX;
    }
}
