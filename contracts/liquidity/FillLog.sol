// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title FillLog
/// @notice The `fills` of `RouteExecuted`, packed: 72 bytes per hop, in execution order —
/// venue (20 bytes) | tokenOut (20) | amountIn (uint128, 16) | amountOut (uint128, 16).
/// Against an ABI-encoded struct array (128 bytes per hop) this saves 56 bytes of log data
/// (448 gas) per hop and the array's encoding loop; amounts above uint128 revert (SafeCast).
library FillLog {
    uint256 internal constant FILL_BYTES = 72;

    function create(uint256 hops) internal pure returns (bytes memory) {
        return new bytes(hops * FILL_BYTES);
    }

    /// @dev Writes fill `index`; fills must be written in order (each word written spills into the
    /// next fill's first bytes, which that fill's own write then replaces). `index` < `hops`.
    function write(bytes memory fills, uint256 index, address venue, address tokenOut, uint256 amountIn, uint256 amountOut)
        internal
        pure
    {
        uint256 packedAmounts = uint256(SafeCast.toUint128(amountIn)) << 128 | SafeCast.toUint128(amountOut);
        assembly ("memory-safe") {
            let at := add(add(fills, 32), mul(index, FILL_BYTES))
            mstore(at, shl(96, venue))
            mstore(add(at, 20), shl(96, tokenOut))
            mstore(add(at, 40), packedAmounts) // ends exactly at this fill's last byte
        }
    }
}
