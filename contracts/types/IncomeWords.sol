// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

// The income and servicing words of the lifecycle domain (IncomeShareToken, BondServicer), packed
// storage words (Uniswap v4's `Slot0` pattern): one value type per word and one library per type,
// the only description of its layout: named offsets and masks, getters, and `pack`, which builds a
// whole word from values its callers have bounded (each word's notice gives the bound of every
// field and who enforces it: nothing is cut silently). Each table lists the fields from bit 0;
// `bool` is a flag (set when any of its bits is).
//
// IncomeWord: IncomeShareToken._income, read on every balance change
// | bits     | field          | kind    |
// | -------- | -------------- | ------- |
// | 0..159   | index          | uint160 |
// | 160..191 | declarations   | uint32  |
// | 192..231 | lastDeclaredAt | uint40  |
// | 232..255 | (unused)       |         |
//
// IncomeAccount: IncomeShareToken._holders[wallet]
// | bits     | field   | kind    |
// | -------- | ------- | ------- |
// | 0..159   | index   | uint160 |
// | 160..255 | pending | uint96  |
//
// CouponAccount: BondServicer._coupons[wallet]
// | bits    | field          | kind    |
// | ------- | -------------- | ------- |
// | 0..15   | settledThrough | uint16  |
// | 16..255 | owed           | uint240 |
//
// ServicingWord: BondServicer._state, read on every balance change
// | bits     | field          | kind    |
// | -------- | -------------- | ------- |
// | 0..191   | couponIndex    | uint192 |
// | 192..207 | lastRecorded   | uint16  |
// | 208..247 | nextRecordDate | uint40  |
// | 248..255 | redeeming      | bool    |

/// @notice A money-market share class's income (table above): index is the multiplicative income
/// index (`INDEX_ONE` = 1e27 at issue), declarations the number of the last declaration. Bounds:
/// the index is checked against its field by `declareIncome`, which
/// refuses a declaration taking it past 2^160 - 1 (`DeclarationOutOfBounds(shares, supply, 0)`):
/// a growth of 1.46e21 times, 1,000 years of income at 5% a year (48.7 in natural log; at the
/// declaration bound, 50 bps every 12 hours, 13 years), after which income stops and every
/// transfer goes on (`_accrued`'s product stays below 2^96 x 2^160). Declarations are numbered in
/// 32 bits, at least 12 hours apart (5.8 million years); dates are block times (below 2^40 until
/// the year 36812).
type IncomeWord is uint256;

/// @notice One holder's income (table above): index is the income index at its last settlement (0:
/// never settled), pending the income settled and not yet paid into its balance (shares).
type IncomeAccount is uint256;

/// @notice One holder's coupon account (table above): settledThrough is the last coupon recorded
/// when the holder was last settled (0: none; the coupon index after it is
/// `BondServicer._indexAfter[settledThrough]`), owed the coupons settled and not claimed
/// (payment-asset base units). Bounds: at most `DayCount.MAX_COUPONS` (2,772) coupons fit 16 bits;
/// what a holder is owed is below 2^96 x the coupon index (< 2^157 for every accepted instrument,
/// IBondServicer) / 1e36, far below 2^240.
type CouponAccount is uint256;

/// @notice A bond's servicing state (table above): couponIndex is the cumulative coupons recorded
/// (value per whole share, 18 decimals; below 2^157 for every instrument the registry accepts,
/// IBondServicer), lastRecorded the last coupon recorded (0: none), nextRecordDate the record date
/// of coupon lastRecorded + 1 (from it balances are fixed), redeeming whether the redemption
/// started (a flag byte).
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

    /// @dev Income a holding of `held` shares earned from index `last` to `index`:
    /// floor(held * index / last) - held; 0 for a wallet that never held (`last` 0: it held
    /// nothing, every receipt settles it first). No overflow: held < 2**96, index < 2**160.
    function accrued(uint256 held, uint256 last, uint256 index_) internal pure returns (uint256) {
        if (held == 0 || last == 0 || last == index_) return 0;
        // No underflow: the index never decreases, so index >= last and the quotient >= held.
        unchecked {
            return held * index_ / last - held;
        }
    }
}

library CouponAccountLibrary {
    uint256 internal constant NUMBER_MASK = type(uint16).max;
    uint256 internal constant OWED_OFFSET = 16;

    function settledThrough(CouponAccount a) internal pure returns (uint256) {
        return CouponAccount.unwrap(a) & NUMBER_MASK;
    }

    function owed(CouponAccount a) internal pure returns (uint256) {
        return CouponAccount.unwrap(a) >> OWED_OFFSET;
    }

    /// @notice The whole word (`settledThrough_` below 2^16, `owed_` below 2^240: callers bound
    /// them, see the layout).
    function pack(uint256 settledThrough_, uint256 owed_) internal pure returns (CouponAccount) {
        return CouponAccount.wrap(settledThrough_ | owed_ << OWED_OFFSET);
    }
}

library ServicingWordLibrary {
    uint256 internal constant INDEX_MASK = type(uint192).max;
    uint256 internal constant LAST_RECORDED_OFFSET = 192;
    uint256 internal constant LAST_RECORDED_MASK = type(uint16).max;
    uint256 internal constant NEXT_RECORD_DATE_OFFSET = 208;
    uint256 internal constant DATE_MASK = type(uint40).max;
    uint256 internal constant REDEEMING_OFFSET = 248;

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

    /// @notice The whole word. Callers bound every field (no value is cut): the index below
    /// 2^192 (the servicer's SafeCast), the coupon number below 2^16 and the date below 2^40
    /// (the registry's dates, DayCount's domain).
    function pack(uint256 couponIndex_, uint256 lastRecorded_, uint256 nextRecordDate_, bool redeeming_)
        internal
        pure
        returns (ServicingWord)
    {
        return ServicingWord.wrap(
            couponIndex_ | lastRecorded_ << LAST_RECORDED_OFFSET | nextRecordDate_ << NEXT_RECORD_DATE_OFFSET
                | (redeeming_ ? uint256(1) : 0) << REDEEMING_OFFSET
        );
    }
}
