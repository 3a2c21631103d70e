// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// The investor word the identity registry hands to the compliance engine (Uniswap v4's `Slot0`
// pattern): one value type and one library, the only description of its layout: named offsets and
// masks, getters, and `setX` setters that return the word with one field replaced and every other
// bit kept. The table lists the fields from bit 0; `bool` is a flag, an enum name a byte of that
// enum.
//
// InvestorWord: IIdentityRegistry.investorWords, two per transfer check
// | bits     | field         | kind          |
// | -------- | ------------- | ------------- |
// | 0..159   | identity      | address       |
// | 160..175 | country       | uint16        |
// | 176..183 | investorClass | uint8         |
// | 184      | verified      | bool          |
// | 185      | frozen        | bool          |
// | 186..255 | (unused)      |               |

/// @notice One 256-bit word describing a wallet's investor (table above). A frozen investor (a
/// sanctions freeze of the identity) is never verified.
/// @dev A word instead of a struct keeps the registry -> engine call to two return words. The
/// registry's wallet record (`WalletWord`) keeps identity, country and class at the same offsets
/// (the `PROFILE_BITS` below the flags), so the registry builds this word with one mask.
type InvestorWord is uint256;

using InvestorWordLibrary for InvestorWord global;

/// @title InvestorWordLibrary
/// @notice The one description of `InvestorWord`: offsets, masks, getters, and setters that return
/// the new word (Uniswap v4's `Slot0` pattern). A setter changes its field's bits only.
library InvestorWordLibrary {
    uint256 internal constant IDENTITY_MASK = type(uint160).max;
    uint256 internal constant COUNTRY_OFFSET = 160;
    uint256 internal constant COUNTRY_MASK = type(uint16).max;
    uint256 internal constant INVESTOR_CLASS_OFFSET = 176;
    uint256 internal constant INVESTOR_CLASS_MASK = type(uint8).max;
    /// @notice identity | country | class: the bits below the flags.
    uint256 internal constant PROFILE_BITS = 184;
    uint256 internal constant PROFILE_MASK = (1 << PROFILE_BITS) - 1;
    uint256 internal constant VERIFIED_OFFSET = PROFILE_BITS;
    uint256 internal constant FROZEN_OFFSET = PROFILE_BITS + 1;

    // ---------------------------------------------------------------- getters

    function identity(InvestorWord w) internal pure returns (address) {
        return address(uint160(InvestorWord.unwrap(w)));
    }

    function country(InvestorWord w) internal pure returns (uint16) {
        return uint16(InvestorWord.unwrap(w) >> COUNTRY_OFFSET);
    }

    /// @notice The `InvestorClass`, as its number (classes compare by rank).
    function investorClass(InvestorWord w) internal pure returns (uint8) {
        return uint8(InvestorWord.unwrap(w) >> INVESTOR_CLASS_OFFSET);
    }

    function verified(InvestorWord w) internal pure returns (bool) {
        return (InvestorWord.unwrap(w) >> VERIFIED_OFFSET) & 1 != 0;
    }

    function frozen(InvestorWord w) internal pure returns (bool) {
        return (InvestorWord.unwrap(w) >> FROZEN_OFFSET) & 1 != 0;
    }

    // ---------------------------------------------------------------- setters

    function setIdentity(InvestorWord w, address value) internal pure returns (InvestorWord) {
        return InvestorWord.wrap((InvestorWord.unwrap(w) & ~IDENTITY_MASK) | uint256(uint160(value)));
    }

    function setCountry(InvestorWord w, uint16 value) internal pure returns (InvestorWord) {
        return InvestorWord.wrap(
            (InvestorWord.unwrap(w) & ~(COUNTRY_MASK << COUNTRY_OFFSET)) | uint256(value) << COUNTRY_OFFSET
        );
    }

    function setInvestorClass(InvestorWord w, uint8 value) internal pure returns (InvestorWord) {
        return InvestorWord.wrap(
            (InvestorWord.unwrap(w) & ~(INVESTOR_CLASS_MASK << INVESTOR_CLASS_OFFSET)) | uint256(value)
                << INVESTOR_CLASS_OFFSET
        );
    }

    function setVerified(InvestorWord w, bool value) internal pure returns (InvestorWord) {
        return InvestorWord.wrap(
            (InvestorWord.unwrap(w) & ~(uint256(1) << VERIFIED_OFFSET)) | (value ? uint256(1) << VERIFIED_OFFSET : 0)
        );
    }

    function setFrozen(InvestorWord w, bool value) internal pure returns (InvestorWord) {
        return InvestorWord.wrap(
            (InvestorWord.unwrap(w) & ~(uint256(1) << FROZEN_OFFSET)) | (value ? uint256(1) << FROZEN_OFFSET : 0)
        );
    }

    /// @notice The word of a profile (identity | country | class, laid out as here, nothing above
    /// `PROFILE_BITS`) with its two flags: the registry's hot path, one mask and two ORs.
    function fromProfile(uint256 profile, bool verified_, bool frozen_) internal pure returns (InvestorWord) {
        return InvestorWord.wrap(
            profile | (verified_ ? uint256(1) << VERIFIED_OFFSET : 0) | (frozen_ ? uint256(1) << FROZEN_OFFSET : 0)
        );
    }
}
