// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";

/// @title FixedRateVenue
/// @notice Test-only venue: swaps from its own inventory at a rate set by the test (18-decimal
/// output units per input unit), paid by its caller's `ISwapPayer.payForSwap` (the vault's trade
/// payment). Used to drive vault trades in unit tests; real venues are in contracts/liquidity.
contract FixedRateVenue {
    mapping(address tokenIn => mapping(address tokenOut => uint256)) public rate;

    function setRate(address tokenIn, address tokenOut, uint256 rate18) external {
        rate[tokenIn][tokenOut] = rate18;
    }

    function swap(address tokenIn, address tokenOut, uint256 amountIn) external returns (uint256 amountOut) {
        amountOut = amountIn * rate[tokenIn][tokenOut] / 1e18;
        uint256 balanceBefore = IERC20(tokenIn).balanceOf(address(this));
        ISwapPayer(msg.sender).payForSwap(tokenIn, address(this), amountIn);
        require(IERC20(tokenIn).balanceOf(address(this)) - balanceBefore >= amountIn, "not paid");
        IERC20(tokenOut).transfer(msg.sender, amountOut);
    }
}
