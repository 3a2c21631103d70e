// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IVenueAdapter} from "../../../interfaces/IVenueAdapter.sol";
import {IUniswapV2PairMinimal} from "../../../interfaces/external/IUniswap.sol";
import {AdapterBase} from "./AdapterBase.sol";

/// @title UniswapV2Adapter
/// @notice Swaps on a Uniswap V2 pair (any factory: the venue is the pair). Pays the pair
/// directly from the payer, as Router02 does, and lets the pair send to the recipient.
contract UniswapV2Adapter is IVenueAdapter, AdapterBase {
    /// @dev Uniswap V2's 0.30% fee, as in the pair's invariant check.
    uint256 internal constant FEE_FACTOR = 997;
    uint256 internal constant FEE_BASE = 1000;

    /// @inheritdoc IVenueAdapter
    /// @dev The pair's tokens are not read: V2 pairs sort tokens by address, and a pair that does
    /// not hold `tokenOut` cannot deliver it, so the aggregator's output check reverts.
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
        (uint256 reserveIn, uint256 reserveOut) = _reserves(venue, zeroForOne);
        amountOut = _amountOut(amountIn, reserveIn, reserveOut);
        _pay(tokenIn, payer, venue, amountIn);
        IUniswapV2PairMinimal(venue).swap(zeroForOne ? 0 : amountOut, zeroForOne ? amountOut : 0, recipient, "");
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
        (uint256 reserveIn, uint256 reserveOut) = _reserves(venue, zeroForOne);
        return _amountOut(amountIn, reserveIn, reserveOut);
    }

    function _reserves(address venue, bool zeroForOne) internal view returns (uint256 reserveIn, uint256 reserveOut) {
        (uint112 reserve0, uint112 reserve1,) = IUniswapV2PairMinimal(venue).getReserves();
        (reserveIn, reserveOut) = zeroForOne ? (uint256(reserve0), uint256(reserve1)) : (uint256(reserve1), uint256(reserve0));
    }

    /// @dev The pair's constant-product formula with its fee, rounded down as the pair requires.
    function _amountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) internal pure returns (uint256) {
        if (amountIn == 0 || reserveIn == 0 || reserveOut == 0) return 0;
        uint256 amountInWithFee = amountIn * FEE_FACTOR;
        return amountInWithFee * reserveOut / (reserveIn * FEE_BASE + amountInWithFee);
    }
}
