// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IIdentityRegistry, InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {InvestmentMinimums, JurisdictionConfig, Limits} from "../../interfaces/IComplianceEngine.sol";
import {PackedAmount} from "../libraries/PackedAmount.sol";
import {PackedTotal} from "../libraries/PackedTotal.sol";
import {
    JurisdictionWord,
    HoldingWord,
    RulesWord,
    TotalsWord,
    WindowWord,
    WindowWordLibrary
} from "../types/ComplianceWords.sol";

/// @title ComplianceLayout
/// @notice The state of a ComplianceEngine, described once, and the ledger steps both its halves
/// use: the engine (the checks, the token's hooks and the views) and its admin module
/// (`ComplianceAdmin`: governance's setters, the binding and the ERC-3643 modules), which the
/// engine runs by DELEGATECALL (`Dispatch`) on this same storage. Nothing here is external, and
/// nothing here is code until a contract calls it. Its slots follow AccessManaged's (slot 0: the
/// authority and, packed after it, `_bound`), which the engine and its module inherit first.
/// @dev Append only. The words are `ComplianceWords`'. `COMPLIANCE_LAYOUT_ID` names this layout:
/// bump it when a slot changes, so an engine refuses an admin module built for another
/// (`Dispatch._requireModule`). The engine's immutables (its registry and token) are not here: the
/// module reads the registry through the engine's `identityRegistry()`, and the engine's
/// `bindToken` stub checks the token before it delegates.
abstract contract ComplianceLayout {
    /// @dev Bound ERC-3643 modules (T-REX's bound). Not exposed as getters: every external function
    /// lengthens the dispatcher every transfer goes through (the interface states both bounds).
    uint256 internal constant MAX_MODULES = 25;
    /// @dev Jurisdictions set in one `setJurisdictions` call.
    uint256 internal constant MAX_BATCH = 100;
    uint16 internal constant MAX_COUNTRY = 999;
    uint256 internal constant DAY = 1 days;
    /// @notice Days in the monthly window; its buckets are 30-day blocks counted from 1970-01-01.
    uint256 internal constant DAYS_PER_MONTH_WINDOW = 30;
    /// @dev The layout's name (AccessManaged's slot, then the variables below).
    bytes32 internal constant COMPLIANCE_LAYOUT_ID = keccak256("quantera.ComplianceEngine.layout.v1");

    bool internal _bound;
    /// @dev One slot: every token-wide limit a transfer checks, and the module count.
    RulesWord internal _rules;
    TotalsWord internal _totals;
    mapping(uint16 country => JurisdictionWord) internal _jurisdictions;
    mapping(uint16 fromCountry => mapping(uint16 toCountry => bool)) internal _routeBlocked;
    mapping(uint16 fromCountry => uint16) internal _routeBlockCount;
    /// @dev Balance, lock-up clock, holder-count bucket and transfer windows of each identity.
    mapping(address identity => HoldingWord) internal _holdings;
    address[] internal _modules;
    /// @dev Subscription minimums per jurisdiction, read by the token's fund vaults only (no
    /// transfer reads them).
    mapping(uint16 country => InvestmentMinimums) internal _investmentMinimums;
    /// @dev Transfer windows of each identity (read and written by its sends while a daily or
    /// monthly limit is set).
    mapping(address identity => WindowWord) internal _windows;
    /// @dev The token's registry after it migrated (`setIdentityRegistry`): read while the rules'
    /// `registryMigrated` flag is set, so a token that never migrates reads no slot for it.
    IIdentityRegistry internal _registry;

    /// @dev Moves the identity's window buckets to today. Each window (24 h, 30 days) is kept as two
    /// fixed buckets, the current one (UTC day; 30-day block since 1970-01-01) and the previous
    /// one, and a send must fit the limit together with BOTH. That makes the limit hold over every
    /// rolling window: the sends in any span of one window length that ends with a send at time t
    /// all lie in t's bucket or the one before, which t's check counted. The price is caution: a
    /// send stays counted until its bucket is two buckets old (24-48 h; 30-60 days).
    /// A current bucket is an exact sum; it is rounded (up, `PackedTotal`) once, here, when it
    /// becomes the previous one, which nothing adds to (SEC-71). The day is 32 bits (SEC-70).
    function _rollWindows(WindowWord w) internal view returns (WindowWord) {
        uint256 today = block.timestamp / DAY;
        uint256 last = w.day();
        if (last == today) return w;
        uint256 dayPrevious;
        if (last + 1 == today) dayPrevious = PackedTotal.encodeUp(w.dayCurrent());
        uint256 month = today / DAYS_PER_MONTH_WINDOW;
        uint256 lastMonth = last / DAYS_PER_MONTH_WINDOW;
        uint256 monthCurrent;
        uint256 monthPrevious;
        if (lastMonth == month) (monthCurrent, monthPrevious) = (w.monthCurrent(), w.monthPrevious());
        else if (lastMonth + 1 == month) monthPrevious = PackedTotal.encodeUp(w.monthCurrent());
        return WindowWordLibrary.pack(today, 0, monthCurrent, dayPrevious, monthPrevious);
    }

    /// @dev Counts the holding's identity in its bucket (checked: a count above 2**32 - 1 reverts).
    function _countJoiner(HoldingWord h, TotalsWord totals) internal returns (TotalsWord) {
        uint16 country = h.countedCountry();
        bool nonAccredited = h.countedNonAccredited();
        JurisdictionWord j = _jurisdictions[country];
        j = j.setHolderCount(j.holderCount() + 1);
        if (nonAccredited) j = j.setNonAccreditedCount(j.nonAccreditedCount() + 1);
        _jurisdictions[country] = j;
        return totals.setCounts(
            totals.totalHolders() + 1, totals.totalNonAccredited() + (nonAccredited ? 1 : 0), totals.supply()
        );
    }

    /// @dev Takes the holding's identity out of its bucket (checked: a count below 0 reverts).
    function _countLeaver(HoldingWord h, TotalsWord totals) internal returns (TotalsWord) {
        uint16 country = h.countedCountry();
        bool nonAccredited = h.countedNonAccredited();
        JurisdictionWord j = _jurisdictions[country];
        j = j.setHolderCount(j.holderCount() - 1);
        if (nonAccredited) j = j.setNonAccreditedCount(j.nonAccreditedCount() - 1);
        _jurisdictions[country] = j;
        return totals.setCounts(
            totals.totalHolders() - 1, totals.totalNonAccredited() - (nonAccredited ? 1 : 0), totals.supply()
        );
    }

    // ---------------------------------------------------------------- holding slots
    // A transfer hashes each holding's slot once, then reads and writes the word through it.

    /// @dev The slot Solidity uses for `_holdings[identity]`.
    function _holdingSlot(address identity) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, identity)
            mstore(0x20, _holdings.slot)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _loadHolding(uint256 slot) internal view returns (HoldingWord h) {
        assembly ("memory-safe") {
            h := sload(slot)
        }
    }

    function _storeHolding(uint256 slot, HoldingWord h) internal {
        assembly ("memory-safe") {
            sstore(slot, h)
        }
    }

    /// @dev The token-wide limits (IComplianceEngine `limits`), decoded from the rules and the totals.
    function _limits() internal view returns (Limits memory) {
        RulesWord r = _rules;
        TotalsWord t = _totals;
        // No truncation: every limit was stored from a value of its declared width.
        return Limits(
            uint96(PackedAmount.decode(r.maxBalance())),
            uint96(PackedAmount.decode(r.minHolding())),
            r.maxBalanceBps(),
            r.lockupAfterAcquisition(),
            uint88(PackedAmount.decode(r.dailyLimit())),
            uint88(PackedAmount.decode(r.monthlyLimit())),
            r.transfersOpenAt(),
            t.totalHolderCap(),
            t.totalNonAccreditedCap()
        );
    }

    /// @dev The governance part of a jurisdiction word (the two counts are the engine's).
    function _config(JurisdictionWord j) internal pure returns (JurisdictionConfig memory) {
        return JurisdictionConfig(
            j.allowed(),
            InvestorClass(j.minInvestorClass()),
            j.holderCap(),
            j.nonAccreditedCap(),
            j.inboundClosedUntil()
        );
    }

    /// @dev Whether `module` is one of the bound ERC-3643 modules.
    function _isModuleBound(address module) internal view returns (bool) {
        uint256 count = _modules.length;
        // Bounded: count <= MAX_MODULES.
        for (uint256 i; i < count; ++i) {
            if (_modules[i] == module) return true;
        }
        return false;
    }
}
