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
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata)
        external
        returns (uint256 amountOut)
    {
        IUniswapV3PoolMinimal pool = IUniswapV3PoolMinimal(venue);
        (address token0, address token1) = tokenIn < tokenOut ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        if (amountIn == 0 || pool.token0() != token0 || pool.token1() != token1) return 0;
        try quoter.quoteExactInputSingle(
            IQuoterV2Minimal.QuoteExactInputSingleParams(tokenIn, tokenOut, amountIn, pool.fee(), 0)
        ) returns (
            uint256 out, uint160, uint32, uint256
        ) {
            amountOut = out;
        } catch {
            amountOut = 0; // No liquidity for this size, or the pool rejected it: the source cannot fill.
        }
    }
}
