// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {
    RiskHeaderWord,
    ModelWord,
    ModelWordLibrary,
    RiskBoundsWord,
    ClassCapsWord,
    ClassCapsWordLibrary,
    AssetParams,
    AssetParamsLibrary
} from "../types/RiskWords.sol";
import {AccountWord, CoreWord, CoreWordLibrary} from "../types/TokenWords.sol";
import {VenueWord, VenueWordLibrary, SettingsWord} from "../types/AggregatorWords.sol";

/// @title WordHarness2
/// @notice Test-only: `WordHarness` for the risk engine's, the security token's and the liquidity
/// aggregator's words (one harness for every word type would pass the contract size budget).
/// Never deployed by `scripts/deploy.py`.
/// @dev As `WordHarness`: for each word type every getter in layout order (`<word>Get`, flags as
/// 0 or 1), one setter by field index (`<word>Set`, the value cast to the setter's parameter type:
/// tests pass values that fit the field), a list of setters applied in the order given
/// (`<word>SetMany`), and the multi-field setters the contracts use.
contract WordHarness2 {
    /// @notice A packed word has no field with this index.
    error UnknownField(uint256 field);

    // ---------------------------------------------------------------- RiskWords

    function riskHeaderWordGet(RiskHeaderWord h) external pure returns (uint256[] memory f) {
        f = new uint256[](13);
        (f[0], f[1], f[2], f[3], f[4]) =
        (h.minLiquidBps(), h.maxVar95Bps(), h.maxVar99Bps(), h.maxEsBps(), h.maxStressLossBps());
        (f[5], f[6], f[7], f[8]) = (h.maxDrawdownBps(), h.hardDrawdownBps(), h.maxModelAge(), h.maxPriceAge());
        (f[9], f[10], f[11], f[12]) = (h.assetCount(), _bit(h.halted()), h.drawdownBps(), h.pricedMask());
    }

    function riskHeaderWordSet(RiskHeaderWord h, uint256 field, uint256 v) public pure returns (RiskHeaderWord) {
        if (field == 0) return h.setMinLiquidBps(uint16(v));
        if (field == 1) return h.setMaxVar95Bps(uint16(v));
        if (field == 2) return h.setMaxVar99Bps(uint16(v));
        if (field == 3) return h.setMaxEsBps(uint16(v));
        if (field == 4) return h.setMaxStressLossBps(uint16(v));
        if (field == 5) return h.setMaxDrawdownBps(uint16(v));
        if (field == 6) return h.setHardDrawdownBps(uint16(v));
        if (field == 7) return h.setMaxModelAge(uint32(v));
        if (field == 8) return h.setMaxPriceAge(uint32(v));
        if (field == 9) return h.setAssetCount(uint8(v));
        if (field == 10) return h.setHalted(v != 0);
        if (field == 11) return h.setDrawdownBps(uint16(v));
        if (field == 12) return h.setPricedMask(uint16(v));
        revert UnknownField(field);
    }

    function riskHeaderWordSetMany(RiskHeaderWord h, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (RiskHeaderWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            h = riskHeaderWordSet(h, fields[i], values[i]);
        }
        return h;
    }

    function modelWordGet(ModelWord m) external pure returns (uint256[] memory f) {
        f = new uint256[](6);
        (f[0], f[1], f[2]) = (m.updateId(), m.asOf(), m.publishedAt());
        (f[3], f[4], f[5]) = (m.syncedAt(), m.esMultiplierPpm(), m.scenarioCount());
    }

    function modelWordSet(ModelWord m, uint256 field, uint256 v) public pure returns (ModelWord) {
        if (field == 0) return m.setUpdateId(uint64(v));
        if (field == 1) return m.setAsOf(uint40(v));
        if (field == 2) return m.setPublishedAt(uint40(v));
        if (field == 3) return m.setSyncedAt(uint40(v));
        if (field == 4) return m.setEsMultiplierPpm(uint32(v));
        if (field == 5) return m.setScenarioCount(uint8(v));
        revert UnknownField(field);
    }

    function modelWordSetMany(ModelWord m, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (ModelWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            m = modelWordSet(m, fields[i], values[i]);
        }
        return m;
    }

    function modelWordPack(
        uint64 updateId,
        uint40 asOf,
        uint40 publishedAt,
        uint40 syncedAt,
        uint32 esMultiplierPpm,
        uint8 scenarioCount
    ) external pure returns (ModelWord) {
        return ModelWordLibrary.pack(updateId, asOf, publishedAt, syncedAt, esMultiplierPpm, scenarioCount);
    }

    function riskBoundsWordGet(RiskBoundsWord b) external pure returns (uint256[] memory f) {
        f = new uint256[](7);
        (f[0], f[1], f[2], f[3]) =
        (b.minUpdateDelay(), b.maxVolChangeBps(), b.maxCorrelationChange(), b.maxStressChangeBps());
        (f[4], f[5], f[6]) = (b.boundWindowHours(), b.highWaterMark(), b.lastNavPerShare());
    }

    function riskBoundsWordSet(RiskBoundsWord b, uint256 field, uint256 v) public pure returns (RiskBoundsWord) {
        if (field == 0) return b.setMinUpdateDelay(uint32(v));
        if (field == 1) return b.setMaxVolChangeBps(uint16(v));
        if (field == 2) return b.setMaxCorrelationChange(uint16(v));
        if (field == 3) return b.setMaxStressChangeBps(uint16(v));
        if (field == 4) return b.setBoundWindowHours(uint16(v));
        if (field == 5) return b.setHighWaterMark(uint80(v));
        if (field == 6) return b.setLastNavPerShare(uint80(v));
        revert UnknownField(field);
    }

    function riskBoundsWordSetMany(RiskBoundsWord b, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (RiskBoundsWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            b = riskBoundsWordSet(b, fields[i], values[i]);
        }
        return b;
    }

    function classCapsWordGet(ClassCapsWord w) external pure returns (uint256[] memory f) {
        f = new uint256[](ClassCapsWordLibrary.CLASSES);
        for (uint256 c; c < f.length; ++c) {
            f[c] = w.cap(c);
        }
    }

    function classCapsWordSet(ClassCapsWord w, uint256 field, uint256 v) public pure returns (ClassCapsWord) {
        if (field >= ClassCapsWordLibrary.CLASSES) revert UnknownField(field);
        return w.setCap(field, uint16(v));
    }

    function classCapsWordSetMany(ClassCapsWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (ClassCapsWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = classCapsWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function classCapsWordPack(uint16[8] memory caps) external pure returns (ClassCapsWord) {
        return ClassCapsWordLibrary.pack(caps);
    }

    function classCapsWordUnpack(ClassCapsWord w) external pure returns (uint16[8] memory) {
        return w.unpack();
    }

    function assetParamsGet(AssetParams a) external pure returns (uint256[] memory f) {
        f = new uint256[](4);
        (f[0], f[1], f[2], f[3]) = (a.maxWeightBps(), a.assetClass(), _bit(a.liquid()), a.decimals());
    }

    function assetParamsSet(AssetParams a, uint256 field, uint256 v) public pure returns (AssetParams) {
        if (field == 0) return a.setMaxWeightBps(uint16(v));
        if (field == 1) return a.setAssetClass(uint8(v));
        if (field == 2) return a.setLiquid(v != 0);
        if (field == 3) return a.setDecimals(uint8(v));
        revert UnknownField(field);
    }

    function assetParamsSetMany(AssetParams a, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (AssetParams)
    {
        for (uint256 i; i < fields.length; ++i) {
            a = assetParamsSet(a, fields[i], values[i]);
        }
        return a;
    }

    function assetParamsPack(uint16 maxWeightBps, uint8 assetClass, bool liquid, uint256 decimals)
        external
        pure
        returns (AssetParams)
    {
        return AssetParamsLibrary.pack(maxWeightBps, assetClass, liquid, decimals);
    }

    /// @notice Asset i's parameters from the packed array's words.
    function assetParamsAt(uint256[] memory words, uint256 i) external pure returns (AssetParams) {
        return AssetParamsLibrary.at(words, i);
    }

    // ---------------------------------------------------------------- TokenWords

    function accountWordGet(AccountWord a) external pure returns (uint256[] memory f) {
        f = new uint256[](3);
        (f[0], f[1], f[2]) = (a.balance(), a.frozenTokens(), _bit(a.frozen()));
    }

    function accountWordSet(AccountWord a, uint256 field, uint256 v) public pure returns (AccountWord) {
        if (field == 0) return a.setBalance(uint128(v));
        if (field == 1) return a.setFrozenTokens(uint120(v));
        if (field == 2) return a.setFrozen(v != 0);
        revert UnknownField(field);
    }

    function accountWordSetMany(AccountWord a, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (AccountWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            a = accountWordSet(a, fields[i], values[i]);
        }
        return a;
    }

    function accountWordCredit(AccountWord a, uint256 amount) external pure returns (AccountWord) {
        return a.credit(amount);
    }

    function accountWordDebit(AccountWord a, uint256 amount) external pure returns (AccountWord) {
        return a.debit(amount);
    }

    function coreWordGet(CoreWord c) external pure returns (uint256[] memory f) {
        f = new uint256[](2);
        (f[0], f[1]) = (uint160(address(c.compliance())), _bit(c.paused()));
    }

    function coreWordSet(CoreWord c, uint256 field, uint256 v) public pure returns (CoreWord) {
        if (field == 0) return c.setCompliance(IComplianceEngine(address(uint160(v))));
        if (field == 1) return c.setPaused(v != 0);
        revert UnknownField(field);
    }

    function coreWordSetMany(CoreWord c, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (CoreWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            c = coreWordSet(c, fields[i], values[i]);
        }
        return c;
    }

    function coreWordPack(IComplianceEngine compliance, bool paused) external pure returns (CoreWord) {
        return CoreWordLibrary.pack(compliance, paused);
    }

    // ---------------------------------------------------------------- AggregatorWords

    function venueWordGet(VenueWord v) external pure returns (uint256[] memory f) {
        f = new uint256[](3);
        (f[0], f[1], f[2]) = (v.pauses(), uint8(v.kind()), v.key());
    }

    function venueWordSet(VenueWord w, uint256 field, uint256 v) public pure returns (VenueWord) {
        if (field == 0) return w.setPauses(uint8(v));
        if (field == 1) return w.setKind(IVenueAdapter.NativeKind(v));
        if (field == 2) return w.setKey(v);
        revert UnknownField(field);
    }

    function venueWordSetMany(VenueWord w, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (VenueWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            w = venueWordSet(w, fields[i], values[i]);
        }
        return w;
    }

    function venueWordPack(uint256 key, uint8 pauses, IVenueAdapter.NativeKind kind) external pure returns (VenueWord) {
        return VenueWordLibrary.pack(key, pauses, kind);
    }

    function venueWordPaused(VenueWord v) external pure returns (bool) {
        return v.paused();
    }

    function settingsWordGet(SettingsWord s) external pure returns (uint256[] memory f) {
        f = new uint256[](4);
        (f[0], f[1]) = (uint160(address(s.oracle())), s.maxSlippageCapBps());
        (f[2], f[3]) = (s.revealWindow(), _bit(s.paused()));
    }

    function settingsWordSet(SettingsWord s, uint256 field, uint256 v) public pure returns (SettingsWord) {
        if (field == 0) return s.setOracle(IOracleRouter(address(uint160(v))));
        if (field == 1) return s.setMaxSlippageCapBps(uint16(v));
        if (field == 2) return s.setRevealWindow(uint32(v));
        if (field == 3) return s.setPaused(v != 0);
        revert UnknownField(field);
    }

    function settingsWordSetMany(SettingsWord s, uint256[] calldata fields, uint256[] calldata values)
        external
        pure
        returns (SettingsWord)
    {
        for (uint256 i; i < fields.length; ++i) {
            s = settingsWordSet(s, fields[i], values[i]);
        }
        return s;
    }

    function _bit(bool flag) private pure returns (uint256) {
        return flag ? 1 : 0;
    }
}
