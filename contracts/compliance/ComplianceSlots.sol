// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title ComplianceSlots
/// @notice Bit layouts of the compliance engine's hot storage words, so a transfer reads each slot
/// once into a stack word and writes it once.
/// @dev Layouts match Solidity's packing of the engine's structs (first member in the lowest bits),
/// so typed access to the same mappings stays valid. Getters are pure and small (inlined).
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
    // balance 0..95 | lastAcquiredAt 96..135 | countedCountry 136..151 | countedNonAccredited 152..159 |
    // windowDay 160..175 | daySpent 176..215 | monthSpent 216..255
    function balance(uint256 h) internal pure returns (uint96) {
        return uint96(h);
    }

    function lastAcquiredAt(uint256 h) internal pure returns (uint40) {
        return uint40(h >> 96);
    }

    function countedCountry(uint256 h) internal pure returns (uint16) {
        return uint16(h >> 136);
    }

    function countedNonAccredited(uint256 h) internal pure returns (bool) {
        return uint8(h >> 152) != 0;
    }

    function windowDay(uint256 h) internal pure returns (uint16) {
        return uint16(h >> 160);
    }

    function daySpent(uint256 h) internal pure returns (uint40) {
        return uint40(h >> 176);
    }

    function monthSpent(uint256 h) internal pure returns (uint40) {
        return uint40(h >> 216);
    }

    function withBalance(uint256 h, uint96 value) internal pure returns (uint256) {
        return (h & ~uint256(type(uint96).max)) | value;
    }

    function withLastAcquiredAt(uint256 h, uint40 value) internal pure returns (uint256) {
        return (h & ~(uint256(type(uint40).max) << 96)) | uint256(value) << 96;
    }

    function withCounted(uint256 h, uint16 country_, bool nonAccredited) internal pure returns (uint256) {
        return (h & ~(uint256(type(uint24).max) << 136)) | uint256(country_) << 136
            | (nonAccredited ? uint256(1) << 152 : 0);
    }

    function withWindows(uint256 h, uint16 day, uint40 daySpent_, uint40 monthSpent_) internal pure returns (uint256) {
        return uint256(uint160(h)) | uint256(day) << 160 | uint256(daySpent_) << 176 | uint256(monthSpent_) << 216;
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

    function withCounts(uint256 t, uint32 holders, uint32 nonAccredited, uint96 supply_) internal pure returns (uint256) {
        return uint256(uint64(t)) | uint256(holders) << 64 | uint256(nonAccredited) << 96 | uint256(supply_) << 128;
    }
}
