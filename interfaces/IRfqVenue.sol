// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice A market maker's firm quote: the maker gives up to `amountOut` of `tokenOut` for up to
/// `amountIn` of `tokenIn`, pro rata for a partial fill, until `expiry`; signed with EIP-712.
struct RfqQuote {
    address maker;
    /// The only address allowed to fill: the client the maker quoted, directly or as the taker of an
    /// aggregator route (address(0): anyone — an open quote can be filled, or killed by a dust
    /// fill, by whoever sees it first).
    address taker;
    address tokenIn;
    address tokenOut;
    uint256 amountIn;
    uint256 amountOut;
    uint256 nonce;
    uint64 expiry;
}

/// @title IRfqVenue
/// @notice Settles signed firm quotes atomically: the taker's `tokenIn` goes to the maker and the
/// maker's `tokenOut` to the recipient in one call. A quote settles once (its nonce is spent
/// even by a partial fill). The venue never holds funds: both legs are `transferFrom`s, so the
/// maker approves the venue and the taker approves exactly the fill.
///
/// The taker is the caller of `fill`, or, for a fill through the liquidity aggregator (the one
/// fixed at construction), the taker of the aggregator's route: the aggregator's caller, which it
/// passes to `fillFor`. So a quote named for a client binds through the aggregator too, and nobody
/// else — not even through the aggregator — can fill it or spend its nonce with a dust fill.
///
/// Checked: signature (EOA via ECDSA without malleable `s`, or ERC-1271 contract maker), expiry,
/// nonce, taker, fill size, the guardian's pause (`pause`: no fill, SEC-146; `cancel` still
/// runs, so makers withdraw quotes while it holds). NOT checked: the quote's price (the taker's minimum output does that)
/// and the tokens' own rules (a security token's compliance runs inside its transfer).
/// Trusted: the aggregator's word on who its route's taker is (it is the caller of that route).
interface IRfqVenue {
    error QuoteExpired(uint64 expiry, uint256 timestamp);
    error QuoteNonceUsed(address maker, uint256 nonce);
    error InvalidQuoteSignature(address maker);
    error QuoteTakerMismatch(address taker, address caller);
    error FillExceedsQuote(uint256 amountIn, uint256 quotedAmountIn);
    error EmptyFill();
    error OnlyAggregator(address caller, address aggregator);
    /// @notice The guardian paused the venue (SEC-146): no fill until GOVERNOR's `unpause`.
    error RfqPaused();

    event QuoteFilled(
        bytes32 indexed quoteHash,
        address indexed maker,
        address indexed taker,
        address recipient,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut,
        uint256 nonce
    );
    event NonceCancelled(address indexed maker, uint256 nonce);
    event PausedSet(bool previous, bool paused);

    /// @notice Fills `amountIn` (<= quote.amountIn) of `quote`; output rounds down.
    function fill(RfqQuote calldata quote, bytes calldata signature, uint256 amountIn, address recipient)
        external
        returns (uint256 amountOut);

    /// @notice `fill` for the liquidity aggregator: the input is pulled from it, and the quote's
    /// taker must be `taker`, the caller of the aggregator's route. Reverts `OnlyAggregator`
    /// for any other caller.
    function fillFor(
        RfqQuote calldata quote,
        bytes calldata signature,
        uint256 amountIn,
        address recipient,
        address taker
    ) external returns (uint256 amountOut);

    /// @notice The liquidity aggregator whose route takers `fillFor` trusts.
    function aggregator() external view returns (address);

    /// @notice Spends `nonce` of the caller without a fill (withdraws a quote).
    function cancel(uint256 nonce) external;

    /// @notice What `fill` would deliver to `taker` now, or 0 with the reason it would revert
    /// (0 = fillable, else the first failing check: 1 expired, 2 nonce used, 3 signature, 4 taker,
    /// 5 size, 6 paused). Does not check the maker's balance or allowance.
    function quoteFill(RfqQuote calldata quote, bytes calldata signature, address taker, uint256 amountIn)
        external
        view
        returns (uint256 amountOut, uint8 failure);

    function hashQuote(RfqQuote calldata quote) external view returns (bytes32);
    function isNonceUsed(address maker, uint256 nonce) external view returns (bool);

    /// @notice Halts every fill (`RfqPaused`; `quoteFill` answers 6). GUARDIAN role: the guardian
    /// halts, never resumes (SEC-12, SEC-146).
    function pause() external;
    /// @notice Lifts the guardian's pause. GOVERNOR role.
    function unpause() external;
    function paused() external view returns (bool);
}
