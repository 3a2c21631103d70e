// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IBondServicer} from "../../../interfaces/IBondServicer.sol";
import {INavVenue, INavVenueCallback, NavMarket, NavOrder} from "../../../interfaces/INavVenue.sol";
import {ISwapPayer} from "../../../interfaces/ILiquidityAggregator.sol";
import {IOracleRouter, PriceStatus} from "../../../interfaces/IOracleRouter.sol";
import {BPS} from "../../libraries/Constants.sol";
import {DeskWord, DeskWordLibrary} from "../../types/NavVenueWords.sol";

/// @title NavVenue
/// @notice The issuer's primary subscription/redemption desk (see INavVenue).
contract NavVenue is INavVenue, AccessManaged, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev The fee cap INavVenue states; a market word holds no more (DeskWord).
    uint16 internal constant MAX_FEE_BPS = uint16(DeskWordLibrary.MAX_BPS);
    /// @dev Most orders one `swapBasket` takes (INavVenue states it: a vault's MAX_ASSETS).
    uint256 internal constant MAX_ORDERS = 16;

    address public immutable cash;
    address public immutable oracle;
    uint8 internal immutable _cashDecimals;

    /// @dev A market's terms, the token's decimals and the net cash notional of the day's fills
    /// (subscriptions add, redemptions subtract: SEC-57) in one word per token (DeskWord, LIQ-23):
    /// a fill reads it once and rewrites it, on a new day too (never a fresh slot per day).
    mapping(address token => DeskWord) private _desks;
    /// @inheritdoc INavVenue
    bool public paused;

    constructor(address authority, address cash_, address oracle_) AccessManaged(authority) {
        cash = cash_;
        oracle = oracle_;
        _cashDecimals = IERC20Metadata(cash_).decimals();
    }

    /// @inheritdoc INavVenue
    function swap(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, address recipient)
        external
        nonReentrant
        returns (uint256 amountOut)
    {
        bool subscribing;
        uint256 nav18;
        (amountOut, subscribing, nav18) = _fill(tokenIn, tokenOut, amountIn, minAmountOut, true);
        IERC20(tokenIn).safeTransferFrom(msg.sender, address(this), amountIn);
        IERC20(tokenOut).safeTransfer(recipient, amountOut);
        _emitFill(tokenIn, tokenOut, subscribing, amountIn, amountOut, recipient, nav18);
    }

    /// @inheritdoc INavVenue
    function swapWithCallback(
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 minAmountOut,
        address recipient,
        bytes calldata data
    ) external nonReentrant returns (uint256 amountOut) {
        bool subscribing;
        uint256 nav18;
        (amountOut, subscribing, nav18) = _fill(tokenIn, tokenOut, amountIn, minAmountOut, true);
        _emitFill(tokenIn, tokenOut, subscribing, amountIn, amountOut, recipient, nav18);
        uint256 balanceBefore = IERC20(tokenIn).balanceOf(address(this));
        IERC20(tokenOut).safeTransfer(recipient, amountOut);
        INavVenueCallback(msg.sender).navVenueCallback(tokenIn, amountIn, data);
        uint256 received = IERC20(tokenIn).balanceOf(address(this)) - balanceBefore;
        if (received < amountIn) revert PaymentNotReceived(tokenIn, received, amountIn);
    }

    /// @inheritdoc INavVenue
    function swapBasket(NavOrder[] calldata orders, address recipient)
        external
        nonReentrant
        returns (uint256[] memory amountsOut, int256 netCash)
    {
        uint256 count = orders.length;
        if (count == 0 || count > MAX_ORDERS) revert InvalidBasket(count, MAX_ORDERS);
        amountsOut = new uint256[](count);
        uint256 cashIn;
        uint256 cashOut;
        // Checks and capacity, one fill per order, each at its own NAV. Bounded: count <= MAX_ORDERS.
        for (uint256 k; k < count; ++k) {
            NavOrder calldata order = orders[k];
            address token = order.token;
            // One order per token: its capacity is used once and its inventory checked once.
            for (uint256 j; j < k; ++j) {
                if (orders[j].token == token) revert DuplicateOrder(token);
            }
            (address tokenIn, address tokenOut) = order.subscribing ? (cash, token) : (token, cash);
            (uint256 amountOut,, uint256 nav18) =
                _fill(tokenIn, tokenOut, order.amountIn, order.minAmountOut, order.subscribing);
            amountsOut[k] = amountOut;
            if (order.subscribing) cashIn += order.amountIn;
            else cashOut += amountOut;
            _emitFill(tokenIn, tokenOut, order.subscribing, order.amountIn, amountOut, recipient, nav18);
        }
        // The cash legs settle net: one transfer, out of the desk's inventory or paid in below.
        if (cashOut > cashIn) {
            uint256 owed = cashOut - cashIn;
            uint256 inventory = IERC20(cash).balanceOf(address(this));
            if (owed > inventory) revert InsufficientInventory(cash, owed, inventory);
            netCash = int256(owed); // No truncation: at most the desk's balance.
            IERC20(cash).safeTransfer(recipient, owed);
        } else {
            netCash = -int256(cashIn - cashOut); // No truncation: at most the orders' amounts.
        }
        // The fund tokens out. Bounded: count <= MAX_ORDERS.
        for (uint256 k; k < count; ++k) {
            if (orders[k].subscribing) IERC20(orders[k].token).safeTransfer(recipient, amountsOut[k]);
        }
        // The inputs: each asked of the caller (`ISwapPayer.payForSwap`) and measured by the desk's
        // own balance. Bounded: count <= MAX_ORDERS.
        for (uint256 k; k < count; ++k) {
            if (!orders[k].subscribing) _collect(orders[k].token, orders[k].amountIn);
        }
        if (netCash < 0) _collect(cash, uint256(-netCash));
    }

    /// @inheritdoc INavVenue
    function quote(address tokenIn, address tokenOut, uint256 amountIn) external view returns (uint256 amountOut) {
        if (amountIn == 0) return 0;
        address token;
        bool subscribing;
        if (tokenIn == cash) (token, subscribing) = (tokenOut, true);
        else if (tokenOut == cash) (token, subscribing) = (tokenIn, false);
        else return 0;
        DeskWord desk = _desks[token];
        if (!desk.listed() || paused || _balancesFixed(token)) return 0;
        (PriceStatus status, uint256 nav18,) = IOracleRouter(oracle).priceOf(token);
        if (nav18 == 0 || uint8(status) > uint8(PriceStatus.Fallback)) return 0;
        uint256 cashNotional;
        (amountOut, cashNotional) = _amountOut(subscribing, amountIn, nav18, desk);
        // The word already read: today's room in the direction, as remainingCapacity answers it.
        uint256 room = _remaining(desk.dailyCapacity(), desk.netOn(block.timestamp / 1 days), subscribing);
        if (cashNotional > room) return 0;
        if (amountOut > IERC20(tokenOut).balanceOf(address(this))) return 0;
    }

    /// @inheritdoc INavVenue
    function remainingCapacity(address token, bool subscribing) public view returns (uint256) {
        DeskWord desk = _desks[token];
        return _remaining(desk.dailyCapacity(), desk.netOn(block.timestamp / 1 days), subscribing);
    }

    /// @inheritdoc INavVenue
    function setMarket(address token, NavMarket calldata market) external restricted {
        if (token == address(0) || token == cash) revert InvalidMarket(token, "token");
        if (market.subscribeFeeBps > MAX_FEE_BPS || market.redeemFeeBps > MAX_FEE_BPS) {
            revert InvalidMarket(token, "fee above 500 bps");
        }
        // A move above the fee cap could never be listed (SEC-171 below); the word holds 9 bits.
        if (market.maxNavMoveBps > MAX_FEE_BPS) revert InvalidMarket(token, "NAV move above 500 bps");
        if (market.dailyCapacity > DeskWordLibrary.MAX_CAPACITY) {
            revert InvalidMarket(token, "daily capacity above 2**96 - 1");
        }
        // The fees are the spread that makes dealing at the last NAV safe, each leg on its own
        // (SEC-171): a subscription before a rise within maxNavMoveBps is worth (1 - s)(1 + m) <= 1
        // of its cash at the next NAV, a redemption before a fall pays (1 - r) <= (1 - m) of the
        // tokens' next value, so no stale leg, and no run of them, gains.
        uint16 move = market.maxNavMoveBps;
        if (market.listed && (move == 0 || market.subscribeFeeBps < move || market.redeemFeeBps < move)) {
            revert FeeBelowNavMove(token, market.subscribeFeeBps, market.redeemFeeBps, move);
        }
        DeskWord desk = _desks[token];
        NavMarket memory previous = _terms(desk);
        // The day's usage is kept: new terms do not reset what was dealt today. No truncation:
        // each fee and the move <= MAX_FEE_BPS (= DeskWordLibrary.MAX_BPS), the capacity <= 2**96 - 1.
        _desks[token] = desk.setTerms(
            market.subscribeFeeBps,
            market.redeemFeeBps,
            market.maxNavMoveBps,
            market.listed,
            IERC20Metadata(token).decimals(),
            uint96(market.dailyCapacity)
        );
        emit MarketSet(token, previous, market);
    }

    /// @inheritdoc INavVenue
    function withdrawInventory(address token, address to, uint256 amount) external restricted {
        IERC20(token).safeTransfer(to, amount);
        emit InventoryWithdrawn(token, to, amount);
    }

    /// @inheritdoc INavVenue
    function claimIncome(IBondServicer servicer, bool redemption)
        external
        restricted
        nonReentrant
        returns (uint256 paid)
    {
        if (redemption) {
            (uint256 coupons, uint256 principal) = servicer.redeem(address(this));
            paid = coupons + principal;
        } else {
            paid = servicer.claimCoupons(address(this));
        }
        emit IncomeClaimed(address(servicer), paid);
    }

    /// @inheritdoc INavVenue
    function pause() external restricted {
        _setPaused(true);
    }

    /// @inheritdoc INavVenue
    function unpause() external restricted {
        _setPaused(false);
    }

    /// @inheritdoc INavVenue
    function marketOf(address token) external view returns (NavMarket memory) {
        return _terms(_desks[token]);
    }

    /// @dev Every check of a fill, then its capacity use (the one effect before the transfers).
    /// @return amountOut What the recipient gets.
    /// @return subscribing Cash in, fund token out.
    /// @return nav18 The oracle NAV it was priced at.
    /// @param checkInventory Whether to check the output against the desk's balance (a basket's
    /// cash is checked once, net).
    function _fill(address tokenIn, address tokenOut, uint256 amountIn, uint256 minAmountOut, bool checkInventory)
        internal
        returns (uint256 amountOut, bool subscribing, uint256 nav18)
    {
        if (amountIn == 0) revert ZeroAmount();
        address token;
        (token, subscribing) = _pairOf(tokenIn, tokenOut);
        DeskWord desk = _desks[token];
        if (!desk.listed()) revert MarketNotListed(token);
        nav18 = _price(token);
        uint256 cashNotional;
        (amountOut, cashNotional) = _amountOut(subscribing, amountIn, nav18, desk);
        uint256 today = block.timestamp / 1 days;
        int256 net = desk.netOn(today);
        uint256 remaining = _remaining(desk.dailyCapacity(), net, subscribing);
        if (cashNotional > remaining) revert CapacityExceeded(token, cashNotional, remaining);
        if (checkInventory) {
            uint256 inventory = IERC20(tokenOut).balanceOf(address(this));
            if (amountOut > inventory) revert InsufficientInventory(tokenOut, amountOut, inventory);
        }
        if (amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);
        // No truncation: cashNotional <= remaining <= 2 x dailyCapacity (< 2**97), so the net stays
        // within +-dailyCapacity (< 2**96) in the direction dealt (DeskWord's 100 bits hold it).
        net = subscribing ? net + int256(cashNotional) : net - int256(cashNotional);
        _desks[token] = desk.setUsage(today, net);
    }

    function _emitFill(
        address tokenIn,
        address tokenOut,
        bool subscribing,
        uint256 amountIn,
        uint256 amountOut,
        address recipient,
        uint256 nav18
    ) internal {
        if (subscribing) {
            emit Subscribed(tokenOut, msg.sender, recipient, amountIn, amountOut, nav18);
        } else {
            emit Redeemed(tokenIn, msg.sender, recipient, amountIn, amountOut, nav18);
        }
    }

    /// @dev Asks the caller for `amount` of `token` (`ISwapPayer.payForSwap(token, desk, amount)`)
    /// and reverts `PaymentNotReceived` unless the desk's balance grew by at least that.
    function _collect(address token, uint256 amount) internal {
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        ISwapPayer(msg.sender).payForSwap(token, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received < amount) revert PaymentNotReceived(token, received, amount);
    }

    /// @dev What a fill in the direction may still add to the day's net flow before it passes the
    /// capacity that way: a subscription capacity - net, a redemption capacity + net (0 if below).
    function _remaining(uint256 capacity, int256 net, bool subscribing) internal pure returns (uint256) {
        // No overflow: capacity < 2**96 and |net| < 2**99.
        int256 room = subscribing ? int256(capacity) - net : int256(capacity) + net;
        return room > 0 ? uint256(room) : 0;
    }

    function _terms(DeskWord desk) internal pure returns (NavMarket memory) {
        return NavMarket(
            desk.subscribeFeeBps(), desk.redeemFeeBps(), desk.dailyCapacity(), desk.listed(), desk.maxNavMoveBps()
        );
    }

    function _setPaused(bool paused_) internal {
        bool previous = paused;
        paused = paused_;
        emit PausedSet(previous, paused_);
    }

    /// @dev Whether `token` is a note whose servicer holds balances fixed now, so that every fill of
    /// it reverts `BalancesFixed` (SEC-173): IBondServicer's rule, from `servicing()`: redemption
    /// started, or the next record date reached (until that coupon is recorded). A token that
    /// answers no `servicer()` (a fund's SecurityToken), or a servicer no `servicing()`, is not one.
    function _balancesFixed(address token) internal view returns (bool) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSignature("servicer()"));
        if (!ok || data.length != 32) return false;
        address servicer = address(uint160(uint256(bytes32(data))));
        (ok, data) = servicer.staticcall(abi.encodeCall(IBondServicer.servicing, ()));
        if (!ok || data.length != 128) return false;
        (,, uint256 nextRecordDate, bool redeeming) = abi.decode(data, (uint256, uint256, uint256, bool));
        return redeeming || (nextRecordDate != 0 && block.timestamp >= nextRecordDate);
    }

    function _pairOf(address tokenIn, address tokenOut) internal view returns (address token, bool subscribing) {
        if (tokenIn == cash && tokenOut != cash) return (tokenOut, true);
        if (tokenOut == cash && tokenIn != cash) return (tokenIn, false);
        revert UnsupportedPair(tokenIn, tokenOut);
    }

    /// @dev Every fill prices here: a paused desk deals at no price (SEC-146).
    function _price(address token) internal view returns (uint256 nav18) {
        if (paused) revert DeskPaused();
        PriceStatus status;
        (status, nav18,) = IOracleRouter(oracle).priceOf(token);
        // Ok, PrimaryOnly and Fallback carry a validated price; every other status carries none.
        if (nav18 == 0 || uint8(status) > uint8(PriceStatus.Fallback)) revert NavUnavailable(token, uint8(status));
    }

    /// @dev Cash is valued at par (1 unit = 1 USD): a primary desk settles at NAV in its cash token.
    /// Outputs round down, in the venue's favour.
    function _amountOut(bool subscribing, uint256 amountIn, uint256 nav18, DeskWord desk)
        internal
        view
        returns (uint256 amountOut, uint256 cashNotional)
    {
        uint256 tokenUnit = 10 ** desk.decimals();
        uint256 cashUnit = 10 ** _cashDecimals;
        if (subscribing) {
            cashNotional = amountIn;
            uint256 net = Math.mulDiv(amountIn, BPS - desk.subscribeFeeBps(), BPS);
            // tokens = cash / nav, both scaled to their own units.
            amountOut = Math.mulDiv(net * 1e18 / cashUnit, tokenUnit, nav18);
        } else {
            uint256 gross = Math.mulDiv(amountIn, nav18, tokenUnit); // 18-decimal USD
            cashNotional = Math.mulDiv(gross, cashUnit, 1e18);
            amountOut = Math.mulDiv(cashNotional, BPS - desk.redeemFeeBps(), BPS);
        }
    }
}
