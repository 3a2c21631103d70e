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
import {ILiquidityAggregator, Leg} from "../../interfaces/ILiquidityAggregator.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IPortfolioVault, TradeParams} from "../../interfaces/IPortfolioVault.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {PackedBps} from "../libraries/PackedBps.sol";
import {RebalanceIntentLib} from "./RebalanceIntentLib.sol";

/// @title AutoRebalancer
/// @notice Executes signed rebalance intents for PortfolioVaults within their strategies' bounds
/// (see IAutoRebalancer).
contract AutoRebalancer is IAutoRebalancer, AccessManaged, EIP712, ReentrancyGuardTransient {
    using PackedBps for uint256;

    uint256 internal constant BPS = 10_000;
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
        Snapshot memory s = _snapshot(p, portfolio, intent.targetWeightsBps);
        _revertWith(_stateError(p, intent, _drift(s, intent.targetWeightsBps)));
        RebalanceIntentLib.requireQuorum(
            _hashTypedDataV4(RebalanceIntentLib.structHash(intent)), signers, signatures, _signers[portfolio],
            p.signerThreshold
        );
        (RebalanceMath.Trade[] memory trades,) =
            RebalanceMath.plan(s.market, intent.targetWeightsBps, p.maxTradeBps, intent.maxSlippageBps);
        if (trades.length == 0) revert NothingToTrade(portfolio);
        if (routes.length != trades.length) revert RoutesLengthMismatch(routes.length, trades.length);

        // Effects before the trades: the nonce is spent and the clock restarts whatever the
        // trades do (a revert undoes both).
        uint256 available = _lossAvailable(p);
        uint256 nonce = p.nonce;
        p.nonce = uint56(nonce + 1); // No truncation in practice: one per executed intent.
        p.lastRebalanceAt = uint40(block.timestamp);
        p.lastTargets = PackedBps.pack(intent.targetWeightsBps);

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
            loss
        );
    }

    // ================================================================ views

    /// @inheritdoc IAutoRebalancer
    function previewRebalance(RebalanceIntent calldata intent) external view returns (RebalancePreview memory preview) {
        Portfolio storage p = _portfolios[intent.portfolio];
        Snapshot memory s = _snapshot(p, intent.portfolio, intent.targetWeightsBps);
        uint16 slippage = intent.maxSlippageBps;
        (preview.trades, preview.nav) = RebalanceMath.plan(s.market, intent.targetWeightsBps, p.maxTradeBps, slippage);
        preview.driftBps = _drift(s, intent.targetWeightsBps);
        preview.trackingErrorBeforeBps = _trackingError(s.values, s.nav, intent.targetWeightsBps);
        uint256[] memory projected = s.values;
        // Bounded: trades <= assets <= PackedBps.CAPACITY.
        for (uint256 k; k < preview.trades.length; ++k) {
            RebalanceMath.Trade memory t = preview.trades[k];
            projected[t.sellIndex] -= t.value;
            projected[t.buyIndex] += t.value;
            preview.maxSlippageCost += Math.mulDiv(t.value, slippage, BPS);
        }
        preview.trackingErrorAfterBps = _trackingError(projected, s.nav, intent.targetWeightsBps);
        preview.gasEstimate = GAS_BASE + GAS_PER_TRADE * preview.trades.length;
        preview.lossBudgetAvailable = _lossAvailable(p);
        bytes memory err = _stateError(p, intent, preview.driftBps);
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
            lossBudget: p.lossBudget
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

    /// @dev Holdings, oracle prices and values of every vault asset. Reverts for an unknown
    /// portfolio, a vault whose asset list changed since the strategy was set, an intent of the
    /// wrong length or sum, or a missing price (`PriceUnavailable`).
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
        s.market.prices = new uint256[](n);
        s.market.units = new uint256[](n);
        s.values = new uint256[](n);
        uint256 decimals = p.decimals;
        // Bounded: n <= PackedBps.CAPACITY.
        for (uint256 i; i < n; ++i) {
            uint256 price = oracle.price(s.assets[i]);
            uint256 unit = 10 ** decimals.at(i);
            s.market.prices[i] = price;
            s.market.units[i] = unit;
            s.values[i] = Math.mulDiv(s.market.holdings[i], price, unit);
            s.nav += s.values[i];
        }
    }

    /// @dev The first state check `rebalance` fails, as revert data; empty when all pass.
    /// Signatures are checked separately (the preview has none).
    function _stateError(Portfolio storage p, RebalanceIntent calldata intent, uint256 driftBps)
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
        for (uint256 i; i < intent.targetWeightsBps.length; ++i) {
            uint16 target = intent.targetWeightsBps[i];
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
        // Bounded: targets.length == assets <= PackedBps.CAPACITY.
        for (uint256 i; i < targets.length; ++i) {
            uint256 target = Math.mulDiv(s.nav, targets[i], BPS);
            uint256 gap = s.values[i] > target ? s.values[i] - target : target - s.values[i];
            driftBps = Math.max(driftBps, Math.mulDiv(gap, BPS, s.nav));
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
            // Encoded before the struct literal: inline, via-IR runs out of stack slots here.
            bytes memory swapCall = _swapCalldata(s, t, _scaledLegs(routes[k].legs, t.sellAmount, k), portfolio);
            params[k] = TradeParams({
                sellAsset: s.assets[t.sellIndex],
                sellAmount: t.sellAmount,
                buyAsset: s.assets[t.buyIndex],
                minBuyAmount: t.minBuyAmount,
                venue: address(aggregator),
                data: swapCall
            });
        }
    }

    /// @dev `aggregator.swap` of one planned trade into the vault, expiring now. Its minimum output
    /// is the oracle bound itself (the sale's value at this block's oracle prices, less the intent's
    /// slippage), so the aggregator's own oracle bound is not asked for (0): it would read the same
    /// prices again, about 11,000 gas per trade, to check the same inequality.
    function _swapCalldata(Snapshot memory s, RebalanceMath.Trade memory t, Leg[] memory legs, address portfolio)
        internal
        view
        returns (bytes memory)
    {
        bytes memory route = RouteCodec.encode(
            s.assets[t.sellIndex], s.assets[t.buyIndex], portfolio, t.minBuyAmount, block.timestamp, 0, legs
        );
        return abi.encodeCall(ILiquidityAggregator.swapWithCallback, (route));
    }

    /// @dev The relayer's legs with their `amountIn` read as weights of `amount` (the last leg
    /// takes the rounding remainder, so the legs sum to `amount` exactly).
    function _scaledLegs(Leg[] calldata weighted, uint256 amount, uint256 trade)
        internal
        pure
        returns (Leg[] memory legs)
    {
        uint256 count = weighted.length;
        uint256 totalWeight;
        // Bounded: the aggregator refuses more than MAX_LEGS legs; weights are summed first.
        for (uint256 j; j < count; ++j) {
            totalWeight += weighted[j].amountIn;
        }
        if (totalWeight == 0) revert ZeroRouteWeight(trade);
        legs = new Leg[](count);
        uint256 assigned;
        for (uint256 j; j < count; ++j) {
            legs[j] = weighted[j];
            legs[j].amountIn = j + 1 == count ? amount - assigned : Math.mulDiv(amount, weighted[j].amountIn, totalWeight);
            assigned += legs[j].amountIn;
        }
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
            uint256 valueSold = Math.mulDiv(sold[k], m.prices[sell], m.units[sell]);
            uint256 valueBought = Math.mulDiv(bought[k], m.prices[buy], m.units[buy]);
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
