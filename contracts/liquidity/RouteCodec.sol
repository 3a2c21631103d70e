// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Leg, Hop} from "../../interfaces/ILiquidityAggregator.sol";

/// @title RouteCodec
/// @notice The aggregator's packed route (ILiquidityAggregator, "Route encoding"): big-endian
/// fields with no padding, read straight from calldata.
///
///   header  tokenIn 20 | tokenOut 20 | recipient 20 | minAmountOut 16 | deadline 5 |
///           maxSlippageBps 2 | legCount 1                                   (84 bytes)
///   leg     amountIn 16 | hopCount 1                                        (17 bytes)
///   hop     venue 20 | tokenOut 20, absent on a leg's last hop (it is the route's tokenOut) |
///           dataLength 2 | data
///
/// Against the ABI-encoded struct (a two-source split: 900 bytes, 728 of them zero) this is 178
/// bytes, so about 2,700 gas less calldata, and it is decoded without the ABI's nested offset
/// checks. The route's amountIn is the legs' sum and a leg's last token is the route's tokenOut by
/// construction, so neither can disagree. Readers here do not check bounds: `LiquidityAggregator`
/// walks the whole route once (`_checkRoute`) and reverts `MalformedRoute` unless it ends exactly
/// at the last byte, before any reader runs on it.
library RouteCodec {
    uint256 internal constant HEADER_BYTES = 84;
    uint256 internal constant LEG_BYTES = 17;
    uint256 internal constant VENUE_BYTES = 20;
    uint256 internal constant TOKEN_BYTES = 20;
    uint256 internal constant DATA_LENGTH_BYTES = 2;

    error LegEndsInWrongToken(uint256 leg, address tokenOut, address expected);

    // ------------------------------------------------------------ reading (calldata)

    function tokenIn(bytes calldata route) internal pure returns (address) {
        return address(uint160(_word(route, 0) >> 96));
    }

    function tokenOut(bytes calldata route) internal pure returns (address) {
        return address(uint160(_word(route, 20) >> 96));
    }

    function recipient(bytes calldata route) internal pure returns (address) {
        return address(uint160(_word(route, 40) >> 96));
    }

    function minAmountOut(bytes calldata route) internal pure returns (uint256) {
        return _word(route, 60) >> 128;
    }

    function deadline(bytes calldata route) internal pure returns (uint256) {
        return _word(route, 76) >> 216;
    }

    function maxSlippageBps(bytes calldata route) internal pure returns (uint16) {
        return uint16(_word(route, 81) >> 240);
    }

    function legCount(bytes calldata route) internal pure returns (uint256) {
        return _word(route, 83) >> 248;
    }

    /// @param at Offset of the leg in `route`.
    /// @return amountIn What the leg's first hop sells.
    /// @return hopCount Hops that follow, from `at + LEG_BYTES`.
    function leg(bytes calldata route, uint256 at) internal pure returns (uint256 amountIn, uint256 hopCount) {
        uint256 word = _word(route, at);
        return (word >> 128, (word >> 120) & 0xff);
    }

    /// @param at Offset of the hop in `route`.
    /// @param last Whether it is its leg's last hop (then it sells for `routeTokenOut`).
    /// @return venue Where it trades.
    /// @return hopTokenOut What it buys.
    /// @return dataAt Offset of the hop's venue data.
    /// @return dataLength Length of the hop's venue data (the next hop starts right after it).
    function hop(bytes calldata route, uint256 at, bool last, address routeTokenOut)
        internal
        pure
        returns (address venue, address hopTokenOut, uint256 dataAt, uint256 dataLength)
    {
        venue = address(uint160(_word(route, at) >> 96));
        // Offsets are calldata positions (far below 2**64) plus a few bytes: no overflow.
        unchecked {
            uint256 lengthAt = at + VENUE_BYTES;
            if (last) {
                hopTokenOut = routeTokenOut;
            } else {
                hopTokenOut = address(uint160(_word(route, lengthAt) >> 96));
                lengthAt += TOKEN_BYTES;
            }
            dataLength = _word(route, lengthAt) >> 240;
            dataAt = lengthAt + DATA_LENGTH_BYTES;
        }
    }

    /// @dev Reads 32 bytes at `at`; past the end of `route` this reads whatever calldata follows
    /// (or zeros): callers only read offsets `_checkRoute` has proven to be inside the route.
    function _word(bytes calldata route, uint256 at) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            word := calldataload(add(route.offset, at))
        }
    }

    // ------------------------------------------------------------ writing (memory)

    /// @notice Packs a route for `LiquidityAggregator.swap` from its struct form (for contracts
    /// that build routes on chain, like the AutoRebalancer). Amounts above uint128 and data above
    /// 65,535 bytes revert (SafeCast); a leg whose last hop does not buy `tokenOut_` reverts
    /// `LegEndsInWrongToken`. Leg and hop counts are checked by the aggregator, not here.
    function encode(
        address tokenIn_,
        address tokenOut_,
        address recipient_,
        uint256 minAmountOut_,
        uint256 deadline_,
        uint16 maxSlippageBps_,
        Leg[] memory legs
    ) internal pure returns (bytes memory route) {
        route = abi.encodePacked(
            tokenIn_,
            tokenOut_,
            recipient_,
            SafeCast.toUint128(minAmountOut_),
            SafeCast.toUint40(deadline_),
            maxSlippageBps_,
            SafeCast.toUint8(legs.length)
        );
        // Bounded by the caller's legs and hops (the aggregator refuses more than MAX_LEGS x MAX_HOPS).
        for (uint256 l; l < legs.length; ++l) {
            Hop[] memory hops = legs[l].hops;
            route = bytes.concat(
                route, bytes16(SafeCast.toUint128(legs[l].amountIn)), bytes1(SafeCast.toUint8(hops.length))
            );
            for (uint256 h; h < hops.length; ++h) {
                Hop memory next = hops[h];
                bool last = h + 1 == hops.length;
                if (last && next.tokenOut != tokenOut_) revert LegEndsInWrongToken(l, next.tokenOut, tokenOut_);
                route = last
                    ? bytes.concat(route, bytes20(next.venue), bytes2(SafeCast.toUint16(next.data.length)), next.data)
                    : bytes.concat(
                        route,
                        bytes20(next.venue),
                        bytes20(next.tokenOut),
                        bytes2(SafeCast.toUint16(next.data.length)),
                        next.data
                    );
            }
        }
    }
}
