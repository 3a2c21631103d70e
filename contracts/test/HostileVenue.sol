// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";

/// @title HostileVenue
/// @notice Test-only: poses as a Uniswap V2 pair of two tokens (sorted, as a pair's) and, when the
/// aggregator swaps with it, tries to re-enter the aggregator (a nested swap) or to claim a V3
/// callback payment; armed with `burnOnRead`, its reserves read burns every gas unit it is given
/// (a venue whose quote would exhaust the aggregator's whole `quote`, LIQ-22).
contract HostileVenue {
    ILiquidityAggregator public immutable aggregator;
    address public immutable token0;
    address public immutable token1;
    bool public tryCallback;
    bool public burnOnRead;
    bytes private _route;

    constructor(address aggregator_, address tokenA, address tokenB) {
        aggregator = ILiquidityAggregator(aggregator_);
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    function arm(bytes calldata route, bool callback) external {
        _route = route;
        tryCallback = callback;
    }

    function setBurnOnRead(bool burn) external {
        burnOnRead = burn;
    }

    function getReserves() external view returns (uint112, uint112, uint32) {
        uint256 spin;
        // Bounded by the gas it is given: it runs out of gas.
        while (burnOnRead && gasleft() > 0) {
            ++spin;
        }
        return (1e24, 1e24, uint32(spin));
    }

    function swap(uint256, uint256, address, bytes calldata) external {
        if (tryCallback) {
            aggregator.uniswapV3SwapCallback(1e18, 0, "");
        } else {
            aggregator.swap(_route);
        }
    }
}
