// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {InvestorWord, InvestorWordLibrary} from "../libraries/InvestorWord.sol";

// The identity registry's packed storage words, each a user-defined value type with one library of
// accessors (Uniswap v4's `Slot0` pattern, as `ComplianceSlots`): the offsets and masks below are
// the only description of each layout. Getters return the field; setters return the word with that
// field replaced and every other bit kept. Fields are listed from the lowest bit.

/// @notice One wallet (`IdentityRegistry._wallets[wallet]`): everything a transfer check needs
/// about it in one slot. identity 0..159 | country 160..175 | class 176..183 | validUntil 184..223 |
/// claimsEpoch 224..247 | frozen 248..255.
/// @dev identity, country and class sit where `InvestorWord` has them (its `PROFILE_BITS`), so the
/// investor word handed to the engine is this word's low bits and two flags (`toInvestorWord`).
/// The epoch is kept in 24 bits (the registry stops bumping it at 2**24 - 1). The frozen flag is a
/// byte (0 or 1; read as set when the byte is not zero).
type WalletWord is uint256;

/// @notice The claim settings read on every verification (`IdentityRegistry._claims`):
/// epoch 0..31 | cacheTtl 32..63 | required 64..71 | unused 72..255.
/// @dev The required flag is a byte (0 or 1; read as set when the byte is not zero).
type ClaimsWord is uint256;

using WalletWordLibrary for WalletWord global;
using ClaimsWordLibrary for ClaimsWord global;

library WalletWordLibrary {
    uint256 internal constant IDENTITY_MASK = InvestorWordLibrary.IDENTITY_MASK;
    uint256 internal constant COUNTRY_OFFSET = InvestorWordLibrary.COUNTRY_OFFSET;
    uint256 internal constant COUNTRY_MASK = InvestorWordLibrary.COUNTRY_MASK;
    uint256 internal constant CLASS_OFFSET = InvestorWordLibrary.CLASS_OFFSET;
    uint256 internal constant CLASS_MASK = InvestorWordLibrary.CLASS_MASK;
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
        return InvestorClass(uint8(WalletWord.unwrap(w) >> CLASS_OFFSET));
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
        return _set(w, 0, IDENTITY_MASK, uint160(value));
    }

    function setCountry(WalletWord w, uint16 value) internal pure returns (WalletWord) {
        return _set(w, COUNTRY_OFFSET, COUNTRY_MASK, value);
    }

    function setInvestorClass(WalletWord w, InvestorClass value) internal pure returns (WalletWord) {
        return _set(w, CLASS_OFFSET, CLASS_MASK, uint8(value));
    }

    function setValidUntil(WalletWord w, uint40 value) internal pure returns (WalletWord) {
        return _set(w, VALID_UNTIL_OFFSET, VALID_UNTIL_MASK, value);
    }

    function setClaimsEpoch(WalletWord w, uint24 value) internal pure returns (WalletWord) {
        return _set(w, CLAIMS_EPOCH_OFFSET, CLAIMS_EPOCH_MASK, value);
    }

    function setFrozen(WalletWord w, bool value) internal pure returns (WalletWord) {
        return _set(w, FROZEN_OFFSET, FROZEN_MASK, value ? 1 : 0);
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
                << CLASS_OFFSET | uint256(validUntil_) << VALID_UNTIL_OFFSET | uint256(claimsEpoch_)
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

    /// @dev `value` fits `mask`.
    function _set(WalletWord w, uint256 offset, uint256 mask, uint256 value) private pure returns (WalletWord) {
        return WalletWord.wrap((WalletWord.unwrap(w) & ~(mask << offset)) | value << offset);
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
        return _set(c, 0, EPOCH_MASK, value);
    }

    function setCacheTtl(ClaimsWord c, uint32 value) internal pure returns (ClaimsWord) {
        return _set(c, CACHE_TTL_OFFSET, CACHE_TTL_MASK, value);
    }

    function setRequired(ClaimsWord c, bool value) internal pure returns (ClaimsWord) {
        return _set(c, REQUIRED_OFFSET, REQUIRED_MASK, value ? 1 : 0);
    }

    /// @dev `value` fits `mask`.
    function _set(ClaimsWord c, uint256 offset, uint256 mask, uint256 value) private pure returns (ClaimsWord) {
        return ClaimsWord.wrap((ClaimsWord.unwrap(c) & ~(mask << offset)) | value << offset);
    }
}
