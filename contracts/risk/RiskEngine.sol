// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {
    IRiskEngine,
    IRiskManagedPortfolio,
    AssetRisk,
    ModelRule,
    ModelUpdate,
    RiskCheck,
    RiskConfigRule,
    RiskLimit,
    RiskLimits,
    RiskMetrics
} from "../../interfaces/IRiskEngine.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {RiskMath} from "../libraries/RiskMath.sol";
import {RiskUpdateRules} from "./RiskUpdateRules.sol";
import {ExtSloads} from "../libraries/ExtSloads.sol";
import {RiskLayout, Portfolio} from "./RiskLayout.sol";
import {
    RiskHeaderWord,
    ModelWord,
    ModelWordLibrary,
    RiskBoundsWord,
    ClassCapsWord,
    ClassCapsWordLibrary,
    AssetParams,
    AssetParamsLibrary,
    ASSET_MAX_WEIGHT_BPS_MASK,
    ASSET_CLASS_OFFSET,
    ASSET_LIQUID_OFFSET
} from "../types/RiskWords.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title RiskEngine
/// @notice Per-portfolio risk limits checked on the state after every trade (see IRiskEngine).
contract RiskEngine is IRiskEngine, AuthorityInit, ExtSloads {
    /// @notice Assets per portfolio (bounds every loop over assets; 120 correlation pairs).
    uint256 public constant MAX_ASSETS = 16;
    /// @notice Stress scenarios per model update.
    uint256 public constant MAX_SCENARIOS = 4;
    uint256 public constant MAX_CLASSES = 8;
    /// @notice Largest daily volatility accepted from the keeper (100%).
    uint256 public constant MAX_VOL_PPM = 1_000_000;
    uint256 internal constant MAX_DECIMALS = 36;

    /// @dev Everything one check computes for one set of holdings (and the asset parameter words,
    /// read once per check).
    struct State {
        uint256[] paramWords;
        uint256[] values;
        uint256 nav;
        uint256 sigma;
        bool modelValid;
    }

    IOracleRouter public immutable oracle;
    /// @dev At RiskLayout.PORTFOLIOS_SLOT (checked at construction), where the lens computes it.
    mapping(address portfolio => Portfolio) private _portfolios;

    /// @dev The implementation (immutables only): the engine runs behind a GovernedProxy, whose
    /// constructor sets its authority (`initialize`, AuthorityInit); the slot checked here is the
    /// proxy's too (the same layout).
    constructor(IOracleRouter oracle_) {
        if (address(oracle_) == address(0)) revert InvalidRiskConfig(address(0), RiskConfigRule.ZeroOracle, 0);
        oracle = oracle_;
        uint256 slot;
        assembly ("memory-safe") {
            slot := _portfolios.slot
        }
        if (slot != RiskLayout.PORTFOLIOS_SLOT) {
            revert InvalidRiskConfig(address(0), RiskConfigRule.StorageLayout, slot);
        }
    }

    // ================================================================ governance

    /// @inheritdoc IRiskEngine
    function configure(address portfolio, AssetRisk[] calldata assets, RiskLimits calldata limits) external restricted {
        address[] memory tokens = IRiskManagedPortfolio(portfolio).assets();
        uint256 n = tokens.length;
        if (n == 0 || n > MAX_ASSETS) revert InvalidRiskConfig(portfolio, RiskConfigRule.AssetCount, n);
        if (assets.length != n) revert HoldingsLengthMismatch(n, assets.length);
        RiskUpdateRules.validateLimits(portfolio, limits);
        Portfolio storage p = _portfolios[portfolio];
        RiskLimits memory previous = RiskLayout.limits(p.header, p.bounds, p.classCaps);
        bytes32 assetsHash = keccak256(abi.encode(tokens));
        if (p.assetsHash != assetsHash) {
            // New asset list: published model data and prices no longer line up; keep the update id.
            p.model = ModelWord.wrap(0).setUpdateId(p.model.updateId());
            delete p.pricesNano;
            p.header = p.header.setPricedMask(0);
            p.assetsHash = assetsHash;
        }
        // Bounded: n <= MAX_ASSETS.
        for (uint256 i; i < n; ++i) {
            AssetRisk calldata a = assets[i];
            if (a.maxWeightBps == 0 || a.maxWeightBps > BPS) {
                revert InvalidRiskConfig(portfolio, RiskConfigRule.MaxWeightBps, a.maxWeightBps);
            }
            if (a.assetClass >= MAX_CLASSES) {
                revert InvalidRiskConfig(portfolio, RiskConfigRule.AssetClass, a.assetClass);
            }
            uint256 decimals = IERC20Metadata(tokens[i]).decimals();
            if (decimals > MAX_DECIMALS) revert InvalidRiskConfig(portfolio, RiskConfigRule.Decimals, decimals);
            p.assetParams[i] = AssetParamsLibrary.pack(a.maxWeightBps, a.assetClass, a.liquid, decimals);
        }
        p.header = p.header.setMinLiquidBps(limits.minLiquidBps).setMaxVar95Bps(limits.maxVar95Bps)
            .setMaxVar99Bps(limits.maxVar99Bps).setMaxEsBps(limits.maxEsBps)
            .setMaxStressLossBps(limits.maxStressLossBps).setMaxDrawdownBps(limits.maxDrawdownBps)
            .setHardDrawdownBps(limits.hardDrawdownBps).setMaxModelAge(limits.maxModelAge)
            .setMaxPriceAge(limits.maxPriceAge).setAssetCount(uint8(n));
        p.bounds = p.bounds.setMinUpdateDelay(limits.minUpdateDelay).setMaxVolChangeBps(limits.maxVolChangeBps)
            .setMaxCorrelationChange(limits.maxCorrelationChange).setMaxStressChangeBps(limits.maxStressChangeBps)
            .setBoundWindowHours(limits.boundWindowHours);
        p.classCaps = ClassCapsWordLibrary.pack(limits.maxClassWeightBps);
        emit PortfolioConfigured(portfolio, previous, limits, assets);
    }

    /// @inheritdoc IRiskEngine
    function halt(address subject) external restricted {
        if (subject == address(0)) revert InvalidRiskConfig(address(0), RiskConfigRule.ZeroSubject, 0);
        _halt(subject, RiskLimit.Halted);
    }

    /// @inheritdoc IRiskEngine
    function resume(address portfolio, bool resetHighWaterMark) external restricted {
        Portfolio storage p = _portfolios[portfolio];
        RiskHeaderWord h = p.header;
        if (!h.halted()) revert NotHalted(portfolio);
        h = h.setHalted(false);
        if (resetHighWaterMark) {
            RiskBoundsWord b = p.bounds;
            p.bounds = b.setHighWaterMark(b.lastNavPerShare());
            h = h.setDrawdownBps(0);
        }
        p.header = h;
        emit Resumed(portfolio, msg.sender);
    }

    // ================================================================ keeper

    /// @inheritdoc IRiskEngine
    function publishModel(address portfolio, ModelUpdate calldata update) external restricted {
        Portfolio storage p = _portfolios[portfolio];
        uint256 n = p.header.assetCount();
        if (n == 0) revert PortfolioNotConfigured(portfolio);
        ModelWord m = p.model;
        RiskBoundsWord b = p.bounds;
        RiskUpdateRules.checkSequence(portfolio, update, m, b);
        RiskUpdateRules.checkShapes(portfolio, update, n, MAX_SCENARIOS);
        // RSK-17: a loosening change may use the share of its bound the time since the last model
        // allows; under a window a tightening one is free: any increase but the volatility of an
        // asset with a negative correlation (a hedge). Without a window, every change its bound.
        // The first model (asOf 0: never published, or reset by `configure`) has nothing to
        // compare with: only the absolute ranges apply.
        (uint256 num, uint256 den, bool free) = RiskUpdateRules.changeShare(m, b);
        // Hedges matter under a window only (den is 1 without one, and for the first model).
        uint256 hedges = den == 1 ? 0 : RiskUpdateRules.negativelyCorrelated(update.correlations, n);
        // Stress scenarios are never dropped by the keeper (only governance's `configure` resets
        // the model, to no scenarios): an update without them would switch the stress limit off
        // in one step (RSK-14).
        if (update.stressLossBps.length < uint256(m.scenarioCount()) * n) {
            revert InvalidModelUpdate(portfolio, ModelRule.StressScenariosDropped, update.stressLossBps.length / n);
        }
        // Bounded: n <= MAX_ASSETS, pairs <= 120, shocks <= MAX_SCENARIOS * n.
        for (uint256 i; i < n; ++i) {
            uint32 vol = update.volsPpm[i];
            if (vol == 0 || vol > MAX_VOL_PPM) revert InvalidModelUpdate(portfolio, ModelRule.Vol, i);
            RiskUpdateRules.requireChange(
                portfolio,
                i,
                int256(uint256(p.volsPpm[i])),
                int256(uint256(vol)),
                b.maxVolChangeBps(),
                true,
                num,
                den,
                free && (hedges >> i) & 1 == 0
            );
            p.volsPpm[i] = vol;
        }
        for (uint256 k; k < update.correlations.length; ++k) {
            int16 rho = update.correlations[k];
            if (rho > 10_000 || rho < -10_000) revert InvalidModelUpdate(portfolio, ModelRule.Correlation, k);
            RiskUpdateRules.requireChange(
                portfolio, k, p.correlations[k], rho, b.maxCorrelationChange(), false, num, den, free
            );
            p.correlations[k] = rho;
        }
        RiskUpdateRules.requireCorrelationMatrix(portfolio, update.correlations, n);
        for (uint256 k; k < update.stressLossBps.length; ++k) {
            int16 shock = update.stressLossBps[k];
            if (shock > 10_000 || shock < -10_000) revert InvalidModelUpdate(portfolio, ModelRule.Stress, k);
            // Bounded are the shocks the model had; new scenarios are free.
            if (k < uint256(m.scenarioCount()) * n) {
                RiskUpdateRules.requireChange(
                    portfolio, k, p.stressBps[k], shock, b.maxStressChangeBps(), false, num, den, free
                );
            }
            p.stressBps[k] = shock;
        }
        RiskUpdateRules.requireChange(
            portfolio,
            n,
            int256(uint256(m.esMultiplierPpm())),
            int256(uint256(update.esMultiplierPpm)),
            b.maxVolChangeBps(),
            true,
            num,
            den,
            free
        );
        p.model = ModelWordLibrary.pack(
            update.updateId,
            update.asOf,
            uint40(block.timestamp),
            m.syncedAt(),
            update.esMultiplierPpm,
            uint8(update.stressLossBps.length / n)
        );
        p.metrics = update.metrics;
        emit ModelPublished(portfolio, update.updateId, update.asOf, update.metrics);
    }

    /// @inheritdoc IRiskEngine
    function sync(address portfolio) external returns (bool halted) {
        Portfolio storage p = _portfolios[portfolio];
        RiskHeaderWord h = p.header;
        uint256 n = h.assetCount();
        if (n == 0) revert PortfolioNotConfigured(portfolio);
        address[] memory tokens = IRiskManagedPortfolio(portfolio).assets();
        uint256[] memory held = IRiskManagedPortfolio(portfolio).holdings();
        if (tokens.length != n || held.length != n) revert HoldingsLengthMismatch(n, tokens.length);
        uint256 supply = IERC20(portfolio).totalSupply();
        uint16 pricedMask;
        uint256 nav;
        bool navComplete = true;
        bool measurable = true;
        // Bounded: n <= MAX_ASSETS.
        for (uint256 i; i < n; ++i) {
            (, uint256 price18,) = oracle.priceOf(tokens[i]);
            uint256 priceNano = price18 / RiskMath.PRICE_SCALE;
            if (priceNano != 0 && priceNano <= type(uint64).max) {
                pricedMask |= uint16(1 << i);
                p.pricesNano[i] = uint64(priceNano);
                // By value, never by units (SEC-52): a holding is measured while worth < MAX_VALUE.
                (bool fits, uint256 value) = RiskMath.valueOf(held[i], priceNano, p.assetParams[i].decimals());
                nav += value;
                if (!fits) measurable = false;
            } else if (held[i] != 0) {
                navComplete = false; // Keep the last good price; the check refuses new risk in it.
            }
        }
        RiskBoundsWord b = p.bounds;
        uint16 drawdownBps = h.drawdownBps();
        bool wasHalted = h.halted();
        // A holding (or NAV) worth MAX_VALUE or more cannot be measured: the portfolio halts rather
        // than `sync` revert, so investors leave without the check that cannot run (SEC-52).
        if (!measurable || nav >= RiskMath.MAX_VALUE) {
            navComplete = false;
            if (!wasHalted) {
                _halt(portfolio, RiskLimit.InvalidModel);
                wasHalted = true;
            }
        }
        if (navComplete && supply != 0) {
            // USD (1e18) per whole share: 80 bits hold 1.2 million USD a share. Beyond that the
            // drawdown cannot be measured, and the portfolio halts rather than go unwatched.
            uint256 navPerShare = nav * 10 ** IERC20Metadata(portfolio).decimals() / supply;
            if (navPerShare > type(uint80).max) {
                navPerShare = type(uint80).max;
                if (!wasHalted) {
                    _halt(portfolio, RiskLimit.InvalidModel);
                    wasHalted = true;
                }
            }
            uint256 highWaterMark = b.highWaterMark();
            if (navPerShare > highWaterMark) highWaterMark = navPerShare;
            drawdownBps = uint16((highWaterMark - navPerShare) * BPS / highWaterMark);
            b = b.setHighWaterMark(uint80(highWaterMark)).setLastNavPerShare(uint80(navPerShare));
            // The two fields sync owns, on the word as stored now (the decimals call came between).
            p.bounds = p.bounds.setHighWaterMark(uint80(highWaterMark)).setLastNavPerShare(uint80(navPerShare));
        }
        p.model = p.model.setSyncedAt(uint40(block.timestamp));
        // The two header fields sync owns, on the word as stored now (with a halt above, if any).
        p.header = p.header.setPricedMask(pricedMask).setDrawdownBps(drawdownBps);
        emit Synced(portfolio, b.lastNavPerShare(), b.highWaterMark(), drawdownBps, pricedMask);
        if (!wasHalted) {
            if (pricedMask == 0) {
                _halt(portfolio, RiskLimit.StalePrices);
            } else if (h.hardDrawdownBps() != 0 && drawdownBps >= h.hardDrawdownBps()) {
                _halt(portfolio, RiskLimit.Drawdown);
            }
        }
        return p.header.halted();
    }

    // ================================================================ checks

    /// @inheritdoc IRiskEngine
    function enforce(uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter) external view {
        _enforce(holdingsBefore, holdingsAfter);
    }

    /// @inheritdoc IRiskEngine
    function enforceExit(uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter) external view {
        RiskHeaderWord h = _portfolios[msg.sender].header;
        // Investors always leave a halted portfolio; one without a configuration of its current
        // asset list (none, or an asset listed since) cannot be checked (SEC-59).
        if (h.halted() || h.assetCount() != holdingsAfter.length) return;
        _enforce(holdingsBefore, holdingsAfter);
    }

    /// @inheritdoc IRiskEngine
    function check(address portfolio, uint256[] calldata holdingsBefore, uint256[] calldata holdingsAfter)
        external
        view
        returns (RiskCheck memory)
    {
        return _check(portfolio, holdingsBefore, holdingsAfter);
    }

    // ================================================================ views

    /// @inheritdoc IRiskEngine
    function priceSnapshot(address portfolio)
        external
        view
        returns (uint256 syncedAt, uint256 pricedMask, uint256[] memory prices18)
    {
        Portfolio storage p = _portfolios[portfolio];
        uint256 n = p.header.assetCount();
        prices18 = new uint256[](n);
        // Bounded: n <= MAX_ASSETS. No overflow: a uint64 price times 1e9.
        for (uint256 i; i < n; ++i) {
            prices18[i] = uint256(p.pricesNano[i]) * RiskMath.PRICE_SCALE;
        }
        return (p.model.syncedAt(), p.header.pricedMask(), prices18);
    }

    /// @inheritdoc IRiskEngine
    function isHalted(address subject) external view returns (bool) {
        return _portfolios[subject].header.halted();
    }

    /// @inheritdoc IRiskEngine
    function metricsOf(address portfolio)
        external
        view
        returns (RiskMetrics memory metrics, uint64 updateId, uint40 asOf, uint40 publishedAt)
    {
        Portfolio storage p = _portfolios[portfolio];
        ModelWord m = p.model;
        return (p.metrics, m.updateId(), m.asOf(), m.publishedAt());
    }

    // ================================================================ internal

    function _enforce(uint256[] calldata before, uint256[] calldata afterTrade) internal view {
        RiskCheck memory result = _check(msg.sender, before, afterTrade);
        if (!result.ok) {
            revert RiskLimitBreached(msg.sender, result.limit, result.subject, result.value, result.bound);
        }
    }

    /// @dev The single check behind `enforce` and `check`: gates, then limits on the post-trade
    /// state, in the order of `RiskLimit`; a failing trade still passes when it reduces risk.
    function _check(address portfolio, uint256[] calldata before, uint256[] calldata afterTrade)
        internal
        view
        returns (RiskCheck memory r)
    {
        Portfolio storage p = _portfolios[portfolio];
        RiskHeaderWord h = p.header;
        uint256 n = h.assetCount();
        if (n == 0) revert PortfolioNotConfigured(portfolio);
        if (before.length != n) revert HoldingsLengthMismatch(n, before.length);
        if (afterTrade.length != n) revert HoldingsLengthMismatch(n, afterTrade.length);
        ModelWord m = p.model;
        State memory s = _state(portfolio, p, afterTrade, n);
        r = _gates(h, m, afterTrade, n);
        // Past the gates every held asset is priced, so a zero NAV means nothing is left at risk.
        if (r.limit == RiskLimit.None && s.nav != 0) r = _limits(p, h, m, s, n);
        if (r.limit == RiskLimit.None) {
            r.ok = true;
            return r;
        }
        r.riskReducing = _reducesRisk(portfolio, p, before, afterTrade, s, n);
        r.ok = r.riskReducing;
    }

    function _gates(RiskHeaderWord h, ModelWord m, uint256[] calldata held, uint256 n)
        internal
        view
        returns (RiskCheck memory r)
    {
        if (h.halted()) return _fail(RiskLimit.Halted, 0, 0, 0);
        uint256 modelAge = block.timestamp - m.asOf();
        if (m.asOf() == 0 || modelAge > h.maxModelAge()) {
            return _fail(RiskLimit.StaleModel, 0, modelAge, h.maxModelAge());
        }
        uint256 priceAge = block.timestamp - m.syncedAt();
        if (m.syncedAt() == 0 || priceAge > h.maxPriceAge()) {
            return _fail(RiskLimit.StalePrices, 0, priceAge, h.maxPriceAge());
        }
        uint256 pricedMask = h.pricedMask();
        // Bounded: n <= MAX_ASSETS.
        for (uint256 i; i < n; ++i) {
            if (held[i] != 0 && (pricedMask >> i) & 1 == 0) return _fail(RiskLimit.UnpricedAsset, i, 0, 0);
        }
    }

    function _limits(Portfolio storage p, RiskHeaderWord h, ModelWord m, State memory s, uint256 n)
        internal
        view
        returns (RiskCheck memory)
    {
        uint256 nav = s.nav;
        uint256[MAX_CLASSES] memory classValue;
        uint256 liquidValue;
        uint256 breach; // 1 + index of the first asset above its weight cap (0: none)
        uint256 breachWeight;
        uint256[] memory values = s.values;
        uint256[] memory paramWords = s.paramWords;
        // Per asset: weight (bps, rounded up) against its cap; class and liquid sums. The loop reads
        // `AssetParams` in place (32-bit elements, eight to a word) by its layout's constants; the
        // class is masked to an index below MAX_CLASSES (8), which `configure` checks it is.
        // Bounded: n <= MAX_ASSETS. No overflow: values < 2**100 and they sum to nav < 2**100 (> 0).
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let param := shr(shl(5, and(i, 7)), mload(add(add(paramWords, 0x20), shl(5, shr(3, i)))))
                let value := mload(add(add(values, 0x20), shl(5, i)))
                let weight := div(add(mul(value, BPS), sub(nav, 1)), nav)
                if gt(weight, and(param, ASSET_MAX_WEIGHT_BPS_MASK)) {
                    breach := add(i, 1)
                    breachWeight := weight
                    break
                }
                let classSlot := add(classValue, shl(5, and(shr(ASSET_CLASS_OFFSET, param), 7)))
                mstore(classSlot, add(mload(classSlot), value))
                if and(shr(ASSET_LIQUID_OFFSET, param), 1) { liquidValue := add(liquidValue, value) }
            }
        }
        if (breach != 0) {
            uint256 cap = AssetParamsLibrary.at(paramWords, breach - 1).maxWeightBps();
            return _fail(RiskLimit.AssetConcentration, breach - 1, breachWeight, cap);
        }
        ClassCapsWord caps = p.classCaps;
        for (uint256 c; c < MAX_CLASSES; ++c) {
            uint256 weight = RiskMath.toBps(classValue[c], nav);
            uint256 cap = caps.cap(c);
            if (cap != 0 && weight > cap) return _fail(RiskLimit.ClassConcentration, c, weight, cap);
        }
        uint256 liquidBps = liquidValue * BPS / nav; // Rounded down: never overstated.
        if (liquidBps < h.minLiquidBps()) return _fail(RiskLimit.MinLiquidity, 0, liquidBps, h.minLiquidBps());
        if (!s.modelValid) return _fail(RiskLimit.InvalidModel, 0, 0, 0);
        uint256 var95 = RiskMath.scaledBps(s.sigma, RiskMath.Z95_PPM, nav);
        if (var95 > h.maxVar95Bps()) return _fail(RiskLimit.Var95, 0, var95, h.maxVar95Bps());
        uint256 var99 = RiskMath.scaledBps(s.sigma, RiskMath.Z99_PPM, nav);
        if (var99 > h.maxVar99Bps()) return _fail(RiskLimit.Var99, 0, var99, h.maxVar99Bps());
        uint256 es = RiskMath.scaledBps(s.sigma, m.esMultiplierPpm(), nav);
        if (es > h.maxEsBps()) return _fail(RiskLimit.ExpectedShortfall, 0, es, h.maxEsBps());
        uint256 scenarios = m.scenarioCount();
        if (scenarios != 0) {
            uint256[] memory shockWords = _words(RiskLayout.stressSlot(p), RiskLayout.stressWordCount(n, scenarios));
            (uint256 loss, uint256 scenario) = RiskMath.worstStress(s.values, shockWords, scenarios, nav);
            if (loss > h.maxStressLossBps()) return _fail(RiskLimit.StressLoss, scenario, loss, h.maxStressLossBps());
        }
        if (h.drawdownBps() > h.maxDrawdownBps()) {
            return _fail(RiskLimit.Drawdown, 0, h.drawdownBps(), h.maxDrawdownBps());
        }
        return _fail(RiskLimit.None, 0, 0, 0);
    }

    /// @dev No non-liquid position grows, and 99% VaR as a share of NAV does not grow.
    function _reducesRisk(
        address portfolio,
        Portfolio storage p,
        uint256[] calldata before,
        uint256[] calldata afterTrade,
        State memory post,
        uint256 n
    ) internal view returns (bool) {
        // Bounded: n <= MAX_ASSETS.
        for (uint256 i; i < n; ++i) {
            if (!AssetParamsLibrary.at(post.paramWords, i).liquid() && afterTrade[i] > before[i]) return false;
        }
        State memory pre = _state(portfolio, p, before, n);
        if (!post.modelValid || !pre.modelValid) return true; // Only the position test is meaningful.
        // sigma_post / nav_post <= sigma_pre / nav_pre, cross-multiplied (values < 2**100).
        return post.sigma * pre.nav <= pre.sigma * post.nav;
    }

    /// @dev Position values at the snapshot prices, NAV and portfolio sigma for `held`.
    function _state(address portfolio, Portfolio storage p, uint256[] calldata held, uint256 n)
        internal
        view
        returns (State memory s)
    {
        s.paramWords = _words(RiskLayout.assetParamsSlot(p), RiskLayout.paramWordCount(n));
        uint256[] memory priceWords = _words(RiskLayout.pricesSlot(p), RiskLayout.priceWordCount(n));
        (uint256[] memory values, uint256 nav, uint256 tooLarge) =
            RiskMath.positionValues(held, s.paramWords, priceWords);
        if (tooLarge != 0) revert PositionTooLarge(portfolio, tooLarge - 1, held[tooLarge - 1]);
        if (nav >= RiskMath.MAX_VALUE) revert PositionTooLarge(portfolio, n, nav);
        s.values = values;
        s.nav = nav;
        uint256[] memory volWords = _words(RiskLayout.volsSlot(p), RiskLayout.volWordCount(n));
        uint256[] memory correlationWords = _words(RiskLayout.correlationsSlot(p), RiskLayout.correlationWordCount(n));
        (s.modelValid, s.sigma) = RiskMath.sigma(s.values, volWords, correlationWords);
    }

    function _fail(RiskLimit limit, uint256 subject, uint256 value, uint256 bound)
        internal
        pure
        returns (RiskCheck memory)
    {
        // No truncation: subjects are asset indexes (< 16), classes (< 8) or scenarios (< 4).
        return RiskCheck(false, limit, uint8(subject), value, bound, false);
    }

    /// @dev Any subject: a configured portfolio, or another contract's subject that reads
    /// `isHalted` (the prime broker's book and accounts). `sync` reaches it only for a configured one.
    function _halt(address subject, RiskLimit reason) internal {
        Portfolio storage p = _portfolios[subject];
        p.header = p.header.setHalted(true);
        emit Halted(subject, msg.sender, reason);
    }

    // ---------------------------------------------------------------- packed storage reads
    // Static arrays pack elements from the low bits of consecutive slots; a check reads each
    // slot once instead of once per element, and decodes elements from the words.

    /// @dev `count` consecutive storage words from `base` (count <= 8: the largest packed array,
    /// 120 correlations, spans 8 words).
    function _words(uint256 base, uint256 count) internal view returns (uint256[] memory out) {
        out = new uint256[](count);
        // Bounded: count <= 8.
        for (uint256 k; k < count; ++k) {
            uint256 slot = base + k;
            uint256 word;
            assembly ("memory-safe") {
                word := sload(slot)
            }
            out[k] = word;
        }
    }
}
