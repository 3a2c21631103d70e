// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {PackedTotal} from "../libraries/PackedTotal.sol";
import {Bits} from "./Bits.sol";

// The compliance engine's packed storage words (Uniswap v4's `Slot0` pattern): one value type per
// word and one library per type, the only description of its layout: named offsets and masks,
// getters, and `setX` setters that return the word with one field replaced and every other bit
// kept, so a transfer reads each slot once into a stack word and writes it once. Each table lists
// the fields from bit 0; `bool` is a flag (set when any of its bits is), an enum name a byte of
// that enum.
//
// JurisdictionWord: ComplianceEngine._jurisdictions[country]
// | bits     | field              | kind   |
// | -------- | ------------------ | ------ |
// | 0..7     | allowed            | bool   |
// | 8..15    | hasRouteBlocks     | bool   |
// | 16..23   | minInvestorClass   | uint8  |
// | 24..55   | holderCap          | uint32 |
// | 56..87   | nonAccreditedCap   | uint32 |
// | 88..119  | holderCount        | uint32 |
// | 120..151 | nonAccreditedCount | uint32 |
// | 152..191 | inboundClosedUntil | uint40 |
// | 192..231 | minFirstHolding    | uint40 |
// | 232..255 | (unused)           |        |
//
// HoldingWord: ComplianceEngine._holdings[identity]
// | bits     | field                | kind   |
// | -------- | -------------------- | ------ |
// | 0..95    | balance              | uint96 |
// | 96..135  | lastAcquiredAt       | uint40 |
// | 136..145 | countedCountry       | uint10 |
// | 146      | countedNonAccredited | bool   |
// | 147      | escrow               | bool   |
// | 148..255 | (unused)             |        |
//
// WindowWord: ComplianceEngine._windows[identity], used only while a daily or monthly limit is set
// | bits     | field         | kind   |
// | -------- | ------------- | ------ |
// | 0..31    | day           | uint32 |
// | 32..120  | dayCurrent    | uint89 |
// | 121..209 | monthCurrent  | uint89 |
// | 210..232 | dayPrevious   | uint23 |
// | 233..255 | monthPrevious | uint23 |
//
// RulesWord: ComplianceEngine._rules
// | bits     | field                  | kind   |
// | -------- | ---------------------- | ------ |
// | 0..39    | maxBalance             | uint40 |
// | 40..79   | minHolding             | uint40 |
// | 80..119  | dailyLimit             | uint40 |
// | 120..159 | monthlyLimit           | uint40 |
// | 160..175 | maxBalanceBps          | uint16 |
// | 176..207 | lockupAfterAcquisition | uint32 |
// | 208..247 | transfersOpenAt        | uint40 |
// | 248..254 | moduleCount            | uint7  |
// | 255      | registryMigrated       | bool   |
//
// TotalsWord: ComplianceEngine._totals
// | bits     | field                 | kind   |
// | -------- | --------------------- | ------ |
// | 0..31    | totalHolderCap        | uint32 |
// | 32..63   | totalNonAccreditedCap | uint32 |
// | 64..95   | totalHolders          | uint32 |
// | 96..127  | totalNonAccredited    | uint32 |
// | 128..223 | supply                | uint96 |
// | 224..255 | (unused)              |        |

/// @notice A jurisdiction (table above). minFirstHolding is a `PackedAmount`.
/// @dev A flag is a byte (0 or 1; read as set when the byte is not zero).
type JurisdictionWord is uint256;

/// @notice An identity's holding (table above). escrow: an escrow identity (`setEscrow`), not a
/// holder, outside the holding caps and time rules.
type HoldingWord is uint256;

/// @notice An identity's transfer windows (table above), read and written only by its sends while
/// a daily or monthly limit is set.
/// @dev The day is the UTC day of the last recorded send (days since 1970-01-01, 32 bits: exact
/// for every 40-bit timestamp). The current buckets (that day; its 30-day block) are exact sums,
/// saturating at `SENT_MAX` (above every limit); the previous ones are `PackedTotal`s, each
/// rounded up once, when its bucket stopped being the current one (SEC-70, SEC-71).
type WindowWord is uint256;

/// @notice The token-wide rules (table above). The four limits are `PackedAmount`s.
/// @dev registryMigrated: the engine reads its identity registry from storage (its token migrated
/// registries, SEC-65) instead of the one it was built with; the flag keeps that read off the
/// transfers of a token that never migrates.
type RulesWord is uint256;

/// @notice The token-wide totals (table above).
type TotalsWord is uint256;

using JurisdictionWordLibrary for JurisdictionWord global;
using HoldingWordLibrary for HoldingWord global;
using WindowWordLibrary for WindowWord global;
using RulesWordLibrary for RulesWord global;
using TotalsWordLibrary for TotalsWord global;

library JurisdictionWordLibrary {
    uint256 internal constant FLAG_MASK = type(uint8).max;
    uint256 internal constant ALLOWED_OFFSET = 0;
    uint256 internal constant HAS_ROUTE_BLOCKS_OFFSET = 8;
    uint256 internal constant MIN_INVESTOR_CLASS_OFFSET = 16;
    uint256 internal constant MIN_INVESTOR_CLASS_MASK = type(uint8).max;
    uint256 internal constant COUNT_MASK = type(uint32).max;
    uint256 internal constant HOLDER_CAP_OFFSET = 24;
    uint256 internal constant NON_ACCREDITED_CAP_OFFSET = 56;
    uint256 internal constant HOLDER_COUNT_OFFSET = 88;
    uint256 internal constant NON_ACCREDITED_COUNT_OFFSET = 120;
    uint256 internal constant INBOUND_CLOSED_UNTIL_OFFSET = 152;
    uint256 internal constant INBOUND_CLOSED_UNTIL_MASK = type(uint40).max;
    uint256 internal constant MIN_FIRST_HOLDING_OFFSET = 192;
    uint256 internal constant MIN_FIRST_HOLDING_MASK = type(uint40).max;

    function allowed(JurisdictionWord j) internal pure returns (bool) {
        return uint8(JurisdictionWord.unwrap(j) >> ALLOWED_OFFSET) != 0;
    }

    function hasRouteBlocks(JurisdictionWord j) internal pure returns (bool) {
        return uint8(JurisdictionWord.unwrap(j) >> HAS_ROUTE_BLOCKS_OFFSET) != 0;
    }

    /// @notice The `InvestorClass`, as its number (classes compare by rank).
    function minInvestorClass(JurisdictionWord j) internal pure returns (uint8) {
        return uint8(JurisdictionWord.unwrap(j) >> MIN_INVESTOR_CLASS_OFFSET);
    }

    function holderCap(JurisdictionWord j) internal pure returns (uint32) {
        return uint32(JurisdictionWord.unwrap(j) >> HOLDER_CAP_OFFSET);
    }

    function nonAccreditedCap(JurisdictionWord j) internal pure returns (uint32) {
        return uint32(JurisdictionWord.unwrap(j) >> NON_ACCREDITED_CAP_OFFSET);
    }

    function holderCount(JurisdictionWord j) internal pure returns (uint32) {
        return uint32(JurisdictionWord.unwrap(j) >> HOLDER_COUNT_OFFSET);
    }

    function nonAccreditedCount(JurisdictionWord j) internal pure returns (uint32) {
        return uint32(JurisdictionWord.unwrap(j) >> NON_ACCREDITED_COUNT_OFFSET);
    }

    function inboundClosedUntil(JurisdictionWord j) internal pure returns (uint40) {
        return uint40(JurisdictionWord.unwrap(j) >> INBOUND_CLOSED_UNTIL_OFFSET);
    }

    /// @notice The least a new holder of this jurisdiction receives, a `PackedAmount` (0: none).
    function minFirstHolding(JurisdictionWord j) internal pure returns (uint40) {
        return uint40(JurisdictionWord.unwrap(j) >> MIN_FIRST_HOLDING_OFFSET);
    }

    function setAllowed(JurisdictionWord j, bool value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(Bits.set(JurisdictionWord.unwrap(j), ALLOWED_OFFSET, FLAG_MASK, value ? 1 : 0));
    }

    function setHasRouteBlocks(JurisdictionWord j, bool value) internal pure returns (JurisdictionWord) {
        return
            JurisdictionWord.wrap(
                Bits.set(JurisdictionWord.unwrap(j), HAS_ROUTE_BLOCKS_OFFSET, FLAG_MASK, value ? 1 : 0)
            );
    }

    function setMinInvestorClass(JurisdictionWord j, uint8 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(
            Bits.set(JurisdictionWord.unwrap(j), MIN_INVESTOR_CLASS_OFFSET, MIN_INVESTOR_CLASS_MASK, value)
        );
    }

    function setHolderCap(JurisdictionWord j, uint32 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(Bits.set(JurisdictionWord.unwrap(j), HOLDER_CAP_OFFSET, COUNT_MASK, value));
    }

    function setNonAccreditedCap(JurisdictionWord j, uint32 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(Bits.set(JurisdictionWord.unwrap(j), NON_ACCREDITED_CAP_OFFSET, COUNT_MASK, value));
    }

    function setHolderCount(JurisdictionWord j, uint32 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(Bits.set(JurisdictionWord.unwrap(j), HOLDER_COUNT_OFFSET, COUNT_MASK, value));
    }

    function setNonAccreditedCount(JurisdictionWord j, uint32 value) internal pure returns (JurisdictionWord) {
        return
            JurisdictionWord.wrap(Bits.set(JurisdictionWord.unwrap(j), NON_ACCREDITED_COUNT_OFFSET, COUNT_MASK, value));
    }

    function setInboundClosedUntil(JurisdictionWord j, uint40 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(
            Bits.set(JurisdictionWord.unwrap(j), INBOUND_CLOSED_UNTIL_OFFSET, INBOUND_CLOSED_UNTIL_MASK, value)
        );
    }

    function setMinFirstHolding(JurisdictionWord j, uint40 value) internal pure returns (JurisdictionWord) {
        return JurisdictionWord.wrap(
            Bits.set(JurisdictionWord.unwrap(j), MIN_FIRST_HOLDING_OFFSET, MIN_FIRST_HOLDING_MASK, value)
        );
    }
}

library HoldingWordLibrary {
    uint256 internal constant BALANCE_MASK = type(uint96).max;
    uint256 internal constant LAST_ACQUIRED_AT_OFFSET = 96;
    uint256 internal constant LAST_ACQUIRED_AT_MASK = type(uint40).max;
    /// @notice ISO 3166-1 numeric codes are at most 999: 10 bits.
    uint256 internal constant COUNTED_COUNTRY_OFFSET = 136;
    uint256 internal constant COUNTED_COUNTRY_MASK = 0x3ff;
    uint256 internal constant COUNTED_NON_ACCREDITED_OFFSET = 146;
    uint256 internal constant ESCROW_OFFSET = 147;
    /// @notice Both counted fields (`setCounted`).
    uint256 internal constant COUNTED_MASK =
        (COUNTED_COUNTRY_MASK << COUNTED_COUNTRY_OFFSET) | (uint256(1) << COUNTED_NON_ACCREDITED_OFFSET);

    function balance(HoldingWord h) internal pure returns (uint96) {
        return uint96(HoldingWord.unwrap(h));
    }

    function lastAcquiredAt(HoldingWord h) internal pure returns (uint40) {
        return uint40(HoldingWord.unwrap(h) >> LAST_ACQUIRED_AT_OFFSET);
    }

    function countedCountry(HoldingWord h) internal pure returns (uint16) {
        return uint16((HoldingWord.unwrap(h) >> COUNTED_COUNTRY_OFFSET) & COUNTED_COUNTRY_MASK);
    }

    function countedNonAccredited(HoldingWord h) internal pure returns (bool) {
        return (HoldingWord.unwrap(h) >> COUNTED_NON_ACCREDITED_OFFSET) & 1 != 0;
    }

    function escrow(HoldingWord h) internal pure returns (bool) {
        return (HoldingWord.unwrap(h) >> ESCROW_OFFSET) & 1 != 0;
    }

    function setEscrow(HoldingWord h, bool value) internal pure returns (HoldingWord) {
        return HoldingWord.wrap(Bits.set(HoldingWord.unwrap(h), ESCROW_OFFSET, 1, value ? 1 : 0));
    }

    function setBalance(HoldingWord h, uint96 value) internal pure returns (HoldingWord) {
        return HoldingWord.wrap((HoldingWord.unwrap(h) & ~BALANCE_MASK) | value);
    }

    function setLastAcquiredAt(HoldingWord h, uint40 value) internal pure returns (HoldingWord) {
        return HoldingWord.wrap(Bits.set(HoldingWord.unwrap(h), LAST_ACQUIRED_AT_OFFSET, LAST_ACQUIRED_AT_MASK, value));
    }

    /// @dev `value` <= 1023 (the registry refuses codes above 999).
    function setCountedCountry(HoldingWord h, uint16 value) internal pure returns (HoldingWord) {
        return HoldingWord.wrap(Bits.set(HoldingWord.unwrap(h), COUNTED_COUNTRY_OFFSET, COUNTED_COUNTRY_MASK, value));
    }

    function setCountedNonAccredited(HoldingWord h, bool value) internal pure returns (HoldingWord) {
        return HoldingWord.wrap(Bits.set(HoldingWord.unwrap(h), COUNTED_NON_ACCREDITED_OFFSET, 1, value ? 1 : 0));
    }

    /// @notice `setCountedCountry` and `setCountedNonAccredited` in one step (the engine counts a
    /// new holder in its bucket).
    /// @dev `country_` <= 1023 (the registry refuses codes above 999).
    function setCounted(HoldingWord h, uint16 country_, bool nonAccredited) internal pure returns (HoldingWord) {
        return HoldingWord.wrap(
            (HoldingWord.unwrap(h) & ~COUNTED_MASK) | uint256(country_) << COUNTED_COUNTRY_OFFSET
                | (nonAccredited ? uint256(1) << COUNTED_NON_ACCREDITED_OFFSET : 0)
        );
    }
}

library WindowWordLibrary {
    uint256 internal constant DAY_MASK = type(uint32).max;
    uint256 internal constant SENT_BITS = 89;
    /// @notice Where a current total saturates: above every limit (`setLimits` takes uint88s), so a
    /// saturated bucket refuses every send, as the sum it stands for would.
    uint256 internal constant SENT_MAX = (1 << SENT_BITS) - 1;
    uint256 internal constant DAY_CURRENT_OFFSET = 32;
    uint256 internal constant MONTH_CURRENT_OFFSET = DAY_CURRENT_OFFSET + SENT_BITS;
    uint256 internal constant DAY_PREVIOUS_OFFSET = MONTH_CURRENT_OFFSET + SENT_BITS;
    uint256 internal constant MONTH_PREVIOUS_OFFSET = DAY_PREVIOUS_OFFSET + PackedTotal.BITS;

    /// @notice The UTC day (days since 1970-01-01) of the last recorded send.
    function day(WindowWord w) internal pure returns (uint256) {
        return WindowWord.unwrap(w) & DAY_MASK;
    }

    /// @notice Sent on that day, exactly (saturating at `SENT_MAX`).
    function dayCurrent(WindowWord w) internal pure returns (uint256) {
        return (WindowWord.unwrap(w) >> DAY_CURRENT_OFFSET) & SENT_MAX;
    }

    /// @notice Sent in that day's 30-day block, exactly (saturating at `SENT_MAX`).
    function monthCurrent(WindowWord w) internal pure returns (uint256) {
        return (WindowWord.unwrap(w) >> MONTH_CURRENT_OFFSET) & SENT_MAX;
    }

    /// @notice Sent on the day before, a `PackedTotal`.
    function dayPrevious(WindowWord w) internal pure returns (uint256) {
        return (WindowWord.unwrap(w) >> DAY_PREVIOUS_OFFSET) & PackedTotal.MASK;
    }

    /// @notice Sent in the 30-day block before, a `PackedTotal`.
    function monthPrevious(WindowWord w) internal pure returns (uint256) {
        return (WindowWord.unwrap(w) >> MONTH_PREVIOUS_OFFSET) & PackedTotal.MASK;
    }

    function setDay(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return WindowWord.wrap(Bits.set(WindowWord.unwrap(w), 0, DAY_MASK, value & DAY_MASK));
    }

    /// @dev `value` <= `SENT_MAX`, as for `setMonthCurrent`.
    function setDayCurrent(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return WindowWord.wrap(Bits.set(WindowWord.unwrap(w), DAY_CURRENT_OFFSET, SENT_MAX, value));
    }

    function setMonthCurrent(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return WindowWord.wrap(Bits.set(WindowWord.unwrap(w), MONTH_CURRENT_OFFSET, SENT_MAX, value));
    }

    /// @dev `value` is a `PackedTotal` (< 2**23), as for `setMonthPrevious`.
    function setDayPrevious(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return WindowWord.wrap(Bits.set(WindowWord.unwrap(w), DAY_PREVIOUS_OFFSET, PackedTotal.MASK, value));
    }

    function setMonthPrevious(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return WindowWord.wrap(Bits.set(WindowWord.unwrap(w), MONTH_PREVIOUS_OFFSET, PackedTotal.MASK, value));
    }

    /// @notice The word of these fields (the engine rolls the windows to a new day at once).
    /// @dev `day_` is kept mod 2**32; the current totals <= `SENT_MAX`; the previous ones
    /// `PackedTotal`s (< 2**23).
    function pack(
        uint256 day_,
        uint256 dayCurrent_,
        uint256 monthCurrent_,
        uint256 dayPrevious_,
        uint256 monthPrevious_
    ) internal pure returns (WindowWord) {
        return WindowWord.wrap(
            (day_ & DAY_MASK) | dayCurrent_ << DAY_CURRENT_OFFSET | monthCurrent_ << MONTH_CURRENT_OFFSET | dayPrevious_
                << DAY_PREVIOUS_OFFSET | monthPrevious_ << MONTH_PREVIOUS_OFFSET
        );
    }

    /// @notice The word with `value` added to both current totals, exactly, each saturating at
    /// `SENT_MAX` (never wrapping into the next field).
    function addSent(WindowWord w, uint256 value) internal pure returns (WindowWord) {
        return
            w.setDayCurrent(_saturatingAdd(w.dayCurrent(), value))
                .setMonthCurrent(_saturatingAdd(w.monthCurrent(), value));
    }

    function _saturatingAdd(uint256 total, uint256 value) private pure returns (uint256) {
        // No overflow: total <= SENT_MAX < 2**89; a value above SENT_MAX saturates before adding.
        unchecked {
            return value >= SENT_MAX - total ? SENT_MAX : total + value;
        }
    }
}

library RulesWordLibrary {
    uint256 internal constant AMOUNT_MASK = type(uint40).max;
    uint256 internal constant MAX_BALANCE_OFFSET = 0;
    uint256 internal constant MIN_HOLDING_OFFSET = 40;
    uint256 internal constant DAILY_LIMIT_OFFSET = 80;
    uint256 internal constant MONTHLY_LIMIT_OFFSET = 120;
    uint256 internal constant MAX_BALANCE_BPS_OFFSET = 160;
    uint256 internal constant MAX_BALANCE_BPS_MASK = type(uint16).max;
    uint256 internal constant LOCKUP_AFTER_ACQUISITION_OFFSET = 176;
    uint256 internal constant LOCKUP_AFTER_ACQUISITION_MASK = type(uint32).max;
    uint256 internal constant TRANSFERS_OPEN_AT_OFFSET = 208;
    uint256 internal constant TRANSFERS_OPEN_AT_MASK = type(uint40).max;
    uint256 internal constant MODULE_COUNT_OFFSET = 248;
    /// @notice 7 bits: the engine binds at most 25 modules.
    uint256 internal constant MODULE_COUNT_MASK = 0x7f;
    uint256 internal constant REGISTRY_MIGRATED_OFFSET = 255;
    /// @notice The daily and monthly limits, next to each other.
    uint256 internal constant WINDOW_LIMITS_MASK =
        (AMOUNT_MASK << DAILY_LIMIT_OFFSET) | (AMOUNT_MASK << MONTHLY_LIMIT_OFFSET);

    function maxBalance(RulesWord r) internal pure returns (uint40) {
        return uint40(RulesWord.unwrap(r) >> MAX_BALANCE_OFFSET);
    }

    function minHolding(RulesWord r) internal pure returns (uint40) {
        return uint40(RulesWord.unwrap(r) >> MIN_HOLDING_OFFSET);
    }

    function dailyLimit(RulesWord r) internal pure returns (uint40) {
        return uint40(RulesWord.unwrap(r) >> DAILY_LIMIT_OFFSET);
    }

    function monthlyLimit(RulesWord r) internal pure returns (uint40) {
        return uint40(RulesWord.unwrap(r) >> MONTHLY_LIMIT_OFFSET);
    }

    function maxBalanceBps(RulesWord r) internal pure returns (uint16) {
        return uint16(RulesWord.unwrap(r) >> MAX_BALANCE_BPS_OFFSET);
    }

    function lockupAfterAcquisition(RulesWord r) internal pure returns (uint32) {
        return uint32(RulesWord.unwrap(r) >> LOCKUP_AFTER_ACQUISITION_OFFSET);
    }

    function transfersOpenAt(RulesWord r) internal pure returns (uint40) {
        return uint40(RulesWord.unwrap(r) >> TRANSFERS_OPEN_AT_OFFSET);
    }

    function moduleCount(RulesWord r) internal pure returns (uint8) {
        return uint8((RulesWord.unwrap(r) >> MODULE_COUNT_OFFSET) & MODULE_COUNT_MASK);
    }

    /// @notice Whether the engine's identity registry is the stored one (its token migrated).
    function registryMigrated(RulesWord r) internal pure returns (bool) {
        return RulesWord.unwrap(r) >> REGISTRY_MIGRATED_OFFSET != 0;
    }

    /// @notice Whether a daily or a monthly limit is set.
    function hasWindows(RulesWord r) internal pure returns (bool) {
        return RulesWord.unwrap(r) & WINDOW_LIMITS_MASK != 0;
    }

    function setMaxBalance(RulesWord r, uint40 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), MAX_BALANCE_OFFSET, AMOUNT_MASK, value));
    }

    function setMinHolding(RulesWord r, uint40 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), MIN_HOLDING_OFFSET, AMOUNT_MASK, value));
    }

    function setDailyLimit(RulesWord r, uint40 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), DAILY_LIMIT_OFFSET, AMOUNT_MASK, value));
    }

    function setMonthlyLimit(RulesWord r, uint40 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), MONTHLY_LIMIT_OFFSET, AMOUNT_MASK, value));
    }

    function setMaxBalanceBps(RulesWord r, uint16 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), MAX_BALANCE_BPS_OFFSET, MAX_BALANCE_BPS_MASK, value));
    }

    function setLockupAfterAcquisition(RulesWord r, uint32 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(
            Bits.set(RulesWord.unwrap(r), LOCKUP_AFTER_ACQUISITION_OFFSET, LOCKUP_AFTER_ACQUISITION_MASK, value)
        );
    }

    function setTransfersOpenAt(RulesWord r, uint40 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), TRANSFERS_OPEN_AT_OFFSET, TRANSFERS_OPEN_AT_MASK, value));
    }

    /// @dev `value` <= 127.
    function setModuleCount(RulesWord r, uint8 value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), MODULE_COUNT_OFFSET, MODULE_COUNT_MASK, value));
    }

    function setRegistryMigrated(RulesWord r, bool value) internal pure returns (RulesWord) {
        return RulesWord.wrap(Bits.set(RulesWord.unwrap(r), REGISTRY_MIGRATED_OFFSET, 1, value ? 1 : 0));
    }
}

library TotalsWordLibrary {
    uint256 internal constant COUNT_MASK = type(uint32).max;
    uint256 internal constant TOTAL_HOLDER_CAP_OFFSET = 0;
    uint256 internal constant TOTAL_NON_ACCREDITED_CAP_OFFSET = 32;
    uint256 internal constant TOTAL_HOLDERS_OFFSET = 64;
    uint256 internal constant TOTAL_NON_ACCREDITED_OFFSET = 96;
    uint256 internal constant SUPPLY_OFFSET = 128;
    uint256 internal constant SUPPLY_MASK = type(uint96).max;
    /// @notice totalHolders, totalNonAccredited and supply (`setCounts`).
    uint256 internal constant COUNTS_MASK = (COUNT_MASK << TOTAL_HOLDERS_OFFSET)
        | (COUNT_MASK << TOTAL_NON_ACCREDITED_OFFSET) | (SUPPLY_MASK << SUPPLY_OFFSET);

    function totalHolderCap(TotalsWord t) internal pure returns (uint32) {
        return uint32(TotalsWord.unwrap(t) >> TOTAL_HOLDER_CAP_OFFSET);
    }

    function totalNonAccreditedCap(TotalsWord t) internal pure returns (uint32) {
        return uint32(TotalsWord.unwrap(t) >> TOTAL_NON_ACCREDITED_CAP_OFFSET);
    }

    function totalHolders(TotalsWord t) internal pure returns (uint32) {
        return uint32(TotalsWord.unwrap(t) >> TOTAL_HOLDERS_OFFSET);
    }

    function totalNonAccredited(TotalsWord t) internal pure returns (uint32) {
        return uint32(TotalsWord.unwrap(t) >> TOTAL_NON_ACCREDITED_OFFSET);
    }

    function supply(TotalsWord t) internal pure returns (uint96) {
        return uint96(TotalsWord.unwrap(t) >> SUPPLY_OFFSET);
    }

    function setTotalHolderCap(TotalsWord t, uint32 value) internal pure returns (TotalsWord) {
        return TotalsWord.wrap(Bits.set(TotalsWord.unwrap(t), TOTAL_HOLDER_CAP_OFFSET, COUNT_MASK, value));
    }

    function setTotalNonAccreditedCap(TotalsWord t, uint32 value) internal pure returns (TotalsWord) {
        return TotalsWord.wrap(Bits.set(TotalsWord.unwrap(t), TOTAL_NON_ACCREDITED_CAP_OFFSET, COUNT_MASK, value));
    }

    function setTotalHolders(TotalsWord t, uint32 value) internal pure returns (TotalsWord) {
        return TotalsWord.wrap(Bits.set(TotalsWord.unwrap(t), TOTAL_HOLDERS_OFFSET, COUNT_MASK, value));
    }

    function setTotalNonAccredited(TotalsWord t, uint32 value) internal pure returns (TotalsWord) {
        return TotalsWord.wrap(Bits.set(TotalsWord.unwrap(t), TOTAL_NON_ACCREDITED_OFFSET, COUNT_MASK, value));
    }

    function setSupply(TotalsWord t, uint96 value) internal pure returns (TotalsWord) {
        return TotalsWord.wrap(Bits.set(TotalsWord.unwrap(t), SUPPLY_OFFSET, SUPPLY_MASK, value));
    }

    /// @notice The three running counts in one step (the engine moves them together).
    function setCounts(TotalsWord t, uint32 holders, uint32 nonAccredited, uint96 supply_)
        internal
        pure
        returns (TotalsWord)
    {
        return TotalsWord.wrap(
            (TotalsWord.unwrap(t) & ~COUNTS_MASK) | uint256(holders) << TOTAL_HOLDERS_OFFSET | uint256(nonAccredited)
                << TOTAL_NON_ACCREDITED_OFFSET | uint256(supply_) << SUPPLY_OFFSET
        );
    }
}
