// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {IUniswapV3PoolMinimal, IQuoterV2Minimal} from "../../../interfaces/external/IUniswap.sol";
import {UniswapHops} from "../UniswapHops.sol";
import {AdapterBase} from "./AdapterBase.sol";

/// @title UniswapV3Adapter
/// @notice Exact-input swaps on Uniswap V3 pools of one factory; quotes through that factory's
/// QuoterV2 (from the v3-periphery package). A native kind: the aggregator swaps these venues with
/// the same `UniswapHops.swapV3` that `swap` runs, without a delegatecall. The pool's callback is
/// paid by the aggregator's `uniswapV3SwapCallback`, which accepts only the pool being called,
/// once, for at most `amountIn`.
contract UniswapV3Adapter is AdapterBase {
    IQuoterV2Minimal public immutable quoter;

    constructor(address quoter_) {
        quoter = IQuoterV2Minimal(quoter_);
    }

    /// @inheritdoc IVenueAdapter
    function nativeKind() external pure override returns (NativeKind) {
        return NativeKind.UNISWAP_V3;
    }

    /// @inheritdoc IVenueAdapter
    /// @dev Checks the pool's tokens first (`UniswapHops.checkTokens`), as the aggregator's hop does.
    function swap(
        address venue,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        address payer,
        address recipient,
        bytes calldata
    ) external onlyDelegateCall returns (uint256 amountInUsed, uint256 amountOut) {
        UniswapHops.checkTokens(venue, tokenIn, tokenOut);
        return UniswapHops.swapV3(venue, tokenIn, tokenOut, amountIn, payer, recipient);
    }

    /// @inheritdoc IVenueAdapter
    /// @dev Quoted within a factor of 4 of the pool's price (its square root halved or doubled,
    /// inside the pool's bounds): an order that would move the price further quotes 0, the
    /// source cannot fill it. Unbounded, a pool priced past its liquidity (every position on one
    /// side) made the quoter walk every empty tick to the end of the price range, millions of gas
    /// a quote, and exhausted the aggregator's whole `quote` for every venue (LIQ-22).
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata)
        external
        returns (uint256 amountOut)
    {
        IUniswapV3PoolMinimal pool = IUniswapV3PoolMinimal(venue);
        bool zeroForOne = tokenIn < tokenOut;
        (address token0, address token1) = zeroForOne ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        if (amountIn == 0 || pool.token0() != token0 || pool.token1() != token1) return 0;
        (uint160 sqrtPrice,,,,,,) = pool.slot0();
        if (sqrtPrice == 0) return 0; // Not initialised (a limit of 0 would be the quoter's "none").
        uint160 limit = _quoteLimit(sqrtPrice, zeroForOne);
        try quoter.quoteExactInputSingle(
            IQuoterV2Minimal.QuoteExactInputSingleParams(tokenIn, tokenOut, amountIn, pool.fee(), limit)
        ) returns (
            uint256 out, uint160 sqrtPriceAfter, uint32, uint256
        ) {
            // At the limit the quoter stopped short of the whole input: not a fill of `amountIn`.
            amountOut = sqrtPriceAfter == limit ? 0 : out;
        } catch {
            amountOut = 0; // No liquidity for this size, or the pool rejected it: the source cannot fill.
        }
    }

    /// @dev The square-root price a quote stops at: half the pool's selling token0 (the price falls
    /// to a quarter), twice it buying, within the pool's own bounds (exclusive).
    function _quoteLimit(uint160 sqrtPrice, bool zeroForOne) internal pure returns (uint160) {
        if (zeroForOne) {
            uint160 half = sqrtPrice >> 1;
            return half > UniswapHops.MIN_SQRT_PRICE_PLUS_ONE ? half : UniswapHops.MIN_SQRT_PRICE_PLUS_ONE;
        }
        // No overflow: sqrtPrice < 2**160, so twice it fits 256 bits; compared before narrowing.
        uint256 twice = uint256(sqrtPrice) << 1;
        return twice < UniswapHops.MAX_SQRT_PRICE_MINUS_ONE ? uint160(twice) : UniswapHops.MAX_SQRT_PRICE_MINUS_ONE;
    }
}
