// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {PackedTotal} from "../libraries/PackedTotal.sol";

/// @title ComplianceSlots
/// @notice Bit layouts of the compliance engine's hot storage words, so a transfer reads each slot
/// once into a stack word and writes it once.
/// @dev The jurisdiction, rules and totals layouts match Solidity's packing of the engine's structs
/// (first member in the lowest bits), so typed access to those mappings stays valid; the holding
/// word has no struct (its fields are not byte-aligned) and is only read through this library.
library ComplianceSlots {
    // ---------------------------------------------------------------- jurisdiction word
    // allowed 0..7 | hasRouteBlocks 8..15 | minInvestorClass 16..23 | holderCap 24..55 |
    // nonAccreditedCap 56..87 | holderCount 88..119 | nonAccreditedCount 120..151 | inboundClosedUntil 152..191
    function allowed(uint256 j) internal pure returns (bool) {
        return uint8(j) != 0;
    }

    function hasRouteBlocks(uint256 j) internal pure returns (bool) {
        return uint8(j >> 8) != 0;
    }

    function minInvestorClass(uint256 j) internal pure returns (uint8) {
        return uint8(j >> 16);
    }

    function holderCap(uint256 j) internal pure returns (uint32) {
        return uint32(j >> 24);
    }

    function nonAccreditedCap(uint256 j) internal pure returns (uint32) {
        return uint32(j >> 56);
    }

    function holderCount(uint256 j) internal pure returns (uint32) {
        return uint32(j >> 88);
    }

    function nonAccreditedCount(uint256 j) internal pure returns (uint32) {
        return uint32(j >> 120);
    }

    function inboundClosedUntil(uint256 j) internal pure returns (uint40) {
        return uint40(j >> 152);
    }

    // ---------------------------------------------------------------- holding word (per identity)
    // balance 0..95 | lastAcquiredAt 96..135 | countedCountry 136..145 | countedNonAccredited 146 |
    // windowDay 147..162 | dayCurrent 163..185 | dayPrevious 186..208 | monthCurrent 209..231 |
    // monthPrevious 232..254 (the four totals are `PackedTotal`s; bit 255 unused)
    uint256 internal constant WINDOWS_SHIFT = 147;

    function balance(uint256 h) internal pure returns (uint96) {
        return uint96(h);
    }

    function lastAcquiredAt(uint256 h) internal pure returns (uint40) {
        return uint40(h >> 96);
    }

    function countedCountry(uint256 h) internal pure returns (uint16) {
        return uint16((h >> 136) & 0x3ff);
    }

    function countedNonAccredited(uint256 h) internal pure returns (bool) {
        return (h >> 146) & 1 != 0;
    }

    /// @dev UTC day (days since 1970-01-01, mod 2**16: exact until 2149) of the last recorded send.
    function windowDay(uint256 h) internal pure returns (uint256) {
        return (h >> 147) & 0xffff;
    }

    function dayCurrent(uint256 h) internal pure returns (uint256) {
        return (h >> 163) & PackedTotal.MASK;
    }

    function dayPrevious(uint256 h) internal pure returns (uint256) {
        return (h >> 186) & PackedTotal.MASK;
    }

    function monthCurrent(uint256 h) internal pure returns (uint256) {
        return (h >> 209) & PackedTotal.MASK;
    }

    function monthPrevious(uint256 h) internal pure returns (uint256) {
        return (h >> 232) & PackedTotal.MASK;
    }

    function withBalance(uint256 h, uint96 value) internal pure returns (uint256) {
        return (h & ~uint256(type(uint96).max)) | value;
    }

    function withLastAcquiredAt(uint256 h, uint40 value) internal pure returns (uint256) {
        return (h & ~(uint256(type(uint40).max) << 96)) | uint256(value) << 96;
    }

    /// @dev `country_` <= 999 (the registry refuses larger codes), so it fits its 10 bits.
    function withCounted(uint256 h, uint16 country_, bool nonAccredited) internal pure returns (uint256) {
        return (h & ~(uint256(0x7ff) << 136)) | uint256(country_) << 136 | (nonAccredited ? uint256(1) << 146 : 0);
    }

    /// @dev Replaces the window fields (bits 147..255); `day` is kept mod 2**16 (days since 1970 stay
    /// below 2**16 until 2149), each total is < 2**23 (a `PackedTotal`).
    function withWindows(
        uint256 h,
        uint256 day,
        uint256 dayCurrent_,
        uint256 dayPrevious_,
        uint256 monthCurrent_,
        uint256 monthPrevious_
    ) internal pure returns (uint256) {
        return (h & ((uint256(1) << WINDOWS_SHIFT) - 1)) | (day & 0xffff) << 147 | dayCurrent_ << 163 | dayPrevious_
            << 186 | monthCurrent_ << 209 | monthPrevious_ << 232;
    }

    // ---------------------------------------------------------------- rules word
    // maxBalance 0..39 | minHolding 40..79 | dailyLimit 80..119 | monthlyLimit 120..159 |
    // maxBalanceBps 160..175 | lockupAfterAcquisition 176..207 | transfersOpenAt 208..247 | moduleCount 248..255
    function maxBalance(uint256 r) internal pure returns (uint40) {
        return uint40(r);
    }

    function minHolding(uint256 r) internal pure returns (uint40) {
        return uint40(r >> 40);
    }

    function dailyLimit(uint256 r) internal pure returns (uint40) {
        return uint40(r >> 80);
    }

    function monthlyLimit(uint256 r) internal pure returns (uint40) {
        return uint40(r >> 120);
    }

    function maxBalanceBps(uint256 r) internal pure returns (uint16) {
        return uint16(r >> 160);
    }

    function lockupAfterAcquisition(uint256 r) internal pure returns (uint32) {
        return uint32(r >> 176);
    }

    function transfersOpenAt(uint256 r) internal pure returns (uint40) {
        return uint40(r >> 208);
    }

    function moduleCount(uint256 r) internal pure returns (uint8) {
        return uint8(r >> 248);
    }

    function hasWindows(uint256 r) internal pure returns (bool) {
        return (r >> 80) & ((uint256(1) << 80) - 1) != 0;
    }

    // ---------------------------------------------------------------- totals word
    // totalHolderCap 0..31 | totalNonAccreditedCap 32..63 | totalHolders 64..95 |
    // totalNonAccredited 96..127 | supply 128..223
    function totalHolderCap(uint256 t) internal pure returns (uint32) {
        return uint32(t);
    }

    function totalNonAccreditedCap(uint256 t) internal pure returns (uint32) {
        return uint32(t >> 32);
    }

    function totalHolders(uint256 t) internal pure returns (uint32) {
        return uint32(t >> 64);
    }

    function totalNonAccredited(uint256 t) internal pure returns (uint32) {
        return uint32(t >> 96);
    }

    function supply(uint256 t) internal pure returns (uint96) {
        return uint96(t >> 128);
    }

    function withCounts(uint256 t, uint32 holders, uint32 nonAccredited, uint96 supply_)
        internal
        pure
        returns (uint256)
    {
        return uint256(uint64(t)) | uint256(holders) << 64 | uint256(nonAccredited) << 96 | uint256(supply_) << 128;
    }
}
