// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {Bits} from "./Bits.sol";

// The security token's packed storage words (Uniswap v4's `Slot0` pattern): one value type per
// word and one library per type, the only description of its layout: named offsets and masks,
// getters, and `setX` setters that return the word with one field replaced and every other bit
// kept, so a transfer reads each slot once into a stack word and writes it once. Each table lists
// the fields from bit 0; `bool` is a flag (set when any of its bits is), an enum name a byte of
// that enum.
//
// AccountWord: SecurityToken._accounts[wallet], read on every transfer
// | bits     | field        | kind    |
// | -------- | ------------ | ------- |
// | 0..127   | balance      | uint128 |
// | 128..247 | frozenTokens | uint120 |
// | 248..255 | frozen       | bool    |
//
// CoreWord: SecurityToken._core, read on every transfer
// | bits     | field      | kind    |
// | -------- | ---------- | ------- |
// | 0..159   | compliance | address |
// | 160..167 | paused     | bool    |
// | 168..255 | (unused)   |         |

/// @notice A wallet's account (table above).
/// @dev The frozen flag is a byte (0 or 1; read as set when the byte is not zero). Balances stay
/// below the token's MAX_SUPPLY (2**96), and frozenTokens at most the balance.
type AccountWord is uint256;

/// @notice The token's core word (table above).
/// @dev The paused flag is a byte (0 or 1; read as set when the byte is not zero).
type CoreWord is uint256;

using AccountWordLibrary for AccountWord global;
using CoreWordLibrary for CoreWord global;

library AccountWordLibrary {
    uint256 internal constant BALANCE_MASK = type(uint128).max;
    uint256 internal constant FROZEN_TOKENS_OFFSET = 128;
    uint256 internal constant FROZEN_TOKENS_MASK = type(uint120).max;
    uint256 internal constant FROZEN_OFFSET = 248;
    uint256 internal constant FROZEN_MASK = type(uint8).max;

    function balance(AccountWord a) internal pure returns (uint128) {
        return uint128(AccountWord.unwrap(a));
    }

    function frozenTokens(AccountWord a) internal pure returns (uint120) {
        return uint120(AccountWord.unwrap(a) >> FROZEN_TOKENS_OFFSET);
    }

    function frozen(AccountWord a) internal pure returns (bool) {
        return AccountWord.unwrap(a) >> FROZEN_OFFSET != 0;
    }

    function setBalance(AccountWord a, uint128 value) internal pure returns (AccountWord) {
        return AccountWord.wrap(Bits.set(AccountWord.unwrap(a), 0, BALANCE_MASK, value));
    }

    function setFrozenTokens(AccountWord a, uint120 value) internal pure returns (AccountWord) {
        return AccountWord.wrap(Bits.set(AccountWord.unwrap(a), FROZEN_TOKENS_OFFSET, FROZEN_TOKENS_MASK, value));
    }

    function setFrozen(AccountWord a, bool value) internal pure returns (AccountWord) {
        return AccountWord.wrap(Bits.set(AccountWord.unwrap(a), FROZEN_OFFSET, FROZEN_MASK, value ? 1 : 0));
    }

    /// @notice The word with `amount` added to the balance.
    /// @dev The balance is the word's low bits, so this is one addition. `balance + amount` <
    /// 2**128 (not checked: then nothing carries into frozenTokens); the token's callers keep
    /// balances at most its supply, below 2**96.
    function credit(AccountWord a, uint256 amount) internal pure returns (AccountWord) {
        unchecked {
            return AccountWord.wrap(AccountWord.unwrap(a) + amount);
        }
    }

    /// @notice The word with `amount` taken from the balance.
    /// @dev One subtraction, as `credit`. `amount` <= balance (not checked: then nothing borrows
    /// from frozenTokens).
    function debit(AccountWord a, uint256 amount) internal pure returns (AccountWord) {
        unchecked {
            return AccountWord.wrap(AccountWord.unwrap(a) - amount);
        }
    }
}

library CoreWordLibrary {
    uint256 internal constant COMPLIANCE_MASK = type(uint160).max;
    uint256 internal constant PAUSED_OFFSET = 160;
    uint256 internal constant PAUSED_MASK = type(uint8).max;

    function compliance(CoreWord c) internal pure returns (IComplianceEngine) {
        return IComplianceEngine(address(uint160(CoreWord.unwrap(c))));
    }

    function paused(CoreWord c) internal pure returns (bool) {
        return uint8(CoreWord.unwrap(c) >> PAUSED_OFFSET) != 0;
    }

    function setCompliance(CoreWord c, IComplianceEngine value) internal pure returns (CoreWord) {
        return CoreWord.wrap((CoreWord.unwrap(c) & ~COMPLIANCE_MASK) | uint256(uint160(address(value))));
    }

    function setPaused(CoreWord c, bool value) internal pure returns (CoreWord) {
        return CoreWord.wrap(
            (CoreWord.unwrap(c) & ~(PAUSED_MASK << PAUSED_OFFSET)) | (value ? uint256(1) << PAUSED_OFFSET : 0)
        );
    }

    /// @notice The word of these fields (the unused bits zero).
    function pack(IComplianceEngine compliance_, bool paused_) internal pure returns (CoreWord) {
        return CoreWord.wrap(uint256(uint160(address(compliance_))) | (paused_ ? uint256(1) << PAUSED_OFFSET : 0));
    }
}
