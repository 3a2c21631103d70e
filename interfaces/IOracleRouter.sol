// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "@chainlink/contracts/src/v0.8/shared/interfaces/AggregatorV3Interface.sol";

/// @notice Outcome of one price read. `Ok`, `PrimaryOnly` and `Fallback` carry a price; every
/// other status carries none (price 0) and the asset counts as unpriced.
enum PriceStatus {
    /// Primary valid, and the secondary (if any) valid and within the allowed deviation.
    Ok,
    /// Primary valid; the secondary is configured but failed its own checks (no cross-check).
    PrimaryOnly,
    /// Primary failed; the configured secondary is valid and its price is returned.
    Fallback,
    NoFeed,
    /// The feed call reverted (or ran out of gas).
    FeedReverted,
    /// answer <= 0.
    NonPositive,
    /// updatedAt is zero or older than the feed's heartbeat.
    Stale,
    /// updatedAt is after the current block's timestamp.
    FutureTimestamp,
    /// The 18-decimal price is outside [minPrice, maxPrice].
    OutOfBounds,
    /// Both feeds valid but further apart than maxDeviationBps.
    Deviation
}

/// @notice Per-asset feed settings. Prices are normalised to 18 decimals before bounds apply.
struct FeedConfig {
    AggregatorV3Interface primary;
    /// Longest accepted age of the primary's answer, in seconds.
    uint32 primaryHeartbeat;
    /// Optional cross-check / fallback feed (address(0): none).
    AggregatorV3Interface secondary;
    uint32 secondaryHeartbeat;
    /// Largest accepted |primary - secondary| / min(primary, secondary), in basis points.
    uint16 maxDeviationBps;
    /// Sanity bounds on the 18-decimal price (a circuit breaker for a feed gone wrong).
    uint128 minPrice;
    uint128 maxPrice;
}

/// @title IOracleRouter
/// @notice Chainlink-compatible price reads with per-feed validation: heartbeat staleness,
/// answer > 0, no future timestamp, min/max bounds, decimals normalised to 18, optional secondary
/// feed with a maximum deviation. A failing feed never yields a price silently: `priceOf` returns
/// a status, and `price` reverts with `PriceUnavailable(asset, status)`.
/// @dev Role mapping (deploy script): `setFeed` / `removeFeed` -> GOVERNOR (timelocked).
/// Warning: does not check an L2 sequencer-uptime feed; deploy on an L2 only with such a check
/// added. Does not look at round ids (`answeredInRound` is deprecated upstream); freshness is the
/// heartbeat check. A feed that returns malformed data (not 5 words) reverts the caller: `setFeed`
/// only accepts contracts that answer `decimals()` and `latestRoundData()`.
interface IOracleRouter {
    error PriceUnavailable(address asset, PriceStatus status);
    error InvalidFeedConfig(address asset, string reason);

    event FeedSet(address indexed asset, FeedConfig previous, FeedConfig next);
    event FeedRemoved(address indexed asset, FeedConfig previous);

    /// @notice Sets (or replaces) the feeds of `asset`; reads both feeds' decimals once.
    function setFeed(address asset, FeedConfig calldata config) external;
    function removeFeed(address asset) external;

    /// @notice The validated 18-decimal price of one unit of `asset` (quote currency of its feed).
    /// @return status `Ok`, `PrimaryOnly` or `Fallback` when `price18` is usable, else why not.
    /// @return price18 The price with 18 decimals (0 when unusable).
    /// @return updatedAt The answer's timestamp (0 when unusable).
    function priceOf(address asset) external view returns (PriceStatus status, uint256 price18, uint256 updatedAt);

    /// @notice Like `priceOf`, reverting `PriceUnavailable(asset, status)` when there is no usable price.
    function price(address asset) external view returns (uint256 price18);

    function feedOf(address asset) external view returns (FeedConfig memory);
}
