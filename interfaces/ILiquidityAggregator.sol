// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice One step of a leg, in struct form (see "Route encoding" below): sell what the leg holds
/// at `venue` for `tokenOut`. `data` is venue-specific (empty for AMMs; the signed quote for an RFQ
/// venue).
struct Hop {
    address venue;
    address tokenOut;
    bytes data;
}

/// @notice A share of the order sent through a path of one or more hops, in struct form. The first
/// hop sells `amountIn` of the route's `tokenIn`; each later hop sells the whole output of the
/// previous one.
struct Leg {
    uint256 amountIn;
    Hop[] hops;
}

/// @notice Per input token: orders of at least `commitThreshold` must go through commit–reveal
/// and carry an oracle bound (0 = no threshold: every size may swap directly). An order is what
/// one caller sells of the token for one other token (the pair a hop trades, which is the pair
/// its venue trades, SEC-141) within a transaction, whatever output the route names: every hop of
/// every route it sends in the transaction (a `multicall`, a contract's several calls; revealed
/// routes too) that sells the token for that other token adds its input as it runs, before it
/// pays anything (a leg's first hop its `amountIn`; a later hop, selling a token bought at an
/// intermediate hop, an RFQ quote's included, what the previous hop delivered). The route that
/// brings the order to the threshold, and every later one, needs its commitment and oracle bound
/// (SEC-54, SEC-144, SEC-172).
/// Why the pair: the threshold bounds what one market (a pool, a desk, a quote of that pair) takes
/// from one caller in one transaction without a commitment, so no output named for part of an
/// order and no intermediate hop splits it, while the trades of a PortfolioVault's batch buying
/// different assets (paid by callback, a vault cannot commit) are different orders (SEC-172).
/// NOT checked: orders split across callers (per-caller accounting cannot bound Sybil addresses;
/// a per-pool volume bound would); one exposure split across different pairs (USDC -> QSPX
/// directly and USDC -> QTB -> QSPX are orders of (USDC, QSPX), (USDC, QTB) and (QTB, QSPX)); the
/// oracle bound compares the route's `tokenIn` and `tokenOut` only, not each hop.
struct TokenPolicy {
    uint128 commitThreshold;
}

/// @notice A contract that pays its routes' inputs when the aggregator asks, instead of by
/// allowance (`ILiquidityAggregator.swapWithCallback`). The PortfolioVault is one.
interface ISwapPayer {
    /// @notice Called by the aggregator during the caller's `swapWithCallback`: transfer `amount` of
    /// `token` to `to` (the venue of the hop being executed, or the aggregator for an adapter that
    /// forwards it). The payer decides what it accepts (the vault: only the venue of its running
    /// trade, only the trade's sell token, at most its amount in total); the venue checks that it
    /// was paid (a Uniswap pair's invariant, a V3 pool's or the NAV desk's balance).
    function payForSwap(address token, address to, uint256 amount) external;
}

/// @title ILiquidityAggregator
/// @notice Executes an order split across allow-listed venues and multi-hop paths, with a minimum
/// output, a deadline, an oracle-derived bound and a commit–reveal mode for large orders.
///
/// Route encoding. A route is packed bytes (as UniversalRouter and Uniswap v4 pack their inputs),
/// big-endian, no padding; `RouteCodec.encode` (Solidity) and `keepers.liquidity.codec.encode_route`
/// (Python) build it from the struct form:
///   header  tokenIn 20 | tokenOut 20 | recipient 20 | minAmountOut 16 | deadline 5 |
///           maxSlippageBps 2 | legCount 1
///   leg     amountIn 16 | hopCount 1                  (legCount times, each followed by its hops)
///   hop     venue 20 | tokenOut 20 (omitted on a leg's last hop: the route's tokenOut) |
///           dataLength 2 | data
/// - `recipient`'s `tokenOut` balance must grow by at least `minAmountOut`;
/// - `deadline` is the last valid `block.timestamp`;
/// - `maxSlippageBps` is the oracle bound: the output must be worth at least the input minus this
///   many basis points at oracle prices; 0 = none (allowed only below the token's large-order
///   threshold); at most `maxSlippageCapBps`;
/// - the order's `amountIn` is the sum of the legs' `amountIn`;
/// - a leg's intermediate tokens (what its hops but the last buy) are neither the route's `tokenIn`
///   nor its `tokenOut` (`IntermediateIsRouteToken`, SEC-143): what an intermediate hop leaves
///   unsold goes back to the payer, so such a token would count in the measured output (or back
///   against the input) beside what the leg's last hop delivered.
/// A route that does not end exactly at its last byte reverts `MalformedRoute`.
///
/// Guarantees (docs/specs.md LIQ-*):
/// - the recipient's `tokenOut` balance grows by at least `minAmountOut` (and the oracle bound),
///   or the call reverts (LIQ-1);
/// - the aggregator holds none of a route's tokens after any call: inputs are pulled exactly, and
///   what an intermediate hop leaves unsold of what the leg bought goes back to the payer (LIQ-2).
///   A token sent to the aggregator outside a route stays there: no route sells it (SEC-147) or
///   returns it (SEC-170), so it never lands in a payer's balance beside what the payer's trade
///   explains (a PortfolioVault checks its listed assets exactly). Not provided: a way to recover
///   such a token (nothing sweeps the aggregator);
/// - no standing allowance is needed: contracts approve exactly `amountIn` before the call (the
///   pull consumes it), wallets sign an ERC-2612 permit for exactly `amountIn` and send
///   `multicall([selfPermit(...), swap(route)])` (LIQ-3); a contract payer can instead pay each
///   input when asked (`swapWithCallback`, ISwapPayer) and write no allowance at all (LIQ-19);
/// - not re-entrant; a swap callback is accepted only from the pool the aggregator is calling,
///   during that call (LIQ-4);
/// - a commitment is revealed only by its sender, at least one block after the commit, within
///   `revealWindow` blocks, and once (LIQ-5);
/// - a hop at a Uniswap pool trades the pool's own two tokens (`IVenueAdapter.VenueDoesNotTrade`
///   otherwise, SEC-141), checked against the key of the tokens the pool answered when ADMIN listed it, before
///   anything is paid; a NAV desk trades its listed markets only and the RFQ adapter its quote's
///   pair. So a route's tokens are what its venues trade, and an order (`TokenPolicy`, counted at
///   every hop that sells the token for the other token of its pair, SEC-144, SEC-172) cannot be
///   split by naming another output token for part of it, nor carried past the threshold as an
///   intermediate, whatever the venue kind (SEC-142);
/// - a leg's later hop sells what the previous hop delivered (the aggregator's balance delta over
///   it), never what else the aggregator holds (SEC-147);
/// - an adapter ADMIN revokes is delegatecalled no more: `setAdapter(adapter, false)` is refused
///   while a listed venue is bound to it (`AdapterInUse`, SEC-140).
///
/// The implementation is also an OpenZeppelin `Multicall`: `multicall(bytes[] data)` runs each call
/// on the aggregator in order by DELEGATECALL to itself (`msg.sender` stays the caller), reverting
/// everything if one reverts; each swap inside keeps its own reentrancy lock.
///
/// NOT checked: that a venue's own pricing is fair (that is what `minAmountOut` and the oracle
/// bound are for); adapters run by delegatecall and are trusted code, allow-listed by ADMIN (venues of
/// a native kind, Uniswap pools, run the aggregator's built-in `UniswapHops` instead: see IVenueAdapter);
/// that a venue of an adapter (kind NONE) trades the hop's tokens: the adapter must check it (the
/// RFQ adapter does, `QuotePairMismatch`); that a listed Uniswap venue is a pool of a real factory
/// (ADMIN lists it; its tokens are read once, at listing, since a Uniswap pool's never change).
interface ILiquidityAggregator {
    error RouteExpired(uint256 deadline, uint256 timestamp);
    /// @notice Decoding the route ran past its end, or it has bytes left over, at offset `at`.
    error MalformedRoute(uint256 at, uint256 length);
    error SameToken(address token);
    /// @notice The recipient is the zero address or the aggregator itself (it holds nothing).
    error InvalidRecipient(address recipient);
    /// @notice A `swapWithCallback` route delivers to `recipient`, not to its payer (SEC-50).
    error CallbackRecipientNotPayer(address recipient, address payer);
    error NoLegs();
    /// @notice Leg `leg` has no hops.
    error EmptyLeg(uint256 leg);
    error ZeroLegAmount(uint256 leg);
    error TooManyLegs(uint256 legs, uint256 max);
    error TooManyHops(uint256 leg, uint256 hops, uint256 max);
    /// @notice Hop `hop` of leg `leg` buys `token`, the route's `tokenIn` or `tokenOut`, for a later
    /// hop to sell (SEC-143): a leg's intermediate tokens are other tokens.
    error IntermediateIsRouteToken(uint256 leg, uint256 hop, address token);
    error VenueNotListed(address venue);
    error AdapterNotAllowed(address adapter);
    /// @notice `setAdapter(adapter, false)` while `venue` (the first listed found) is still bound to
    /// it: move or delist its venues first (SEC-140).
    error AdapterInUse(address adapter, address venue);
    /// @notice `setVenue` of a Uniswap kind (V2 pair, V3 pool) for a `venue` that does not answer
    /// two distinct, sorted, non-zero tokens (`token0()`, `token1()`): an account without code, or
    /// not a pool of that kind.
    error VenueTokensUnreadable(address venue);
    error TooManyVenues(uint256 max);
    error InsufficientOutput(uint256 amountOut, uint256 minAmountOut);
    error OracleBoundBreached(uint256 amountOut, uint256 oracleMinimum, uint256 oracleValue);
    error OraclePriceUnavailable(address token, uint8 status);
    error SlippageAboveCap(uint16 maxSlippageBps, uint16 cap);
    error CommitmentRequired(address token, uint256 amountIn, uint256 threshold);
    error OracleBoundRequired(address token, uint256 amountIn);
    error CommitmentExists(bytes32 commitment);
    error CommitmentNotFound(bytes32 commitment);
    error CommitmentUsed(bytes32 commitment);
    error RevealTooEarly(bytes32 commitment, uint256 committedAt, uint256 blockNumber);
    error CommitmentExpired(bytes32 commitment, uint256 committedAt, uint256 lastBlock);
    error UnexpectedCallback(address caller);
    error AdapterFailed(address venue, bytes reason);
    error VenuePaused(address venue);
    error InvalidRevealWindow(uint32 blocks);
    /// @notice `token.balanceOf` failed or returned less than a word (not an ERC-20).
    error BalanceUnavailable(address token);
    /// @notice The permit failed and the allowance it would have set is not in place.
    error PermitFailed(address token, uint256 allowance, uint256 value);

    /// @notice One per executed route: the payer's input, the recipient's measured gain, and what
    /// every source took and gave, so execution quality can be measured from the chain alone.
    /// `fills` is packed (FillLog), 72 bytes per hop in execution order: venue (20 bytes),
    /// tokenOut (20), amountIn (uint128), amountOut (uint128, as the venue reported it; the
    /// route's `amountOut` is measured at the recipient). Decoded by `keepers.liquidity.fills`.
    event RouteExecuted(
        address indexed payer,
        address indexed recipient,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut,
        bytes fills
    );
    /// @notice A committed route is being executed (its RouteExecuted follows in the same call).
    event Revealed(address indexed sender, bytes32 indexed commitment);
    /// @notice What a leg's intermediate hop left unsold of the leg's own delivery of `token`, sent
    /// back to `payer` (the route's caller); never a balance the aggregator held before the leg
    /// bought the token (SEC-170).
    event DustReturned(address indexed payer, address indexed token, uint256 amount);
    event Committed(address indexed sender, bytes32 indexed commitment, uint256 blockNumber);
    event AdapterSet(address indexed adapter, bool allowed);
    event VenueSet(address indexed venue, address previousAdapter, address adapter);
    event TokenPolicySet(address indexed token, TokenPolicy previous, TokenPolicy policy);
    event OracleSet(address previous, address oracle, uint16 maxSlippageCapBps);
    event RevealWindowSet(uint32 previous, uint32 blocks);
    event PausedSet(bool paused);
    event VenuePausedSet(address indexed venue, bool paused);

    // ---------------------------------------------------------------- trading (anyone)

    /// @notice Executes `route` (packed, see "Route encoding") for `msg.sender`, pulling exactly
    /// the legs' `amountIn` of `tokenIn` (an exact allowance set just before, which the pull
    /// consumes). Reverts with `CommitmentRequired(token, order, threshold)` when the caller's
    /// order of the pair a hop trades (the token it sells, for the token it buys) in this
    /// transaction, this hop included, is at or above the sold token's large-order threshold (see
    /// `TokenPolicy`); checked as each hop runs, before it pays anything (a later leg's after the
    /// earlier legs ran: the whole call reverts).
    /// @return amountIn What the venues took from the payer (below the order's only when a Uniswap
    /// V3 pool ran out of liquidity in range).
    /// Reverts before any interaction on a malformed route (`MalformedRoute`, counts, zero amounts,
    /// `IntermediateIsRouteToken`), an expired one, the same token in and out or a bad recipient;
    /// during its hops on a missing commitment (above), an unlisted or paused venue (`VenueNotListed`,
    /// `VenuePaused`), a Uniswap pool that does not trade the hop's tokens
    /// (`IVenueAdapter.VenueDoesNotTrade`, before paying it) or an adapter's refusal (`AdapterFailed`).
    /// @return amountOut The recipient's measured gain of `tokenOut`.
    function swap(bytes calldata route) external returns (uint256 amountIn, uint256 amountOut);

    /// @notice `swap` for a contract payer (ISwapPayer) that pays each input when asked: for every
    /// first hop of a leg the aggregator calls `msg.sender.payForSwap(tokenIn, to, amount)` with
    /// `to` the hop's venue (a Uniswap pair before its swap, a V3 pool or the NAV desk from inside
    /// their callbacks) or the aggregator (an adapter that forwards the input), and `amount` that
    /// hop's input. No allowance is read or written. The route's recipient must be the payer
    /// (`CallbackRecipientNotPayer` otherwise, SEC-50): a contract that pays when asked — a vault,
    /// whose EXECUTOR writes the route — gets the output itself, never an address the route names.
    /// Everything else is as `swap` (same checks, same event, same threshold).
    /// @dev Warning: the aggregator does not check what `payForSwap` transferred: each venue checks
    /// its own payment, and a payer that sends more than asked loses the difference.
    function swapWithCallback(bytes calldata route) external returns (uint256 amountIn, uint256 amountOut);

    /// @notice Uses `msg.sender`'s ERC-2612 permit of `value` of `token` for this aggregator. A
    /// wallet swaps without a standing allowance by `multicall([selfPermit(token, amountIn, ...),
    /// swap(route)])`: the swap pulls exactly `amountIn`, consuming the permit. A permit already
    /// submitted by a front-runner is tolerated when the allowance it set is in place.
    /// NOT checked: that `value` equals the route's `amountIn` (a larger permit leaves the rest).
    function selfPermit(address token, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Records `commitment = commitmentOf(msg.sender, route, salt)` at this block.
    function commit(bytes32 commitment) external;

    /// @notice Executes the committed route; only its sender, after at least one block and within
    /// `revealWindow` blocks of the commit; each commitment once. Large orders come this way.
    function revealSwap(bytes calldata route, bytes32 salt) external returns (uint256 amountIn, uint256 amountOut);

    // ---------------------------------------------------------------- quotes (call with eth_call)

    /// @notice Every listed venue's output for each amount (0 where the venue cannot fill it, a
    /// paused venue included, SEC-148).
    /// `sourceData[i]` is passed to venue i's adapter (an RFQ quote); may be empty.
    /// Not `view`: Uniswap V3 quotes simulate the swap and revert it; call it with eth_call.
    function quote(address tokenIn, address tokenOut, uint256[] calldata amounts, bytes[] calldata sourceData)
        external
        returns (address[] memory venues_, uint256[][] memory amountsOut);

    /// @notice The output `route` would deliver on the current state (hops quoted in sequence;
    /// legs are independent, so a route must not use one venue twice). Not `view`, as `quote`.
    /// The route's structure is checked as by `swap` (MalformedRoute, NoLegs, EmptyLeg,
    /// IntermediateIsRouteToken, ...); its deadline, recipient, tokens and large-order threshold are
    /// NOT (a quote executes nothing): a hop a venue does not trade, or a paused venue, quotes 0.
    function quoteRoute(bytes calldata route) external returns (uint256 amountOut, uint256[][] memory hopOutputs);

    // ---------------------------------------------------------------- Uniswap V3 callback

    /// @notice Pays a Uniswap V3 pool the aggregator is swapping with; reverts for any other caller.
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata data) external;

    /// @notice Pays the NAV desk the aggregator is swapping with (INavVenueCallback), at most the
    /// hop's input, once; reverts `UnexpectedCallback` for any other caller.
    function navVenueCallback(address tokenIn, uint256 amountIn, bytes calldata data) external;

    // ---------------------------------------------------------------- administration (ADMIN / GUARDIAN)

    /// @notice Allows `adapter` for `setVenue`, or revokes it. Revoking is refused while a listed
    /// venue is bound to it (`AdapterInUse(adapter, venue)`, SEC-140): a swap reads the venue's own
    /// word, not this list, so a revoked adapter would still run for its venues. Move them to
    /// another adapter or delist them first. Bounded by MAX_VENUES.
    function setAdapter(address adapter, bool allowed) external;
    /// @notice Lists `venue` behind `adapter` (an allowed adapter), or unlists it (adapter 0).
    /// For a Uniswap kind (`nativeKind` UNISWAP_V2 or UNISWAP_V3) it reads the pool's `token0()` and
    /// `token1()` once and keeps their key, which every hop at the venue must match (SEC-141);
    /// `VenueTokensUnreadable(venue)` when they are not two distinct, sorted, non-zero addresses.
    /// The venue's own pause (the guardian's `pauseVenue`) is kept whatever ADMIN sets — a new
    /// adapter, the same one again, a delisting and a listing back: only GOVERNOR's
    /// `unpauseVenue` lifts it (SEC-56). A venue listed while the global pause holds starts paused.
    function setVenue(address venue, address adapter) external;
    function setTokenPolicy(address token, TokenPolicy calldata policy) external;
    /// @notice Oracle used for the bound (address(0): none; then only `minAmountOut` protects).
    function setOracle(address oracle, uint16 maxSlippageCapBps) external;
    function setRevealWindow(uint32 blocks) external;
    /// @notice GUARDIAN: pauses every listed venue at once, so no route executes; commits and
    /// quotes still work. Bounded by MAX_VENUES. A venue listed while paused starts paused.
    /// Pausing is the guardian's, resuming governance's (the role model: the guardian halts and
    /// never resumes).
    function pause() external;
    /// @notice GOVERNOR: lifts the global pause. A venue paused on its own (`pauseVenue`) stays
    /// paused until `unpauseVenue`.
    function unpause() external;
    /// @notice GUARDIAN: pauses one venue (a route through it reverts `VenuePaused`).
    function pauseVenue(address venue) external;
    /// @notice GOVERNOR: lifts one venue's own pause (a global pause still holds it).
    function unpauseVenue(address venue) external;

    // ---------------------------------------------------------------- views

    /// @notice keccak256(abi.encodePacked(sender, salt, route)).
    function commitmentOf(address sender, bytes calldata route, bytes32 salt) external pure returns (bytes32);
    /// @notice Block of the commit; 0 = none; type(uint256).max = used.
    function commitments(bytes32 commitment) external view returns (uint256);
    function venues() external view returns (address[] memory);
    /// @notice The adapter `venue` is listed behind; 0 when it is not listed.
    function adapterOf(address venue) external view returns (address);
    function isVenuePaused(address venue) external view returns (bool);
    function isAdapter(address adapter) external view returns (bool);
    function tokenPolicy(address token) external view returns (TokenPolicy memory);
    function oracle() external view returns (address);
    function maxSlippageCapBps() external view returns (uint16);
    function revealWindow() external view returns (uint32);
    function paused() external view returns (bool);
    /// @notice The taker of the route being executed or quoted (the caller of `swap`, `revealSwap`,
    /// `quote` or `quoteRoute`), from transient storage: an RFQ venue fills a quote through the
    /// aggregator only for the taker it names. Outside such a call: whatever the last one in this
    /// transaction set, or zero — meaningful only to venues and adapters the aggregator calls.
    function currentTaker() external view returns (address);
}
