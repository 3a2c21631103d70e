// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAutoRebalancer, RebalanceIntent, StrategyConfig, StrategyRule} from "../../interfaces/IAutoRebalancer.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";
import {INavVenue, NavOrder} from "../../interfaces/INavVenue.sol";
import {RouteCodec} from "../liquidity/RouteCodec.sol";
import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IPortfolioVault, TradeParams} from "../../interfaces/IPortfolioVault.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {RebalanceMath} from "../libraries/RebalanceMath.sol";
import {PackedBps, PackedBpsLibrary} from "../types/PackedBps.sol";
import {RebalanceIntentLib} from "./RebalanceIntentLib.sol";
import {RebalancerView} from "./RebalancerView.sol";
import {RebalancerLayout, RebalancePortfolio} from "./RebalancerLayout.sol";
import {StrategyWord, ProgressWord, BoundsWord, BoundsWordLibrary} from "../types/RebalancerWords.sol";
import {ExtSloads} from "../libraries/ExtSloads.sol";
import {BPS} from "../libraries/Constants.sol";
import {RebalanceTrade} from "../types/RebalancerWords.sol";

/// @title AutoRebalancer
/// @notice Executes signed rebalance intents for PortfolioVaults within their strategies' bounds
/// (see IAutoRebalancer).
contract AutoRebalancer is IAutoRebalancer, AccessManaged, EIP712, ReentrancyGuardTransient, ExtSloads {
    /// @dev Most decimals an asset may have (the RiskEngine's bound too; the record keeps 6 bits).
    uint256 internal constant MAX_ASSET_DECIMALS = 36;
    /// @notice Longest `maxSnapshotAge` a strategy may set (seconds).
    uint256 public constant MAX_SNAPSHOT_AGE = 3_600;
    /// @notice Shortest `cooldown` a strategy may set (seconds): the 24-bit nonce then lasts at least
    /// 2**24 x 600 s = 319 years (SEC-62).
    uint256 public constant MIN_COOLDOWN = 600;
    /// @dev Most intents one `rebalanceBatch` relays (IAutoRebalancer states it: no getter, for size).
    uint256 internal constant MAX_BATCH = 32;
    /// @dev A basket route is a NAV desk's address alone (a route's legs are longer: IAutoRebalancer).
    uint256 internal constant BASKET_ROUTE_BYTES = 20;

    ILiquidityAggregator public immutable aggregator;
    IOracleRouter public immutable oracle;

    /// @dev At RebalancerLayout.PORTFOLIOS_SLOT and SIGNERS_SLOT (checked at construction), where the
    /// lens computes them (its `stateOf`, `relayerOf`, `isSigner`); each word of a record is a value
    /// type of `RebalancerLayout`, read and written through its accessors.
    mapping(address portfolio => RebalancePortfolio) private _portfolios;
    mapping(address portfolio => mapping(address signer => bool)) private _signers;

    constructor(address authority, ILiquidityAggregator aggregator_, IOracleRouter oracle_)
        AccessManaged(authority)
        EIP712("Quantera AutoRebalancer", "1")
    {
        aggregator = aggregator_;
        oracle = oracle_;
        uint256 slot;
        uint256 signers;
        assembly ("memory-safe") {
            slot := _portfolios.slot
            signers := _signers.slot
        }
        // The lens reads both mappings at these slots (RebalancerLayout).
        if (slot != RebalancerLayout.PORTFOLIOS_SLOT || signers != RebalancerLayout.SIGNERS_SLOT) {
            revert StorageLayoutMismatch(slot, signers);
        }
    }

    // ================================================================ execution

    /// @inheritdoc IAutoRebalancer
    function rebalance(
        RebalanceIntent calldata intent,
        address[] calldata signers,
        bytes[] calldata signatures,
        bytes[] calldata routes
    ) external nonReentrant returns (uint256 loss) {
        address portfolio = intent.portfolio;
        RebalancePortfolio storage p = _portfolios[portfolio];
        address relayer = p.relaying.relayer();
        if (relayer != address(0) && msg.sender != relayer) revert RelayerNotAllowed(portfolio, msg.sender, relayer);
        uint16[] memory targets = intent.targetWeightsBps; // copied to memory once
        RebalancerView.Snapshot memory s =
            RebalancerView.snapshot(p.strategy, p.relaying, p.progress, portfolio, targets, oracle);
        _revertWith(
            RebalancerView.stateError(
                s.strategy, p.progress, _bounds(p, s.strategy), intent, targets, RebalancerView.drift(s, targets)
            )
        );
        RebalanceIntentLib.requireQuorum(
            _hashTypedDataV4(RebalanceIntentLib.structHash(intent)),
            signers,
            signatures,
            _signers[portfolio],
            s.strategy.signerThreshold()
        );
        RebalanceTrade[] memory trades =
            RebalanceMath.planFrom(s.market, s.values, s.nav, targets, s.strategy.maxTradeBps(), intent.maxSlippageBps);
        if (trades.length == 0) revert NothingToTrade(portfolio);
        // One 20-byte route: a NAV desk settling the whole plan as one basket (IAutoRebalancer).
        bool basket = routes.length == 1 && routes[0].length == BASKET_ROUTE_BYTES;
        if (!basket && routes.length != trades.length) revert RoutesLengthMismatch(routes.length, trades.length);

        // Effects before the trades: the nonce is spent and the clock restarts whatever the
        // trades do (a revert undoes both).
        uint256 available = RebalancerView.lossAvailable(s.strategy, p.relaying, p.progress);
        ProgressWord progress = p.progress;
        uint256 nonce = progress.nonce();
        if (nonce == type(uint24).max) revert InvalidNonce(portfolio, nonce + 1, nonce); // 16.7 million rebalances
        p.progress = progress.setNonce(uint24(nonce + 1)).setLastRebalanceAt(uint40(block.timestamp));
        p.lastTargets = PackedBpsLibrary.pack(targets);

        // The loss is known only once the trades ran; the whole rebalance reverts if it overdraws.
        // A basket's loss is the vault's, at live oracle prices (its legs netted: IAutoRebalancer).
        loss = basket
            ? abi.decode(
                _tradeBatch(portfolio, _basketCall(s, trades, address(bytes20(routes[0])), portfolio)), (uint256)
            )
            : _loss(s, trades, _tradeBatch(portfolio, _tradeBatchCall(s, trades, routes, portfolio)));
        if (loss > available) revert LossBudgetExceeded(portfolio, loss, available);
        // Safe cast: loss <= available <= lossBudget (uint96).
        p.progress = p.progress.setLossUsed(uint96(p.relaying.lossBudget() - available + loss));
        emit Rebalanced(
            portfolio,
            intent.strategyId,
            intent.nonce, // `nonce`: `stateError` required them equal (one stack slot less across the trades)
            intent.modelVersion,
            intent.signalHash,
            msg.sender,
            trades.length,
            s.nav,
            s.pricesSyncedAt,
            loss
        );
    }

    /// @inheritdoc IAutoRebalancer
    function rebalanceBatch(bytes[] calldata calls) external {
        uint256 count = calls.length;
        if (count > MAX_BATCH) revert BatchSizeInvalid(count, MAX_BATCH);
        // Not from within a rebalance (a venue's callback): each item takes the guard itself.
        if (_reentrancyGuardEntered()) revert ReentrancyGuardReentrantCall();
        // Bounded: count <= MAX_BATCH.
        for (uint256 i; i < count; ++i) {
            bytes calldata call = calls[i];
            if (bytes4(call) != this.rebalance.selector) revert NotARebalance(i);
            // A delegatecall to this contract keeps msg.sender (the relayer binding holds) and
            // undoes only this item when it reverts.
            (bool ok, bytes memory reason) = address(this).delegatecall(call);
            if (!ok) {
                address portfolio;
                assembly ("memory-safe") {
                    // The intent's offset, then its first word; a malformed item reads what is there.
                    let args := add(call.offset, 4)
                    portfolio := and(
                        calldataload(add(args, calldataload(args))),
                        0xffffffffffffffffffffffffffffffffffffffff
                    )
                }
                emit RebalanceFailed(portfolio, i, reason);
            }
        }
    }

    // ================================================================ administration

    /// @inheritdoc IAutoRebalancer
    function setStrategy(address portfolio, StrategyConfig calldata config) external restricted {
        address[] memory assets = IPortfolioVault(portfolio).assets();
        uint256 n = assets.length;
        if (config.minWeightBps.length != n || config.maxWeightBps.length != n || n > PackedBpsLibrary.CAPACITY) {
            revert BoundsLengthMismatch(config.minWeightBps.length, config.maxWeightBps.length, n);
        }
        RebalancePortfolio storage p = _portfolios[portfolio];
        uint256 minSum;
        uint256 maxSum;
        // Keeps the nonce, the cooldown clock and the loss already used; the decimals are the new assets'.
        ProgressWord progress = p.progress.clearDecimals();
        // Bounded: n <= PackedBpsLibrary.CAPACITY (the vault's MAX_ASSETS).
        for (uint256 i; i < n; ++i) {
            if (config.minWeightBps[i] > config.maxWeightBps[i] || config.maxWeightBps[i] > BPS) {
                revert WeightBoundsInvalid(i, config.minWeightBps[i], config.maxWeightBps[i]);
            }
            minSum += config.minWeightBps[i];
            maxSum += config.maxWeightBps[i];
            uint256 assetDecimals = IERC20Metadata(assets[i]).decimals();
            // 36 as in the RiskEngine: units up to 1e36 keep the plan's checked products far from 2**256.
            if (assetDecimals > MAX_ASSET_DECIMALS) revert AssetDecimalsInvalid(assets[i], assetDecimals);
            progress = progress.setAssetDecimals(i, assetDecimals);
        }
        if (minSum > BPS || maxSum < BPS) revert WeightSumsInvalid(minSum, maxSum);
        if (config.signerThreshold == 0) revert InvalidStrategy(StrategyRule.SignerThreshold, 0);
        if (config.cooldown < MIN_COOLDOWN) revert InvalidStrategy(StrategyRule.Cooldown, config.cooldown);
        if (config.maxSlippageBps == 0 || config.maxSlippageBps > BPS) {
            revert InvalidStrategy(StrategyRule.MaxSlippage, config.maxSlippageBps);
        }
        if (config.maxTradeBps == 0 || config.maxTradeBps > BPS) {
            revert InvalidStrategy(StrategyRule.MaxTrade, config.maxTradeBps);
        }
        if (config.lossRefillPeriod == 0) revert InvalidStrategy(StrategyRule.LossRefillPeriod, 0);
        if (config.maxBaseFee == 0) revert InvalidStrategy(StrategyRule.MaxBaseFee, 0);
        if (config.lossBudget > type(uint96).max) revert InvalidStrategy(StrategyRule.LossBudget, config.lossBudget);
        if (config.maxSnapshotAge > MAX_SNAPSHOT_AGE) {
            revert InvalidStrategy(StrategyRule.MaxSnapshotAge, config.maxSnapshotAge);
        }
        if (config.maxSnapshotAge != 0) {
            IOracleRouter engineOracle = IPortfolioVault(portfolio).riskEngine().oracle();
            if (engineOracle != oracle) revert ForeignOracle(address(engineOracle), address(oracle));
        }
        StrategyWord strategy = p.strategy;
        uint256 strategyId = uint256(strategy.strategyId()) + 1;
        // Keeps `paused`. No truncation: n <= PackedBpsLibrary.CAPACITY, maxSnapshotAge <= MAX_SNAPSHOT_AGE.
        p.strategy = strategy.setStrategyId(uint32(strategyId)).setDriftThresholdBps(config.driftThresholdBps)
            .setMaxTradeBps(config.maxTradeBps).setMaxSlippageBps(config.maxSlippageBps)
            .setSignerThreshold(config.signerThreshold).setAssetCount(uint8(n)).setCooldown(config.cooldown)
            .setLossRefillPeriod(config.lossRefillPeriod).setMaxBaseFee(config.maxBaseFee)
            .setMaxSnapshotAge(uint16(config.maxSnapshotAge));
        p.relaying = p.relaying.setLossBudget(uint96(config.lossBudget)); // No truncation: checked above.
        p.progress = progress;
        BoundsWord[2] memory bounds;
        // Bounded: n <= PackedBpsLibrary.CAPACITY (checked above).
        for (uint256 i; i < n; ++i) {
            uint256 word = i / BoundsWordLibrary.ASSETS_PER_WORD;
            bounds[word] = bounds[word].setBounds(
                i % BoundsWordLibrary.ASSETS_PER_WORD, config.minWeightBps[i], config.maxWeightBps[i]
            );
        }
        p.bounds = bounds;
        emit StrategySet(portfolio, strategyId, config);
    }

    /// @inheritdoc IAutoRebalancer
    function setRelayer(address portfolio, address relayer) external restricted {
        RebalancePortfolio storage p = _portfolios[portfolio];
        emit RelayerSet(portfolio, p.relaying.relayer(), relayer);
        p.relaying = p.relaying.setRelayer(relayer);
    }

    /// @inheritdoc IAutoRebalancer
    function setSigner(address portfolio, address signer, bool authorised) external restricted {
        if (signer == address(0)) revert ZeroSigner();
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
        RebalancePortfolio storage p = _portfolios[portfolio];
        p.strategy = p.strategy.setPaused(true);
        emit PausedSet(portfolio, true, msg.sender);
    }

    /// @inheritdoc IAutoRebalancer
    function unpause(address portfolio) external restricted {
        RebalancePortfolio storage p = _portfolios[portfolio];
        p.strategy = p.strategy.setPaused(false);
        emit PausedSet(portfolio, false, msg.sender);
    }

    // ================================================================ internals

    /// @dev The bounds words a state check reads: the first, and the second for more than 8 assets.
    function _bounds(RebalancePortfolio storage p, StrategyWord strategy)
        internal
        view
        returns (BoundsWord[2] memory bounds)
    {
        bounds[0] = p.bounds[0];
        if (strategy.assetCount() > BoundsWordLibrary.ASSETS_PER_WORD) bounds[1] = p.bounds[1];
    }

    /// @dev `IPortfolioVault.tradeBasket` calldata at `desk`: one `INavVenue.swapBasket` order per
    /// planned trade (every trade of a plan sells or buys the settlement asset: a redemption or a
    /// subscription), its minimum the plan's oracle-derived one; the vault's bounds per asset: each
    /// fund token sold at most its amount, each bought at least its minimum, and the settlement
    /// asset's net — paid at most the subscriptions less the redemptions' minimums, or received at
    /// least the redemptions' minimums less the subscriptions.
    function _basketCall(
        RebalancerView.Snapshot memory s,
        RebalanceTrade[] memory trades,
        address desk,
        address portfolio
    ) internal pure returns (bytes memory) {
        uint256 n = s.assets.length;
        uint256 settlement = s.market.settlement;
        uint256[] memory sellAmounts = new uint256[](n);
        uint256[] memory minBuyAmounts = new uint256[](n);
        NavOrder[] memory orders = new NavOrder[](trades.length);
        uint256 cashIn; // the subscriptions' cash
        uint256 cashOutMin; // the redemptions' minimum cash
        // Bounded: trades <= assets <= PackedBpsLibrary.CAPACITY.
        for (uint256 k; k < trades.length; ++k) {
            RebalanceTrade memory t = trades[k];
            bool subscribing = t.sellIndex == settlement;
            uint256 fund = subscribing ? t.buyIndex : t.sellIndex;
            orders[k] = NavOrder(s.assets[fund], subscribing, t.sellAmount, t.minBuyAmount);
            if (subscribing) {
                cashIn += t.sellAmount;
                minBuyAmounts[fund] = t.minBuyAmount;
            } else {
                cashOutMin += t.minBuyAmount;
                sellAmounts[fund] = t.sellAmount;
            }
        }
        if (cashIn > cashOutMin) sellAmounts[settlement] = cashIn - cashOutMin;
        else minBuyAmounts[settlement] = cashOutMin - cashIn;
        return abi.encodeCall(
            IPortfolioVault.tradeBasket,
            (abi.encode(desk, sellAmounts, minBuyAmounts, abi.encodeCall(INavVenue.swapBasket, (orders, portfolio))))
        );
    }

    /// @dev Calls the vault with `batch` (its `tradeBatch`), bubbling its revert up.
    /// @return result What `tradeBatch` returned: `(uint256[] sold, uint256[] bought)`, ABI-encoded.
    function _tradeBatch(address portfolio, bytes memory batch) internal returns (bytes memory result) {
        bool ok;
        (ok, result) = portfolio.call(batch);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }

    /// @dev `IPortfolioVault.tradeBatch(params)` calldata, written in one buffer: one TradeParams
    /// per planned trade, its `data` an aggregator `swapWithCallback(route)` into the vault over the
    /// relayer's legs, scaled to the planned amount, with the plan's oracle-derived minimum. The
    /// layout is the ABI's (array offset, length, one offset per tuple, each tuple's five words and
    /// its `data`), written without TradeParams structs or an ABI encoder pass.
    function _tradeBatchCall(
        RebalancerView.Snapshot memory s,
        RebalanceTrade[] memory trades,
        bytes[] calldata routes,
        address portfolio
    ) internal view returns (bytes memory batch) {
        uint256 count = trades.length;
        uint256 size = 68 + 32 * count; // selector, array offset and length, one offset per tuple
        // Bounded: trades <= assets <= PackedBpsLibrary.CAPACITY.
        for (uint256 k; k < count; ++k) {
            // five words, data offset, data length, then the data (selector, offset, length: 68
            // bytes; the route, padded), the whole padded to a word
            size += 320 + _padded(RouteCodec.HEADER_BYTES + routes[k].length);
        }
        batch = new bytes(size);
        bytes4 batchSelector = IPortfolioVault.tradeBatch.selector;
        uint256 heads;
        assembly ("memory-safe") {
            let start := add(batch, 32)
            mstore(start, batchSelector)
            mstore(add(start, 4), 0x20)
            mstore(add(start, 36), count)
            heads := add(start, 68)
        }
        uint256 at = heads + 32 * count;
        address[] memory assets = s.assets;
        for (uint256 k; k < count; ++k) {
            RebalanceTrade memory t = trades[k];
            bytes calldata legs = routes[k];
            (address sellAsset, address buyAsset) = (assets[t.sellIndex], assets[t.buyIndex]);
            uint256 routeSize = RouteCodec.HEADER_BYTES + legs.length;
            _writeTradeHead(heads + 32 * k, at, heads, sellAsset, t.sellAmount, buyAsset, t.minBuyAmount, routeSize);
            _writeRoute(at + 292, sellAsset, buyAsset, portfolio, t.minBuyAmount, legs, t.sellAmount, k);
            at += 320 + _padded(routeSize);
        }
    }

    /// @dev One tuple's offset, its five words, `data`'s offset and length, and the head of
    /// `data` (swapWithCallback's selector, the route's offset and length). The route follows at
    /// `at + 292`.
    function _writeTradeHead(
        uint256 offsetAt,
        uint256 at,
        uint256 heads,
        address sellAsset,
        uint256 sellAmount,
        address buyAsset,
        uint256 minBuyAmount,
        uint256 routeSize
    ) internal view {
        address venue = address(aggregator);
        bytes4 swapSelector = ILiquidityAggregator.swapWithCallback.selector;
        uint256 dataLength = 68 + _padded(routeSize);
        assembly ("memory-safe") {
            mstore(offsetAt, sub(at, heads))
            mstore(at, sellAsset)
            mstore(add(at, 32), sellAmount)
            mstore(add(at, 64), buyAsset)
            mstore(add(at, 96), minBuyAmount)
            mstore(add(at, 128), venue)
            mstore(add(at, 160), 0xc0)
            mstore(add(at, 192), dataLength)
            mstore(add(at, 224), swapSelector)
            mstore(add(at, 228), 0x20)
            mstore(add(at, 260), routeSize)
        }
    }

    /// @dev Writes one trade's packed route at memory `at`: the header (into `recipient`, the vault
    /// that calls the aggregator, expiring now), then the relayer's legs as they are, each leg's
    /// `amountIn` replaced by its share of `amount` (read as a weight; the last leg takes the
    /// rounding remainder, so the legs sum to `amount` exactly). The route's minimum output is the
    /// oracle bound itself (the sale's value at the plan's prices, less the intent's slippage), so
    /// the aggregator's own oracle bound is not asked for (0): it would read the same prices again,
    /// about 11,000 gas per trade, to check the same inequality. Every leg's last hop buys
    /// `tokenOut` by the encoding (its token is the route's); the aggregator walks the whole route
    /// again before any interaction.
    function _writeRoute(
        uint256 at,
        address tokenIn,
        address tokenOut,
        address recipient,
        uint256 minOut,
        bytes calldata legs,
        uint256 amount,
        uint256 trade
    ) internal view {
        (uint256 legCount, uint256 totalWeight) = _walkLegs(legs, trade);
        if (totalWeight == 0) revert ZeroRouteWeight(trade);
        // minAmountOut 16 | deadline 5 | maxSlippageBps 2 (0: no oracle bound asked) | legCount 1
        uint256 header = uint256(SafeCast.toUint128(minOut)) << 128 | uint256(SafeCast.toUint40(block.timestamp)) << 88
            | legCount << 64;
        SafeCast.toUint128(amount);
        assembly ("memory-safe") {
            mstore(at, shl(96, tokenIn))
            mstore(add(at, 20), shl(96, tokenOut))
            mstore(add(at, 40), shl(96, recipient))
            mstore(add(at, 60), header)
            at := add(at, 84)
            calldatacopy(at, legs.offset, legs.length)
        }
        // Each leg's amount: its weight's share of `amount`, the last one the remainder. No
        // overflow: amount < 2**128 (checked above) and weights are 128-bit fields.
        uint256 assigned;
        uint256 offset;
        for (uint256 l; l < legCount; ++l) {
            uint256 legAmount;
            if (l + 1 == legCount) {
                legAmount = amount - assigned;
            } else {
                legAmount = amount * (_word(legs, offset) >> 128) / totalWeight;
                assigned += legAmount;
            }
            uint256 field = at + offset;
            assembly ("memory-safe") {
                // amountIn is the leg's first 16 bytes: keep the 16 after it (hop count, hops)
                mstore(field, or(shl(128, legAmount), and(mload(field), 0xffffffffffffffffffffffffffffffff)))
            }
            offset = _legEnd(legs, offset);
        }
    }

    /// @dev The relayer's legs (RouteCodec's leg layout, back to back): how many, and their
    /// weights' sum. Reverts `MalformedRoute(trade, at, length)` unless they end exactly at the
    /// last byte, with at most 255 legs (the aggregator refuses more than MAX_LEGS).
    function _walkLegs(bytes calldata legs, uint256 trade) internal pure returns (uint256 count, uint256 totalWeight) {
        uint256 length = legs.length;
        uint256 offset;
        // Bounded: every leg moves `offset` forward by at least LEG_BYTES, within `length`.
        while (offset < length) {
            if (offset + RouteCodec.LEG_BYTES > length) revert MalformedRoute(trade, offset, length);
            totalWeight += _word(legs, offset) >> 128;
            offset = _legEnd(legs, offset);
            if (offset > length) revert MalformedRoute(trade, offset, length);
            ++count;
        }
        if (count > type(uint8).max) revert MalformedRoute(trade, offset, length);
    }

    /// @dev Where the leg at `offset` ends: after its amount and hop count, each hop's venue,
    /// intermediate token (all but the last hop), data length and data. Reads past the end of
    /// `legs` read zeros or whatever calldata follows; the caller compares the result with the
    /// length before trusting it.
    function _legEnd(bytes calldata legs, uint256 offset) internal pure returns (uint256 end) {
        uint256 hopCount = (_word(legs, offset) >> 120) & 0xff;
        end = offset + RouteCodec.LEG_BYTES;
        // Bounded: hopCount < 256. No overflow: offsets are calldata positions plus a few bytes.
        unchecked {
            for (uint256 h; h < hopCount; ++h) {
                end += RouteCodec.VENUE_BYTES;
                if (h + 1 != hopCount) end += RouteCodec.TOKEN_BYTES;
                end += RouteCodec.DATA_LENGTH_BYTES + (_word(legs, end) >> 240);
            }
        }
    }

    /// @dev 32 bytes of `legs` at `offset` (zeros or the next calldata past its end).
    function _word(bytes calldata legs, uint256 offset) internal pure returns (uint256 word) {
        assembly ("memory-safe") {
            word := calldataload(add(legs.offset, offset))
        }
    }

    function _padded(uint256 length) internal pure returns (uint256) {
        return (length + 31) / 32 * 32;
    }

    /// @dev Oracle value sold minus oracle value bought, over the trades (gains do not refill), from
    /// the vault's `(uint256[] sold, uint256[] bought)` read in place: its two offsets and lengths
    /// must be exactly those of `trades.length` amounts each (the vault's own ABI encoding).
    function _loss(RebalancerView.Snapshot memory s, RebalanceTrade[] memory trades, bytes memory result)
        internal
        pure
        returns (uint256 loss)
    {
        uint256 count = trades.length;
        uint256 soldAt;
        uint256 boughtAt;
        bool wellFormed;
        assembly ("memory-safe") {
            let data := add(result, 32)
            let size := shl(5, count)
            wellFormed := and(
                eq(mload(result), add(128, shl(1, size))),
                and(
                    and(eq(mload(data), 0x40), eq(mload(add(data, 32)), add(0x60, size))),
                    and(eq(mload(add(data, 64)), count), eq(mload(add(data, add(0x60, size))), count))
                )
            )
            soldAt := add(data, 96)
            boughtAt := add(data, add(128, size))
        }
        if (!wellFormed) revert MalformedTradeReport(result.length, count);
        uint256[] memory prices = s.market.prices;
        uint256[] memory units = s.market.units;
        // Bounded: trades <= assets <= PackedBpsLibrary.CAPACITY.
        for (uint256 k; k < count; ++k) {
            RebalanceTrade memory t = trades[k];
            uint256 sold;
            uint256 bought;
            assembly ("memory-safe") {
                sold := mload(add(soldAt, shl(5, k)))
                bought := mload(add(boughtAt, shl(5, k)))
            }
            // No overflow: amounts a trade moved are below the holdings bound of `RebalancerView.snapshot`.
            uint256 valueSold = sold * prices[t.sellIndex] / units[t.sellIndex];
            uint256 valueBought = bought * prices[t.buyIndex] / units[t.buyIndex];
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
