// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISwapPayer} from "../../interfaces/ILiquidityAggregator.sol";
import {INavVenue, INavVenueCallback} from "../../interfaces/INavVenue.sol";
import {IPortfolioVault, TradeParams} from "../../interfaces/IPortfolioVault.sol";

/// @title PaymentThief
/// @notice Test-only attacker of the payment callbacks that replaced allowances (docs/specs.md
/// RSK-13, LIQ-19, LIQ-20): a venue the vault allow-lists that asks for more than the trade, for
/// another token, twice, through an accomplice, or after the trade; a venue the aggregator lists
/// (posing as a Uniswap V2 pair) that asks the vault itself during a route; a NAV desk caller that
/// underpays.
contract PaymentThief is INavVenueCallback {
    enum Mode {
        Overdraw,
        OtherToken,
        Twice,
        Accomplice,
        Keep
    }

    Mode public mode;
    address public otherToken;
    PaymentThief public accomplice;
    /// @dev What the last trade let it ask for (mode Keep), tried again later by `stealKept`.
    ISwapPayer public keptPayer;
    address public keptToken;
    uint256 public keptAmount;
    /// @dev As a V2 pair of the aggregator: the payer it robs during the route, and what.
    ISwapPayer public victim;
    address public victimToken;
    uint256 public victimAmount;
    /// @dev As a NAV desk caller: how much less than owed it pays.
    uint256 public shortfall;
    /// @dev As a V2 pair of the aggregator: the tokens it answers (sorted, as a pair's), read when
    /// the aggregator lists it.
    address public token0;
    address public token1;

    function arm(Mode mode_, address otherToken_, PaymentThief accomplice_) external {
        (mode, otherToken, accomplice) = (mode_, otherToken_, accomplice_);
    }

    // ------------------------------------------------------------ as a venue of the vault

    /// @notice The vault's trade calls this (FixedRateVenue's shape); it misbehaves per `mode`.
    function swap(address tokenIn, address, uint256 amountIn) external returns (uint256) {
        ISwapPayer vault = ISwapPayer(msg.sender);
        if (mode == Mode.Overdraw) {
            vault.payForSwap(tokenIn, address(this), amountIn + 1);
        } else if (mode == Mode.OtherToken) {
            vault.payForSwap(otherToken, address(this), 1);
        } else if (mode == Mode.Twice) {
            vault.payForSwap(tokenIn, address(this), amountIn);
            vault.payForSwap(tokenIn, address(this), 1);
        } else if (mode == Mode.Accomplice) {
            accomplice.steal(vault, tokenIn, amountIn);
        } else {
            (keptPayer, keptToken, keptAmount) = (vault, tokenIn, amountIn); // asks for nothing now
        }
        return 0;
    }

    /// @notice As an accomplice: asks `payer` for `amount` of `token` itself.
    function steal(ISwapPayer payer, address token, uint256 amount) external {
        payer.payForSwap(token, address(this), amount);
    }

    /// @notice After a trade that let it ask (mode Keep): asks again.
    function stealKept() external {
        keptPayer.payForSwap(keptToken, address(this), keptAmount);
    }

    /// @notice Holding EXECUTOR: runs a vault trade through itself, then, in the same transaction,
    /// asks the vault for the trade's sell amount.
    function tradeThenSteal(IPortfolioVault vault, TradeParams calldata params) external {
        vault.trade(params);
        ISwapPayer(address(vault)).payForSwap(params.sellAsset, address(this), params.sellAmount);
    }

    // ------------------------------------------------------------ as an aggregator venue (V2 pose)

    /// @notice Answers `tokenA` and `tokenB` as its `token0()` / `token1()`, sorted: the pair it poses as.
    function poseAsPair(address tokenA, address tokenB) external {
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    function robDuringRoute(ISwapPayer victim_, address token, uint256 amount) external {
        (victim, victimToken, victimAmount) = (victim_, token, amount);
    }

    function getReserves() external pure returns (uint112, uint112, uint32) {
        return (1e24, 1e24, 0);
    }

    /// @notice The aggregator calls this after paying the "pair": it asks the route's payer itself.
    function swap(uint256, uint256, address, bytes calldata) external {
        victim.payForSwap(victimToken, address(this), victimAmount);
    }

    // ------------------------------------------------------------ as a NAV desk caller

    /// @notice Subscribes at `desk` paying `shortfall` less than owed in the callback.
    function underpay(INavVenue desk, address tokenIn, address tokenOut, uint256 amountIn, uint256 shortfall_)
        external
    {
        shortfall = shortfall_;
        desk.swapWithCallback(tokenIn, tokenOut, amountIn, 0, address(this), "");
    }

    /// @inheritdoc INavVenueCallback
    function navVenueCallback(address tokenIn, uint256 amountIn, bytes calldata) external {
        IERC20(tokenIn).transfer(msg.sender, amountIn - shortfall);
    }
}
