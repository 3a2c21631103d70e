// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AuthorityInit} from "../access/ManagedInit.sol";
import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IOracleRouter, FeedConfig, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title OracleRouter
/// @notice Validated Chainlink price reads for the protocol's assets.
contract OracleRouter is IOracleRouter, AuthorityInit {
    uint8 internal constant MAX_FEED_DECIMALS = 36;

    /// @dev FeedConfig laid out for the common read: a price from one feed touches two slots, the
    /// first word (primary feed, its heartbeat and decimals, the cross-check's decimals and
    /// deviation, whether there is a secondary) and the bounds; the secondary's word is read only
    /// when there is one. Decimals are read once, at `setFeed`.
    struct Feed {
        AggregatorV3Interface primary;
        uint32 primaryHeartbeat;
        uint8 primaryDecimals;
        uint8 secondaryDecimals;
        uint16 maxDeviationBps;
        bool hasSecondary;
        AggregatorV3Interface secondary;
        uint32 secondaryHeartbeat;
        uint128 minPrice;
        uint128 maxPrice;
    }

    mapping(address asset => Feed) private _feeds;

    /// @dev The implementation holds nothing: the router runs behind a GovernedProxy, whose
    /// constructor sets its authority (`initialize`, AuthorityInit).
    constructor() {}

    // ================================================================ governance

    /// @inheritdoc IOracleRouter
    function setFeed(address asset, FeedConfig calldata config) external restricted {
        if (asset == address(0)) revert InvalidFeedConfig(asset, "zero asset");
        if (address(config.primary) == address(0)) revert InvalidFeedConfig(asset, "no primary feed");
        if (config.primaryHeartbeat == 0) revert InvalidFeedConfig(asset, "zero heartbeat");
        if (config.maxPrice == 0 || config.minPrice > config.maxPrice) revert InvalidFeedConfig(asset, "bounds");
        uint8 primaryDecimals = _decimalsOf(asset, config.primary);
        uint8 secondaryDecimals;
        if (address(config.secondary) != address(0)) {
            if (config.secondaryHeartbeat == 0) revert InvalidFeedConfig(asset, "zero secondary heartbeat");
            if (config.maxDeviationBps == 0 || config.maxDeviationBps > BPS) {
                revert InvalidFeedConfig(asset, "maxDeviationBps");
            }
            secondaryDecimals = _decimalsOf(asset, config.secondary);
        }
        FeedConfig memory previous = _configOf(_feeds[asset]);
        _feeds[asset] = Feed({
            primary: config.primary,
            primaryHeartbeat: config.primaryHeartbeat,
            primaryDecimals: primaryDecimals,
            secondaryDecimals: secondaryDecimals,
            maxDeviationBps: config.maxDeviationBps,
            hasSecondary: address(config.secondary) != address(0),
            secondary: config.secondary,
            secondaryHeartbeat: config.secondaryHeartbeat,
            minPrice: config.minPrice,
            maxPrice: config.maxPrice
        });
        emit FeedSet(asset, previous, config);
    }

    /// @inheritdoc IOracleRouter
    function removeFeed(address asset) external restricted {
        FeedConfig memory previous = _configOf(_feeds[asset]);
        delete _feeds[asset];
        emit FeedRemoved(asset, previous);
    }

    // ================================================================ views

    /// @inheritdoc IOracleRouter
    function priceOf(address asset) public view returns (PriceStatus status, uint256 price18, uint256 updatedAt) {
        Feed storage feed = _feeds[asset];
        AggregatorV3Interface primary = feed.primary;
        if (address(primary) == address(0)) return (PriceStatus.NoFeed, 0, 0);
        (uint256 minPrice, uint256 maxPrice) = (feed.minPrice, feed.maxPrice);
        (status, price18, updatedAt) = _read(primary, feed.primaryHeartbeat, feed.primaryDecimals, minPrice, maxPrice);
        if (!feed.hasSecondary) return (status, price18, updatedAt);
        (PriceStatus secondaryStatus, uint256 secondaryPrice, uint256 secondaryAt) =
            _read(feed.secondary, feed.secondaryHeartbeat, feed.secondaryDecimals, minPrice, maxPrice);
        if (status == PriceStatus.Ok) {
            if (secondaryStatus != PriceStatus.Ok) return (PriceStatus.PrimaryOnly, price18, updatedAt);
            (uint256 low, uint256 high) =
                price18 < secondaryPrice ? (price18, secondaryPrice) : (secondaryPrice, price18);
            // No overflow: prices are bounded by maxPrice < 2**128.
            if ((high - low) * BPS > low * feed.maxDeviationBps) return (PriceStatus.Deviation, 0, 0);
            return (PriceStatus.Ok, price18, updatedAt);
        }
        if (secondaryStatus == PriceStatus.Ok) return (PriceStatus.Fallback, secondaryPrice, secondaryAt);
        return (status, 0, 0);
    }

    /// @inheritdoc IOracleRouter
    function price(address asset) external view returns (uint256 price18) {
        PriceStatus status;
        (status, price18,) = priceOf(asset);
        if (price18 == 0) revert PriceUnavailable(asset, status);
    }

    /// @inheritdoc IOracleRouter
    function valueIn(address[] calldata assets, uint256[] calldata amounts) external view returns (uint256) {
        return _valueIn(assets, amounts, 0, new uint80[](0));
    }

    /// @inheritdoc IOracleRouter
    function valueAfter(address[] calldata assets, uint256[] calldata amounts, uint256 time, uint80[] calldata rounds)
        external
        view
        returns (uint256)
    {
        if (rounds.length != assets.length) revert LengthMismatch(assets.length, rounds.length);
        return _valueIn(assets, amounts, time, rounds);
    }

    /// @inheritdoc IOracleRouter
    function priceAfter(address asset, uint256 time, uint80 roundId)
        public
        view
        returns (PriceStatus, uint256, uint256)
    {
        Feed storage feed = _feeds[asset];
        AggregatorV3Interface primary = feed.primary;
        if (address(primary) == address(0)) return (PriceStatus.NoFeed, 0, 0);
        (bool found, int256 answer, uint256 updatedAt) = _round(primary, roundId);
        if (!found) return (PriceStatus.FeedReverted, 0, 0);
        if (updatedAt > block.timestamp) return (PriceStatus.FutureTimestamp, 0, 0);
        if (updatedAt <= time) return (PriceStatus.NotFirstRound, 0, 0);
        // A phase's first round has no predecessor in its phase (aggregator round 1).
        if (uint64(roundId) > 1) {
            (bool previousFound,, uint256 previousAt) = _round(primary, roundId - 1);
            if (previousFound && previousAt > time) return (PriceStatus.NotFirstRound, 0, 0);
        }
        if (answer <= 0) return (PriceStatus.NonPositive, 0, 0);
        (bool fits, uint256 price18) = _to18(uint256(answer), feed.primaryDecimals);
        if (!fits || price18 == 0 || price18 < feed.minPrice || price18 > feed.maxPrice) {
            return (PriceStatus.OutOfBounds, 0, 0);
        }
        return (PriceStatus.Ok, price18, updatedAt);
    }

    /// @inheritdoc IOracleRouter
    function feedOf(address asset) external view returns (FeedConfig memory) {
        return _configOf(_feeds[asset]);
    }

    // ================================================================ internal

    /// @dev One feed's answer, validated and normalised; a failure yields its status and no price.
    function _read(AggregatorV3Interface feed, uint32 heartbeat, uint8 decimals, uint256 minPrice, uint256 maxPrice)
        internal
        view
        returns (PriceStatus, uint256, uint256)
    {
        try feed.latestRoundData() returns (uint80, int256 answer, uint256, uint256 updatedAt, uint80) {
            if (answer <= 0) return (PriceStatus.NonPositive, 0, 0);
            if (updatedAt > block.timestamp) return (PriceStatus.FutureTimestamp, 0, 0);
            if (updatedAt == 0 || block.timestamp - updatedAt > heartbeat) return (PriceStatus.Stale, 0, 0);
            // An answer that does not fit 18 decimals, or that they round to 0, is out of bounds
            // (maxPrice < 2**128; a zero price is no price), never a revert or a silent 0.
            (bool fits, uint256 price18) = _to18(uint256(answer), decimals);
            if (!fits || price18 == 0 || price18 < minPrice || price18 > maxPrice) {
                return (PriceStatus.OutOfBounds, 0, 0);
            }
            return (PriceStatus.Ok, price18, updatedAt);
        } catch {
            return (PriceStatus.FeedReverted, 0, 0);
        }
    }

    /// @dev `valueIn` (live prices, `rounds` empty) and `valueAfter` (`rounds[i]`: asset i's first
    /// round after `time`).
    function _valueIn(address[] calldata assets, uint256[] calldata amounts, uint256 time, uint80[] memory rounds)
        internal
        view
        returns (uint256 total)
    {
        uint256 count = assets.length;
        if (amounts.length != count) revert LengthMismatch(count, amounts.length);
        bool strike = rounds.length != 0;
        total = amounts[0];
        uint256 quotePrice;
        uint256 quoteUnit;
        // Bounded by the caller's arrays (the vault's: MAX_ASSETS).
        for (uint256 i = 1; i < count; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            if (quotePrice == 0) {
                quotePrice = _priceFor(assets[0], time, strike ? rounds[0] : 0, strike);
                quoteUnit = 10 ** IERC20Metadata(assets[0]).decimals();
            }
            address asset = assets[i];
            uint256 price18 = _priceFor(asset, time, strike ? rounds[i] : 0, strike);
            uint256 value18 = Math.mulDiv(amount, price18, 10 ** IERC20Metadata(asset).decimals());
            total += Math.mulDiv(value18, quoteUnit, quotePrice);
        }
    }

    /// @dev `asset`'s usable price: live (`priceOf`), or at round `roundId` after `time` (`priceAfter`).
    function _priceFor(address asset, uint256 time, uint80 roundId, bool strike)
        internal
        view
        returns (uint256 price18)
    {
        PriceStatus status;
        if (strike) {
            (status, price18,) = priceAfter(asset, time, roundId);
        } else {
            (status, price18,) = priceOf(asset);
        }
        if (price18 == 0) revert PriceUnavailable(asset, status);
    }

    /// @dev Round `roundId` of `feed`: `found` false when the feed reverts or has no such round
    /// (Chainlink's aggregators either revert or answer a zero timestamp).
    function _round(AggregatorV3Interface feed, uint80 roundId)
        internal
        view
        returns (bool found, int256 answer, uint256 updatedAt)
    {
        try feed.getRoundData(roundId) returns (uint80, int256 answer_, uint256, uint256 updatedAt_, uint80) {
            return (updatedAt_ != 0, answer_, updatedAt_);
        } catch {
            return (false, 0, 0);
        }
    }

    function _configOf(Feed storage feed) internal view returns (FeedConfig memory) {
        return FeedConfig({
            primary: feed.primary,
            primaryHeartbeat: feed.primaryHeartbeat,
            secondary: feed.secondary,
            secondaryHeartbeat: feed.secondaryHeartbeat,
            maxDeviationBps: feed.maxDeviationBps,
            minPrice: feed.minPrice,
            maxPrice: feed.maxPrice
        });
    }

    /// @dev `answer` (positive, below 2**255) at `decimals` (at most 36) with 18 decimals; `fits`
    /// false when that overflows (the caller reports it out of bounds: no bound reaches it).
    function _to18(uint256 answer, uint8 decimals) internal pure returns (bool fits, uint256) {
        if (decimals >= 18) return (true, answer / 10 ** (decimals - 18));
        uint256 scale = 10 ** (18 - decimals);
        if (answer > type(uint256).max / scale) return (false, 0);
        // No overflow: compared just above.
        return (true, answer * scale);
    }

    function _decimalsOf(address asset, AggregatorV3Interface feed) internal view returns (uint8 decimals) {
        if (address(feed).code.length == 0) revert InvalidFeedConfig(asset, "feed has no code");
        decimals = feed.decimals();
        if (decimals > MAX_FEED_DECIMALS) revert InvalidFeedConfig(asset, "feed decimals above 36");
        feed.latestRoundData(); // Reverts here, not in a later read, if the feed cannot answer.
    }
}
