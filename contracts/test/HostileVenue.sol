// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";

/// @title HostileVenue
/// @notice Test-only: poses as a Uniswap V2 pair of two tokens (sorted, as a pair's) and, when the
/// aggregator swaps with it, tries to re-enter the aggregator (a nested swap) or to claim a V3
/// callback payment.
contract HostileVenue {
    ILiquidityAggregator public immutable aggregator;
    address public immutable token0;
    address public immutable token1;
    bool public tryCallback;
    bytes private _route;

    constructor(address aggregator_, address tokenA, address tokenB) {
        aggregator = ILiquidityAggregator(aggregator_);
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    function arm(bytes calldata route, bool callback) external {
        _route = route;
        tryCallback = callback;
    }

    function getReserves() external pure returns (uint112, uint112, uint32) {
        return (1e24, 1e24, 0);
    }

    function swap(uint256, uint256, address, bytes calldata) external {
        if (tryCallback) {
            aggregator.uniswapV3SwapCallback(1e18, 0, "");
        } else {
            aggregator.swap(_route);
        }
    }
}
