// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {IUniswapV3PoolMinimal, IQuoterV2Minimal} from "../../../interfaces/external/IUniswap.sol";
import {LiquiditySession} from "../LiquiditySession.sol";
import {AdapterBase} from "./AdapterBase.sol";

/// @title UniswapV3Adapter
/// @notice Exact-input swaps on Uniswap V3 pools of one factory; quotes through that factory's
/// QuoterV2 (from the v3-periphery package). The pool's callback is paid by the aggregator's
/// `uniswapV3SwapCallback`, which accepts only the pool named here, once, for at most `amountIn`.
contract UniswapV3Adapter is IVenueAdapter, AdapterBase {
    /// @dev TickMath's bounds, +1/-1: no price limit (the order's minimum output protects it).
    uint160 internal constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_PRICE_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    error CallbackNotReceived(address pool);

    IQuoterV2Minimal public immutable quoter;

    constructor(address quoter_) {
        quoter = IQuoterV2Minimal(quoter_);
    }

    /// @inheritdoc IVenueAdapter
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata
    ) external returns (uint256 amountInUsed, uint256 amountOut) {
        bool zeroForOne = tokenIn < tokenOut;
        LiquiditySession.expect(venue, payer, tokenIn, amountIn);
        (int256 amount0, int256 amount1) = IUniswapV3PoolMinimal(venue).swap(
            recipient,
            zeroForOne,
            SafeCast.toInt256(amountIn),
            zeroForOne ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE,
            ""
        );
        if (LiquiditySession.pending()) revert CallbackNotReceived(venue);
        // Exact input: the pool's delta of tokenIn is positive (paid), of tokenOut negative (sent).
        (int256 paid, int256 sent) = zeroForOne ? (amount0, amount1) : (amount1, amount0);
        amountInUsed = SafeCast.toUint256(paid);
        amountOut = SafeCast.toUint256(-sent);
    }

    /// @inheritdoc IVenueAdapter
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata)
        external
        returns (uint256 amountOut)
    {
        IUniswapV3PoolMinimal pool = IUniswapV3PoolMinimal(venue);
        (address token0, address token1) = tokenIn < tokenOut ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        if (amountIn == 0 || pool.token0() != token0 || pool.token1() != token1) return 0;
        try quoter.quoteExactInputSingle(
            IQuoterV2Minimal.QuoteExactInputSingleParams(tokenIn, tokenOut, amountIn, pool.fee(), 0)
        ) returns (uint256 out, uint160, uint32, uint256) {
            amountOut = out;
        } catch {
            amountOut = 0; // No liquidity for this size, or the pool rejected it: the source cannot fill.
        }
    }
}
