// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {IUniswapV2PairMinimal} from "../../../interfaces/external/IUniswap.sol";
import {UniswapHops} from "../UniswapHops.sol";
import {AdapterBase} from "./AdapterBase.sol";

/// @title UniswapV2Adapter
/// @notice Uniswap V2 pairs of any factory (the venue is the pair). A native kind: the aggregator
/// swaps these venues with the same `UniswapHops.swapV2` that `swap` runs, without a delegatecall.
contract UniswapV2Adapter is AdapterBase {
    /// @inheritdoc IVenueAdapter
    function nativeKind() external pure override returns (NativeKind) {
        return NativeKind.UNISWAP_V2;
    }

    /// @inheritdoc IVenueAdapter
    /// @dev Checks the pair's tokens first (`UniswapHops.checkTokens`), as the aggregator's hop does.
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
        amountOut = UniswapHops.swapV2(venue, tokenIn, tokenOut, amountIn, payer, recipient);
        amountInUsed = amountIn;
    }

    /// @inheritdoc IVenueAdapter
    function quote(address venue, address tokenIn, address tokenOut, uint256 amountIn, bytes calldata)
        external
        view
        returns (uint256 amountOut)
    {
        IUniswapV2PairMinimal pair = IUniswapV2PairMinimal(venue);
        bool zeroForOne = tokenIn < tokenOut;
        (address token0, address token1) = zeroForOne ? (tokenIn, tokenOut) : (tokenOut, tokenIn);
        if (pair.token0() != token0 || pair.token1() != token1) return 0;
        (uint256 reserveIn, uint256 reserveOut) = UniswapHops.reservesV2(venue, zeroForOne);
        return UniswapHops.amountOutV2(amountIn, reserveIn, reserveOut);
    }
}
