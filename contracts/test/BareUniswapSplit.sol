// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {LiquiditySession} from "../liquidity/LiquiditySession.sol";
import {UniswapHops} from "../liquidity/UniswapHops.sol";

/// @title BareUniswapSplit
/// @notice Benchmark floor only (never deployed outside benchmarks): the aggregator's own swap code
/// (`UniswapHops`) with none of its checks — no allow-list, no large-order threshold, no event,
/// no measured output, no deadline or reentrancy lock — so the difference to the aggregator's
/// figure is exactly what those properties cost.
contract BareUniswapSplit {
    /// @notice Sells `amountV2` at `pair` and `amountV3` at `pool` (either may be 0) for `to`.
    function split(
        address pair,
        address pool,
        address tokenIn,
        address tokenOut,
        uint256 amountV2,
        uint256 amountV3,
        address to
    ) external {
        if (amountV2 != 0) UniswapHops.swapV2(pair, tokenIn, tokenOut, amountV2, msg.sender, to);
        if (amountV3 != 0) UniswapHops.swapV3(pool, tokenIn, tokenOut, amountV3, msg.sender, to);
    }

    /// @notice Pays the pool the session names (the only check kept: the payer's funds are at stake).
    function uniswapV3SwapCallback(int256 amount0Delta, int256 amount1Delta, bytes calldata) external {
        (address pool, address payer, address token,) = LiquiditySession.take();
        require(msg.sender == pool);
        IERC20(token).transferFrom(payer, pool, uint256(amount0Delta > 0 ? amount0Delta : amount1Delta));
    }
}
