// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IUniswapV2PairMinimal, IUniswapV3PoolMinimal} from "../../interfaces/external/IUniswap.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {LiquiditySession} from "./LiquiditySession.sol";

/// @title UniswapHops
/// @notice One exact-input swap on a real Uniswap V2 pair or V3 pool, as Router02 and SwapRouter
/// do it: the payer pays the pool directly, the pool sends to the recipient. Compiled into the
/// LiquidityAggregator (venues of a native kind, no DELEGATECALL) and into the Uniswap adapters
/// (the same code behind `IVenueAdapter.swap`), so both paths execute one implementation.
library UniswapHops {
    using SafeERC20 for IERC20;

    /// @dev Uniswap V2's 0.30% fee, as in the pair's invariant check.
    uint256 internal constant V2_FEE_FACTOR = 997;
    uint256 internal constant V2_FEE_BASE = 1000;
    /// @dev TickMath's bounds, +1/-1: no price limit (the order's minimum output protects it).
    uint160 internal constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_PRICE_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    /// @dev The pair's tokens are not read: V2 pairs sort tokens by address, and a pair that does
    /// not hold `tokenOut` cannot deliver it, so the aggregator's measured-output check reverts.
    /// @return amountOut What the pair's formula gives for `amountIn` (the pair sends exactly that).
    function swapV2(address pair, address tokenIn, address tokenOut, uint256 amountIn, address payer, address recipient)
        internal
        returns (uint256 amountOut)
    {
        bool zeroForOne = tokenIn < tokenOut;
        (uint256 reserveIn, uint256 reserveOut) = reservesV2(pair, zeroForOne);
        amountOut = amountOutV2(amountIn, reserveIn, reserveOut);
        pay(tokenIn, payer, pair, amountIn);
        IUniswapV2PairMinimal(pair).swap(zeroForOne ? 0 : amountOut, zeroForOne ? amountOut : 0, recipient, "");
    }

    /// @dev The pool calls back `uniswapV3SwapCallback` on the caller (the aggregator), which pays
    /// from the session opened here: only this pool, once, at most `amountIn`.
    /// @return amountInUsed What the pool took (less than `amountIn` only when it ran out of range).
    /// @return amountOut What the pool sent to `recipient`.
    function swapV3(address pool, address tokenIn, address tokenOut, uint256 amountIn, address payer, address recipient)
        internal
        returns (uint256 amountInUsed, uint256 amountOut)
    {
        bool zeroForOne = tokenIn < tokenOut;
        LiquiditySession.expect(pool, payer, tokenIn, amountIn);
        (int256 amount0, int256 amount1) = IUniswapV3PoolMinimal(pool).swap(
            recipient,
            zeroForOne,
            SafeCast.toInt256(amountIn),
            zeroForOne ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE,
            ""
        );
        if (LiquiditySession.pending()) revert IVenueAdapter.CallbackNotReceived(pool);
        // Exact input: the pool's delta of tokenIn is positive (paid), of tokenOut negative (sent).
        (int256 paid, int256 sent) = zeroForOne ? (amount0, amount1) : (amount1, amount0);
        amountInUsed = SafeCast.toUint256(paid);
        amountOut = SafeCast.toUint256(-sent);
    }

    function reservesV2(address pair, bool zeroForOne) internal view returns (uint256 reserveIn, uint256 reserveOut) {
        (uint112 reserve0, uint112 reserve1,) = IUniswapV2PairMinimal(pair).getReserves();
        (reserveIn, reserveOut) = zeroForOne ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
    }

    /// @dev The pair's constant-product formula with its fee, rounded down as the pair requires.
    function amountOutV2(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        if (amountIn == 0 || reserveIn == 0 || reserveOut == 0) return 0;
        uint256 amountInWithFee = amountIn * V2_FEE_FACTOR;
        return amountInWithFee * reserveOut / (reserveIn * V2_FEE_BASE + amountInWithFee);
    }

    /// @dev Pays `to` from the aggregator's own balance (intermediate hops) or from the payer.
    /// Runs in the aggregator's context: `address(this)` is the aggregator.
    function pay(address token, address payer, address to, uint256 amount) internal {
        if (payer == address(this)) IERC20(token).safeTransfer(to, amount);
        else IERC20(token).safeTransferFrom(payer, to, amount);
    }
}
