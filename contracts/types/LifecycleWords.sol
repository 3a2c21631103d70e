// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {
    BusinessDayConvention,
    CallTerms,
    CouponTerms,
    DayCountConvention,
    InstrumentKind,
    InstrumentStatus
} from "../../interfaces/IInstrumentRegistry.sol";
import {SettlementAssetType} from "../../interfaces/ISettlementAssets.sol";
import {Bits} from "./Bits.sol";

// The lifecycle domain's packed storage words (Uniswap v4's `Slot0` pattern): one value type per
// word and one library per type, the only description of its layout: named offsets and masks,
// getters, and `setX` setters that return the word with one field replaced and every other bit
// kept. Each setter takes a value of its field's own type (`uint40` for a date, `uint16` for bps,
// ...), so nothing is cut: the registry's block times are SafeCast to 40 bits (the year 36812), its
// terms arrive typed (SEC-37's rule: no silent wrap). Each table lists the fields from bit 0; `bool`
// is a flag (a byte, 0 or 1; read as set when not zero), an enum name a byte of that enum (a getter
// reverts with panic 0x21 on a byte no setter writes); a `bytesN` field holds the big-endian bytes
// of its code.
//
// InstrumentWord: InstrumentRegistry._instruments[id].state, read by every status move
// | bits     | field        | kind             |
// | -------- | ------------ | ---------------- |
// | 0..159   | issuer       | address          |
// | 160..167 | status       | InstrumentStatus |
// | 168..175 | guardianHold | bool             |
// | 176..215 | maturityDate | uint40           |
// | 216..255 | calledAt     | uint40           |
//
// TermsWord: InstrumentRegistry._instruments[id].terms (besides identifiers, maturity and face)
// | bits     | field                | kind                  |
// | -------- | -------------------- | --------------------- |
// | 0..7     | kind                 | InstrumentKind        |
// | 8..23    | fixedRateBps         | uint16                |
// | 24..39   | floatingIndex        | uint16                |
// | 40..55   | spreadBps            | int16                 |
// | 56..63   | frequency            | uint8                 |
// | 64..71   | dayCount             | DayCountConvention    |
// | 72..79   | roll                 | BusinessDayConvention |
// | 80..95   | recordDateOffsetDays | uint16                |
// | 96..103  | callable             | bool                  |
// | 104..119 | callPriceBps         | uint16                |
// | 120..159 | firstCallDate        | uint40                |
// | 160..199 | issueDate            | uint40                |
// | 200..255 | (unused)             |                       |
//
// IdentifierWord: InstrumentRegistry._instruments[id].ids
// | bits     | field    | kind    |
// | -------- | -------- | ------- |
// | 0..95    | isin     | bytes12 |
// | 96..167  | cusip    | bytes9  |
// | 168..191 | currency | bytes3  |
// | 192..255 | (unused) |         |
//
// NavWord: InstrumentRegistry._instruments[id].nav, what a NAV strike reads besides the checkpoints
// | bits     | field         | kind    |
// | -------- | ------------- | ------- |
// | 0..159   | shareToken    | address |
// | 160..175 | maxNavMoveBps | uint16  |
// | 176..207 | maxNavAge     | uint32  |
// | 208..247 | lastStrikeAt  | uint40  |
// | 248..255 | (unused)      |         |
//
// DelegationWord: InstrumentRegistry._delegations[issuer][operator]
// | bits    | field      | kind   |
// | ------- | ---------- | ------ |
// | 0..15   | operations | uint16 |
// | 16..55  | expiry     | uint40 |
// | 56..255 | (unused)   |        |
//
// SettlementAssetWord: SettlementAssets._assets[asset]
// | bits    | field             | kind                |
// | ------- | ----------------- | ------------------- |
// | 0..7    | listed            | bool                |
// | 8..15   | assetType         | SettlementAssetType |
// | 16..47  | riskWeightBps     | uint32              |
// | 48..55  | rank              | uint8               |
// | 56..71  | depegThresholdBps | uint16              |
// | 72..79  | decimals          | uint8               |
// | 80..87  | index             | uint8               |
// | 88..255 | (unused)          |                     |

/// @notice An instrument's life (table above), read by every status move.
type InstrumentWord is uint256;

/// @notice An instrument's terms besides its identifiers, dates of maturity and face value (table
/// above). spreadBps is an int16 in two's complement.
type TermsWord is uint256;

/// @notice An instrument's identifiers (table above), each the big-endian bytes of its code.
type IdentifierWord is uint256;

/// @notice What a NAV strike reads besides the checkpoints (table above).
type NavWord is uint256;

/// @notice An issuer's delegation to one operator (table above).
type DelegationWord is uint256;

/// @notice A settlement asset (table above); index is its position in the list.
type SettlementAssetWord is uint256;

using InstrumentWordLibrary for InstrumentWord global;
using TermsWordLibrary for TermsWord global;
using IdentifierWordLibrary for IdentifierWord global;
using NavWordLibrary for NavWord global;
using DelegationWordLibrary for DelegationWord global;
using SettlementAssetWordLibrary for SettlementAssetWord global;

library InstrumentWordLibrary {
    uint256 internal constant ISSUER_MASK = type(uint160).max;
    uint256 internal constant STATUS_OFFSET = 160;
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant GUARDIAN_HOLD_OFFSET = 168;
    uint256 internal constant DATE_MASK = type(uint40).max;
    uint256 internal constant MATURITY_DATE_OFFSET = 176;
    uint256 internal constant CALLED_AT_OFFSET = 216;

    function issuer(InstrumentWord w) internal pure returns (address) {
        return address(uint160(InstrumentWord.unwrap(w)));
    }

    function status(InstrumentWord w) internal pure returns (InstrumentStatus) {
        return InstrumentStatus(uint8(InstrumentWord.unwrap(w) >> STATUS_OFFSET));
    }

    function guardianHold(InstrumentWord w) internal pure returns (bool) {
        return uint8(InstrumentWord.unwrap(w) >> GUARDIAN_HOLD_OFFSET) != 0;
    }

    function maturityDate(InstrumentWord w) internal pure returns (uint40) {
        return uint40(InstrumentWord.unwrap(w) >> MATURITY_DATE_OFFSET);
    }

    function calledAt(InstrumentWord w) internal pure returns (uint40) {
        return uint40(InstrumentWord.unwrap(w) >> CALLED_AT_OFFSET);
    }

    function setIssuer(InstrumentWord w, address value) internal pure returns (InstrumentWord) {
        return InstrumentWord.wrap(Bits.set(InstrumentWord.unwrap(w), 0, ISSUER_MASK, uint160(value)));
    }

    function setStatus(InstrumentWord w, InstrumentStatus value) internal pure returns (InstrumentWord) {
        return InstrumentWord.wrap(Bits.set(InstrumentWord.unwrap(w), STATUS_OFFSET, BYTE_MASK, uint8(value)));
    }

    function setGuardianHold(InstrumentWord w, bool value) internal pure returns (InstrumentWord) {
        return InstrumentWord.wrap(Bits.set(InstrumentWord.unwrap(w), GUARDIAN_HOLD_OFFSET, BYTE_MASK, value ? 1 : 0));
    }

    function setMaturityDate(InstrumentWord w, uint40 value) internal pure returns (InstrumentWord) {
        return InstrumentWord.wrap(Bits.set(InstrumentWord.unwrap(w), MATURITY_DATE_OFFSET, DATE_MASK, value));
    }

    function setCalledAt(InstrumentWord w, uint40 value) internal pure returns (InstrumentWord) {
        return InstrumentWord.wrap(Bits.set(InstrumentWord.unwrap(w), CALLED_AT_OFFSET, DATE_MASK, value));
    }
}

library TermsWordLibrary {
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant U16_MASK = type(uint16).max;
    uint256 internal constant DATE_MASK = type(uint40).max;
    uint256 internal constant KIND_OFFSET = 0;
    uint256 internal constant FIXED_RATE_BPS_OFFSET = 8;
    uint256 internal constant FLOATING_INDEX_OFFSET = 24;
    uint256 internal constant SPREAD_BPS_OFFSET = 40;
    uint256 internal constant FREQUENCY_OFFSET = 56;
    uint256 internal constant DAY_COUNT_OFFSET = 64;
    uint256 internal constant ROLL_OFFSET = 72;
    uint256 internal constant RECORD_DATE_OFFSET_DAYS_OFFSET = 80;
    uint256 internal constant CALLABLE_OFFSET = 96;
    uint256 internal constant CALL_PRICE_BPS_OFFSET = 104;
    uint256 internal constant FIRST_CALL_DATE_OFFSET = 120;
    uint256 internal constant ISSUE_DATE_OFFSET = 160;

    function kind(TermsWord w) internal pure returns (InstrumentKind) {
        return InstrumentKind(uint8(TermsWord.unwrap(w) >> KIND_OFFSET));
    }

    function fixedRateBps(TermsWord w) internal pure returns (uint16) {
        return uint16(TermsWord.unwrap(w) >> FIXED_RATE_BPS_OFFSET);
    }

    function floatingIndex(TermsWord w) internal pure returns (uint16) {
        return uint16(TermsWord.unwrap(w) >> FLOATING_INDEX_OFFSET);
    }

    function spreadBps(TermsWord w) internal pure returns (int16) {
        return int16(uint16(TermsWord.unwrap(w) >> SPREAD_BPS_OFFSET));
    }

    function frequency(TermsWord w) internal pure returns (uint8) {
        return uint8(TermsWord.unwrap(w) >> FREQUENCY_OFFSET);
    }

    function dayCount(TermsWord w) internal pure returns (DayCountConvention) {
        return DayCountConvention(uint8(TermsWord.unwrap(w) >> DAY_COUNT_OFFSET));
    }

    function roll(TermsWord w) internal pure returns (BusinessDayConvention) {
        return BusinessDayConvention(uint8(TermsWord.unwrap(w) >> ROLL_OFFSET));
    }

    function recordDateOffsetDays(TermsWord w) internal pure returns (uint16) {
        return uint16(TermsWord.unwrap(w) >> RECORD_DATE_OFFSET_DAYS_OFFSET);
    }

    function callable(TermsWord w) internal pure returns (bool) {
        return uint8(TermsWord.unwrap(w) >> CALLABLE_OFFSET) != 0;
    }

    function callPriceBps(TermsWord w) internal pure returns (uint16) {
        return uint16(TermsWord.unwrap(w) >> CALL_PRICE_BPS_OFFSET);
    }

    function firstCallDate(TermsWord w) internal pure returns (uint40) {
        return uint40(TermsWord.unwrap(w) >> FIRST_CALL_DATE_OFFSET);
    }

    function issueDate(TermsWord w) internal pure returns (uint40) {
        return uint40(TermsWord.unwrap(w) >> ISSUE_DATE_OFFSET);
    }

    /// @notice The coupon terms as the interface's struct.
    function coupon(TermsWord w) internal pure returns (CouponTerms memory) {
        return CouponTerms({
            fixedRateBps: w.fixedRateBps(),
            floatingIndex: w.floatingIndex(),
            spreadBps: w.spreadBps(),
            frequency: w.frequency(),
            dayCount: w.dayCount(),
            roll: w.roll(),
            recordDateOffsetDays: w.recordDateOffsetDays()
        });
    }

    /// @notice The call terms as the interface's struct.
    function call(TermsWord w) internal pure returns (CallTerms memory) {
        return CallTerms({callable: w.callable(), firstCallDate: w.firstCallDate(), callPriceBps: w.callPriceBps()});
    }

    /// @notice A whole word from the interface's structs (the registry writes one per instrument).
    function pack(InstrumentKind kind_, CouponTerms calldata c, CallTerms calldata k, uint40 issueDate_)
        internal
        pure
        returns (TermsWord)
    {
        return TermsWord.wrap(
            uint256(uint8(kind_)) << KIND_OFFSET | uint256(c.fixedRateBps) << FIXED_RATE_BPS_OFFSET
                | uint256(c.floatingIndex) << FLOATING_INDEX_OFFSET | uint256(uint16(c.spreadBps)) << SPREAD_BPS_OFFSET
                | uint256(c.frequency) << FREQUENCY_OFFSET | uint256(uint8(c.dayCount)) << DAY_COUNT_OFFSET
                | uint256(uint8(c.roll)) << ROLL_OFFSET | uint256(c.recordDateOffsetDays)
                << RECORD_DATE_OFFSET_DAYS_OFFSET | (k.callable ? uint256(1) << CALLABLE_OFFSET : 0)
                | uint256(k.callPriceBps) << CALL_PRICE_BPS_OFFSET | uint256(k.firstCallDate) << FIRST_CALL_DATE_OFFSET
                | uint256(issueDate_) << ISSUE_DATE_OFFSET
        );
    }

    function setKind(TermsWord w, InstrumentKind value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), KIND_OFFSET, BYTE_MASK, uint8(value)));
    }

    function setFixedRateBps(TermsWord w, uint16 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), FIXED_RATE_BPS_OFFSET, U16_MASK, value));
    }

    function setFloatingIndex(TermsWord w, uint16 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), FLOATING_INDEX_OFFSET, U16_MASK, value));
    }

    function setSpreadBps(TermsWord w, int16 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), SPREAD_BPS_OFFSET, U16_MASK, uint16(value)));
    }

    function setFrequency(TermsWord w, uint8 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), FREQUENCY_OFFSET, BYTE_MASK, value));
    }

    function setDayCount(TermsWord w, DayCountConvention value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), DAY_COUNT_OFFSET, BYTE_MASK, uint8(value)));
    }

    function setRoll(TermsWord w, BusinessDayConvention value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), ROLL_OFFSET, BYTE_MASK, uint8(value)));
    }

    function setRecordDateOffsetDays(TermsWord w, uint16 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), RECORD_DATE_OFFSET_DAYS_OFFSET, U16_MASK, value));
    }

    function setCallable(TermsWord w, bool value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), CALLABLE_OFFSET, BYTE_MASK, value ? 1 : 0));
    }

    function setCallPriceBps(TermsWord w, uint16 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), CALL_PRICE_BPS_OFFSET, U16_MASK, value));
    }

    function setFirstCallDate(TermsWord w, uint40 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), FIRST_CALL_DATE_OFFSET, DATE_MASK, value));
    }

    function setIssueDate(TermsWord w, uint40 value) internal pure returns (TermsWord) {
        return TermsWord.wrap(Bits.set(TermsWord.unwrap(w), ISSUE_DATE_OFFSET, DATE_MASK, value));
    }
}

library IdentifierWordLibrary {
    uint256 internal constant ISIN_MASK = type(uint96).max;
    uint256 internal constant CUSIP_OFFSET = 96;
    uint256 internal constant CUSIP_MASK = type(uint72).max;
    uint256 internal constant CURRENCY_OFFSET = 168;
    uint256 internal constant CURRENCY_MASK = type(uint24).max;

    function isin(IdentifierWord w) internal pure returns (bytes12) {
        return bytes12(uint96(IdentifierWord.unwrap(w)));
    }

    function cusip(IdentifierWord w) internal pure returns (bytes9) {
        return bytes9(uint72(IdentifierWord.unwrap(w) >> CUSIP_OFFSET));
    }

    function currency(IdentifierWord w) internal pure returns (bytes3) {
        return bytes3(uint24(IdentifierWord.unwrap(w) >> CURRENCY_OFFSET));
    }

    function pack(bytes12 isin_, bytes9 cusip_, bytes3 currency_) internal pure returns (IdentifierWord) {
        return IdentifierWord.wrap(
            uint256(uint96(isin_)) | uint256(uint72(cusip_)) << CUSIP_OFFSET | uint256(uint24(currency_))
                << CURRENCY_OFFSET
        );
    }

    function setIsin(IdentifierWord w, bytes12 value) internal pure returns (IdentifierWord) {
        return IdentifierWord.wrap(Bits.set(IdentifierWord.unwrap(w), 0, ISIN_MASK, uint96(value)));
    }

    function setCusip(IdentifierWord w, bytes9 value) internal pure returns (IdentifierWord) {
        return IdentifierWord.wrap(Bits.set(IdentifierWord.unwrap(w), CUSIP_OFFSET, CUSIP_MASK, uint72(value)));
    }

    function setCurrency(IdentifierWord w, bytes3 value) internal pure returns (IdentifierWord) {
        return IdentifierWord.wrap(Bits.set(IdentifierWord.unwrap(w), CURRENCY_OFFSET, CURRENCY_MASK, uint24(value)));
    }
}

library NavWordLibrary {
    uint256 internal constant SHARE_TOKEN_MASK = type(uint160).max;
    uint256 internal constant MAX_NAV_MOVE_BPS_OFFSET = 160;
    uint256 internal constant MAX_NAV_MOVE_BPS_MASK = type(uint16).max;
    uint256 internal constant MAX_NAV_AGE_OFFSET = 176;
    uint256 internal constant MAX_NAV_AGE_MASK = type(uint32).max;
    uint256 internal constant LAST_STRIKE_AT_OFFSET = 208;
    uint256 internal constant LAST_STRIKE_AT_MASK = type(uint40).max;

    function shareToken(NavWord w) internal pure returns (address) {
        return address(uint160(NavWord.unwrap(w)));
    }

    function maxNavMoveBps(NavWord w) internal pure returns (uint16) {
        return uint16(NavWord.unwrap(w) >> MAX_NAV_MOVE_BPS_OFFSET);
    }

    function maxNavAge(NavWord w) internal pure returns (uint32) {
        return uint32(NavWord.unwrap(w) >> MAX_NAV_AGE_OFFSET);
    }

    function lastStrikeAt(NavWord w) internal pure returns (uint40) {
        return uint40(NavWord.unwrap(w) >> LAST_STRIKE_AT_OFFSET);
    }

    function setShareToken(NavWord w, address value) internal pure returns (NavWord) {
        return NavWord.wrap(Bits.set(NavWord.unwrap(w), 0, SHARE_TOKEN_MASK, uint160(value)));
    }

    function setMaxNavMoveBps(NavWord w, uint16 value) internal pure returns (NavWord) {
        return NavWord.wrap(Bits.set(NavWord.unwrap(w), MAX_NAV_MOVE_BPS_OFFSET, MAX_NAV_MOVE_BPS_MASK, value));
    }

    function setMaxNavAge(NavWord w, uint32 value) internal pure returns (NavWord) {
        return NavWord.wrap(Bits.set(NavWord.unwrap(w), MAX_NAV_AGE_OFFSET, MAX_NAV_AGE_MASK, value));
    }

    function setLastStrikeAt(NavWord w, uint40 value) internal pure returns (NavWord) {
        return NavWord.wrap(Bits.set(NavWord.unwrap(w), LAST_STRIKE_AT_OFFSET, LAST_STRIKE_AT_MASK, value));
    }
}

library DelegationWordLibrary {
    uint256 internal constant OPERATIONS_MASK = type(uint16).max;
    uint256 internal constant EXPIRY_OFFSET = 16;
    uint256 internal constant EXPIRY_MASK = type(uint40).max;

    function operations(DelegationWord w) internal pure returns (uint16) {
        return uint16(DelegationWord.unwrap(w));
    }

    function expiry(DelegationWord w) internal pure returns (uint40) {
        return uint40(DelegationWord.unwrap(w) >> EXPIRY_OFFSET);
    }

    /// @notice Whether the delegation covers `operation` at `timestamp` (expiry exclusive).
    function allows(DelegationWord w, uint16 operation, uint256 timestamp) internal pure returns (bool) {
        return w.operations() & operation == operation && timestamp < w.expiry();
    }

    function pack(uint16 operations_, uint40 expiry_) internal pure returns (DelegationWord) {
        return DelegationWord.wrap(uint256(operations_) | uint256(expiry_) << EXPIRY_OFFSET);
    }

    function setOperations(DelegationWord w, uint16 value) internal pure returns (DelegationWord) {
        return DelegationWord.wrap(Bits.set(DelegationWord.unwrap(w), 0, OPERATIONS_MASK, value));
    }

    function setExpiry(DelegationWord w, uint40 value) internal pure returns (DelegationWord) {
        return DelegationWord.wrap(Bits.set(DelegationWord.unwrap(w), EXPIRY_OFFSET, EXPIRY_MASK, value));
    }
}

library SettlementAssetWordLibrary {
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant LISTED_OFFSET = 0;
    uint256 internal constant ASSET_TYPE_OFFSET = 8;
    uint256 internal constant RISK_WEIGHT_BPS_OFFSET = 16;
    uint256 internal constant RISK_WEIGHT_BPS_MASK = type(uint32).max;
    uint256 internal constant RANK_OFFSET = 48;
    uint256 internal constant DEPEG_THRESHOLD_BPS_OFFSET = 56;
    uint256 internal constant DEPEG_THRESHOLD_BPS_MASK = type(uint16).max;
    uint256 internal constant DECIMALS_OFFSET = 72;
    uint256 internal constant INDEX_OFFSET = 80;

    function listed(SettlementAssetWord w) internal pure returns (bool) {
        return uint8(SettlementAssetWord.unwrap(w) >> LISTED_OFFSET) != 0;
    }

    function assetType(SettlementAssetWord w) internal pure returns (SettlementAssetType) {
        return SettlementAssetType(uint8(SettlementAssetWord.unwrap(w) >> ASSET_TYPE_OFFSET));
    }

    function riskWeightBps(SettlementAssetWord w) internal pure returns (uint32) {
        return uint32(SettlementAssetWord.unwrap(w) >> RISK_WEIGHT_BPS_OFFSET);
    }

    function rank(SettlementAssetWord w) internal pure returns (uint8) {
        return uint8(SettlementAssetWord.unwrap(w) >> RANK_OFFSET);
    }

    function depegThresholdBps(SettlementAssetWord w) internal pure returns (uint16) {
        return uint16(SettlementAssetWord.unwrap(w) >> DEPEG_THRESHOLD_BPS_OFFSET);
    }

    function decimals(SettlementAssetWord w) internal pure returns (uint8) {
        return uint8(SettlementAssetWord.unwrap(w) >> DECIMALS_OFFSET);
    }

    function index(SettlementAssetWord w) internal pure returns (uint8) {
        return uint8(SettlementAssetWord.unwrap(w) >> INDEX_OFFSET);
    }

    /// @notice A listed asset's whole word.
    function pack(
        SettlementAssetType assetType_,
        uint32 riskWeightBps_,
        uint8 rank_,
        uint16 depegThresholdBps_,
        uint8 decimals_,
        uint8 index_
    ) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(
            uint256(1) << LISTED_OFFSET | uint256(uint8(assetType_)) << ASSET_TYPE_OFFSET | uint256(riskWeightBps_)
                << RISK_WEIGHT_BPS_OFFSET | uint256(rank_) << RANK_OFFSET | uint256(depegThresholdBps_)
                << DEPEG_THRESHOLD_BPS_OFFSET | uint256(decimals_) << DECIMALS_OFFSET | uint256(index_) << INDEX_OFFSET
        );
    }

    function setListed(SettlementAssetWord w, bool value) internal pure returns (SettlementAssetWord) {
        return
            SettlementAssetWord.wrap(Bits.set(SettlementAssetWord.unwrap(w), LISTED_OFFSET, BYTE_MASK, value ? 1 : 0));
    }

    function setAssetType(SettlementAssetWord w, SettlementAssetType value)
        internal
        pure
        returns (SettlementAssetWord)
    {
        return SettlementAssetWord.wrap(
            Bits.set(SettlementAssetWord.unwrap(w), ASSET_TYPE_OFFSET, BYTE_MASK, uint8(value))
        );
    }

    function setRiskWeightBps(SettlementAssetWord w, uint32 value) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(
            Bits.set(SettlementAssetWord.unwrap(w), RISK_WEIGHT_BPS_OFFSET, RISK_WEIGHT_BPS_MASK, value)
        );
    }

    function setRank(SettlementAssetWord w, uint8 value) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(Bits.set(SettlementAssetWord.unwrap(w), RANK_OFFSET, BYTE_MASK, value));
    }

    function setDepegThresholdBps(SettlementAssetWord w, uint16 value) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(
            Bits.set(SettlementAssetWord.unwrap(w), DEPEG_THRESHOLD_BPS_OFFSET, DEPEG_THRESHOLD_BPS_MASK, value)
        );
    }

    function setDecimals(SettlementAssetWord w, uint8 value) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(Bits.set(SettlementAssetWord.unwrap(w), DECIMALS_OFFSET, BYTE_MASK, value));
    }

    function setIndex(SettlementAssetWord w, uint8 value) internal pure returns (SettlementAssetWord) {
        return SettlementAssetWord.wrap(Bits.set(SettlementAssetWord.unwrap(w), INDEX_OFFSET, BYTE_MASK, value));
    }
}
