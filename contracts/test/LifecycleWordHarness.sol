// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {
    BusinessDayConvention,
    DayCountConvention,
    InstrumentKind,
    InstrumentStatus
} from "../../interfaces/IInstrumentRegistry.sol";
import {SettlementAssetType} from "../../interfaces/ISettlementAssets.sol";
import {
    DelegationWord,
    IdentifierWord,
    InstrumentWord,
    NavWord,
    SettlementAssetWord,
    SettlementAssetWordLibrary,
    TermsWord
} from "../types/LifecycleWords.sol";

/// @title LifecycleWordHarness
/// @notice Test-only: exposes the accessors of the lifecycle domain's packed words so tests check
/// their round trips against the Python mirror of their documented layouts
/// (tests/contracts/lifecycle/test_lifecycle_words.py). Never deployed by `scripts/deploy.py`.
/// @dev Per word: every getter in layout order (`<word>Get`: flags 0 or 1, enums as numbers, a
/// signed field as its two's complement, byte strings as numbers), one setter by field index
/// (`<word>Set`; tests pass values that fit the field), and a list of setters applied in order
/// (`<word>SetMany`).
contract LifecycleWordHarness {
    error UnknownField(uint256 field);

    function instrumentWordGet(InstrumentWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](5);
        (f[0], f[1], f[2], f[3], f[4]) =
        (uint160(w.issuer()), uint8(w.status()), _bit(w.guardianHold()), w.maturityDate(), w.calledAt());
    }

    function instrumentWordSet(InstrumentWord w, uint256 field, uint256 v) public pure returns (InstrumentWord) {
        if (field == 0) return w.setIssuer(address(uint160(v)));
        if (field == 1) return w.setStatus(InstrumentStatus(v));
        if (field == 2) return w.setGuardianHold(v != 0);
        if (field == 3) return w.setMaturityDate(uint40(v));
        if (field == 4) return w.setCalledAt(uint40(v));
        revert UnknownField(field);
    }

    function instrumentWordSetMany(InstrumentWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (InstrumentWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = instrumentWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function termsWordGet(TermsWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](12);
        (f[0], f[1], f[2], f[3]) = (uint8(w.kind()), w.fixedRateBps(), w.floatingIndex(), uint16(w.spreadBps()));
        (f[4], f[5], f[6], f[7]) = (w.frequency(), uint8(w.dayCount()), uint8(w.roll()), w.recordDateOffsetDays());
        (f[8], f[9], f[10], f[11]) = (_bit(w.callable()), w.callPriceBps(), w.firstCallDate(), w.issueDate());
    }

    function termsWordSet(TermsWord w, uint256 field, uint256 v) public pure returns (TermsWord) {
        if (field == 0) return w.setKind(InstrumentKind(v));
        if (field == 1) return w.setFixedRateBps(uint16(v));
        if (field == 2) return w.setFloatingIndex(uint16(v));
        if (field == 3) return w.setSpreadBps(int16(uint16(v)));
        if (field == 4) return w.setFrequency(uint8(v));
        if (field == 5) return w.setDayCount(DayCountConvention(v));
        if (field == 6) return w.setRoll(BusinessDayConvention(v));
        if (field == 7) return w.setRecordDateOffsetDays(uint16(v));
        if (field == 8) return w.setCallable(v != 0);
        if (field == 9) return w.setCallPriceBps(uint16(v));
        if (field == 10) return w.setFirstCallDate(uint40(v));
        if (field == 11) return w.setIssueDate(uint40(v));
        revert UnknownField(field);
    }

    function termsWordSetMany(TermsWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (TermsWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = termsWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function identifierWordGet(IdentifierWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](3);
        (f[0], f[1], f[2]) = (uint96(w.isin()), uint72(w.cusip()), uint24(w.currency()));
    }

    function identifierWordSet(IdentifierWord w, uint256 field, uint256 v) public pure returns (IdentifierWord) {
        if (field == 0) return w.setIsin(bytes12(uint96(v)));
        if (field == 1) return w.setCusip(bytes9(uint72(v)));
        if (field == 2) return w.setCurrency(bytes3(uint24(v)));
        revert UnknownField(field);
    }

    function identifierWordSetMany(IdentifierWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (IdentifierWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = identifierWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function navWordGet(NavWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](4);
        (f[0], f[1], f[2], f[3]) = (uint160(w.shareToken()), w.maxNavMoveBps(), w.maxNavAge(), w.lastStrikeAt());
    }

    function navWordSet(NavWord w, uint256 field, uint256 v) public pure returns (NavWord) {
        if (field == 0) return w.setShareToken(address(uint160(v)));
        if (field == 1) return w.setMaxNavMoveBps(uint16(v));
        if (field == 2) return w.setMaxNavAge(uint32(v));
        if (field == 3) return w.setLastStrikeAt(uint40(v));
        revert UnknownField(field);
    }

    function navWordSetMany(NavWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (NavWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = navWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function delegationWordGet(DelegationWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](2);
        (f[0], f[1]) = (w.operations(), w.expiry());
    }

    function delegationWordSet(DelegationWord w, uint256 field, uint256 v) public pure returns (DelegationWord) {
        if (field == 0) return w.setOperations(uint16(v));
        if (field == 1) return w.setExpiry(uint40(v));
        revert UnknownField(field);
    }

    function delegationWordSetMany(DelegationWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (DelegationWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = delegationWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function delegationWordAllows(DelegationWord w, uint16 operation, uint256 timestamp) external pure returns (bool) {
        return w.allows(operation, timestamp);
    }

    function settlementAssetWordGet(SettlementAssetWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](7);
        (f[0], f[1], f[2], f[3]) = (_bit(w.listed()), uint8(w.assetType()), w.riskWeightBps(), w.rank());
        (f[4], f[5], f[6]) = (w.depegThresholdBps(), w.decimals(), w.index());
    }

    function settlementAssetWordSet(SettlementAssetWord w, uint256 field, uint256 v)
        public
        pure
        returns (SettlementAssetWord)
    {
        if (field == 0) return w.setListed(v != 0);
        if (field == 1) return w.setAssetType(SettlementAssetType(v));
        if (field == 2) return w.setRiskWeightBps(uint32(v));
        if (field == 3) return w.setRank(uint8(v));
        if (field == 4) return w.setDepegThresholdBps(uint16(v));
        if (field == 5) return w.setDecimals(uint8(v));
        if (field == 6) return w.setIndex(uint8(v));
        revert UnknownField(field);
    }

    function settlementAssetWordSetMany(SettlementAssetWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (SettlementAssetWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = settlementAssetWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    /// @notice `SettlementAssetWordLibrary.pack`, which the listing writes.
    function settlementAssetWordPack(
        SettlementAssetType assetType,
        uint32 riskWeightBps,
        uint8 rank,
        uint16 depegThresholdBps,
        uint8 decimals,
        uint8 index
    ) external pure returns (SettlementAssetWord) {
        return SettlementAssetWordLibrary.pack(assetType, riskWeightBps, rank, depegThresholdBps, decimals, index);
    }

    function _bit(bool b) private pure returns (uint256) {
        return b ? 1 : 0;
    }
}
