// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// The fee schedule's packed storage words (Uniswap v4's `Slot0` pattern): one value type per word
// and one library per type, the only description of its layout: named offsets and masks, getters,
// `pack` for a whole word and `setTier` for one tier. They expect in-range values (FeeSchedule
// bounds them) and mask nothing. The fee arithmetic on these words is `FeeMath`'s. Each table lists
// the fields from bit 0.
//
// FeeWord: FeeSchedule._fees[vault], a fund's fee rates and recipient
// | bits     | field           | kind    |
// | -------- | --------------- | ------- |
// | 0..15    | subscriptionBps | uint16  |
// | 16..31   | redemptionBps   | uint16  |
// | 32..47   | instantBps      | uint16  |
// | 48..63   | urgencyBps      | uint16  |
// | 64..79   | managementBps   | uint16  |
// | 80..87   | tierCount       | uint8   |
// | 88..247  | recipient       | address |
// | 248..255 | (unused)        |         |
//
// TierWord: FeeSchedule._tiers[vault][w], volume tiers 2w and 2w + 1 (as its i = 0 and 1)
// | bits              | field                 | kind   |
// | ----------------- | --------------------- | ------ |
// | 112i..95+112i     | minVolume[i], i < 2   | uint96 |
// | 96+112i..111+112i | discountBps[i], i < 2 | uint16 |
// | 224..255          | (unused)              |        |

/// @notice A fund's fee rates and recipient (table above).
type FeeWord is uint256;

/// @notice Two volume tiers (table above).
type TierWord is uint256;

using FeeWordLibrary for FeeWord global;
using TierWordLibrary for TierWord global;

library FeeWordLibrary {
    uint256 internal constant BPS_MASK = type(uint16).max;
    uint256 internal constant REDEMPTION_BPS_OFFSET = 16;
    uint256 internal constant INSTANT_BPS_OFFSET = 32;
    uint256 internal constant URGENCY_BPS_OFFSET = 48;
    uint256 internal constant MANAGEMENT_BPS_OFFSET = 64;
    uint256 internal constant TIER_COUNT_OFFSET = 80;
    uint256 internal constant TIER_COUNT_MASK = type(uint8).max;
    uint256 internal constant RECIPIENT_OFFSET = 88;

    /// @notice The word of these fields (the unused bits zero). Each value fits its field (not
    /// checked: FeeSchedule bounds them).
    function pack(
        uint256 subscriptionBps_,
        uint256 redemptionBps_,
        uint256 instantBps_,
        uint256 urgencyBps_,
        uint256 managementBps_,
        uint256 tierCount_,
        address recipient_
    ) internal pure returns (FeeWord) {
        return FeeWord.wrap(
            subscriptionBps_ | (redemptionBps_ << REDEMPTION_BPS_OFFSET) | (instantBps_ << INSTANT_BPS_OFFSET)
                | (urgencyBps_ << URGENCY_BPS_OFFSET) | (managementBps_ << MANAGEMENT_BPS_OFFSET)
                | (tierCount_ << TIER_COUNT_OFFSET) | (uint256(uint160(recipient_)) << RECIPIENT_OFFSET)
        );
    }

    function subscriptionBps(FeeWord w) internal pure returns (uint256) {
        return FeeWord.unwrap(w) & BPS_MASK;
    }

    function redemptionBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> REDEMPTION_BPS_OFFSET) & BPS_MASK;
    }

    function instantBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> INSTANT_BPS_OFFSET) & BPS_MASK;
    }

    function urgencyBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> URGENCY_BPS_OFFSET) & BPS_MASK;
    }

    function managementBps(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> MANAGEMENT_BPS_OFFSET) & BPS_MASK;
    }

    function tierCount(FeeWord w) internal pure returns (uint256) {
        return (FeeWord.unwrap(w) >> TIER_COUNT_OFFSET) & TIER_COUNT_MASK;
    }

    function recipient(FeeWord w) internal pure returns (address) {
        return address(uint160(FeeWord.unwrap(w) >> RECIPIENT_OFFSET));
    }
}

library TierWordLibrary {
    /// @notice One tier's width, and the bits of one tier.
    uint256 internal constant TIER_BITS = 112;
    uint256 internal constant TIER_MASK = (1 << TIER_BITS) - 1;
    uint256 internal constant MIN_VOLUME_MASK = type(uint96).max;
    uint256 internal constant DISCOUNT_BPS_OFFSET = 96;
    uint256 internal constant DISCOUNT_BPS_MASK = type(uint16).max;

    /// @notice Tier `slot` (0 or 1) of the word.
    function minVolume(TierWord w, uint256 slot) internal pure returns (uint256) {
        return (TierWord.unwrap(w) >> (slot * TIER_BITS)) & MIN_VOLUME_MASK;
    }

    function discountBps(TierWord w, uint256 slot) internal pure returns (uint256) {
        return (TierWord.unwrap(w) >> (slot * TIER_BITS + DISCOUNT_BPS_OFFSET)) & DISCOUNT_BPS_MASK;
    }

    /// @notice The word with tier `slot` (0 or 1) replaced. `minVolume_` fits 96 bits and
    /// `discountBps_` 16 (not checked: FeeSchedule bounds them).
    function setTier(TierWord w, uint256 slot, uint256 minVolume_, uint256 discountBps_)
        internal
        pure
        returns (TierWord)
    {
        uint256 shift = slot * TIER_BITS;
        uint256 cleared = TierWord.unwrap(w) & ~(TIER_MASK << shift);
        return TierWord.wrap(cleared | ((minVolume_ | (discountBps_ << DISCOUNT_BPS_OFFSET)) << shift));
    }
}
