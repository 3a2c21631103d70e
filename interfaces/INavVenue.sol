// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IBondServicer} from "./IBondServicer.sol";

/// @notice Primary market terms of one fund token against the venue's cash token.
struct NavMarket {
    /// Fee on subscriptions (cash in, fund token out), in basis points of the NAV value.
    uint16 subscribeFeeBps;
    /// Fee on redemptions (fund token in, cash out), in basis points of the NAV value.
    uint16 redeemFeeBps;
    /// The net cash notional the venue accepts per UTC day in each direction (its depth): the
    /// day's subscriptions less its redemptions stay within +-dailyCapacity, so a round trip nets
    /// out and uses none of it (SEC-57). Below 2**96 (`setMarket` refuses more: LIQ-23).
    uint128 dailyCapacity;
    bool listed;
    /// The largest NAV move, in basis points of the previous NAV, that one report of the token's
    /// price may make, as the issuer (who runs the reporter) states it. The desk deals at the last
    /// reported NAV, so a trader who knows the next report may deal before it: buy before a rise,
    /// redeem before a fall, and unwind after it here or on any other venue, or hold through a run
    /// of such reports. Each fee on its own must cover this move (subscribeFeeBps >= maxNavMoveBps
    /// and redeemFeeBps >= maxNavMoveBps; `setMarket` refuses them otherwise, `FeeBelowNavMove`),
    /// so no leg dealt at a NAV one report stale is worth more at the next NAV than it cost, and
    /// no run of them gains (SEC-171; a round trip across one report, SEC-145, is one case). The
    /// bound the fees afford is min(subscribeFeeBps, redeemFeeBps). At least 1 on a listed market;
    /// at most 500 on any market, listed or not (the fee cap; `setMarket` refuses more: LIQ-23).
    uint16 maxNavMoveBps;
}

/// @notice One order of a basket (`INavVenue.swapBasket`).
struct NavOrder {
    /// The fund token (listed; never the cash token).
    address token;
    /// Cash in, `token` out; else `token` in, cash out.
    bool subscribing;
    /// Cash paid (subscribing) or tokens redeemed.
    uint256 amountIn;
    /// Least `token` (subscribing) or cash (redeeming) this order must fill for.
    uint256 minAmountOut;
}

/// @notice What a caller of `INavVenue.swapWithCallback` implements: pay the desk its input.
interface INavVenueCallback {
    /// @notice Called by the desk during `swapWithCallback`, after it sent the output: transfer at
    /// least `amountIn` of `tokenIn` to the desk (`msg.sender`). `data` is the caller's, passed through.
    function navVenueCallback(address tokenIn, uint256 amountIn, bytes calldata data) external;
}

/// @title INavVenue
/// @notice The issuer's primary subscription and redemption desk: fund tokens against cash at the
/// oracle NAV plus a fee, from the venue's inventory, up to a daily capacity. Deterministic and
/// oracle-priced, it is the deep, narrow-spread source for tokenized treasuries that AMM pools are
/// not. The venue holds security tokens, so it is registered as a verified venue identity.
///
/// Checked: prices (a NAV only with a valid oracle status), capacity, inventory, minimum output,
/// the guardian's pause (`pause`, SEC-146), and at listing that each fee on its own covers the
/// market's `maxNavMoveBps` (SEC-171, which supersedes SEC-145's round-trip floor
/// (1 - subscribeFee)(1 - redeemFee) <= 1 - maxNavMove: that covered a round trip across one
/// report, not a leg dealt stale on each side of a run of reports, nor one stale leg unwound on
/// another venue).
/// NOT checked: the recipient's eligibility (the security token's compliance does that on transfer);
/// that a report moves the NAV by at most `maxNavMoveBps` (the oracle and ReporterPriceFeed bound
/// no move; the issuer's reporter must keep to it, and the InstrumentRegistry's `maxNavMoveBps` per
/// strike, 200 bps by default, is a separate bound): a report beyond it lets a leg dealt before it
/// take the excess from the desk's inventory. The desk deals at the last reported NAV, not at
/// the next one (no forward pricing, no pause around a report): its fees are the dealing spread
/// that makes that safe within the bound.
interface INavVenue {
    error MarketNotListed(address token);
    error UnsupportedPair(address tokenIn, address tokenOut);
    error NavUnavailable(address token, uint8 status);
    error CapacityExceeded(address token, uint256 notional, uint256 remaining);
    error InsufficientInventory(address token, uint256 amountOut, uint256 inventory);
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);
    error InvalidMarket(address token, string reason);
    error ZeroAmount();
    /// @notice A listed market's `subscribeFeeBps` or `redeemFeeBps` is below its `maxNavMoveBps`
    /// (or it states no move, `maxNavMoveBps` 0): each fee must cover the move on its own (SEC-171).
    error FeeBelowNavMove(address token, uint16 subscribeFeeBps, uint16 redeemFeeBps, uint16 maxNavMoveBps);
    /// @notice The guardian paused the desk (SEC-146): no fill until GOVERNOR's `unpause`.
    error DeskPaused();
    /// @notice `swapWithCallback`'s caller paid `received` of `tokenIn` where `amountIn` was due.
    error PaymentNotReceived(address tokenIn, uint256 received, uint256 amountIn);
    /// @notice A basket of `count` orders: at least one, at most `max` (16).
    error InvalidBasket(uint256 count, uint256 max);
    /// @notice A basket names `token` in two orders.
    error DuplicateOrder(address token);

    event MarketSet(address indexed token, NavMarket previous, NavMarket market);
    event Subscribed(
        address indexed token,
        address indexed payer,
        address indexed recipient,
        uint256 cashIn,
        uint256 tokensOut,
        uint256 nav18
    );
    event Redeemed(
        address indexed token,
        address indexed payer,
        address indexed recipient,
        uint256 tokensIn,
        uint256 cashOut,
        uint256 nav18
    );
    event InventoryWithdrawn(address indexed token, address indexed to, uint256 amount);
    /// @notice `servicer` paid the desk `paid` (payment-asset base units) on its inventory.
    event IncomeClaimed(address indexed servicer, uint256 paid);
    event PausedSet(bool previous, bool paused);

    /// @notice Subscribes (tokenIn = cash) or redeems (tokenOut = cash); pulls `amountIn` from the caller.
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient)
        external
        returns (uint256 amountOut);

    /// @notice `swap` paid by callback instead of allowance (Uniswap V3's pattern): same terms and
    /// checks, then the desk sends the output to `recipient`, calls
    /// `INavVenueCallback(msg.sender).navVenueCallback(tokenIn, amountIn, data)`, and reverts
    /// `PaymentNotReceived` unless its own `tokenIn` balance grew by at least `amountIn` meanwhile.
    /// The caller's payer can send the input straight to the desk (the aggregator's route payer, by
    /// allowance or by its own callback): one transfer of `tokenIn` instead of two and no
    /// allowance written — for a security token, one compliance check instead of two.
    function swapWithCallback(
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        bytes calldata data
    ) external returns (uint256 amountOut);

    /// @notice Several subscriptions and redemptions at once, the cash legs settled net (a
    /// rebalance's basket: `IPortfolioVault.tradeBasket`). Each order is filled as `swap` fills it
    /// (listed, its own NAV, fee, the day's capacity used once for its token, its minimum output);
    /// then the desk sends the net cash (when the redemptions' cash exceeds the subscriptions')
    /// and each subscription's tokens to `recipient`, and asks the caller for each redemption's
    /// tokens and the net cash it owes (when the subscriptions' cash exceeds the redemptions') by
    /// `ISwapPayer(msg.sender).payForSwap(token, desk, amount)`, reverting `PaymentNotReceived`
    /// unless its own balance of that token grew by at least the amount. One cash transfer instead
    /// of one per order; for a security token, still one compliance-checked transfer per order.
    /// @dev Reverts `InvalidBasket` for no order or more than 16, `DuplicateOrder` for a token named
    /// twice, and what `swap` reverts with for an order (the cash inventory is checked once, net:
    /// `InsufficientInventory(cash, owed, inventory)`). NOT checked: the recipient's eligibility
    /// (each security token's compliance is, on its transfer).
    /// @return amountsOut Per order, what it filled for (tokens, or cash before netting).
    /// @return netCash Cash sent to `recipient` (positive) or taken from the caller (negative).
    function swapBasket(NavOrder[] calldata orders, address recipient)
        external
        returns (uint256[] memory amountsOut, int256 netCash);

    /// @notice What `swap` would deliver now; 0 when it would revert (unlisted, no NAV, capacity,
    /// inventory, paused, or a note whose balances its servicer holds fixed: from a coupon's record
    /// date until it is recorded, and for good once redemption starts, SEC-173).
    /// @dev A note is a token answering `servicer()` (BondShareToken); the quote reads the
    /// servicer's `servicing()` and applies IBondServicer's rule. NOT checked: the recipient's and
    /// the caller's eligibility (each token's compliance is, on its transfer).
    function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut);

    /// @notice Cash notional still accepted today for `token` in one direction: subscriptions
    /// (`subscribing`) dailyCapacity - net, redemptions dailyCapacity + net, `net` the day's
    /// subscriptions less its redemptions (0 when negative). A fill in one direction gives the
    /// other as much room back (SEC-57).
    /// @dev Warning: net, not gross: a holder may move the net to the capacity one way and so
    /// refuse that direction to others for the day, at the cost of holding what it bought (or
    /// having sold what it held) at NAV plus the fee; a round trip costs its fees and blocks nothing.
    function remainingCapacity(address token, bool subscribing) external view returns (uint256);

    // ---------------------------------------------------------------- issuer
    /// @notice Lists or delists `token` with its fees (each at most 500 bps), daily capacity (below
    /// 2**96, in cash base units) and the largest NAV move a report makes (at most 500 bps; each fee
    /// of a listed market must be at least it: `FeeBelowNavMove`, SEC-171); anything wider reverts
    /// `InvalidMarket` with its reason. What was dealt today is kept: the new capacity bounds the
    /// day's net flow so far (LIQ-23: terms and the day's net are one storage word).
    /// OPERATOR role (day-to-day, no execution delay).
    function setMarket(address token, NavMarket calldata market) external;
    /// @notice Takes inventory (fund tokens or cash) out of the venue. Inventory goes in by transfer.
    /// GOVERNOR role (scheduled with an execution delay on live networks, cancellable by the
    /// guardian): the inventory is the issuer's capital, not an operator's to move (SEC-8).
    function withdrawInventory(address token, address to, uint256 amount) external;
    /// @notice Claims what a note's servicer owes the desk on its inventory: coupons, or with
    /// `redemption` its redemption and coupons (`IncomeClaimed`); paid to the desk, in its cash
    /// when that is the note's payment asset. OPERATOR role: it only brings money in. No one else
    /// can claim for the desk (`IBondServicer.ClaimForAContract`, SEC-159): a claim made for it
    /// inside a payment callback would have counted as the caller's payment. Not checked: that
    /// `servicer` serves a listed token (it is called, and pays only the desk).
    function claimIncome(IBondServicer servicer, bool redemption) external returns (uint256 paid);
    /// @notice Halts every fill (`DeskPaused`; quotes are 0). GUARDIAN role: the guardian halts,
    /// never resumes (SEC-12, SEC-146).
    function pause() external;
    /// @notice Lifts the guardian's pause. GOVERNOR role.
    function unpause() external;
    function paused() external view returns (bool);

    function cash() external view returns (address);
    function oracle() external view returns (address);
    function marketOf(address token) external view returns (NavMarket memory);
}
