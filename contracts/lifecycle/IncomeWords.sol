// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// The income and servicing words of the lifecycle domain (IncomeShareToken, BondServicer), each a
// user-defined value type with one library of accessors (Uniswap v4's `Slot0` pattern): the offsets
// and masks below are the only description of each layout. Getters return the field; setters
// return the word with that field replaced and every other bit kept (a value wider than its field
// is cut to it; callers bound values first). Fields are listed from the lowest bit.

/// @notice A money-market share class's income (`IncomeShareToken._income`), read on every balance
/// change: index 0..159 (the multiplicative income index, `INDEX_ONE` = 1e27 at issue) |
/// declarations 160..191 (the number of the last declaration) | lastDeclaredAt 192..231 |
/// unused 232..255.
type IncomeWord is uint256;

/// @notice One holder's income (`IncomeShareToken._holders[wallet]`): index 0..159 (the income
/// index at its last settlement; 0: never settled) | pending 160..255 (income settled and not yet
/// paid into its balance, shares).
type IncomeAccount is uint256;

/// @notice One holder's coupon account (`BondServicer._holders[wallet]`): couponIndex 0..127 (the
/// coupon index at its last settlement, value per whole share, 18 decimals) | owed 128..255 (coupons
/// settled and not claimed, settlement-asset base units).
type CouponAccount is uint256;

/// @notice A bond's servicing state (`BondServicer._state`), read on every balance change:
/// couponIndex 0..127 (cumulative coupons recorded, value per whole share, 18 decimals) |
/// lastRecorded 128..143 (the last coupon recorded, 0: none) | nextRecordDate 144..183 (the record
/// date of coupon lastRecorded + 1; from it balances are fixed) | redeeming 184..191 (the
/// redemption started: a flag byte) | unused 192..255.
type ServicingWord is uint256;

using IncomeWordLibrary for IncomeWord global;
using IncomeAccountLibrary for IncomeAccount global;
using CouponAccountLibrary for CouponAccount global;
using ServicingWordLibrary for ServicingWord global;

library IncomeWordLibrary {
    uint256 internal constant INDEX_MASK = type(uint160).max;
    uint256 internal constant DECLARATIONS_OFFSET = 160;
    uint256 internal constant DECLARATIONS_MASK = type(uint32).max;
    uint256 internal constant LAST_DECLARED_AT_OFFSET = 192;
    uint256 internal constant DATE_MASK = type(uint40).max;

    function index(IncomeWord w) internal pure returns (uint256) {
        return IncomeWord.unwrap(w) & INDEX_MASK;
    }

    function declarations(IncomeWord w) internal pure returns (uint256) {
        return (IncomeWord.unwrap(w) >> DECLARATIONS_OFFSET) & DECLARATIONS_MASK;
    }

    function lastDeclaredAt(IncomeWord w) internal pure returns (uint256) {
        return (IncomeWord.unwrap(w) >> LAST_DECLARED_AT_OFFSET) & DATE_MASK;
    }

    /// @notice The whole word (unused bits 0).
    function pack(uint256 index_, uint256 declarations_, uint256 lastDeclaredAt_) internal pure returns (IncomeWord) {
        return IncomeWord.wrap(
            (index_ & INDEX_MASK) | (declarations_ & DECLARATIONS_MASK) << DECLARATIONS_OFFSET
                | (lastDeclaredAt_ & DATE_MASK) << LAST_DECLARED_AT_OFFSET
        );
    }
}

library IncomeAccountLibrary {
    uint256 internal constant INDEX_MASK = type(uint160).max;
    uint256 internal constant PENDING_OFFSET = 160;

    function index(IncomeAccount a) internal pure returns (uint256) {
        return IncomeAccount.unwrap(a) & INDEX_MASK;
    }

    function pending(IncomeAccount a) internal pure returns (uint256) {
        return IncomeAccount.unwrap(a) >> PENDING_OFFSET;
    }

    /// @notice The whole word (`pending_` must be below 2**96: callers bound it by the supply).
    function pack(uint256 index_, uint256 pending_) internal pure returns (IncomeAccount) {
        return IncomeAccount.wrap((index_ & INDEX_MASK) | pending_ << PENDING_OFFSET);
    }
}

library CouponAccountLibrary {
    uint256 internal constant HALF_MASK = type(uint128).max;
    uint256 internal constant OWED_OFFSET = 128;

    function couponIndex(CouponAccount a) internal pure returns (uint256) {
        return CouponAccount.unwrap(a) & HALF_MASK;
    }

    function owed(CouponAccount a) internal pure returns (uint256) {
        return CouponAccount.unwrap(a) >> OWED_OFFSET;
    }

    function pack(uint256 couponIndex_, uint256 owed_) internal pure returns (CouponAccount) {
        return CouponAccount.wrap((couponIndex_ & HALF_MASK) | (owed_ & HALF_MASK) << OWED_OFFSET);
    }
}

library ServicingWordLibrary {
    uint256 internal constant INDEX_MASK = type(uint128).max;
    uint256 internal constant LAST_RECORDED_OFFSET = 128;
    uint256 internal constant LAST_RECORDED_MASK = type(uint16).max;
    uint256 internal constant NEXT_RECORD_DATE_OFFSET = 144;
    uint256 internal constant DATE_MASK = type(uint40).max;
    uint256 internal constant REDEEMING_OFFSET = 184;

    function couponIndex(ServicingWord w) internal pure returns (uint256) {
        return ServicingWord.unwrap(w) & INDEX_MASK;
    }

    function lastRecorded(ServicingWord w) internal pure returns (uint256) {
        return (ServicingWord.unwrap(w) >> LAST_RECORDED_OFFSET) & LAST_RECORDED_MASK;
    }

    function nextRecordDate(ServicingWord w) internal pure returns (uint256) {
        return (ServicingWord.unwrap(w) >> NEXT_RECORD_DATE_OFFSET) & DATE_MASK;
    }

    function redeeming(ServicingWord w) internal pure returns (bool) {
        return uint8(ServicingWord.unwrap(w) >> REDEEMING_OFFSET) != 0;
    }

    /// @notice The whole word (unused bits 0).
    function pack(uint256 couponIndex_, uint256 lastRecorded_, uint256 nextRecordDate_, bool redeeming_)
        internal
        pure
        returns (ServicingWord)
    {
        return ServicingWord.wrap(
            (couponIndex_ & INDEX_MASK) | (lastRecorded_ & LAST_RECORDED_MASK) << LAST_RECORDED_OFFSET
                | (nextRecordDate_ & DATE_MASK) << NEXT_RECORD_DATE_OFFSET | (redeeming_ ? uint256(1) : 0)
                << REDEEMING_OFFSET
        );
    }
}
