// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {InvestorWord, InvestorWordLibrary} from "../libraries/InvestorWord.sol";
import {JurisdictionWord, HoldingWord, RulesWord, TotalsWord} from "../compliance/ComplianceSlots.sol";
import {WalletWord, WalletWordLibrary, ClaimsWord} from "../identity/RegistrySlots.sol";

/// @title WordHarness
/// @notice Test-only: exposes the accessors of every packed storage word type so tests can check
/// their round trips against the Python mirror (`tests/contracts/words.py`). Never deployed by
/// `scripts/deploy.py`.
/// @dev For each word type: every getter in layout order (`<word>Get`, flags as 0 or 1), one setter
/// by field index (`<word>Set`, the value cast to the setter's parameter type: tests pass values
/// that fit the field), a list of setters applied in the order given (`<word>SetMany`), and the
/// multi-field setters the contracts use.
contract WordHarness {
    /// @notice A packed word has no field with this index.
    error UnknownField(uint256 field);

    function jurisdictionWordGet(JurisdictionWord j) external pure returns (uint256[] memory f) {
        f = new uint256[](8);
        (f[0], f[1], f[2], f[3]) = (_bit(j.allowed()), _bit(j.hasRouteBlocks()), j.minInvestorClass(), j.holderCap());
        (f[4], f[5], f[6], f[7]) =
            (j.nonAccreditedCap(), j.holderCount(), j.nonAccreditedCount(), j.inboundClosedUntil());
    }

    function jurisdictionWordSet(JurisdictionWord j, uint256 field, uint256 v) public pure returns (JurisdictionWord) {
        if (field == 0) return j.setAllowed(v != 0);
        if (field == 1) return j.setHasRouteBlocks(v != 0);
        if (field == 2) return j.setMinInvestorClass(uint8(v));
        if (field == 3) return j.setHolderCap(uint32(v));
        if (field == 4) return j.setNonAccreditedCap(uint32(v));
        if (field == 5) return j.setHolderCount(uint32(v));
        if (field == 6) return j.setNonAccreditedCount(uint32(v));
        if (field == 7) return j.setInboundClosedUntil(uint40(v));
        revert UnknownField(field);
    }

    function jurisdictionWordSetMany(JurisdictionWord j, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (JurisdictionWord)
    {
        for (uint256 i; i < fields.length; ++i) j = jurisdictionWordSet(j, fields[i], values[i]);
        return j;
    }

    function holdingWordGet(HoldingWord h) external pure returns (uint256[] memory f) {
        f = new uint256[](9);
        (f[0], f[1], f[2], f[3], f[4]) =
            (h.balance(), h.lastAcquiredAt(), h.countedCountry(), _bit(h.countedNonAccredited()), h.windowDay());
        (f[5], f[6], f[7], f[8]) = (h.dayCurrent(), h.dayPrevious(), h.monthCurrent(), h.monthPrevious());
    }

    function holdingWordSet(HoldingWord h, uint256 field, uint256 v) public pure returns (HoldingWord) {
        if (field == 0) return h.setBalance(uint96(v));
        if (field == 1) return h.setLastAcquiredAt(uint40(v));
        if (field == 2) return h.setCountedCountry(uint16(v));
        if (field == 3) return h.setCountedNonAccredited(v != 0);
        if (field == 4) return h.setWindowDay(v);
        if (field == 5) return h.setDayCurrent(v);
        if (field == 6) return h.setDayPrevious(v);
        if (field == 7) return h.setMonthCurrent(v);
        if (field == 8) return h.setMonthPrevious(v);
        revert UnknownField(field);
    }

    function holdingWordSetMany(HoldingWord h, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (HoldingWord)
    {
        for (uint256 i; i < fields.length; ++i) h = holdingWordSet(h, fields[i], values[i]);
        return h;
    }

    function holdingWordSetCounted(HoldingWord h, uint16 country, bool nonAccredited)
        external
        pure
        returns (HoldingWord)
    {
        return h.setCounted(country, nonAccredited);
    }

    function holdingWordSetWindows(
        HoldingWord h,
        uint256 day,
        uint256 dayCurrent,
        uint256 dayPrevious,
        uint256 monthCurrent,
        uint256 monthPrevious
    ) external pure returns (HoldingWord) {
        return h.setWindows(day, dayCurrent, dayPrevious, monthCurrent, monthPrevious);
    }

    function rulesWordGet(RulesWord r) external pure returns (uint256[] memory f) {
        f = new uint256[](8);
        (f[0], f[1], f[2], f[3]) = (r.maxBalance(), r.minHolding(), r.dailyLimit(), r.monthlyLimit());
        (f[4], f[5], f[6], f[7]) =
            (r.maxBalanceBps(), r.lockupAfterAcquisition(), r.transfersOpenAt(), r.moduleCount());
    }

    function rulesWordSet(RulesWord r, uint256 field, uint256 v) public pure returns (RulesWord) {
        if (field == 0) return r.setMaxBalance(uint40(v));
        if (field == 1) return r.setMinHolding(uint40(v));
        if (field == 2) return r.setDailyLimit(uint40(v));
        if (field == 3) return r.setMonthlyLimit(uint40(v));
        if (field == 4) return r.setMaxBalanceBps(uint16(v));
        if (field == 5) return r.setLockupAfterAcquisition(uint32(v));
        if (field == 6) return r.setTransfersOpenAt(uint40(v));
        if (field == 7) return r.setModuleCount(uint8(v));
        revert UnknownField(field);
    }

    function rulesWordSetMany(RulesWord r, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (RulesWord)
    {
        for (uint256 i; i < fields.length; ++i) r = rulesWordSet(r, fields[i], values[i]);
        return r;
    }

    function rulesWordHasWindows(RulesWord r) external pure returns (bool) {
        return r.hasWindows();
    }

    function totalsWordGet(TotalsWord t) external pure returns (uint256[] memory f) {
        f = new uint256[](5);
        (f[0], f[1], f[2], f[3], f[4]) =
            (t.totalHolderCap(), t.totalNonAccreditedCap(), t.totalHolders(), t.totalNonAccredited(), t.supply());
    }

    function totalsWordSet(TotalsWord t, uint256 field, uint256 v) public pure returns (TotalsWord) {
        if (field == 0) return t.setTotalHolderCap(uint32(v));
        if (field == 1) return t.setTotalNonAccreditedCap(uint32(v));
        if (field == 2) return t.setTotalHolders(uint32(v));
        if (field == 3) return t.setTotalNonAccredited(uint32(v));
        if (field == 4) return t.setSupply(uint96(v));
        revert UnknownField(field);
    }

    function totalsWordSetMany(TotalsWord t, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (TotalsWord)
    {
        for (uint256 i; i < fields.length; ++i) t = totalsWordSet(t, fields[i], values[i]);
        return t;
    }

    function totalsWordSetCounts(TotalsWord t, uint32 holders, uint32 nonAccredited, uint96 supply)
        external
        pure
        returns (TotalsWord)
    {
        return t.setCounts(holders, nonAccredited, supply);
    }

    function investorWordGet(InvestorWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](5);
        (f[0], f[1], f[2], f[3], f[4]) =
            (uint160(w.identity()), w.country(), w.investorClass(), _bit(w.verified()), _bit(w.frozen()));
    }

    function investorWordSet(InvestorWord w, uint256 field, uint256 v) public pure returns (InvestorWord) {
        if (field == 0) return w.setIdentity(address(uint160(v)));
        if (field == 1) return w.setCountry(uint16(v));
        if (field == 2) return w.setInvestorClass(uint8(v));
        if (field == 3) return w.setVerified(v != 0);
        if (field == 4) return w.setFrozen(v != 0);
        revert UnknownField(field);
    }

    function investorWordSetMany(InvestorWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (InvestorWord)
    {
        for (uint256 i; i < fields.length; ++i) w = investorWordSet(w, fields[i], values[i]);
        return w;
    }

    function investorWordFromProfile(uint256 profile, bool verified, bool frozen)
        external
        pure
        returns (InvestorWord)
    {
        return InvestorWordLibrary.fromProfile(profile, verified, frozen);
    }

    function walletWordGet(WalletWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](6);
        (f[0], f[1], f[2]) = (uint160(w.identity()), w.country(), uint8(w.investorClass()));
        (f[3], f[4], f[5]) = (w.validUntil(), w.claimsEpoch(), _bit(w.frozen()));
    }

    function walletWordSet(WalletWord w, uint256 field, uint256 v) public pure returns (WalletWord) {
        if (field == 0) return w.setIdentity(address(uint160(v)));
        if (field == 1) return w.setCountry(uint16(v));
        if (field == 2) return w.setInvestorClass(InvestorClass(v));
        if (field == 3) return w.setValidUntil(uint40(v));
        if (field == 4) return w.setClaimsEpoch(uint24(v));
        if (field == 5) return w.setFrozen(v != 0);
        revert UnknownField(field);
    }

    function walletWordSetMany(WalletWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (WalletWord)
    {
        for (uint256 i; i < fields.length; ++i) w = walletWordSet(w, fields[i], values[i]);
        return w;
    }

    function walletWordPack(
        address identity,
        uint16 country,
        InvestorClass investorClass,
        uint40 validUntil,
        uint24 claimsEpoch,
        bool frozen
    ) external pure returns (WalletWord) {
        return WalletWordLibrary.pack(identity, country, investorClass, validUntil, claimsEpoch, frozen);
    }

    function walletWordToInvestorWord(WalletWord w, bool verified) external pure returns (InvestorWord) {
        return w.toInvestorWord(verified);
    }

    function claimsWordGet(ClaimsWord c) external pure returns (uint256[] memory f) {
        f = new uint256[](3);
        (f[0], f[1], f[2]) = (c.epoch(), c.cacheTtl(), _bit(c.required()));
    }

    function claimsWordSet(ClaimsWord c, uint256 field, uint256 v) public pure returns (ClaimsWord) {
        if (field == 0) return c.setEpoch(uint32(v));
        if (field == 1) return c.setCacheTtl(uint32(v));
        if (field == 2) return c.setRequired(v != 0);
        revert UnknownField(field);
    }

    function claimsWordSetMany(ClaimsWord c, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (ClaimsWord)
    {
        for (uint256 i; i < fields.length; ++i) c = claimsWordSet(c, fields[i], values[i]);
        return c;
    }

    function _bit(bool flag) private pure returns (uint256) {
        return flag ? 1 : 0;
    }
}
