// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Bits} from "./Bits.sol";

// The NAV desk's packed storage word (the house dialect: one value type, one library, the only
// description of its layout; getters, and setters that return the word with their fields replaced
// and every other bit kept). Fields from bit 0:
//
// DeskWord: NavVenue._desks[token], read and written once by every fill of the token
// | bits     | field           | kind    |
// | -------- | --------------- | ------- |
// | 0..8     | subscribeFeeBps | uint9   |
// | 9..17    | redeemFeeBps    | uint9   |
// | 18..26   | maxNavMoveBps   | uint9   |
// | 27       | listed          | bool    |
// | 28..35   | decimals        | uint8   |
// | 36..59   | day             | uint24  |
// | 60..155  | dailyCapacity   | uint96  |
// | 156..255 | net             | int100  |
//
// Each fee and the move are at most 500 (INavVenue's fee cap); `decimals` is the token's; `day`
// is the UTC day (days since 1970) of `net`, the day's net cash notional (SEC-57), in cash base
// units as `dailyCapacity`.
//
// The market's terms and its day's usage were two words (two cold reads and a write a fill):
// one word is read cold and written warm, and a listed market's word is never zero, so the first
// fill of a token writes no zero-to-non-zero slot (LIQ-23).

/// @notice A NAV-desk market: its terms and the net cash notional of one UTC day (table above).
/// @dev `net` is kept within +-2**96: each fill leaves it within +-dailyCapacity in the direction it
/// dealt (a subscription at most the capacity above it, a redemption at most below), and the
/// capacity is below 2**96 (NavVenue.setMarket refuses more); a lowered capacity leaves an older
/// net within the older one. `day` wraps after 2**24 days (year 47,900): a wrapped day reads as
/// another day, whose net is 0.
type DeskWord is uint256;

using DeskWordLibrary for DeskWord global;

library DeskWordLibrary {
    /// @notice Each fee's and the move's 9 bits.
    uint256 internal constant BPS_MASK = 0x1ff;
    uint256 internal constant REDEEM_FEE_BPS_OFFSET = 9;
    uint256 internal constant MAX_NAV_MOVE_BPS_OFFSET = 18;
    uint256 internal constant LISTED_OFFSET = 27;
    uint256 internal constant DECIMALS_OFFSET = 28;
    uint256 internal constant DAY_OFFSET = 36;
    uint256 internal constant DAY_MASK = type(uint24).max;
    uint256 internal constant DAILY_CAPACITY_OFFSET = 60;
    uint256 internal constant DAILY_CAPACITY_MASK = type(uint96).max;
    uint256 internal constant NET_OFFSET = 156;
    uint256 internal constant NET_BITS = 100;
    uint256 internal constant NET_MASK = (1 << NET_BITS) - 1;
    /// @notice The day's usage (`day` and `net`): what new terms keep.
    uint256 internal constant USAGE_MASK = DAY_MASK << DAY_OFFSET | NET_MASK << NET_OFFSET;
    /// @notice The largest fee or NAV move a word holds (9 bits hold 511).
    uint256 internal constant MAX_BPS = 500;
    /// @notice The largest daily capacity a word holds.
    uint256 internal constant MAX_CAPACITY = DAILY_CAPACITY_MASK;

    function subscribeFeeBps(DeskWord w) internal pure returns (uint16) {
        return uint16(DeskWord.unwrap(w) & BPS_MASK);
    }

    function redeemFeeBps(DeskWord w) internal pure returns (uint16) {
        return uint16(DeskWord.unwrap(w) >> REDEEM_FEE_BPS_OFFSET & BPS_MASK);
    }

    function maxNavMoveBps(DeskWord w) internal pure returns (uint16) {
        return uint16(DeskWord.unwrap(w) >> MAX_NAV_MOVE_BPS_OFFSET & BPS_MASK);
    }

    function listed(DeskWord w) internal pure returns (bool) {
        return DeskWord.unwrap(w) >> LISTED_OFFSET & 1 != 0;
    }

    function decimals(DeskWord w) internal pure returns (uint8) {
        return uint8(DeskWord.unwrap(w) >> DECIMALS_OFFSET);
    }

    function day(DeskWord w) internal pure returns (uint24) {
        return uint24(DeskWord.unwrap(w) >> DAY_OFFSET);
    }

    function dailyCapacity(DeskWord w) internal pure returns (uint96) {
        return uint96(DeskWord.unwrap(w) >> DAILY_CAPACITY_OFFSET);
    }

    /// @notice The net of the word's `day` (sign-extended from 100 bits).
    function net(DeskWord w) internal pure returns (int256) {
        return int256(DeskWord.unwrap(w)) >> NET_OFFSET;
    }

    /// @notice The net of `today` (UTC days since 1970): the word's, or 0 when it is of another day.
    function netOn(DeskWord w, uint256 today) internal pure returns (int256) {
        return day(w) == uint24(today) ? net(w) : int256(0);
    }

    /// @notice The word with the terms replaced and the day's usage kept. Each fee and the move
    /// must be at most MAX_BPS (the caller checks; a wider one is cut to its 9 bits, never spilled
    /// into the next field); a uint96 capacity fills its field exactly.
    function setTerms(
        DeskWord w,
        uint16 subscribeFeeBps_,
        uint16 redeemFeeBps_,
        uint16 maxNavMoveBps_,
        bool listed_,
        uint8 decimals_,
        uint96 dailyCapacity_
    ) internal pure returns (DeskWord) {
        uint256 word = DeskWord.unwrap(w) & USAGE_MASK;
        uint256 fees = uint256(subscribeFeeBps_) & BPS_MASK | (uint256(redeemFeeBps_) & BPS_MASK)
            << REDEEM_FEE_BPS_OFFSET | (uint256(maxNavMoveBps_) & BPS_MASK) << MAX_NAV_MOVE_BPS_OFFSET;
        return DeskWord.wrap(
            word | fees | uint256(listed_ ? 1 : 0) << LISTED_OFFSET | uint256(decimals_) << DECIMALS_OFFSET
                | uint256(dailyCapacity_) << DAILY_CAPACITY_OFFSET
        );
    }

    /// @notice The word with `today`'s net (|net_| < 2**99, see DeskWord).
    /// @dev One Bits.set of both usage fields: `net_`'s two's complement shifted to the top keeps
    /// exactly its low 100 bits (the bits above 255 fall off), which `net` sign-extends back; one
    /// clearing mask instead of two set calls and a mask of the net (12 to 24 gas a fill).
    function setUsage(DeskWord w, uint256 today, int256 net_) internal pure returns (DeskWord) {
        uint256 usage = uint256(uint24(today)) << DAY_OFFSET | uint256(net_) << NET_OFFSET;
        return DeskWord.wrap(Bits.set(DeskWord.unwrap(w), 0, USAGE_MASK, usage));
    }
}
