// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IVenueAdapter
/// @notice How the LiquidityAggregator talks to one venue type. `swap` runs by DELEGATECALL in the
/// aggregator's context (its balances, its transient storage); `quote` by a plain call.
/// Adapters must be stateless (immutables only): they see the aggregator's storage.
interface IVenueAdapter {
    /// @notice Sells `amountIn` of `tokenIn` at `venue` for `tokenOut`, delivered to `recipient`.
    /// The input comes from `payer`: the aggregator itself (intermediate hops, its own balance)
    /// or the order's payer (first hop; pulled with `transferFrom`, never more than `amountIn`).
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
