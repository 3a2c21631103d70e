// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {
    IAutoRebalancer, RebalanceIntent, StrategyConfig, RebalancePreview, TradeRoute
} from "../../interfaces/IAutoRebalancer.sol";
import {ILiquidityAggregator, Leg, Hop} from "../../interfaces/ILiquidityAggregator.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IPortfolioVault, TradeParams} from "../../interfaces/IPortfolioVault.sol";
import {IRiskEngine} from "../../interfaces/IRiskEngine.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {PackedBps} from "../libraries/PackedBps.sol";
import {RebalanceIntentLib} from "./RebalanceIntentLib.sol";

/// @title AutoRebalancer
/// @notice Executes signed rebalance intents for PortfolioVaults within their strategies' bounds
/// (see IAutoRebalancer).
contract AutoRebalancer is IAutoRebalancer, AccessManaged, EIP712, ReentrancyGuardTransient {
    using PackedBps for uint256;

    uint256 internal constant BPS = 10_000;
    /// @notice Longest `maxSnapshotAge` a strategy may set (seconds).
    uint256 public constant MAX_SNAPSHOT_AGE = 3_600;
    /// @notice Gas of a rebalance besides its trades, and per trade (through the aggregator, one
    /// venue, plain ERC-20s): `make bench` measures both (benchmarks/README.md); security tokens
    /// add their compliance checks on top.
    uint256 public constant GAS_BASE = 95_000;
    uint256 public constant GAS_PER_TRADE = 85_000;

    /// @dev Three words read by every rebalance, then the packed bounds and targets.
    struct Portfolio {
        // word 0: the strategy's scalar bounds
        uint32 strategyId;
        uint16 driftThresholdBps;
        uint16 maxTradeBps;
        uint16 maxSlippageBps;
        uint8 signerThreshold;
        uint8 assetCount;
        bool paused;
        uint32 cooldown;
        uint32 lossRefillPeriod;
        uint64 maxBaseFee;
        uint16 maxSnapshotAge;
        // word 1: loss budget and what was used of it as of `lastRebalanceAt`
        uint128 lossBudget;
        uint128 lossUsed;
        // word 2: read by every rebalance (the relayer check, then the nonce)
        uint56 nonce;
        uint40 lastRebalanceAt;
        address relayer;
        // packed per-asset words (PackedBps)
        uint256 minWeights;
        uint256 maxWeights;
        uint256 decimals;
        uint256 lastTargets;
    }

    /// @dev A portfolio at oracle prices: what the plan, the drift and the loss are computed on.
    struct Snapshot {
        address[] assets;
        RebalanceMath.Market market;
        uint256[] values;
        uint256 nav;
        /// When the RiskEngine's snapshot the prices come from was taken; 0: live oracle prices.
        uint256 pricesSyncedAt;
    }

    ILiquidityAggregator public immutable aggregator;
    IOracleRouter public immutable oracle;

    mapping(address portfolio => Portfolio) private _portfolios;
    mapping(address portfolio => mapping(address signer => bool)) private _signers;

    constructor(address authority, ILiquidityAggregator aggregator_, IOracleRouter oracle_)
        AccessManaged(authority)
        EIP712("Quantera AutoRebalancer", "1")
    {
        aggregator = aggregator_;
        oracle = oracle_;
    }

    // ================================================================ execution

    /// @inheritdoc IAutoRebalancer
    function rebalance(
        RebalanceIntent calldata intent,
        address[] calldata signers,
        bytes[] calldata signatures,
        TradeRoute[] calldata routes
    ) external nonReentrant returns (uint256 loss) {
        address portfolio = intent.portfolio;
        Portfolio storage p = _portfolios[portfolio];
        address relayer = p.relayer;
        if (relayer != address(0) && msg.sender != relayer) revert RelayerNotAllowed(portfolio, msg.sender, relayer);
        uint16[] memory targets = intent.targetWeightsBps; // copied to memory once
        Snapshot memory s = _snapshot(p, portfolio, targets);
        _revertWith(_stateError(p, intent, targets, _drift(s, targets)));
        RebalanceIntentLib.requireQuorum(
            _hashTypedDataV4(RebalanceIntentLib.structHash(intent)), signers, signatures, _signers[portfolio],
            p.signerThreshold
        );
        RebalanceMath.Trade[] memory trades =
            RebalanceMath.planFrom(s.market, s.values, s.nav, targets, p.maxTradeBps, intent.maxSlippageBps);
        if (trades.length == 0) revert NothingToTrade(portfolio);
        if (routes.length != trades.length) revert RoutesLengthMismatch(routes.length, trades.length);

        // Effects before the trades: the nonce is spent and the clock restarts whatever the
        // trades do (a revert undoes both).
        uint256 available = _lossAvailable(p);
        uint256 nonce = p.nonce;
        p.nonce = uint56(nonce + 1); // No truncation in practice: one per executed intent.
        p.lastRebalanceAt = uint40(block.timestamp);
        p.lastTargets = PackedBps.pack(targets);

        (uint256[] memory sold, uint256[] memory bought) =
            IPortfolioVault(portfolio).tradeBatch(_tradeParams(s, trades, routes, portfolio));

        // The loss is known only once the trades ran; the whole rebalance reverts if it overdraws.
        loss = _loss(s, trades, sold, bought);
        if (loss > available) revert LossBudgetExceeded(portfolio, loss, available);
        // Safe cast: loss <= available <= lossBudget (uint128).
        p.lossUsed = uint128(p.lossBudget - available + loss);
        emit Rebalanced(
            portfolio,
            intent.strategyId,
            nonce,
            intent.modelVersion,
            intent.signalHash,
            msg.sender,
            trades.length,
            s.nav,
            s.pricesSyncedAt,
            loss
        );
    }

    // ================================================================ views

    /// @inheritdoc IAutoRebalancer
    function previewRebalance(RebalanceIntent calldata intent) external view returns (RebalancePreview memory preview) {
        Portfolio storage p = _portfolios[intent.portfolio];
        uint16[] memory targets = intent.targetWeightsBps;
        Snapshot memory s = _snapshot(p, intent.portfolio, targets);
        uint16 slippage = intent.maxSlippageBps;
        preview.trades = RebalanceMath.planFrom(s.market, s.values, s.nav, targets, p.maxTradeBps, slippage);
        preview.nav = s.nav;
        preview.pricesSyncedAt = s.pricesSyncedAt;
        preview.driftBps = _drift(s, targets);
        preview.trackingErrorBeforeBps = _trackingError(s.values, s.nav, targets);
        uint256[] memory projected = s.values;
        // Bounded: trades <= assets <= PackedBps.CAPACITY.
        for (uint256 k; k < preview.trades.length; ++k) {
            RebalanceMath.Trade memory t = preview.trades[k];
            projected[t.sellIndex] -= t.value;
            projected[t.buyIndex] += t.value;
            preview.maxSlippageCost += Math.mulDiv(t.value, slippage, BPS);
        }
        preview.trackingErrorAfterBps = _trackingError(projected, s.nav, targets);
        preview.gasEstimate = GAS_BASE + GAS_PER_TRADE * preview.trades.length;
        preview.lossBudgetAvailable = _lossAvailable(p);
        bytes memory err = _stateError(p, intent, targets, preview.driftBps);
        if (err.length == 0 && preview.trades.length == 0) err = abi.encodeWithSelector(NothingToTrade.selector);
        if (err.length != 0) preview.blocker = bytes4(err);
    }

    /// @inheritdoc IAutoRebalancer
    function shouldRebalance(address portfolio) external view returns (bool upkeepNeeded, bytes memory performData) {
        Portfolio storage p = _portfolios[portfolio];
        if (p.strategyId == 0 || p.paused || block.basefee > p.maxBaseFee) return (false, "");
        if (block.timestamp < uint256(p.lastRebalanceAt) + p.cooldown) return (false, "");
        uint256 driftBps;
        if (p.lastRebalanceAt == 0) {
            upkeepNeeded = true; // Never rebalanced: there is no target yet to drift from.
        } else {
            uint16[] memory targets = p.lastTargets.unpack(p.assetCount);
            driftBps = _drift(_snapshot(p, portfolio, targets), targets);
            upkeepNeeded = driftBps >= p.driftThresholdBps;
        }
        performData = abi.encode(uint256(p.strategyId), uint256(p.nonce), driftBps);
    }

    /// @inheritdoc IAutoRebalancer
    function strategyOf(address portfolio)
        external
        view
        returns (StrategyConfig memory config, uint256 strategyId, bool paused)
    {
        Portfolio storage p = _portfolios[portfolio];
        config = StrategyConfig({
            minWeightBps: p.minWeights.unpack(p.assetCount),
            maxWeightBps: p.maxWeights.unpack(p.assetCount),
            driftThresholdBps: p.driftThresholdBps,
            maxTradeBps: p.maxTradeBps,
            maxSlippageBps: p.maxSlippageBps,
            signerThreshold: p.signerThreshold,
            cooldown: p.cooldown,
            lossRefillPeriod: p.lossRefillPeriod,
            maxBaseFee: p.maxBaseFee,
            lossBudget: p.lossBudget,
            maxSnapshotAge: p.maxSnapshotAge
        });
        return (config, p.strategyId, p.paused);
    }

    /// @inheritdoc IAutoRebalancer
    function stateOf(address portfolio)
        external
        view
        returns (uint256 nonce, uint256 lastRebalanceAt, uint256 lossBudgetAvailable, uint16[] memory lastTargetsBps)
    {
        Portfolio storage p = _portfolios[portfolio];
        return (p.nonce, p.lastRebalanceAt, _lossAvailable(p), p.lastTargets.unpack(p.assetCount));
    }

    /// @inheritdoc IAutoRebalancer
    function isSigner(address portfolio, address signer) external view returns (bool) {
        return _signers[portfolio][signer];
    }

    /// @inheritdoc IAutoRebalancer
    function intentDigest(RebalanceIntent calldata intent) external view returns (bytes32) {
        return _hashTypedDataV4(RebalanceIntentLib.structHash(intent));
    }

    // ================================================================ administration

    /// @inheritdoc IAutoRebalancer
    function setStrategy(address portfolio, StrategyConfig calldata config) external restricted {
        address[] memory assets = IPortfolioVault(portfolio).assets();
        uint256 n = assets.length;
        if (config.minWeightBps.length != n || config.maxWeightBps.length != n) {
            revert InvalidStrategy("bounds length != vault assets");
        }
        uint256 minSum;
        uint256 maxSum;
        uint16[] memory decimals = new uint16[](n);
        // Bounded: n <= vault MAX_ASSETS = PackedBps.CAPACITY (pack reverts above).
        for (uint256 i; i < n; ++i) {
            if (config.minWeightBps[i] > config.maxWeightBps[i] || config.maxWeightBps[i] > BPS) {
                revert InvalidStrategy("min > max or max > 10000");
            }
            minSum += config.minWeightBps[i];
            maxSum += config.maxWeightBps[i];
            decimals[i] = IERC20Metadata(assets[i]).decimals();
        }
        if (minSum > BPS || maxSum < BPS) revert InvalidStrategy("no weights within bounds sum to 10000");
        if (config.signerThreshold == 0) revert InvalidStrategy("zero signer threshold");
        if (config.maxSlippageBps == 0 || config.maxSlippageBps > BPS) revert InvalidStrategy("max slippage");
        if (config.maxTradeBps == 0 || config.maxTradeBps > BPS) revert InvalidStrategy("max trade");
        if (config.lossRefillPeriod == 0) revert InvalidStrategy("zero loss refill period");
        if (config.maxBaseFee == 0) revert InvalidStrategy("zero max base fee");
        if (config.maxSnapshotAge > MAX_SNAPSHOT_AGE) revert InvalidStrategy("max snapshot age above 3600 s");
        if (config.maxSnapshotAge != 0 && IPortfolioVault(portfolio).riskEngine().oracle() != oracle) {
            revert InvalidStrategy("risk engine prices from another oracle");
        }
        Portfolio storage p = _portfolios[portfolio];
        uint256 strategyId = uint256(p.strategyId) + 1;
        // Keeps `paused`, the nonce, the cooldown clock and the loss already used.
        p.strategyId = uint32(strategyId);
        p.driftThresholdBps = config.driftThresholdBps;
        p.maxTradeBps = config.maxTradeBps;
        p.maxSlippageBps = config.maxSlippageBps;
        p.signerThreshold = config.signerThreshold;
        p.assetCount = uint8(n);
        p.cooldown = config.cooldown;
        p.lossRefillPeriod = config.lossRefillPeriod;
        p.maxBaseFee = config.maxBaseFee;
        p.maxSnapshotAge = uint16(config.maxSnapshotAge); // No truncation: at most MAX_SNAPSHOT_AGE.
        p.lossBudget = config.lossBudget;
        p.minWeights = PackedBps.pack(config.minWeightBps);
        p.maxWeights = PackedBps.pack(config.maxWeightBps);
        p.decimals = PackedBps.pack(decimals);
        emit StrategySet(portfolio, strategyId, config);
    }

    /// @inheritdoc IAutoRebalancer
    function setRelayer(address portfolio, address relayer) external restricted {
        Portfolio storage p = _portfolios[portfolio];
        emit RelayerSet(portfolio, p.relayer, relayer);
        p.relayer = relayer;
    }

    /// @inheritdoc IAutoRebalancer
    function relayerOf(address portfolio) external view returns (address) {
        return _portfolios[portfolio].relayer;
    }

    /// @inheritdoc IAutoRebalancer
    function setSigner(address portfolio, address signer, bool authorised) external restricted {
        if (signer == address(0)) revert InvalidStrategy("zero signer");
        _signers[portfolio][signer] = authorised;
        emit SignerSet(portfolio, signer, authorised);
    }

    /// @inheritdoc IAutoRebalancer
    function revokeSigner(address portfolio, address signer) external restricted {
        _signers[portfolio][signer] = false;
        emit SignerRevoked(portfolio, signer, msg.sender);
    }

    /// @inheritdoc IAutoRebalancer
    function pause(address portfolio) external restricted {
        _portfolios[portfolio].paused = true;
        emit PausedSet(portfolio, true, msg.sender);
    }

    /// @inheritdoc IAutoRebalancer
    function unpause(address portfolio) external restricted {
        _portfolios[portfolio].paused = false;
        emit PausedSet(portfolio, false, msg.sender);
    }

    // ================================================================ internals

    /// @dev Holdings, prices and values of every vault asset. Prices are the RiskEngine's snapshot
    /// when the strategy allows it (`maxSnapshotAge` != 0), the snapshot priced every asset and is
    /// at most that old; live oracle prices otherwise. Reverts for an unknown portfolio, a vault
    /// whose asset list changed since the strategy was set, an intent of the wrong length or sum,
    /// or a missing live price (`PriceUnavailable`).
    function _snapshot(Portfolio storage p, address portfolio, uint16[] memory targets)
        internal
        view
        returns (Snapshot memory s)
    {
        if (p.strategyId == 0) revert UnknownPortfolio(portfolio);
        uint256 n = p.assetCount;
        if (targets.length != n) revert TargetsLengthMismatch(targets.length, n);
        uint256 sum;
        // Bounded: n <= PackedBps.CAPACITY.
        for (uint256 i; i < n; ++i) {
            sum += targets[i];
        }
        if (sum != BPS) revert TargetsSumInvalid(sum);
        s.assets = IPortfolioVault(portfolio).assets();
        if (s.assets.length != n) revert InvalidStrategy("vault assets changed: set the strategy again");
        s.market.holdings = IPortfolioVault(portfolio).holdings();
        (s.market.prices, s.pricesSyncedAt) = _prices(p.maxSnapshotAge, portfolio, s.assets);
        s.market.units = new uint256[](n);
        s.values = new uint256[](n);
        uint256 decimals = p.decimals;
        // Bounded: n <= PackedBps.CAPACITY. No overflow: holdings and prices are far below 2**128
        // (the RiskEngine refuses positions of 2**100 USD and more).
        for (uint256 i; i < n; ++i) {
            uint256 unit = 10 ** decimals.at(i);
            s.market.units[i] = unit;
            uint256 value = s.market.holdings[i] * s.market.prices[i] / unit;
            s.values[i] = value;
            s.nav += value;
        }
    }

    /// @dev The RiskEngine's snapshot prices when fresh enough and complete, else live ones.
    /// @return prices 18-decimal USD per whole token, in the vault's asset order.
    /// @return syncedAt The snapshot's time; 0 for live prices.
    function _prices(uint256 maxAge, address portfolio, address[] memory assets)
        internal
        view
        returns (uint256[] memory prices, uint256 syncedAt)
    {
        uint256 n = assets.length;
        if (maxAge != 0) {
            uint256 pricedMask;
            (syncedAt, pricedMask, prices) = IPortfolioVault(portfolio).riskEngine().priceSnapshot(portfolio);
            // Every asset priced at that sync (a clear bit keeps an older price), not too old.
            if (
                prices.length == n && pricedMask == (1 << n) - 1 && syncedAt != 0
                    && block.timestamp <= syncedAt + maxAge
            ) return (prices, syncedAt);
        }
        prices = new uint256[](n);
        // Bounded: n <= PackedBps.CAPACITY.
        for (uint256 i; i < n; ++i) {
            prices[i] = oracle.price(assets[i]);
        }
        return (prices, 0);
    }

    /// @dev The first state check `rebalance` fails, as revert data; empty when all pass.
    /// Signatures are checked separately (the preview has none).
    function _stateError(Portfolio storage p, RebalanceIntent calldata intent, uint16[] memory targets, uint256 driftBps)
        internal
        view
        returns (bytes memory)
    {
        address portfolio = intent.portfolio;
        if (p.paused) return abi.encodeWithSelector(StrategyPaused.selector, portfolio);
        if (intent.strategyId != p.strategyId) {
            return abi.encodeWithSelector(StrategyMismatch.selector, portfolio, intent.strategyId, p.strategyId);
        }
        if (block.timestamp > intent.deadline) {
            return abi.encodeWithSelector(IntentExpired.selector, intent.deadline, block.timestamp);
        }
        if (intent.nonce != p.nonce) return abi.encodeWithSelector(InvalidNonce.selector, portfolio, intent.nonce, p.nonce);
        uint256 nextAllowedAt = uint256(p.lastRebalanceAt) + p.cooldown;
        if (p.lastRebalanceAt != 0 && block.timestamp < nextAllowedAt) {
            return abi.encodeWithSelector(CooldownActive.selector, portfolio, nextAllowedAt);
        }
        if (block.basefee > p.maxBaseFee) return abi.encodeWithSelector(BaseFeeTooHigh.selector, block.basefee, p.maxBaseFee);
        if (intent.maxSlippageBps > p.maxSlippageBps) {
            return abi.encodeWithSelector(SlippageAboveStrategy.selector, intent.maxSlippageBps, p.maxSlippageBps);
        }
        uint256 minWeights = p.minWeights;
        uint256 maxWeights = p.maxWeights;
        // Bounded: the targets' length equals assetCount <= PackedBps.CAPACITY (_snapshot checked).
        for (uint256 i; i < targets.length; ++i) {
            uint16 target = targets[i];
            (uint16 low, uint16 high) = (minWeights.at(i), maxWeights.at(i));
            if (target < low || target > high) {
                return abi.encodeWithSelector(TargetOutOfBounds.selector, i, target, low, high);
            }
        }
        if (driftBps < p.driftThresholdBps) {
            return abi.encodeWithSelector(DriftBelowThreshold.selector, driftBps, p.driftThresholdBps);
        }
        return "";
    }

    /// @dev Largest |weight - target| in bps, rounded down (0 for an empty portfolio).
    function _drift(Snapshot memory s, uint16[] memory targets) internal pure returns (uint256 driftBps) {
        if (s.nav == 0) return 0;
        // Bounded: targets.length == assets <= PackedBps.CAPACITY. No overflow: values < 2**128.
        for (uint256 i; i < targets.length; ++i) {
            uint256 target = s.nav * targets[i] / BPS;
            uint256 value = s.values[i];
            uint256 gap = value > target ? value - target : target - value;
            driftBps = Math.max(driftBps, gap * BPS / s.nav);
        }
    }

    /// @dev Euclidean distance between the weights of `values` and `targets`, in bps.
    function _trackingError(uint256[] memory values, uint256 nav, uint16[] memory targets)
        internal
        pure
        returns (uint256)
    {
        if (nav == 0) return 0;
        uint256 sumSquares;
        // Bounded: targets.length == assets <= PackedBps.CAPACITY.
        for (uint256 i; i < targets.length; ++i) {
            uint256 weight = Math.mulDiv(values[i], BPS, nav);
            uint256 gap = weight > targets[i] ? weight - targets[i] : targets[i] - weight;
            sumSquares += gap * gap;
        }
        return Math.sqrt(sumSquares);
    }

    /// @dev Loss budget left now: what was used at the last rebalance, less the linear refill since.
    function _lossAvailable(Portfolio storage p) internal view returns (uint256) {
        uint256 budget = p.lossBudget;
        uint256 refill = Math.mulDiv(block.timestamp - p.lastRebalanceAt, budget, p.lossRefillPeriod);
        uint256 used = p.lossUsed > refill ? p.lossUsed - refill : 0;
        return budget > used ? budget - used : 0;
    }

    /// @dev One vault trade per planned trade, each an aggregator swap into the vault over the
    /// relayer's legs, scaled to the planned amount, with the plan's oracle-derived minimum.
    function _tradeParams(
        Snapshot memory s,
        RebalanceMath.Trade[] memory trades,
        TradeRoute[] calldata routes,
        address portfolio
    ) internal view returns (TradeParams[] memory params) {
        params = new TradeParams[](trades.length);
        // Bounded: trades <= assets <= PackedBps.CAPACITY; legs per route bounded by the
        // aggregator's MAX_LEGS (it reverts above).
        for (uint256 k; k < trades.length; ++k) {
            RebalanceMath.Trade memory t = trades[k];
            address sellAsset = s.assets[t.sellIndex];
            address buyAsset = s.assets[t.buyIndex];
            params[k] = TradeParams({
                sellAsset: sellAsset,
                sellAmount: t.sellAmount,
                buyAsset: buyAsset,
                minBuyAmount: t.minBuyAmount,
                venue: address(aggregator),
                data: _swapCalldata(sellAsset, buyAsset, portfolio, t.minBuyAmount, routes[k].legs, t.sellAmount, k)
            });
        }
    }

    /// @dev `aggregator.swapWithCallback(route)` for one planned trade into the vault, expiring
    /// now, the relayer's legs with their `amountIn` read as weights of `amount` (the last leg takes
    /// the rounding remainder, so the legs sum to `amount` exactly). The packed route is written
    /// straight from the calldata legs (RouteCodec's layout and checks, without building them in
    /// memory first). Its minimum output is the oracle bound itself (the sale's value at the plan's
    /// prices, less the intent's slippage), so the aggregator's own oracle bound is not asked for
    /// (0): it would read the same prices again, about 11,000 gas per trade, to check the same
    /// inequality.
    function _swapCalldata(
        address tokenIn,
        address tokenOut,
        address recipient,
        uint256 minOut,
        Leg[] calldata weighted,
        uint256 amount,
        uint256 trade
    ) internal view returns (bytes memory swapCall) {
        uint256 legCount = SafeCast.toUint8(weighted.length);
        uint256 totalWeight;
        uint256 size = RouteCodec.HEADER_BYTES;
        // Bounded: legs and hops by uint8 (the aggregator refuses more than MAX_LEGS x MAX_HOPS).
        for (uint256 l; l < legCount; ++l) {
            totalWeight += weighted[l].amountIn;
            Hop[] calldata hops = weighted[l].hops;
            uint256 hopCount = SafeCast.toUint8(hops.length);
            size += RouteCodec.LEG_BYTES + hopCount * (RouteCodec.VENUE_BYTES + RouteCodec.DATA_LENGTH_BYTES);
            if (hopCount != 0) size += (hopCount - 1) * RouteCodec.TOKEN_BYTES;
            for (uint256 h; h < hopCount; ++h) {
                size += hops[h].data.length;
            }
        }
        if (totalWeight == 0) revert ZeroRouteWeight(trade);
        bytes4 selector = ILiquidityAggregator.swapWithCallback.selector;
        uint256 header = uint256(SafeCast.toUint128(minOut)) << 128 | uint256(SafeCast.toUint40(block.timestamp)) << 88
            | legCount << 64; // minAmountOut 16 | deadline 5 | maxSlippageBps 2 (0) | legCount 1
        // selector | offset 0x20 | length | route, zero-padded to a whole word
        swapCall = new bytes(68 + (size + 31) / 32 * 32);
        uint256 at;
        assembly ("memory-safe") {
            let start := add(swapCall, 32)
            mstore(start, selector)
            mstore(add(start, 4), 0x20)
            mstore(add(start, 36), size)
            at := add(start, 68)
            mstore(at, shl(96, tokenIn))
            mstore(add(at, 20), shl(96, tokenOut))
            mstore(add(at, 40), shl(96, recipient))
            mstore(add(at, 60), header)
            at := add(at, 84)
        }
        uint256 assigned;
        for (uint256 l; l < legCount; ++l) {
            Leg calldata leg = weighted[l];
            uint256 legAmount =
                l + 1 == legCount ? amount - assigned : Math.mulDiv(amount, leg.amountIn, totalWeight);
            assigned += legAmount;
            at = _writeLeg(at, leg.hops, SafeCast.toUint128(legAmount), tokenOut, l);
        }
    }

    /// @dev Writes one leg (amount, hop count, hops) at memory `at`; returns where the next starts.
    /// Each field is written with a whole-word store that the next field's store overwrites.
    function _writeLeg(uint256 at, Hop[] calldata hops, uint256 legAmount, address tokenOut, uint256 leg)
        internal
        pure
        returns (uint256)
    {
        uint256 hopCount = hops.length;
        assembly ("memory-safe") {
            mstore(at, or(shl(128, legAmount), shl(120, hopCount)))
            at := add(at, 17)
        }
        for (uint256 h; h < hopCount; ++h) {
            Hop calldata hop = hops[h];
            address venue = hop.venue;
            address hopTokenOut = hop.tokenOut;
            bytes calldata data = hop.data;
            uint256 dataLength = SafeCast.toUint16(data.length);
            bool last = h + 1 == hopCount;
            if (last && hopTokenOut != tokenOut) revert RouteCodec.LegEndsInWrongToken(leg, hopTokenOut, tokenOut);
            assembly ("memory-safe") {
                mstore(at, shl(96, venue))
                at := add(at, 20)
                if iszero(last) {
                    mstore(at, shl(96, hopTokenOut))
                    at := add(at, 20)
                }
                mstore(at, shl(240, dataLength))
                at := add(at, 2)
                calldatacopy(at, data.offset, dataLength)
                at := add(at, dataLength)
            }
        }
        return at;
    }

    /// @dev Oracle value sold minus oracle value bought, over the trades (gains do not refill).
    function _loss(
        Snapshot memory s,
        RebalanceMath.Trade[] memory trades,
        uint256[] memory sold,
        uint256[] memory bought
    ) internal pure returns (uint256 loss) {
        RebalanceMath.Market memory m = s.market;
        // Bounded: trades <= assets <= PackedBps.CAPACITY.
        for (uint256 k; k < trades.length; ++k) {
            (uint256 sell, uint256 buy) = (trades[k].sellIndex, trades[k].buyIndex);
            // No overflow: amounts a trade moved are below the holdings bound of `_snapshot`.
            uint256 valueSold = sold[k] * m.prices[sell] / m.units[sell];
            uint256 valueBought = bought[k] * m.prices[buy] / m.units[buy];
            if (valueSold > valueBought) loss += valueSold - valueBought;
        }
    }

    /// @dev Bubbles `err` up as this call's revert data when it is not empty.
    function _revertWith(bytes memory err) internal pure {
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 32), mload(err))
            }
        }
    }
}
