// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ILiquidityAggregator} from "../../interfaces/ILiquidityAggregator.sol";

/// @title FillLog
/// @notice `RouteExecuted`'s data, built in place in memory while the route executes and logged
/// from there (no second ABI encoding and copy of the fills at the end).
///
/// The buffer is the event's ABI data: tokenIn | tokenOut | amountIn | amountOut | 0xa0 (offset of
/// `fills`) | fills length | fills, zero-padded to a whole word. `fills` is packed: 72 bytes per
/// hop, in execution order — venue (20 bytes) | tokenOut (20) | amountIn (uint128, 16) |
/// amountOut (uint128, 16). Against an ABI-encoded struct array (128 bytes per hop) this saves 56
/// bytes of log data (448 gas) per hop; amounts above uint128 revert (SafeCast).
library FillLog {
    uint256 internal constant FILL_BYTES = 72;
    /// @dev Five head words and the length word of `fills`.
    uint256 private constant FILLS_AT = 192;
    uint256 private constant FILLS_OFFSET = 0xa0;

    /// @return log Memory pointer of a buffer for `hops` fills.
    function create(uint256 hops) internal pure returns (uint256 log) {
        uint256 fillsLength;
        // hops <= MAX_LEGS x MAX_HOPS.
        unchecked {
            fillsLength = hops * FILL_BYTES;
        }
        assembly ("memory-safe") {
            log := mload(0x40)
            let end := add(add(log, FILLS_AT), and(add(fillsLength, 31), not(31)))
            mstore(0x40, end)
            mstore(add(log, 128), FILLS_OFFSET)
            mstore(add(log, 160), fillsLength)
            // Memory past the free pointer may be dirty: zero the padding of the last word (fills
            // written later overwrite the part that is theirs).
            mstore(sub(end, 32), 0)
        }
    }

    /// @dev Writes fill `index`; fills must be written in order (each word written spills into the
    /// next fill's first bytes, which that fill's own write then replaces). `index` < `hops`.
    function write(uint256 log, uint256 index, address venue, address tokenOut, uint256 amountIn, uint256 amountOut)
        internal
        pure
    {
        uint256 packedAmounts = uint256(SafeCast.toUint128(amountIn)) << 128 | SafeCast.toUint128(amountOut);
        assembly ("memory-safe") {
            let at := add(add(log, FILLS_AT), mul(index, FILL_BYTES))
            mstore(at, shl(96, venue))
            mstore(add(at, 20), shl(96, tokenOut))
            mstore(add(at, 40), packedAmounts) // ends exactly at this fill's last byte
        }
    }

    /// @notice Emits `RouteExecuted(payer, recipient, tokenIn, tokenOut, amountIn, amountOut, fills)`.
    function emitRouteExecuted(
        uint256 log,
        address payer,
        address recipient,
        address tokenIn,
        address tokenOut,
        uint256 amountIn,
        uint256 amountOut
    ) internal {
        bytes32 topic = ILiquidityAggregator.RouteExecuted.selector;
        assembly ("memory-safe") {
            // Addresses are cleaned: assembly must not rely on a short type's upper bits.
            mstore(log, shr(96, shl(96, tokenIn)))
            mstore(add(log, 32), shr(96, shl(96, tokenOut)))
            mstore(add(log, 64), amountIn)
            mstore(add(log, 96), amountOut)
            let size := add(FILLS_AT, and(add(mload(add(log, 160)), 31), not(31)))
            log3(log, size, topic, shr(96, shl(96, payer)), shr(96, shl(96, recipient)))
        }
    }
}
