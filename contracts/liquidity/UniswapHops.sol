// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IUniswapV2PairMinimal, IUniswapV3PoolMinimal} from "../../interfaces/external/IUniswap.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {LiquiditySession} from "./LiquiditySession.sol";
import {RoutePayer} from "./RoutePayer.sol";

/// @title UniswapHops
/// @notice One exact-input swap on a real Uniswap V2 pair or V3 pool, as Router02 and SwapRouter
/// do it: the payer pays the pool directly, the pool sends to the recipient. Compiled into the
/// LiquidityAggregator (venues of a native kind, no DELEGATECALL) and into the Uniswap adapters
/// (the same code behind `IVenueAdapter.swap`), so both paths execute one implementation.
library UniswapHops {
    /// @dev Uniswap V2's 0.30% fee, as in the pair's invariant check.
    uint256 internal constant V2_FEE_FACTOR = 997;
    uint256 internal constant V2_FEE_BASE = 1000;
    /// @dev TickMath's bounds, +1/-1: no price limit (the order's minimum output protects it).
    uint160 internal constant MIN_SQRT_PRICE_PLUS_ONE = 4295128740;
    uint160 internal constant MAX_SQRT_PRICE_MINUS_ONE = 1461446703485210103287273052203988822378723970341;

    /// @dev The pair's tokens are not read here: the caller has checked that the pair trades
    /// `tokenIn` for `tokenOut` (the aggregator against the key read at listing, an adapter by
    /// `checkTokens`). A pair does not refuse a swap naming other tokens: it sends its own to the
    /// recipient, whatever a token named in their place reports (SEC-141).
    /// @return amountOut What the pair's formula gives for `amountIn` (the pair sends exactly that).
    function swapV2(address pair, address tokenIn, address tokenOut, uint256 amountIn, address payer, address recipient)
        internal
        returns (uint256 amountOut)
    {
        bool zeroForOne = tokenIn < tokenOut;
        (uint256 reserveIn, uint256 reserveOut) = reservesV2(pair, zeroForOne);
        amountOut = amountOutV2(amountIn, reserveIn, reserveOut);
        pay(tokenIn, payer, pair, amountIn);
        (uint256 amount0Out, uint256 amount1Out) = zeroForOne ? (uint256(0), amountOut) : (amountOut, uint256(0));
        bytes4 selector = IUniswapV2PairMinimal.swap.selector;
        bool ok;
        assembly ("memory-safe") {
            // swap(amount0Out, amount1Out, to, "") in the free memory (temporary, not allocated).
            let input := mload(0x40)
            mstore(input, selector)
            mstore(add(input, 4), amount0Out)
            mstore(add(input, 36), amount1Out)
            mstore(add(input, 68), shr(96, shl(96, recipient)))
            mstore(add(input, 100), 0x80) // offset of `data`
            mstore(add(input, 132), 0) // its length
            ok := call(gas(), pair, 0, input, 164, 0, 0)
        }
        _check(ok, 0, pair); // the pair answered getReserves above: it has code
    }

    /// @dev The pool calls back `uniswapV3SwapCallback` on the caller (the aggregator), which pays
    /// from the session opened here: only this pool, once, at most `amountIn`. The pool's tokens
    /// are not read here, as for `swapV2`.
    /// @return amountInUsed What the pool took (less than `amountIn` only when it ran out of range).
    /// @return amountOut What the pool sent to `recipient`.
    function swapV3(address pool, address tokenIn, address tokenOut, uint256 amountIn, address payer, address recipient)
        internal
        returns (uint256 amountInUsed, uint256 amountOut)
    {
        bool zeroForOne = tokenIn < tokenOut;
        LiquiditySession.expect(pool, payer, tokenIn, amountIn);
        int256 amountSpecified = SafeCast.toInt256(amountIn);
        uint160 priceLimit = zeroForOne ? MIN_SQRT_PRICE_PLUS_ONE : MAX_SQRT_PRICE_MINUS_ONE;
        int256 amount0;
        int256 amount1;
        bytes4 selector = IUniswapV3PoolMinimal.swap.selector;
        bool ok;
        assembly ("memory-safe") {
            // swap(recipient, zeroForOne, amountSpecified, sqrtPriceLimitX96, "") in the free memory.
            let input := mload(0x40)
            mstore(input, selector)
            mstore(add(input, 4), shr(96, shl(96, recipient)))
            mstore(add(input, 36), zeroForOne)
            mstore(add(input, 68), amountSpecified)
            mstore(add(input, 100), priceLimit)
            mstore(add(input, 132), 0xa0) // offset of `data`
            mstore(add(input, 164), 0) // its length
            ok := call(gas(), pool, 0, input, 196, 0, 64)
            amount0 := mload(0)
            amount1 := mload(32)
        }
        _check(ok, 64, pool);
        if (LiquiditySession.pending()) revert IVenueAdapter.CallbackNotReceived(pool);
        // Exact input: the pool's delta of tokenIn is positive (paid), of tokenOut negative (sent).
        (int256 paid, int256 sent) = zeroForOne ? (amount0, amount1) : (amount1, amount0);
        amountInUsed = SafeCast.toUint256(paid);
        amountOut = SafeCast.toUint256(-sent);
    }

    /// @notice The key of a pool trading `tokenA` and `tokenB`, in either order: the low 240 bits of
    /// keccak256(abi.encode(token0, token1)), the two sorted as Uniswap sorts them. Another pair of
    /// tokens has the same key with a chance of 2**-240 per try (a second preimage of 240 bits):
    /// no token an attacker deploys passes for one of a pool's. The aggregator keeps a listed
    /// pool's key in its venue word (`AggregatorWords`), so a hop checks its tokens without a call.
    function pairKey(address tokenA, address tokenB) internal pure returns (uint256 key) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        assembly ("memory-safe") {
            // In the scratch space (0x00..0x3f): nothing allocated.
            mstore(0x00, shr(96, shl(96, token0)))
            mstore(0x20, shr(96, shl(96, token1)))
            key := shr(16, shl(16, keccak256(0x00, 0x40)))
        }
    }

    /// @notice The key of the tokens `pool` answers (`token0()`, `token1()`: a Uniswap V2 pair and a
    /// V3 pool both have them); 0 when it does not answer two distinct, sorted, non-zero tokens
    /// (an account without code, or not a Uniswap pool).
    function poolKey(address pool) internal view returns (uint256) {
        address token0 = _token(pool, IUniswapV2PairMinimal.token0.selector);
        address token1 = _token(pool, IUniswapV2PairMinimal.token1.selector);
        if (token0 == address(0) || token0 >= token1) return 0;
        return pairKey(token0, token1);
    }

    /// @notice Reverts `VenueDoesNotTrade(pool, tokenIn, tokenOut)` unless `pool` trades `tokenIn`
    /// for `tokenOut` (its two tokens, read now). For the adapters' `swap`; the aggregator checks
    /// against the key it read at listing instead.
    function checkTokens(address pool, address tokenIn, address tokenOut) internal view {
        uint256 key = poolKey(pool);
        if (key == 0 || key != pairKey(tokenIn, tokenOut)) {
            revert IVenueAdapter.VenueDoesNotTrade(pool, tokenIn, tokenOut);
        }
    }

    /// @dev The pair's reserves are uint112 by its own code (a real Uniswap V2 pair, allow-listed):
    /// they are read as words, without the ABI decoder's range checks.
    function reservesV2(address pair, bool zeroForOne) internal view returns (uint256 reserveIn, uint256 reserveOut) {
        uint256 reserve0;
        uint256 reserve1;
        bytes4 selector = IUniswapV2PairMinimal.getReserves.selector;
        bool ok;
        assembly ("memory-safe") {
            mstore(0, selector)
            ok := staticcall(gas(), pair, 0, 4, 0, 64)
            reserve0 := mload(0)
            reserve1 := mload(32)
        }
        _check(ok, 64, pair);
        (reserveIn, reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
    }

    /// @dev The pair's constant-product formula with its fee, rounded down as the pair requires.
    function amountOutV2(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        if (amountIn == 0 || reserveIn == 0 || reserveOut == 0) return 0;
        uint256 amountInWithFee = amountIn * V2_FEE_FACTOR;
        return amountInWithFee * reserveOut / (reserveIn * V2_FEE_BASE + amountInWithFee);
    }

    /// @dev The address `pool` answers to a call of `selector` with no argument; 0 when the call
    /// fails or answers less than a word or more than an address.
    function _token(address pool, bytes4 selector) private view returns (address token) {
        bool ok;
        uint256 word;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            ok := staticcall(gas(), pool, 0x00, 0x04, 0x00, 0x20)
            ok := and(ok, gt(returndatasize(), 0x1f)) // after the call: Yul evaluates arguments right to left
            word := mload(0x00)
        }
        if (ok && word >> 160 == 0) token = address(uint160(word));
    }

    /// @dev After a low-level call to `venue`: re-raises its revert reason; reverts
    /// `VenueCallFailed(venue)` when it reverted without one or returned under `minReturn` bytes.
    /// Code size is not checked (a call to an empty account succeeds): every call expecting no
    /// return data follows one to the same venue that had to return some.
    function _check(bool ok, uint256 minReturn, address venue) private pure {
        uint256 size;
        assembly ("memory-safe") {
            size := returndatasize()
        }
        if (ok) {
            if (size < minReturn) revert IVenueAdapter.VenueCallFailed(venue);
            return;
        }
        if (size == 0) revert IVenueAdapter.VenueCallFailed(venue);
        assembly ("memory-safe") {
            let data := mload(0x40)
            returndatacopy(data, 0, size)
            revert(data, size)
        }
    }

    /// @dev Pays `to` from the aggregator's own balance (intermediate hops) or from the payer, by
    /// allowance or by its callback (RoutePayer). Runs in the aggregator's context.
    function pay(address token, address payer, address to, uint256 amount) internal {
        RoutePayer.pay(token, payer, to, amount);
    }
}
