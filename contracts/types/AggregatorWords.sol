// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IOracleRouter} from "../../interfaces/IOracleRouter.sol";
import {IVenueAdapter} from "../../interfaces/IVenueAdapter.sol";
import {Bits} from "./Bits.sol";

// The liquidity aggregator's packed storage words (Uniswap v4's `Slot0` pattern): one value type
// per word and one library per type, the only description of its layout: named offsets and masks,
// getters, and `setX` setters that return the word with one field replaced and every other bit
// kept. Each table lists the fields from bit 0; `bool` is a flag (set when any of its bits is), an
// enum name a byte of that enum.
//
// VenueWord: LiquidityAggregator._venueConfig[venue], read once per hop
// | bits     | field  | kind       |
// | -------- | ------ | ---------- |
// | 0..7     | pauses | uint8      |
// | 8..15    | kind   | NativeKind |
// | 16..255  | key    | uint240    |
//
// SettingsWord: LiquidityAggregator._settings, read by a swap only when its route asks for an oracle bound
// | bits     | field             | kind    |
// | -------- | ----------------- | ------- |
// | 0..159   | oracle            | address |
// | 160..175 | maxSlippageCapBps | uint16  |
// | 176..207 | revealWindow      | uint32  |
// | 208..215 | paused            | bool    |
// | 216..255 | (unused)          |         |

/// @notice A venue (table above). `pauses` holds two bits: VENUE_PAUSE (the venue's own) and
/// GLOBAL_PAUSE (the global pause, written into every venue so a swap reads no separate flag); a
/// hop needs both clear. `kind` is the adapter's `NativeKind` (swapped by built-in code, without a
/// delegatecall). `key` is what a hop of that kind needs, 0 when the venue is not listed:
/// - NONE: the adapter the hop DELEGATECALLs (its 160 bits);
/// - UNISWAP_V2, UNISWAP_V3: the pool's token key, `UniswapHops.pairKey` of the two tokens the
///   pool answered when it was listed (a Uniswap pool's tokens never change), which the hop's
///   `pairKey(tokenIn, tokenOut)` must equal (SEC-141);
/// - NAV_DESK: the adapter (not read by the hop: the desk checks its own markets).
/// Every kind's adapter is also kept whole beside the word (`LiquidityAggregator._adapters`) for
/// quotes, views and governance; the hop reads this word only.
type VenueWord is uint256;

/// @notice The aggregator's settings (table above).
/// @dev The paused flag is a byte (0 or 1; read as set when the byte is not zero).
type SettingsWord is uint256;

using VenueWordLibrary for VenueWord global;
using SettingsWordLibrary for SettingsWord global;

library VenueWordLibrary {
    uint256 internal constant BYTE_MASK = type(uint8).max;
    uint256 internal constant KIND_OFFSET = 8;
    uint256 internal constant KEY_OFFSET = 16;
    /// @notice The bits below the key: `pauses` and `kind`.
    uint256 internal constant PAUSES_KIND_MASK = type(uint16).max;
    /// @notice The bits of `pauses`.
    uint8 internal constant VENUE_PAUSE = 1;
    uint8 internal constant GLOBAL_PAUSE = 2;

    function pauses(VenueWord v) internal pure returns (uint8) {
        return uint8(VenueWord.unwrap(v));
    }

    /// @notice Either pause is set: no hop may use the venue.
    function paused(VenueWord v) internal pure returns (bool) {
        return pauses(v) != 0;
    }

    /// @dev Reverts (Panic 0x21) on a byte that is no `NativeKind`: no writer stores one.
    function kind(VenueWord v) internal pure returns (IVenueAdapter.NativeKind) {
        return IVenueAdapter.NativeKind(uint8(VenueWord.unwrap(v) >> KIND_OFFSET));
    }

    /// @notice The kind's key (see `VenueWord`); 0: not listed.
    function key(VenueWord v) internal pure returns (uint256) {
        return VenueWord.unwrap(v) >> KEY_OFFSET;
    }

    function setPauses(VenueWord v, uint8 value) internal pure returns (VenueWord) {
        return VenueWord.wrap((VenueWord.unwrap(v) & ~BYTE_MASK) | value);
    }

    function setKind(VenueWord v, IVenueAdapter.NativeKind value) internal pure returns (VenueWord) {
        return
            VenueWord.wrap((VenueWord.unwrap(v) & ~(BYTE_MASK << KIND_OFFSET)) | uint256(uint8(value)) << KIND_OFFSET);
    }

    /// @dev `value` fits 240 bits (`UniswapHops.pairKey`, or an address).
    function setKey(VenueWord v, uint256 value) internal pure returns (VenueWord) {
        return VenueWord.wrap((VenueWord.unwrap(v) & PAUSES_KIND_MASK) | value << KEY_OFFSET);
    }

    /// @notice The word of these fields. `key_` fits 240 bits.
    function pack(uint256 key_, uint8 pauses_, IVenueAdapter.NativeKind kind_) internal pure returns (VenueWord) {
        return VenueWord.wrap(key_ << KEY_OFFSET | uint256(uint8(kind_)) << KIND_OFFSET | pauses_);
    }
}

library SettingsWordLibrary {
    uint256 internal constant ORACLE_MASK = type(uint160).max;
    uint256 internal constant MAX_SLIPPAGE_CAP_BPS_OFFSET = 160;
    uint256 internal constant MAX_SLIPPAGE_CAP_BPS_MASK = type(uint16).max;
    uint256 internal constant REVEAL_WINDOW_OFFSET = 176;
    uint256 internal constant REVEAL_WINDOW_MASK = type(uint32).max;
    uint256 internal constant PAUSED_OFFSET = 208;
    uint256 internal constant PAUSED_MASK = type(uint8).max;

    function oracle(SettingsWord s) internal pure returns (IOracleRouter) {
        return IOracleRouter(address(uint160(SettingsWord.unwrap(s))));
    }

    function maxSlippageCapBps(SettingsWord s) internal pure returns (uint16) {
        return uint16(SettingsWord.unwrap(s) >> MAX_SLIPPAGE_CAP_BPS_OFFSET);
    }

    /// @notice Blocks after a commitment in which it may be revealed.
    function revealWindow(SettingsWord s) internal pure returns (uint32) {
        return uint32(SettingsWord.unwrap(s) >> REVEAL_WINDOW_OFFSET);
    }

    function paused(SettingsWord s) internal pure returns (bool) {
        return uint8(SettingsWord.unwrap(s) >> PAUSED_OFFSET) != 0;
    }

    function setOracle(SettingsWord s, IOracleRouter value) internal pure returns (SettingsWord) {
        return SettingsWord.wrap((SettingsWord.unwrap(s) & ~ORACLE_MASK) | uint256(uint160(address(value))));
    }

    function setMaxSlippageCapBps(SettingsWord s, uint16 value) internal pure returns (SettingsWord) {
        return SettingsWord.wrap(
            Bits.set(SettingsWord.unwrap(s), MAX_SLIPPAGE_CAP_BPS_OFFSET, MAX_SLIPPAGE_CAP_BPS_MASK, value)
        );
    }

    function setRevealWindow(SettingsWord s, uint32 value) internal pure returns (SettingsWord) {
        return SettingsWord.wrap(Bits.set(SettingsWord.unwrap(s), REVEAL_WINDOW_OFFSET, REVEAL_WINDOW_MASK, value));
    }

    function setPaused(SettingsWord s, bool value) internal pure returns (SettingsWord) {
        return SettingsWord.wrap(Bits.set(SettingsWord.unwrap(s), PAUSED_OFFSET, PAUSED_MASK, value ? 1 : 0));
    }
}
