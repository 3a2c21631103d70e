// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {InvestorWord, InvestorWordLibrary} from "../types/InvestorWord.sol";
import {
    JurisdictionWord,
    HoldingWord,
    RulesWord,
    TotalsWord,
    WindowWord,
    WindowWordLibrary
} from "../types/ComplianceWords.sol";
import {WalletWord, WalletWordLibrary, ClaimsWord} from "../types/RegistryWords.sol";
import {PackedBps, PackedBpsLibrary} from "../types/PackedBps.sol";
import {StrategyWord, RelayerWord, ProgressWord, BoundsWord} from "../types/RebalancerWords.sol";

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
        f = new uint256[](9);
        (f[0], f[1], f[2], f[3]) = (_bit(j.allowed()), _bit(j.hasRouteBlocks()), j.minInvestorClass(), j.holderCap());
        (f[4], f[5], f[6], f[7], f[8]) =
        (j.nonAccreditedCap(), j.holderCount(), j.nonAccreditedCount(), j.inboundClosedUntil(), j.minFirstHolding());
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
        if (field == 8) return j.setMinFirstHolding(uint40(v));
        revert UnknownField(field);
    }

    function jurisdictionWordSetMany(JurisdictionWord j, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (JurisdictionWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            j = jurisdictionWordSet(j, fields[i], values[i]);
        }
        return j;
    }

    function holdingWordGet(HoldingWord h) external pure returns (uint256[] memory f) {
        f = new uint256[](5);
        (f[0], f[1], f[2], f[3], f[4]) =
        (h.balance(), h.lastAcquiredAt(), h.countedCountry(), _bit(h.countedNonAccredited()), _bit(h.escrow()));
    }

    function holdingWordSet(HoldingWord h, uint256 field, uint256 v) public pure returns (HoldingWord) {
        if (field == 0) return h.setBalance(uint96(v));
        if (field == 1) return h.setLastAcquiredAt(uint40(v));
        if (field == 2) return h.setCountedCountry(uint16(v));
        if (field == 3) return h.setCountedNonAccredited(v != 0);
        if (field == 4) return h.setEscrow(v != 0);
        revert UnknownField(field);
    }

    function holdingWordSetMany(HoldingWord h, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (HoldingWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            h = holdingWordSet(h, fields[i], values[i]);
        }
        return h;
    }

    function holdingWordSetCounted(HoldingWord h, uint16 country, bool nonAccredited)
        external
        pure
        returns (HoldingWord)
    {
        return h.setCounted(country, nonAccredited);
    }

    function windowWordGet(WindowWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](5);
        (f[0], f[1], f[2], f[3], f[4]) = (w.day(), w.dayCurrent(), w.monthCurrent(), w.dayPrevious(), w.monthPrevious());
    }

    function windowWordSet(WindowWord w, uint256 field, uint256 v) public pure returns (WindowWord) {
        if (field == 0) return w.setDay(v);
        if (field == 1) return w.setDayCurrent(v);
        if (field == 2) return w.setMonthCurrent(v);
        if (field == 3) return w.setDayPrevious(v);
        if (field == 4) return w.setMonthPrevious(v);
        revert UnknownField(field);
    }

    function windowWordSetMany(WindowWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (WindowWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = windowWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function windowWordPack(
        uint256 day,
        uint256 dayCurrent,
        uint256 monthCurrent,
        uint256 dayPrevious,
        uint256 monthPrevious
    ) external pure returns (WindowWord) {
        return WindowWordLibrary.pack(day, dayCurrent, monthCurrent, dayPrevious, monthPrevious);
    }

    function windowWordAddSent(WindowWord w, uint256 value) external pure returns (WindowWord) {
        return w.addSent(value);
    }

    function rulesWordGet(RulesWord r) external pure returns (uint256[] memory f) {
        f = new uint256[](9);
        (f[0], f[1], f[2], f[3]) = (r.maxBalance(), r.minHolding(), r.dailyLimit(), r.monthlyLimit());
        (f[4], f[5], f[6], f[7]) = (r.maxBalanceBps(), r.lockupAfterAcquisition(), r.transfersOpenAt(), r.moduleCount());
        f[8] = _bit(r.registryMigrated());
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
        if (field == 8) return r.setRegistryMigrated(v != 0);
        revert UnknownField(field);
    }

    function rulesWordSetMany(RulesWord r, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (RulesWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            r = rulesWordSet(r, fields[i], values[i]);
        }
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
        for (uint256 i; i < fields.length; ++i) {
            t = totalsWordSet(t, fields[i], values[i]);
        }
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
        for (uint256 i; i < fields.length; ++i) {
            w = investorWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function investorWordFromProfile(uint256 profile, bool verified, bool frozen) external pure returns (InvestorWord) {
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
        for (uint256 i; i < fields.length; ++i) {
            w = walletWordSet(w, fields[i], values[i]);
        }
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
        for (uint256 i; i < fields.length; ++i) {
            c = claimsWordSet(c, fields[i], values[i]);
        }
        return c;
    }

    function strategyWordGet(StrategyWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](11);
        (f[0], f[1], f[2], f[3]) = (w.strategyId(), w.driftThresholdBps(), w.maxTradeBps(), w.maxSlippageBps());
        (f[4], f[5], f[6], f[7]) = (w.signerThreshold(), w.assetCount(), _bit(w.paused()), w.cooldown());
        (f[8], f[9], f[10]) = (w.lossRefillPeriod(), w.maxBaseFee(), w.maxSnapshotAge());
    }

    function strategyWordSet(StrategyWord w, uint256 field, uint256 v) public pure returns (StrategyWord) {
        if (field == 0) return w.setStrategyId(uint32(v));
        if (field == 1) return w.setDriftThresholdBps(uint16(v));
        if (field == 2) return w.setMaxTradeBps(uint16(v));
        if (field == 3) return w.setMaxSlippageBps(uint16(v));
        if (field == 4) return w.setSignerThreshold(uint8(v));
        if (field == 5) return w.setAssetCount(uint8(v));
        if (field == 6) return w.setPaused(v != 0);
        if (field == 7) return w.setCooldown(uint32(v));
        if (field == 8) return w.setLossRefillPeriod(uint32(v));
        if (field == 9) return w.setMaxBaseFee(uint64(v));
        if (field == 10) return w.setMaxSnapshotAge(uint16(v));
        revert UnknownField(field);
    }

    function strategyWordSetMany(StrategyWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (StrategyWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = strategyWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function relayerWordGet(RelayerWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](2);
        (f[0], f[1]) = (uint160(w.relayer()), w.lossBudget());
    }

    function relayerWordSet(RelayerWord w, uint256 field, uint256 v) public pure returns (RelayerWord) {
        if (field == 0) return w.setRelayer(address(uint160(v)));
        if (field == 1) return w.setLossBudget(uint96(v));
        revert UnknownField(field);
    }

    function relayerWordSetMany(RelayerWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (RelayerWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = relayerWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    /// @notice nonce, lastRebalanceAt, lossUsed, then the 16 assets' decimals.
    function progressWordGet(ProgressWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](19);
        (f[0], f[1], f[2]) = (w.nonce(), w.lastRebalanceAt(), w.lossUsed());
        for (uint256 i; i < 16; ++i) {
            f[3 + i] = w.assetDecimals(i);
        }
    }

    function progressWordSet(ProgressWord w, uint256 field, uint256 v) public pure returns (ProgressWord) {
        if (field == 0) return w.setNonce(uint24(v));
        if (field == 1) return w.setLastRebalanceAt(uint40(v));
        if (field == 2) return w.setLossUsed(uint96(v));
        if (field < 19) return w.setAssetDecimals(field - 3, v);
        revert UnknownField(field);
    }

    function progressWordSetMany(ProgressWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (ProgressWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = progressWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function progressWordClearDecimals(ProgressWord w) external pure returns (ProgressWord) {
        return w.clearDecimals();
    }

    /// @notice Asset k's minimum at 2 k, its maximum at 2 k + 1.
    function boundsWordGet(BoundsWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](16);
        for (uint256 k; k < 8; ++k) {
            (f[2 * k], f[2 * k + 1]) = (w.minWeightBps(k), w.maxWeightBps(k));
        }
    }

    function boundsWordSet(BoundsWord w, uint256 field, uint256 v) public pure returns (BoundsWord) {
        if (field >= 16) revert UnknownField(field);
        return field % 2 == 0 ? w.setMinWeightBps(field / 2, uint16(v)) : w.setMaxWeightBps(field / 2, uint16(v));
    }

    function boundsWordSetMany(BoundsWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (BoundsWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = boundsWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function boundsWordSetBounds(BoundsWord w, uint256 k, uint16 min, uint16 max) external pure returns (BoundsWord) {
        return w.setBounds(k, min, max);
    }

    function packedBpsGet(PackedBps w) external pure returns (uint256[] memory f) {
        f = new uint256[](PackedBpsLibrary.CAPACITY);
        for (uint256 i; i < f.length; ++i) {
            f[i] = w.at(i);
        }
    }

    function packedBpsSet(PackedBps w, uint256 field, uint256 v) public pure returns (PackedBps) {
        if (field >= PackedBpsLibrary.CAPACITY) revert UnknownField(field);
        return w.setAt(field, uint16(v));
    }

    function packedBpsSetMany(PackedBps w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (PackedBps)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = packedBpsSet(w, fields[i], values[i]);
        }
        return w;
    }

    function packedBpsPack(uint16[] memory values) external pure returns (PackedBps) {
        return PackedBpsLibrary.pack(values);
    }

    function packedBpsUnpack(PackedBps w, uint256 count) external pure returns (uint16[] memory) {
        return w.unpack(count);
    }

    function _bit(bool flag) private pure returns (uint256) {
        return flag ? 1 : 0;
    }
}
