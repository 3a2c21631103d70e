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
    /// The 18-decimal price is outside [minPrice, maxPrice], is 0 (a positive answer of more than
    /// 18 decimals that rounds to nothing), or does not fit 256 bits (SEC-55).
    OutOfBounds,
    /// Both feeds valid but further apart than maxDeviationBps.
    Deviation,
    /// `priceAfter` only: the round was published at or before the time asked, or a round between
    /// it and that time was (it is not the first after it).
    NotFirstRound
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
/// only accepts contracts that answer `decimals()` and `latestRoundData()`. Any well-formed answer
/// yields a status, however large (`OutOfBounds` when it overflows 18 decimals or rounds to 0), so
/// a failing primary always falls back to a healthy secondary (SEC-55).
interface IOracleRouter {
    error PriceUnavailable(address asset, PriceStatus status);
    error InvalidFeedConfig(address asset, string reason);
    /// @notice `valueIn` / `valueAfter` were given `given` amounts or rounds for `assets` assets.
    error LengthMismatch(uint256 assets, uint256 given);

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

    /// @notice The value of `amounts` of `assets` in units of `assets[0]` (the quote asset, its own
    /// amount counted at par) at validated live prices, rounded down: amounts[0] + the sum of
    /// amount_i x price_i / 10**decimals_i x 10**decimals_0 / price_0. An asset of amount 0 needs no
    /// price (the quote's is read only when another asset has an amount). Reverts
    /// `PriceUnavailable(asset, status)` for an asset with an amount and no usable price. What a
    /// PortfolioVault's NAV is (`totalAssets`).
    function valueIn(address[] calldata assets, uint256[] calldata amounts) external view returns (uint256);

    /// @notice `valueIn` at the strike of a deal made at `time` (SEC-53): every price is that of the
    /// round `rounds[i]` of asset i's primary feed, which must be the first it published after
    /// `time` (`priceAfter`; `PriceUnavailable(asset, status)` otherwise, `NotFirstRound` among
    /// them). `rounds` has one id per asset (ignored where no price is needed).
    function valueAfter(address[] calldata assets, uint256[] calldata amounts, uint256 time, uint80[] calldata rounds)
        external
        view
        returns (uint256);

    /// @notice The price of `asset` at round `roundId` of its primary feed, when that round is the
    /// first the feed published after `time` (the strike of a deal made at `time`, SEC-53).
    /// @dev Checked: the round exists (`FeedReverted` otherwise), was published after `time`
    /// (`NotFirstRound`) and not in the future (`FutureTimestamp`), its predecessor in its phase
    /// (`roundId - 1`) was published at or before `time` or does not exist (`NotFirstRound`), its
    /// answer is positive (`NonPositive`) and within the feed's bounds (`OutOfBounds`), as `priceOf`
    /// normalises it. NOT checked: the heartbeat (a first price after `time` may come late: it is
    /// still the first), the secondary feed (no cross-check of a past round), and the previous
    /// phase for a phase's first round (an aggregator upgrade behind a proxy: a round of the
    /// previous phase published after `time` is not looked for).
    /// @return status `Ok` with the price, else why not (price and time 0).
    function priceAfter(address asset, uint256 time, uint80 roundId)
        external
        view
        returns (PriceStatus status, uint256 price18, uint256 updatedAt);

    function feedOf(address asset) external view returns (FeedConfig memory);
}
