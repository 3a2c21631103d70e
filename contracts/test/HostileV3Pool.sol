// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";

/// @title HostileV3Pool
/// @notice Test-only: poses as a Uniswap V3 pool listed with the aggregator (docs/specs.md LIQ-4)
/// and, when the aggregator swaps with it, asks the V3 callback to pay twice, to pay more than the
/// hop's input, or has an accomplice (not the pool being called) claim the payment.
contract HostileV3Pool {
    enum Mode {
        Twice,
        AboveInput,
        Accomplice
    }

    /// @notice The first payment did not arrive in full: the aggregator refused it.
    error FirstPaymentMissing(uint256 received, uint256 expected);
    /// @notice The first payment arrived in full and the second was refused with `reason`.
    error SecondPaymentRefused(bytes reason);

    ILiquidityAggregator public immutable aggregator;
    /// @notice The pool's tokens, sorted (as a pool's): the aggregator reads them when it lists it.
    address public immutable token0;
    address public immutable token1;
    Mode public mode;
    HostileV3Pool public accomplice;
    /// @dev The hop's input token (the pool's token0 or token1 for the aggregator: it pays whatever
    /// the session names; only the balance check below reads it).
    IERC20 public tokenIn;

    constructor(address aggregator_, address tokenA, address tokenB) {
        aggregator = ILiquidityAggregator(aggregator_);
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
    }

    function arm(Mode mode_, HostileV3Pool accomplice_, IERC20 tokenIn_) external {
        (mode, accomplice, tokenIn) = (mode_, accomplice_, tokenIn_);
    }

    /// @notice Uniswap V3's `swap`, as the aggregator calls it: the amount asked is the exact input.
    function swap(address, bool zeroForOne, int256 amountSpecified, uint160, bytes calldata)
        external
        returns (int256, int256)
    {
        if (mode == Mode.Accomplice) {
            accomplice.claim(zeroForOne, amountSpecified);
        } else if (mode == Mode.AboveInput) {
            _ask(zeroForOne, amountSpecified + 1);
        } else {
            uint256 before = tokenIn.balanceOf(address(this));
            _ask(zeroForOne, amountSpecified);
            uint256 received = tokenIn.balanceOf(address(this)) - before;
            if (received != uint256(amountSpecified)) revert FirstPaymentMissing(received, uint256(amountSpecified));
            // The second payment of one pool call: its refusal is reported inside ours, so that the
            // test sees the first payment passed.
            try this.claim(zeroForOne, amountSpecified) {}
            catch (bytes memory reason) {
                revert SecondPaymentRefused(reason);
            }
        }
        return zeroForOne ? (amountSpecified, int256(0)) : (int256(0), amountSpecified);
    }

    /// @notice As the accomplice: claims the callback payment of a pool call that is not its own
    /// (and, called by the pool itself, its second payment).
    function claim(bool zeroForOne, int256 amount) external {
        _ask(zeroForOne, amount);
    }

    function _ask(bool zeroForOne, int256 amount) internal {
        if (zeroForOne) aggregator.uniswapV3SwapCallback(amount, 0, "");
        else aggregator.uniswapV3SwapCallback(0, amount, "");
    }
}
