// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IVenueAdapter
/// @notice How the LiquidityAggregator talks to one venue type. `swap` runs by DELEGATECALL in the
/// aggregator's context (its balances, its transient storage); `quote` by a plain call.
/// Adapters must be stateless (immutables only): they see the aggregator's storage.
///
/// Venues of a native kind (`nativeKind` != NONE: Uniswap V2 pairs, Uniswap V3 pools, the issuer's
/// NAV desk) are swapped by the aggregator's built-in code (`UniswapHops`, `NavHops`: the same
/// libraries these adapters' `swap` runs) instead of a DELEGATECALL to the adapter, which saves a
/// cold account access and an ABI round trip per hop; their adapter still quotes them.
interface IVenueAdapter {
    /// @notice Venue kinds the aggregator executes with its built-in code.
    enum NativeKind {
        NONE,
        UNISWAP_V2,
        UNISWAP_V3,
        NAV_DESK
    }

    /// @notice A Uniswap V3 pool returned from `swap` without calling back for its payment.
    error CallbackNotReceived(address pool);
    /// @notice A call to `venue` reverted without a reason or returned less than expected.
    error VenueCallFailed(address venue);
    /// @notice `venue` does not trade `tokenIn` for `tokenOut`: a Uniswap pool's two tokens are not
    /// these two (SEC-141). A pool would still swap (sending its own tokens to the recipient,
    /// whatever a token named in their place reports), so the hop is refused before it pays.
    error VenueDoesNotTrade(address venue, address tokenIn, address tokenOut);
    /// @notice `swap` was called on the adapter itself, not by the aggregator's DELEGATECALL.
    error DelegateCallOnly(address adapter);

    /// @notice NONE: the aggregator delegatecalls this adapter's `swap`; otherwise the kind of
    /// built-in swap it runs for this adapter's venues (read once, when a venue is listed).
    function nativeKind() external pure returns (NativeKind);

    /// @notice Sells `amountIn` of `tokenIn` at `venue` for `tokenOut`, delivered to `recipient`.
    /// The input comes from `payer`: the aggregator itself (intermediate hops, its own balance)
    /// or the order's payer (first hop; pulled with `transferFrom`, never more than `amountIn`).
    /// Reverts `DelegateCallOnly` unless it runs in a DELEGATECALL: called directly, `payer` would
    /// be whoever had approved the adapter (nobody should; a mistaken approval would be anyone's
    /// to spend) and the adapter's own balance anyone's to take.
    /// The adapter checks that `venue` trades `tokenIn` for `tokenOut` (`VenueDoesNotTrade`, or its
    /// own error such as the RFQ adapter's `QuotePairMismatch`): the aggregator checks it itself
    /// only for Uniswap pools (SEC-141; a NAV desk checks its own markets), and measures only the
    /// route's `tokenOut` at the end.
    /// @return amountInUsed What the venue took (less than `amountIn` only when it ran dry).
    /// @return amountOut What the venue reports it delivered to `recipient`.
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata data
    ) external returns (uint256 amountInUsed, uint256 amountOut);

    /// @notice Output of selling `amountIn` at `venue` on the current state; 0 when the venue does
    /// not trade the pair or cannot fill the amount. Not `view` (Uniswap V3 quotes simulate).
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata data)
        external
        returns (uint256 amountOut);
}
