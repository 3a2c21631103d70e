// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IRiskEngine, AssetRisk, RiskLimits} from "../../interfaces/IRiskEngine.sol";
import {IRiskLens} from "../../interfaces/IRiskLens.sol";
import {RiskMath} from "../libraries/RiskMath.sol";
import {RiskLayout, Portfolio} from "./RiskLayout.sol";
import {
    RiskHeaderWord,
    ModelWord,
    RiskBoundsWord,
    ClassCapsWord,
    AssetParams,
    AssetParamsLibrary
} from "../types/RiskWords.sol";

/// @title RiskLens
/// @notice The RiskEngine's read-only periphery (see IRiskLens).
contract RiskLens is IRiskLens {
    /// @inheritdoc IRiskLens
    function modelInputsOf(IRiskEngine engine, address portfolio)
        external
        view
        returns (uint32[] memory volsPpm, int16[] memory correlations, uint32 esMultiplierPpm, int16[] memory stressBps)
    {
        Portfolio storage p = RiskLayout.at(portfolio);
        (uint256 n, ModelWord m) = _counts(engine, p);
        uint256 scenarios = m.scenarioCount();
        uint256[] memory volWords = _read(engine, RiskLayout.volsSlot(p), RiskLayout.volWordCount(n));
        uint256[] memory correlationWords =
            _read(engine, RiskLayout.correlationsSlot(p), n == 0 ? 0 : RiskLayout.correlationWordCount(n));
        uint256[] memory stressWords = _read(engine, RiskLayout.stressSlot(p), RiskLayout.stressWordCount(n, scenarios));
        volsPpm = new uint32[](n);
        correlations = new int16[](n == 0 ? 0 : n * (n - 1) / 2);
        stressBps = new int16[](scenarios * n);
        // Bounded: n <= MAX_ASSETS (16), pairs <= 120, shocks <= MAX_SCENARIOS * MAX_ASSETS.
        for (uint256 i; i < n; ++i) {
            volsPpm[i] = uint32(RiskLayout.element(volWords, i, 32));
        }
        for (uint256 k; k < correlations.length; ++k) {
            correlations[k] = int16(uint16(RiskLayout.element(correlationWords, k, 16)));
        }
        for (uint256 k; k < stressBps.length; ++k) {
            stressBps[k] = int16(uint16(RiskLayout.element(stressWords, k, 16)));
        }
        esMultiplierPpm = m.esMultiplierPpm();
    }

    /// @inheritdoc IRiskLens
    function limitsOf(IRiskEngine engine, address portfolio)
        external
        view
        returns (RiskLimits memory limits, AssetRisk[] memory assets)
    {
        Portfolio storage p = RiskLayout.at(portfolio);
        bytes32[] memory slots = new bytes32[](3);
        slots[0] = bytes32(RiskLayout.wordSlot(p, RiskLayout.HEADER_WORD));
        slots[1] = bytes32(RiskLayout.wordSlot(p, RiskLayout.BOUNDS_WORD));
        slots[2] = bytes32(RiskLayout.wordSlot(p, RiskLayout.CLASS_CAPS_WORD));
        bytes32[] memory words = engine.extSloads(slots);
        RiskHeaderWord header = RiskHeaderWord.wrap(uint256(words[0]));
        limits =
            RiskLayout.limits(header, RiskBoundsWord.wrap(uint256(words[1])), ClassCapsWord.wrap(uint256(words[2])));
        uint256 n = header.assetCount();
        uint256[] memory paramWords = _read(engine, RiskLayout.assetParamsSlot(p), RiskLayout.paramWordCount(n));
        assets = new AssetRisk[](n);
        // Bounded: n <= MAX_ASSETS (16).
        for (uint256 i; i < n; ++i) {
            AssetParams a = AssetParamsLibrary.at(paramWords, i);
            assets[i] = AssetRisk(a.maxWeightBps(), a.assetClass(), a.liquid());
        }
    }

    /// @inheritdoc IRiskLens
    function portfolioRisk(IRiskEngine engine, address portfolio, uint256[] calldata holdings)
        external
        view
        returns (uint256 var95Wad, uint256 var99Wad, uint256 esWad)
    {
        Portfolio storage p = RiskLayout.at(portfolio);
        (uint256 n, ModelWord m) = _counts(engine, p);
        if (n == 0) revert IRiskEngine.PortfolioNotConfigured(portfolio);
        if (holdings.length != n) revert IRiskEngine.HoldingsLengthMismatch(n, holdings.length);
        (uint256[] memory values, uint256 nav, uint256 tooLarge) = RiskMath.positionValues(
            holdings,
            _read(engine, RiskLayout.assetParamsSlot(p), RiskLayout.paramWordCount(n)),
            _read(engine, RiskLayout.pricesSlot(p), RiskLayout.priceWordCount(n))
        );
        if (tooLarge != 0) revert IRiskEngine.PositionTooLarge(portfolio, tooLarge - 1, holdings[tooLarge - 1]);
        if (nav >= RiskMath.MAX_VALUE) revert IRiskEngine.PositionTooLarge(portfolio, n, nav);
        if (nav == 0) return (0, 0, 0);
        (, uint256 sigma) = RiskMath.sigma(
            values,
            _read(engine, RiskLayout.volsSlot(p), RiskLayout.volWordCount(n)),
            _read(engine, RiskLayout.correlationsSlot(p), RiskLayout.correlationWordCount(n))
        );
        var95Wad = Math.mulDiv(sigma * RiskMath.Z95_PPM, 1e18, nav * RiskMath.PPM);
        var99Wad = Math.mulDiv(sigma * RiskMath.Z99_PPM, 1e18, nav * RiskMath.PPM);
        esWad = Math.mulDiv(sigma * m.esMultiplierPpm(), 1e18, nav * RiskMath.PPM);
    }

    /// @dev The portfolio's asset count (header word) and its model header word.
    function _counts(IRiskEngine engine, Portfolio storage p) internal view returns (uint256 n, ModelWord m) {
        bytes32[] memory slots = new bytes32[](2);
        slots[0] = bytes32(RiskLayout.wordSlot(p, RiskLayout.HEADER_WORD));
        slots[1] = bytes32(RiskLayout.wordSlot(p, RiskLayout.MODEL_WORD));
        bytes32[] memory words = engine.extSloads(slots);
        return (RiskHeaderWord.wrap(uint256(words[0])).assetCount(), ModelWord.wrap(uint256(words[1])));
    }

    /// @dev `count` consecutive words of the engine's storage from `first` (count <= 8).
    function _read(IRiskEngine engine, uint256 first, uint256 count) internal view returns (uint256[] memory out) {
        bytes32[] memory slots = new bytes32[](count);
        // Bounded: count <= 8 (120 correlations span 8 words).
        for (uint256 k; k < count; ++k) {
            slots[k] = bytes32(first + k);
        }
        bytes32[] memory words = count == 0 ? slots : engine.extSloads(slots);
        // Same length and layout: bytes32[] read as uint256[].
        assembly ("memory-safe") {
            out := words
        }
    }
}
