// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ILiquidityAggregator, TokenPolicy} from "../../interfaces/ILiquidityAggregator.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {IOracleRouter, PriceStatus} from "../../interfaces/IOracleRouter.sol";
import {LiquiditySession} from "./LiquiditySession.sol";
import {UniswapHops} from "./UniswapHops.sol";
import {NavHops} from "./NavHops.sol";
import {FillLog} from "./FillLog.sol";
import {RouteCodec} from "./RouteCodec.sol";
import {RouteTaker} from "./RouteTaker.sol";
import {RoutePayer} from "./RoutePayer.sol";
import {OrderSize} from "./OrderSize.sol";
import {BPS} from "../libraries/Constants.sol";
import {VenueWord, VenueWordLibrary, SettingsWord} from "../types/AggregatorWords.sol";

/// @title LiquidityAggregator
/// @notice Split and multi-hop order execution across allow-listed venues (see ILiquidityAggregator).
contract LiquidityAggregator is ILiquidityAggregator, AccessManaged, ReentrancyGuardTransient, Multicall {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    uint256 public constant MAX_VENUES = 32;
    uint256 public constant MAX_LEGS = 8;
    uint256 public constant MAX_HOPS = 4;
    uint256 internal constant USED = type(uint256).max;
    uint32 internal constant MAX_REVEAL_WINDOW = 7200; // About a day of 12 s blocks.
    /// @dev Most gas one venue's quote of one size may use (LIQ-22): a venue that costs more (a
    /// pool whose price crosses hundreds of initialised ticks) quotes 0 instead of exhausting the
    /// whole `quote` of every venue.
    uint256 internal constant QUOTE_HOP_GAS = 500_000;

    /// @dev Oracle, slippage cap, reveal window and pause (`AggregatorWords`): read by a swap only
    /// when the route asks for an oracle bound.
    SettingsWord private _settings;
    /// @dev One word per venue (`AggregatorWords`), read once per hop: its pauses, the adapter's
    /// native kind and the kind's key (the adapter it delegatecalls, or a pool's token key).
    mapping(address venue => VenueWord) private _venueConfig;
    /// @dev Each listed venue's adapter (0: not listed), for quotes, views and governance.
    mapping(address venue => address adapter) private _adapters;
    mapping(address adapter => bool) public isAdapter;
    EnumerableSet.AddressSet private _venues;
    mapping(address token => TokenPolicy) private _policies;
    /// @inheritdoc ILiquidityAggregator
    mapping(bytes32 commitment => uint256 blockNumber) public commitments;

    constructor(address authority, address oracle_, uint16 maxSlippageCapBps_, uint32 revealWindow_)
        AccessManaged(authority)
    {
        _setOracle(oracle_, maxSlippageCapBps_);
        _setRevealWindow(revealWindow_);
    }

    // ================================================================ trading

    /// @inheritdoc ILiquidityAggregator
    function swap(bytes calldata route) external nonReentrant returns (uint256, uint256) {
        return _execute(route, bytes32(0), false);
    }

    /// @inheritdoc ILiquidityAggregator
    function swapWithCallback(bytes calldata route) external nonReentrant returns (uint256, uint256) {
        return _execute(route, bytes32(0), true);
    }

    /// @inheritdoc ILiquidityAggregator
    /// @dev One call site for `_execute` per entry point costs about 3 KB of bytecode (the
    /// optimizer inlines it), so wallets combine this with `swap` through `multicall` rather than a
    /// third entry point that executes routes.
    function selfPermit(address token, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external {
        // A front-runner may have submitted the permit already: then the allowance is in place.
        try IERC20Permit(token).permit(msg.sender, address(this), value, deadline, v, r, s) {}
        catch {
            uint256 allowance = IERC20(token).allowance(msg.sender, address(this));
            if (allowance < value) revert PermitFailed(token, allowance, value);
        }
    }

    /// @inheritdoc ILiquidityAggregator
    function commit(bytes32 commitment) external {
        if (commitments[commitment] != 0) revert CommitmentExists(commitment);
        commitments[commitment] = block.number;
        emit Committed(msg.sender, commitment, block.number);
    }

    /// @inheritdoc ILiquidityAggregator
    function revealSwap(bytes calldata route, bytes32 salt) external nonReentrant returns (uint256, uint256) {
        bytes32 commitment = commitmentOf(msg.sender, route, salt);
        uint256 committedAt = commitments[commitment];
        if (committedAt == 0) revert CommitmentNotFound(commitment);
        if (committedAt == USED) revert CommitmentUsed(commitment);
        if (block.number <= committedAt) revert RevealTooEarly(commitment, committedAt, block.number);
        uint256 lastBlock = committedAt + _settings.revealWindow();
        if (block.number > lastBlock) revert CommitmentExpired(commitment, committedAt, lastBlock);
        commitments[commitment] = USED;
        emit Revealed(msg.sender, commitment);
        return _execute(route, commitment, false);
    }

    // ================================================================ quotes

    /// @inheritdoc ILiquidityAggregator
    function quote(address tokenIn, address tokenOut, uint256[] calldata amounts, bytes[] calldata sourceData)
        external
        nonReentrant
        returns (address[] memory venues_, uint256[][] memory amountsOut)
    {
        RouteTaker.set(msg.sender, false, false); // RFQ quotes named for the caller quote for it
        venues_ = _venues.values();
        amountsOut = new uint256[][](venues_.length);
        // Bounded: venues <= MAX_VENUES; amounts is the caller's own eth_call.
        for (uint256 i; i < venues_.length; ++i) {
            bytes calldata data = i < sourceData.length ? sourceData[i] : msg.data[0:0];
            amountsOut[i] = new uint256[](amounts.length);
            for (uint256 j; j < amounts.length; ++j) {
                amountsOut[i][j] = _quoteHop(venues_[i], tokenIn, tokenOut, amounts[j], data);
            }
        }
    }

    /// @inheritdoc ILiquidityAggregator
    function quoteRoute(bytes calldata route)
        external
        nonReentrant
        returns (uint256 amountOut, uint256[][] memory hopOutputs)
    {
        (uint256 legCount,) = _walkRoute(route); // deadline, recipient and threshold: not for a quote
        RouteTaker.set(msg.sender, false, false);
        address routeTokenOut = RouteCodec.tokenOut(route);
        hopOutputs = new uint256[][](legCount);
        uint256 at = RouteCodec.HEADER_BYTES;
        // Bounded: legs <= MAX_LEGS, hops <= MAX_HOPS (checked by _walkRoute).
        for (uint256 l; l < legCount; ++l) {
            (uint256 amount, uint256 hopCount) = RouteCodec.leg(route, at);
            at += RouteCodec.LEG_BYTES;
            hopOutputs[l] = new uint256[](hopCount);
            address tokenIn = RouteCodec.tokenIn(route);
            for (uint256 h; h < hopCount; ++h) {
                (address venue, address tokenOut, uint256 dataAt, uint256 dataLength) =
                    RouteCodec.hop(route, at, h + 1 == hopCount, routeTokenOut);
                at = dataAt + dataLength;
                amount = _quoteHop(venue, tokenIn, tokenOut, amount, route[dataAt:at]);
                hopOutputs[l][h] = amount;
                tokenIn = tokenOut;
            }
            amountOut += amount;
        }
    }

    // ================================================================ Uniswap V3 callback

    /// @inheritdoc ILiquidityAggregator
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        (address pool, address payer, address token, uint256 maxAmount) = LiquiditySession.take();
        if (pool == address(0) || msg.sender != pool) revert UnexpectedCallback(msg.sender);
        uint256 owed = uint256(amount0Delta > 0 ? amount0Delta : amount1Delta);
        if (owed > maxAmount) revert UnexpectedCallback(msg.sender);
        RoutePayer.pay(token, payer, pool, owed);
    }

    /// @inheritdoc ILiquidityAggregator
    /// @dev The token paid is the session's (the hop's input), whatever the venue names.
    function navVenueCallback(address, uint256 amountIn, bytes calldata) external {
        (address venue, address payer, address token, uint256 maxAmount) = LiquiditySession.take();
        if (venue == address(0) || msg.sender != venue || amountIn > maxAmount) revert UnexpectedCallback(msg.sender);
        RoutePayer.pay(token, payer, venue, amountIn);
    }

    // ================================================================ administration

    /// @inheritdoc ILiquidityAggregator
    function setAdapter(address adapter, bool allowed) external restricted {
        // An adapter stops being allowed only once no venue is bound to it (SEC-140): its venues
        // would otherwise keep running it (a swap reads the venue's word, not this list).
        if (!allowed) {
            address[] memory listed = _venues.values();
            // Bounded: venues <= MAX_VENUES.
            for (uint256 i; i < listed.length; ++i) {
                if (_adapters[listed[i]] == adapter) revert AdapterInUse(adapter, listed[i]);
            }
        }
        isAdapter[adapter] = allowed;
        emit AdapterSet(adapter, allowed);
    }

    /// @inheritdoc ILiquidityAggregator
    function setVenue(address venue, address adapter) external restricted {
        if (adapter != address(0) && !isAdapter[adapter]) revert AdapterNotAllowed(adapter);
        address previous = _adapters[venue];
        if (previous == address(0) && adapter != address(0)) {
            if (_venues.length() >= MAX_VENUES) revert TooManyVenues(MAX_VENUES);
            _venues.add(venue);
        } else if (previous != address(0) && adapter == address(0)) {
            _venues.remove(venue);
        }
        IVenueAdapter.NativeKind kind =
            adapter == address(0) ? IVenueAdapter.NativeKind.NONE : IVenueAdapter(adapter).nativeKind();
        uint256 key = uint160(adapter);
        if (kind == IVenueAdapter.NativeKind.UNISWAP_V2 || kind == IVenueAdapter.NativeKind.UNISWAP_V3) {
            // The pool's two tokens, read once: a hop naming any other pair is refused (SEC-141).
            key = UniswapHops.poolKey(venue);
            if (key == 0) revert VenueTokensUnreadable(venue);
        }
        // The venue's own pause is the guardian's and only `unpauseVenue` lifts it (SEC-56): kept
        // through a new adapter, a delisting and a listing again. The global bit follows the flag.
        uint8 pauses = _venueConfig[venue].pauses() & VenueWordLibrary.VENUE_PAUSE;
        if (adapter != address(0) && _settings.paused()) pauses |= VenueWordLibrary.GLOBAL_PAUSE;
        _adapters[venue] = adapter;
        _venueConfig[venue] = VenueWordLibrary.pack(key, pauses, kind);
        emit VenueSet(venue, previous, adapter);
    }

    /// @inheritdoc ILiquidityAggregator
    function setTokenPolicy(address token, TokenPolicy calldata policy) external restricted {
        TokenPolicy memory previous = _policies[token];
        _policies[token] = policy;
        emit TokenPolicySet(token, previous, policy);
    }

    /// @inheritdoc ILiquidityAggregator
    function setOracle(address oracle_, uint16 maxSlippageCapBps_) external restricted {
        _setOracle(oracle_, maxSlippageCapBps_);
    }

    /// @inheritdoc ILiquidityAggregator
    function setRevealWindow(uint32 blocks) external restricted {
        _setRevealWindow(blocks);
    }

    /// @inheritdoc ILiquidityAggregator
    function pause() external restricted {
        _setGlobalPause(true);
    }

    /// @inheritdoc ILiquidityAggregator
    function unpause() external restricted {
        _setGlobalPause(false);
    }

    /// @inheritdoc ILiquidityAggregator
    function pauseVenue(address venue) external restricted {
        _setVenuePause(venue, true);
    }

    /// @inheritdoc ILiquidityAggregator
    function unpauseVenue(address venue) external restricted {
        _setVenuePause(venue, false);
    }

    // ================================================================ views

    /// @inheritdoc ILiquidityAggregator
    function commitmentOf(address sender, bytes calldata route, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(sender, salt, route));
    }

    /// @inheritdoc ILiquidityAggregator
    function adapterOf(address venue) external view returns (address) {
        return _adapters[venue];
    }

    /// @inheritdoc ILiquidityAggregator
    function isVenuePaused(address venue) external view returns (bool) {
        return _venueConfig[venue].paused();
    }

    /// @inheritdoc ILiquidityAggregator
    function venues() external view returns (address[] memory) {
        return _venues.values();
    }

    /// @inheritdoc ILiquidityAggregator
    function tokenPolicy(address token) external view returns (TokenPolicy memory) {
        return _policies[token];
    }

    /// @inheritdoc ILiquidityAggregator
    function oracle() external view returns (address) {
        return address(_settings.oracle());
    }

    /// @inheritdoc ILiquidityAggregator
    function maxSlippageCapBps() external view returns (uint16) {
        return _settings.maxSlippageCapBps();
    }

    /// @inheritdoc ILiquidityAggregator
    function revealWindow() external view returns (uint32) {
        return _settings.revealWindow();
    }

    /// @inheritdoc ILiquidityAggregator
    function paused() external view returns (bool) {
        return _settings.paused();
    }

    /// @inheritdoc ILiquidityAggregator
    function currentTaker() external view returns (address) {
        return RouteTaker.get();
    }

    /// @dev The global pause: its flag, and its bit in every listed venue's word (a venue's own
    /// pause bit is left as it is, so lifting the global pause never lifts a venue's own).
    function _setGlobalPause(bool paused_) internal {
        _settings = _settings.setPaused(paused_);
        address[] memory listed = _venues.values();
        // Bounded: venues <= MAX_VENUES.
        for (uint256 i; i < listed.length; ++i) {
            address venue = listed[i];
            VenueWord config = _venueConfig[venue];
            uint8 pauses = config.pauses();
            _venueConfig[venue] = config.setPauses(
                paused_ ? pauses | VenueWordLibrary.GLOBAL_PAUSE : pauses & ~VenueWordLibrary.GLOBAL_PAUSE
            );
        }
        emit PausedSet(paused_);
    }

    function _setVenuePause(address venue, bool paused_) internal {
        if (_adapters[venue] == address(0)) revert VenueNotListed(venue);
        VenueWord config = _venueConfig[venue];
        uint8 pauses = config.pauses();
        _venueConfig[venue] =
            config.setPauses(paused_ ? pauses | VenueWordLibrary.VENUE_PAUSE : pauses & ~VenueWordLibrary.VENUE_PAUSE);
        emit VenuePausedSet(venue, paused_);
    }

    // ================================================================ internals

    /// @param byCallback Whether the payer pays each input by `ISwapPayer.payForSwap` (else by allowance).
    function _execute(bytes calldata route, bytes32 commitment, bool byCallback)
        internal
        returns (uint256 amountIn, uint256 amountOut)
    {
        // The route's taker, for venues that bind an order to it (RFQ), how it pays (RoutePayer),
        // and whether it was committed (the threshold of every hop's sale, `_countSale`).
        RouteTaker.set(msg.sender, byCallback, commitment != bytes32(0));
        (uint256 legCount, uint256 hops) = _checkRoute(route);
        address recipient = RouteCodec.recipient(route);
        // A payer that pays when asked (a vault) gets the output itself: no route it pays for
        // delivers elsewhere (SEC-50).
        if (byCallback && recipient != msg.sender) revert CallbackRecipientNotPayer(recipient, msg.sender);
        uint256 fills = FillLog.create(hops);
        address tokenIn = RouteCodec.tokenIn(route);
        address tokenOut = RouteCodec.tokenOut(route);
        uint256 balanceBefore = _balanceOf(tokenOut, recipient);
        uint256 at = RouteCodec.HEADER_BYTES;
        uint256 filled;
        // Bounded: legs <= MAX_LEGS (checked by _checkRoute).
        for (uint256 l; l < legCount; ++l) {
            uint256 used;
            (used, at, filled) = _executeLeg(route, at, tokenIn, tokenOut, recipient, fills, filled);
            // Cannot overflow: at most MAX_LEGS amounts, each at most a leg's uint128 amountIn.
            unchecked {
                amountIn += used;
            }
        }
        amountOut = _balanceOf(tokenOut, recipient) - balanceBefore;
        uint256 minAmountOut = RouteCodec.minAmountOut(route);
        if (amountOut < minAmountOut) revert InsufficientOutput(amountOut, minAmountOut);
        uint16 maxSlippageBps = RouteCodec.maxSlippageBps(route);
        if (maxSlippageBps != 0) _checkOracleBound(tokenIn, tokenOut, maxSlippageBps, amountIn, amountOut);
        FillLog.emitRouteExecuted(fills, msg.sender, recipient, tokenIn, tokenOut, amountIn, amountOut);
    }

    /// @dev Every check of the route that needs no interaction, before the first one. Its hops'
    /// sales count in the caller's orders as they run (`_executeLeg`, `_countSale`), each before
    /// the hop pays anything.
    /// @return legCount The route's legs.
    /// @return hops The route's number of hops (the size of its fills).
    function _checkRoute(bytes calldata route) internal view returns (uint256 legCount, uint256 hops) {
        (legCount, hops) = _walkRoute(route);
        uint256 deadline = RouteCodec.deadline(route);
        if (block.timestamp > deadline) revert RouteExpired(deadline, block.timestamp);
        address tokenIn = RouteCodec.tokenIn(route);
        if (tokenIn == RouteCodec.tokenOut(route)) revert SameToken(tokenIn);
        address recipient = RouteCodec.recipient(route);
        if (recipient == address(0) || recipient == address(this)) revert InvalidRecipient(recipient);
    }

    /// @dev Adds `amount` of `token`, sold for `bought` by a hop of `route`, to the caller's order of
    /// that pair in this transaction (`OrderSize`: every hop of every route, whatever output the
    /// route names and whatever the venue kind, SEC-54, SEC-144, SEC-172) when the token has a
    /// threshold; at or above it the route must have been revealed from a commitment and carry an
    /// oracle bound.
    function _countSale(bytes calldata route, address token, address bought, uint256 amount) internal {
        uint256 threshold = _policies[token].commitThreshold;
        if (threshold == 0) return;
        uint256 order = OrderSize.add(msg.sender, token, bought, amount);
        if (order >= threshold) {
            if (!RouteTaker.revealed()) revert CommitmentRequired(token, order, threshold);
            if (RouteCodec.maxSlippageBps(route) == 0) revert OracleBoundRequired(token, order);
        }
    }

    /// @dev Walks the whole route, proving that every offset a later read uses lies inside it
    /// (RouteCodec reads unchecked), and checks its counts, amounts and intermediate tokens.
    /// @return legCount The route's legs.
    /// @return hops The route's number of hops.
    function _walkRoute(bytes calldata route) internal pure returns (uint256 legCount, uint256 hops) {
        uint256 length = route.length;
        if (length < RouteCodec.HEADER_BYTES) revert MalformedRoute(0, length);
        legCount = RouteCodec.legCount(route);
        if (legCount == 0) revert NoLegs();
        if (legCount > MAX_LEGS) revert TooManyLegs(legCount, MAX_LEGS);
        uint256 at = RouteCodec.HEADER_BYTES;
        address tokenIn = RouteCodec.tokenIn(route);
        address tokenOut = RouteCodec.tokenOut(route);
        // Unchecked: offsets stay within calldata size plus one hop's fixed part and a 16-bit
        // data length (each step is compared to `length` before the next); counts at most
        // MAX_LEGS x MAX_HOPS.
        unchecked {
            for (uint256 l; l < legCount; ++l) {
                if (at + RouteCodec.LEG_BYTES > length) revert MalformedRoute(at, length);
                (uint256 legAmount, uint256 hopCount) = RouteCodec.leg(route, at);
                if (legAmount == 0) revert ZeroLegAmount(l);
                if (hopCount == 0) revert EmptyLeg(l);
                if (hopCount > MAX_HOPS) revert TooManyHops(l, hopCount, MAX_HOPS);
                at += RouteCodec.LEG_BYTES;
                for (uint256 h; h < hopCount; ++h) {
                    (, address hopTokenOut, uint256 dataAt, uint256 dataLength) =
                        RouteCodec.hop(route, at, h + 1 == hopCount, tokenOut);
                    // The hop's fixed part must be inside; its data end is checked by the next read.
                    if (dataAt > length) revert MalformedRoute(at, length);
                    // A leg never holds the route's own tokens between hops (SEC-143): what a hop
                    // leaves unsold goes back to the payer, which would count in the measured
                    // output (or back against the input) beside what the last hops delivered.
                    if (h + 1 != hopCount && (hopTokenOut == tokenIn || hopTokenOut == tokenOut)) {
                        revert IntermediateIsRouteToken(l, h, hopTokenOut);
                    }
                    at = dataAt + dataLength;
                }
                hops += hopCount;
            }
        }
        if (at != length) revert MalformedRoute(at, length);
    }

    /// @return amountInUsed What the leg's first hop took from the payer.
    /// @return next Offset of the next leg.
    /// @return filled Fills recorded so far, this leg's included.
    function _executeLeg(
        bytes calldata route,
        uint256 at,
        address tokenIn,
        address routeTokenOut,
        address recipient,
        uint256 fills,
        uint256 filled
    ) internal returns (uint256 amountInUsed, uint256 next, uint256) {
        (uint256 amount, uint256 hopCount) = RouteCodec.leg(route, at);
        // Offsets and counts below cannot overflow: _checkRoute proved them inside the calldata.
        unchecked {
            next = at + RouteCodec.LEG_BYTES;
        }
        address payer = msg.sender;
        // What the aggregator held of the hop's input before the leg bought it (a donation, say):
        // never sold, never returned, so a payer gets back only what its own route left (SEC-170).
        uint256 heldIn;
        for (uint256 h; h < hopCount; ++h) {
            bool last;
            unchecked {
                last = h + 1 == hopCount;
            }
            (address venue, address tokenOut, uint256 dataAt, uint256 dataLength) =
                RouteCodec.hop(route, next, last, routeTokenOut);
            unchecked {
                next = dataAt + dataLength;
            }
            // Every hop counts in the caller's order of the pair it trades before it pays anything
            // (SEC-144, SEC-172): an intermediate cannot carry a threshold token past the threshold.
            _countSale(route, tokenIn, tokenOut, amount);
            // What the aggregator held of the hop's output before it: a later hop sells only the
            // delivery, so a donation cannot push it past an exact quote or capacity (SEC-147).
            uint256 held = last ? 0 : _balanceOf(tokenOut, address(this));
            (uint256 used, uint256 out) =
                _swapHop(route[dataAt:next], venue, tokenIn, tokenOut, amount, payer, last ? recipient : address(this));
            if (h == 0) amountInUsed = used;
            else _returnDust(tokenIn, heldIn);
            FillLog.write(fills, filled, venue, tokenOut, used, out);
            unchecked {
                ++filled;
            }
            if (!last) {
                // The next hop sells what this one delivered, measured (not what the venue
                // reports); what it leaves of that goes back as dust after it.
                amount = _balanceOf(tokenOut, address(this)) - held;
                tokenIn = tokenOut;
                payer = address(this);
                heldIn = held;
            }
        }
        return (amountInUsed, next, filled);
    }

    /// @dev `data` is read only by adapters: native kinds need just the venue and tokens. The
    /// venue's word is the only storage read: Uniswap pools' tokens are checked against the key it
    /// holds (SEC-141); a NAV desk checks its own markets (`UnsupportedPair`, `MarketNotListed`) and
    /// sends the `tokenOut` named; the RFQ adapter checks the quote's pair.
    function _swapHop(
        bytes calldata data,
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amount,
        address payer,
        address to
    ) internal returns (uint256 used, uint256 out) {
        VenueWord config = _venueConfig[venue];
        uint256 key = config.key();
        if (key == 0) revert VenueNotListed(venue);
        if (config.paused()) revert VenuePaused(venue);
        IVenueAdapter.NativeKind kind = config.kind();
        if (kind == IVenueAdapter.NativeKind.UNISWAP_V2 || kind == IVenueAdapter.NativeKind.UNISWAP_V3) {
            if (UniswapHops.pairKey(tokenIn, tokenOut) != key) {
                revert IVenueAdapter.VenueDoesNotTrade(venue, tokenIn, tokenOut);
            }
            if (kind == IVenueAdapter.NativeKind.UNISWAP_V2) {
                return (amount, UniswapHops.swapV2(venue, tokenIn, tokenOut, amount, payer, to));
            }
            return UniswapHops.swapV3(venue, tokenIn, tokenOut, amount, payer, to);
        }
        if (kind == IVenueAdapter.NativeKind.NAV_DESK) {
            return (amount, NavHops.swap(venue, tokenIn, tokenOut, amount, payer, to));
        }
        // Kind NONE: the key is the adapter, allowed while any venue is bound to it (SEC-140).
        (bool ok, bytes memory result) = address(uint160(key))
            .delegatecall(abi.encodeCall(IVenueAdapter.swap, (venue, tokenIn, tokenOut, amount, payer, to, data)));
        if (!ok) revert AdapterFailed(venue, result);
        (used, out) = abi.decode(result, (uint256, uint256));
    }

    /// @dev `token.balanceOf(account)` without the high-level call's allocation and return-data
    /// decoding; reverts `BalanceUnavailable(token)` when the call fails or returns under 32 bytes.
    function _balanceOf(address token, address account) internal view returns (uint256 amount) {
        bytes4 selector = IERC20.balanceOf.selector;
        bool ok;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, shr(96, shl(96, account)))
            ok := staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // after the call: Yul evaluates arguments right to left
            amount := mload(0x00)
        }
        if (!ok) revert BalanceUnavailable(token);
    }

    function _quoteHop(address venue, address tokenIn, address tokenOut, uint256 amount, bytes calldata data)
        internal
        returns (uint256)
    {
        address adapter = _adapters[venue];
        // A paused venue fills nothing, so it quotes nothing (SEC-148).
        if (adapter == address(0) || amount == 0 || _venueConfig[venue].paused()) return 0;
        try IVenueAdapter(adapter).quote{gas: QUOTE_HOP_GAS}(venue, tokenIn, tokenOut, amount, data) returns (
            uint256 out
        ) {
            return out;
        } catch {
            return 0; // A venue that cannot quote this pair or size cannot fill it.
        }
    }

    /// @dev Sends what an intermediate hop left unsold of the leg's own delivery back to the payer
    /// (msg.sender): the balance above `held`, what the aggregator held before the leg bought the
    /// token. A balance of `held` (a token sent to the aggregator outside a route) stays (SEC-170):
    /// returned, it would land in a vault's listed asset beside what its trades explain.
    function _returnDust(address token, uint256 held) internal {
        uint256 balance = _balanceOf(token, address(this));
        if (balance <= held) return;
        uint256 dust = balance - held; // No underflow: compared just above.
        IERC20(token).safeTransfer(msg.sender, dust);
        emit DustReturned(msg.sender, token, dust);
    }

    function _checkOracleBound(
        address tokenIn,
        address tokenOut,
        uint16 maxSlippageBps,
        uint256 amountIn,
        uint256 amountOut
    ) internal view {
        SettingsWord settings = _settings;
        if (maxSlippageBps > settings.maxSlippageCapBps()) {
            revert SlippageAboveCap(maxSlippageBps, settings.maxSlippageCapBps());
        }
        IOracleRouter oracle_ = settings.oracle();
        if (address(oracle_) == address(0)) revert OraclePriceUnavailable(tokenIn, uint8(PriceStatus.NoFeed));
        uint256 priceIn = _validPrice(oracle_, tokenIn);
        uint256 priceOut = _validPrice(oracle_, tokenOut);
        uint256 valueIn = Math.mulDiv(amountIn, priceIn, 10 ** IERC20Metadata(tokenIn).decimals());
        uint256 oracleValue = Math.mulDiv(valueIn, 10 ** IERC20Metadata(tokenOut).decimals(), priceOut);
        uint256 oracleMinimum = Math.mulDiv(oracleValue, BPS - maxSlippageBps, BPS);
        if (amountOut < oracleMinimum) revert OracleBoundBreached(amountOut, oracleMinimum, oracleValue);
    }

    function _validPrice(IOracleRouter oracle_, address token) internal view returns (uint256 price18) {
        PriceStatus status;
        (status, price18,) = oracle_.priceOf(token);
        // Ok, PrimaryOnly and Fallback carry a validated price; every other status carries none.
        if (price18 == 0 || uint8(status) > uint8(PriceStatus.Fallback)) {
            revert OraclePriceUnavailable(token, uint8(status));
        }
    }

    function _setOracle(address oracle_, uint16 maxSlippageCapBps_) internal {
        if (maxSlippageCapBps_ > BPS) revert SlippageAboveCap(maxSlippageCapBps_, uint16(BPS));
        SettingsWord settings = _settings;
        emit OracleSet(address(settings.oracle()), oracle_, maxSlippageCapBps_);
        _settings = settings.setOracle(IOracleRouter(oracle_)).setMaxSlippageCapBps(maxSlippageCapBps_);
    }

    function _setRevealWindow(uint32 blocks) internal {
        if (blocks == 0 || blocks > MAX_REVEAL_WINDOW) revert InvalidRevealWindow(blocks);
        SettingsWord settings = _settings;
        emit RevealWindowSet(settings.revealWindow(), blocks);
        _settings = settings.setRevealWindow(blocks);
    }
}
