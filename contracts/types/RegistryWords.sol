// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {Bits} from "./Bits.sol";
import {InvestorWord, InvestorWordLibrary} from "./InvestorWord.sol";

// The identity registry's packed storage words (Uniswap v4's `Slot0` pattern): one value type per
// word and one library per type, the only description of its layout: named offsets and masks,
// getters, and `setX` setters that return the word with one field replaced and every other bit
// kept. Each table lists the fields from bit 0; `bool` is a flag (set when any of its bits is), an
// enum name a byte of that enum.
//
// WalletWord: IdentityRegistry._wallets[wallet], everything a transfer check needs about a wallet
// | bits     | field         | kind          |
// | -------- | ------------- | ------------- |
// | 0..159   | identity      | address       |
// | 160..175 | country       | uint16        |
// | 176..183 | investorClass | InvestorClass |
// | 184..223 | validUntil    | uint40        |
// | 224..247 | claimsEpoch   | uint24        |
// | 248..255 | frozen        | bool          |
//
// ClaimsWord: IdentityRegistry._claims, read on every verification
// | bits     | field    | kind     |
// | -------- | -------- | -------- |
// | 0..31    | epoch    | uint32   |
// | 32..63   | cacheTtl | uint32   |
// | 64..71   | required | bool     |
// | 72..255  | (unused) |          |

/// @notice One wallet (table above): everything a transfer check needs about it in one slot.
/// @dev identity, country and class sit where `InvestorWord` has them (its `PROFILE_BITS`), so the
/// investor word handed to the engine is this word's low bits and two flags (`toInvestorWord`).
/// The epoch is kept in 24 bits (the registry stops bumping it at 2**24 - 1). The frozen flag is a
/// byte (0 or 1; read as set when the byte is not zero).
type WalletWord is uint256;

/// @notice The claim settings read on every verification (table above).
/// @dev The required flag is a byte (0 or 1; read as set when the byte is not zero).
type ClaimsWord is uint256;

using WalletWordLibrary for WalletWord global;
using ClaimsWordLibrary for ClaimsWord global;

library WalletWordLibrary {
    uint256 internal constant IDENTITY_MASK = InvestorWordLibrary.IDENTITY_MASK;
    uint256 internal constant COUNTRY_OFFSET = InvestorWordLibrary.COUNTRY_OFFSET;
    uint256 internal constant COUNTRY_MASK = InvestorWordLibrary.COUNTRY_MASK;
    uint256 internal constant INVESTOR_CLASS_OFFSET = InvestorWordLibrary.INVESTOR_CLASS_OFFSET;
    uint256 internal constant INVESTOR_CLASS_MASK = InvestorWordLibrary.INVESTOR_CLASS_MASK;
    uint256 internal constant VALID_UNTIL_OFFSET = InvestorWordLibrary.PROFILE_BITS;
    uint256 internal constant VALID_UNTIL_MASK = type(uint40).max;
    uint256 internal constant CLAIMS_EPOCH_OFFSET = 224;
    uint256 internal constant CLAIMS_EPOCH_MASK = type(uint24).max;
    uint256 internal constant FROZEN_OFFSET = 248;
    uint256 internal constant FROZEN_MASK = type(uint8).max;

    function identity(WalletWord w) internal pure returns (address) {
        return address(uint160(WalletWord.unwrap(w)));
    }

    function country(WalletWord w) internal pure returns (uint16) {
        return uint16(WalletWord.unwrap(w) >> COUNTRY_OFFSET);
    }

    /// @dev Reverts (panic 0x21) on a class byte that is no `InvestorClass`, which no setter writes.
    function investorClass(WalletWord w) internal pure returns (InvestorClass) {
        return InvestorClass(uint8(WalletWord.unwrap(w) >> INVESTOR_CLASS_OFFSET));
    }

    /// @notice The earlier of the KYC expiry and (when claims are required) the claims' expiry.
    function validUntil(WalletWord w) internal pure returns (uint40) {
        return uint40(WalletWord.unwrap(w) >> VALID_UNTIL_OFFSET);
    }

    function claimsEpoch(WalletWord w) internal pure returns (uint24) {
        return uint24(WalletWord.unwrap(w) >> CLAIMS_EPOCH_OFFSET);
    }

    function frozen(WalletWord w) internal pure returns (bool) {
        return uint8(WalletWord.unwrap(w) >> FROZEN_OFFSET) != 0;
    }

    function setIdentity(WalletWord w, address value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), 0, IDENTITY_MASK, uint160(value)));
    }

    function setCountry(WalletWord w, uint16 value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), COUNTRY_OFFSET, COUNTRY_MASK, value));
    }

    function setInvestorClass(WalletWord w, InvestorClass value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), INVESTOR_CLASS_OFFSET, INVESTOR_CLASS_MASK, uint8(value)));
    }

    function setValidUntil(WalletWord w, uint40 value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), VALID_UNTIL_OFFSET, VALID_UNTIL_MASK, value));
    }

    function setClaimsEpoch(WalletWord w, uint24 value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), CLAIMS_EPOCH_OFFSET, CLAIMS_EPOCH_MASK, value));
    }

    function setFrozen(WalletWord w, bool value) internal pure returns (WalletWord) {
        return WalletWord.wrap(Bits.set(WalletWord.unwrap(w), FROZEN_OFFSET, FROZEN_MASK, value ? 1 : 0));
    }

    /// @notice A whole record (the registry writes one per wallet of an identity).
    function pack(
        address identity_,
        uint16 country_,
        InvestorClass investorClass_,
        uint40 validUntil_,
        uint24 claimsEpoch_,
        bool frozen_
    ) internal pure returns (WalletWord) {
        return WalletWord.wrap(
            uint256(uint160(identity_)) | uint256(country_) << COUNTRY_OFFSET | uint256(uint8(investorClass_))
                << INVESTOR_CLASS_OFFSET | uint256(validUntil_) << VALID_UNTIL_OFFSET | uint256(claimsEpoch_)
                << CLAIMS_EPOCH_OFFSET | (frozen_ ? uint256(1) << FROZEN_OFFSET : 0)
        );
    }

    /// @notice The engine's view of this wallet: identity, country and class as they are here, the
    /// frozen flag, and `verified` (the caller's verdict; see `IdentityRegistry._isVerified`).
    function toInvestorWord(WalletWord w, bool verified) internal pure returns (InvestorWord) {
        return
            InvestorWordLibrary.fromProfile(
                WalletWord.unwrap(w) & InvestorWordLibrary.PROFILE_MASK, verified, w.frozen()
            );
    }
}

library ClaimsWordLibrary {
    uint256 internal constant EPOCH_MASK = type(uint32).max;
    uint256 internal constant CACHE_TTL_OFFSET = 32;
    uint256 internal constant CACHE_TTL_MASK = type(uint32).max;
    uint256 internal constant REQUIRED_OFFSET = 64;
    uint256 internal constant REQUIRED_MASK = type(uint8).max;

    /// @notice Bumped by every governance change of topics or issuers (cached verifications of an
    /// older epoch no longer count).
    function epoch(ClaimsWord c) internal pure returns (uint32) {
        return uint32(ClaimsWord.unwrap(c));
    }

    function cacheTtl(ClaimsWord c) internal pure returns (uint32) {
        return uint32(ClaimsWord.unwrap(c) >> CACHE_TTL_OFFSET);
    }

    /// @notice Whether any claim topic is required.
    function required(ClaimsWord c) internal pure returns (bool) {
        return uint8(ClaimsWord.unwrap(c) >> REQUIRED_OFFSET) != 0;
    }

    function setEpoch(ClaimsWord c, uint32 value) internal pure returns (ClaimsWord) {
        return ClaimsWord.wrap(Bits.set(ClaimsWord.unwrap(c), 0, EPOCH_MASK, value));
    }

    function setCacheTtl(ClaimsWord c, uint32 value) internal pure returns (ClaimsWord) {
        return ClaimsWord.wrap(Bits.set(ClaimsWord.unwrap(c), CACHE_TTL_OFFSET, CACHE_TTL_MASK, value));
    }

    function setRequired(ClaimsWord c, bool value) internal pure returns (ClaimsWord) {
        return ClaimsWord.wrap(Bits.set(ClaimsWord.unwrap(c), REQUIRED_OFFSET, REQUIRED_MASK, value ? 1 : 0));
    }
}
