// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title AccountCode
/// @notice Whether the code at an address is fixed for good, as far as the chain can tell: the
/// two ways it is not, which no contract of the protocol takes for a module or an implementation.
/// - An EIP-7702 delegated account (an EOA whose code is the 23-byte designator 0xef0100 ‖
///   target) runs its target's code, and its key can re-delegate it to other code at any time,
///   unannounced.
/// - A contract created earlier in the current transaction can still destroy itself in it
///   (EIP-6780: SELFDESTRUCT deletes only in the creating transaction) and be created again at the
///   same address (CREATE2) with other code. One that existed before this transaction cannot: its
///   code is fixed. An account created in this transaction is warm (EIP-2929); so a cold account,
///   one nothing touched yet in this transaction, was not. `isWarm` measures that (a cold account
///   read costs 2,600 gas, a warm one 100): the account must be read here first. A warm account is
///   refused although it may have been merely touched (an access list naming it, a call before):
///   the caller retries in a transaction that does not touch it first.
/// Assumes EIP-6780 (Cancun and later) and EIP-2929's prices; on a chain without EIP-6780 a
/// contract with a SELFDESTRUCT path can destroy itself at any time.
/// NOT detected: a contract whose own code forwards elsewhere (a proxy, a beacon proxy, an
/// ERC-1167 clone — of a delegated account or of anything), which is indistinguishable on chain
/// from any other code; read the announced code.
library AccountCode {
    /// @dev The designator's prefix (EIP-7702), and its length with the 20-byte target.
    bytes3 internal constant DELEGATION_PREFIX = 0xef0100;
    uint256 internal constant DELEGATION_LENGTH = 23;
    /// @dev Gas between a warm account read (100, plus a few for the opcodes around it) and a
    /// cold one (2,600).
    uint256 internal constant WARM_READ_BOUND = 1_000;

    /// @dev Whether `account`'s code is an EIP-7702 delegation designator.
    function isDelegated(address account) internal view returns (bool) {
        return account.code.length == DELEGATION_LENGTH && bytes3(account.code) == DELEGATION_PREFIX;
    }

    /// @dev Whether `account` was already touched (or created) in this transaction. Call it before
    /// anything else reads `account`: the read here warms it.
    function isWarm(address account) internal view returns (bool warm) {
        uint256 spent;
        assembly ("memory-safe") {
            let before := gas()
            let hash := extcodehash(account)
            // Never taken (no code hashes to 2^256 - 1): a use of the read that keeps it here,
            // between the two `gas()` (an unused read is removed by the optimizer).
            if eq(hash, not(0)) { revert(0, 0) }
            spent := sub(before, gas())
        }
        warm = spent < WARM_READ_BOUND;
    }
}
