// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    IComplianceEngine,
    IdentityLedger,
    InvestmentMinimums,
    JurisdictionConfig,
    Limits
} from "../../interfaces/IComplianceEngine.sol";
import {IERC3643ModularCompliance, IERC3643Module} from "../../interfaces/erc3643/IERC3643Compliance.sol";
import {IIdentityRegistry, Investor, InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {RestrictionCodes as RC} from "./RestrictionCodes.sol";
import {PackedAmount} from "../libraries/PackedAmount.sol";
import {PackedTotal} from "../libraries/PackedTotal.sol";
import {InvestorWord} from "../types/InvestorWord.sol";
import {JurisdictionWord, HoldingWord, RulesWord, TotalsWord, WindowWord} from "../types/ComplianceWords.sol";
import {BPS} from "../libraries/Constants.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {ComplianceLayout} from "./ComplianceLayout.sol";

/// @title ComplianceEngine
/// @notice Multi-jurisdiction rule table for one security token, keyed on investor identities.
/// @dev Role mapping (deploy script): rule setters and module management -> GOVERNOR.
/// Storage is packed so that a transfer to an existing holder touches five slots: the rules, the two
/// jurisdictions and the two identity holdings, plus the sender's transfer windows while a daily or
/// monthly limit is set. Limits are stored as `PackedAmount`s (exact: setLimits refuses values
/// with more than 9-10 significant digits); the current window buckets exactly and the previous
/// ones as `PackedTotal`s (rounded up once, never understated). Every packed word is a value type
/// of `ComplianceWords` (or `InvestorWord`), read and written only through its accessors.
/// Split in the one module pattern (`Dispatch`): the engine keeps the checks, the token's hooks
/// and every view; governance's rule setters, the escrows, the ERC-3643 module management and
/// the authority's `bindToken` run in the admin module (`ComplianceAdmin`, by DELEGATECALL on this
/// storage, `ComplianceLayout`) through the stubs below, which check nothing but `bindToken`'s
/// token (the module checks the role).
/// No transfer reaches the module: every hook runs here. The ABI is unchanged by the split.
contract ComplianceEngine is IComplianceEngine, AccessManaged, ComplianceLayout, Dispatch {
    using SafeCast for uint256;

    /// @dev Everything one check reads, loaded once (one read per slot, kept as the stored words)
    /// and reused by the recording step.
    struct Context {
        address fromWallet;
        address toWallet;
        InvestorWord from;
        InvestorWord to;
        JurisdictionWord fromJ;
        JurisdictionWord toJ;
        HoldingWord fromH;
        HoldingWord toH;
        /// Storage slots of the two holding words (hashed once, read and written through).
        uint256 fromSlot;
        uint256 toSlot;
        RulesWord rules;
        TotalsWord totals;
        /// The sender identity's windows, rolled to today by the check (`windowsRolled`; the
        /// recording step reuses them).
        WindowWord windows;
        bool windowsRolled;
        bool isMint;
        bool sameIdentity;
        bool newHolder;
        bool senderLeaves;
    }

    /// @dev The registry the engine was built with, read through `identityRegistry()` (no second
    /// getter: every external function lengthens the dispatcher every transfer goes through) until
    /// its token migrates registries (`setIdentityRegistry`; then `_registry`, SEC-65).
    IIdentityRegistry internal immutable registry;
    /// @dev The one token this engine keeps the ledger of (immutable: the hot path reads no slot to
    /// authenticate its caller), read through `getTokenBound()`. Deploy the token first, then the
    /// engine, then `setCompliance`.
    address internal immutable boundToken;
    /// @dev The module running governance (`ComplianceAdmin`: the stubs below), shared by every
    /// engine of this build: the constructor's `adminModule_` (checked: it names this layout,
    /// `COMPLIANCE_LAYOUT_ID`), recorded by the deploy routine as `ComplianceAdmin.<code hash>`. No
    /// getter: a selector below `checkAndRecordTransfer`'s would cost every transfer 22 gas in the
    /// dispatcher's sorted chain.
    address private immutable _adminModule;

    constructor(address authority, IIdentityRegistry identityRegistry_, address token, address adminModule_)
        AccessManaged(authority)
    {
        if (address(identityRegistry_) == address(0) || token == address(0)) revert ZeroAddress();
        _requireModule(adminModule_, COMPLIANCE_LAYOUT_ID);
        registry = identityRegistry_;
        boundToken = token;
        _adminModule = adminModule_;
    }

    modifier onlyToken() {
        if (msg.sender != boundToken) revert OnlyBoundToken(msg.sender, boundToken);
        _;
    }

    // ================================================================ governance (ComplianceAdmin)
    // Checked there, in this contract's context: the caller's role (`restricted`) and the arguments.

    /// @inheritdoc IComplianceEngine
    function setJurisdiction(uint16, JurisdictionConfig calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setJurisdictions(uint16[] calldata, JurisdictionConfig[] calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setRoute(uint16, uint16, bool) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setLimits(Limits calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setInvestmentMinimums(uint16, InvestmentMinimums calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setEscrow(address, bool) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IComplianceEngine
    function setMinFirstHolding(uint16, uint256) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function addModule(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function removeModule(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function callModuleFunction(bytes calldata, address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643ModularCompliance
    /// @dev Only `boundToken` can be bound, once: by the token itself (its `setCompliance`) or by
    /// the authority. The token is checked here (an immutable), the rest in the admin module (once
    /// bound, and the caller: the token or the role): no role check is left in this contract's
    /// code, whose dispatcher every transfer runs.
    function bindToken(address token) external {
        if (token != boundToken) revert OnlyBoundToken(token, boundToken);
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643ModularCompliance
    /// @dev Always reverts: the engine holds this token's identity ledger and serves no other.
    function unbindToken(address) external pure {
        revert TokenBindingImmutable();
    }

    // ================================================================ token hooks

    /// @inheritdoc IComplianceEngine
    function setIdentityRegistry(address identityRegistry_) external onlyToken {
        if (identityRegistry_ == address(0)) revert ZeroAddress();
        RulesWord rules = _rules;
        address previous = address(_registryOf(rules));
        if (identityRegistry_ == previous) return;
        bool migrated = identityRegistry_ != address(registry);
        _registry = IIdentityRegistry(migrated ? identityRegistry_ : address(0));
        _rules = rules.setRegistryMigrated(migrated);
        emit IdentityRegistrySet(previous, identityRegistry_);
    }

    /// @inheritdoc IComplianceEngine
    function checkAndRecordTransfer(address from, address to, uint256 amount) external onlyToken {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        Context memory ctx = _load(from, to, amount, false);
        uint8 code = _evaluate(ctx, amount);
        if (code != RC.SUCCESS) revert TransferNotCompliant(from, to, amount, code);
        _record(ctx, amount);
    }

    /// @inheritdoc IComplianceEngine
    function checkAndRecordMint(address to, uint256 amount) external onlyToken {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        Context memory ctx = _load(address(0), to, amount, true);
        uint8 code = _evaluate(ctx, amount);
        if (code != RC.SUCCESS) revert TransferNotCompliant(address(0), to, amount, code);
        _record(ctx, amount);
    }

    /// @inheritdoc IComplianceEngine
    function checkAndRecordForcedTransfer(address from, address to, uint256 amount) external onlyToken {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        Context memory ctx = _load(from, to, amount, false);
        InvestorWord recipient = ctx.to;
        if (!recipient.verified()) {
            revert TransferNotCompliant(
                from, to, amount, recipient.frozen() ? RC.RECIPIENT_FROZEN : RC.RECIPIENT_NOT_VERIFIED
            );
        }
        // The recipient is verified, so its identity is not zero: `sameIdentity` is one identity.
        if (ctx.sameIdentity) revert ForcedTransferWithinIdentity(from, to);
        _record(ctx, amount);
    }

    /// @inheritdoc IERC3643ModularCompliance
    /// @dev Record only (ERC-3643 semantics): recoveries use it.
    function transferred(address from, address to, uint256 amount) external onlyToken {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        _record(_load(from, to, amount, false), amount);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function created(address to, uint256 amount) external onlyToken {
        if (amount > type(uint96).max) revert AmountTooLarge(amount, type(uint96).max);
        _record(_load(address(0), to, amount, true), amount);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function destroyed(address from, uint256 amount) external onlyToken {
        address identity = _registryOf(_rules).investorOf(from).identity;
        uint96 value = amount.toUint96();
        uint256 slot = _holdingSlot(identity);
        HoldingWord h = _loadHolding(slot);
        TotalsWord t = _totals;
        // Checked: a burn larger than the identity's recorded balance reverts (ledger out of sync).
        uint96 remaining = h.balance() - value;
        h = h.setBalance(remaining);
        t = t.setSupply(t.supply() - value);
        if (remaining == 0 && value != 0 && !h.escrow()) t = _countLeaver(h, t);
        _storeHolding(slot, h);
        _totals = t;
        if (_rules.moduleCount() != 0) _moduleActions(abi.encodeCall(IERC3643Module.moduleBurnAction, (from, amount)));
    }

    // ================================================================ views

    /// @inheritdoc IERC3643ModularCompliance
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        return detectTransferRestriction(from, to, amount) == RC.SUCCESS;
    }

    /// @inheritdoc IComplianceEngine
    function detectTransferRestriction(address from, address to, uint256 amount) public view returns (uint8) {
        if (amount > type(uint96).max) return RC.MAX_BALANCE_EXCEEDED;
        bool isMint = from == address(0);
        return _evaluate(_load(from, to, amount, isMint), amount);
    }

    /// @inheritdoc IComplianceEngine
    function jurisdiction(uint16 country)
        external
        view
        returns (JurisdictionConfig memory config, uint32 holderCount, uint32 nonAccreditedCount)
    {
        JurisdictionWord j = _jurisdictions[country];
        return (_config(j), j.holderCount(), j.nonAccreditedCount());
    }

    /// @inheritdoc IComplianceEngine
    function minFirstHolding(uint16 country) external view returns (uint256) {
        return PackedAmount.decode(_jurisdictions[country].minFirstHolding());
    }

    /// @inheritdoc IComplianceEngine
    function routeBlocked(uint16 fromCountry, uint16 toCountry) external view returns (bool) {
        return _routeBlocked[fromCountry][toCountry];
    }

    /// @inheritdoc IComplianceEngine
    function limits() external view returns (Limits memory) {
        return _limits();
    }

    /// @inheritdoc IComplianceEngine
    function ledgerOf(address identity) external view returns (IdentityLedger memory ledger) {
        HoldingWord h = _holdings[identity];
        ledger.balance = h.balance();
        ledger.lastAcquiredAt = h.lastAcquiredAt();
        ledger.countedCountry = h.countedCountry();
        ledger.countedNonAccredited = h.countedNonAccredited();
        ledger.escrow = h.escrow();
        WindowWord rolled = _rollWindows(_windows[identity]);
        ledger.dailyWindowSent = rolled.dayCurrent() + PackedTotal.decode(rolled.dayPrevious());
        ledger.monthlyWindowSent = rolled.monthCurrent() + PackedTotal.decode(rolled.monthPrevious());
    }

    /// @inheritdoc IComplianceEngine
    function holderCounts() external view returns (uint32, uint32, uint96) {
        TotalsWord t = _totals;
        return (t.totalHolders(), t.totalNonAccredited(), t.supply());
    }

    /// @inheritdoc IComplianceEngine
    function identityRegistry() external view returns (address) {
        return address(_registryOf(_rules));
    }

    /// @inheritdoc IComplianceEngine
    function investmentMinimums(uint16 country) external view returns (InvestmentMinimums memory) {
        return _investmentMinimums[country];
    }

    /// @inheritdoc IComplianceEngine
    function subscriptionTerms(address wallet)
        external
        view
        returns (uint256 minInitial, uint256 minSubsequent, bool verified)
    {
        (InvestorWord word,) = _registryOf(_rules).investorWords(wallet, wallet);
        InvestmentMinimums memory minimums = _investmentMinimums[word.country()];
        return (minimums.minInitial, minimums.minSubsequent, word.verified());
    }

    /// @inheritdoc IERC3643ModularCompliance
    function getModules() external view returns (address[] memory) {
        return _modules;
    }

    /// @inheritdoc IERC3643ModularCompliance
    function getTokenBound() external view returns (address) {
        return _bound ? boundToken : address(0);
    }

    /// @inheritdoc IERC3643ModularCompliance
    function isModuleBound(address module) external view returns (bool) {
        return _isModuleBound(module);
    }

    // ================================================================ internal: checks

    function _load(address from, address to, uint256 amount, bool isMint) internal view returns (Context memory ctx) {
        ctx.fromWallet = from;
        ctx.toWallet = to;
        ctx.isMint = isMint;
        RulesWord rules = _rules;
        ctx.rules = rules;
        (InvestorWord fromWord, InvestorWord toWord) = _registryOf(rules).investorWords(from, to);
        ctx.from = fromWord;
        ctx.to = toWord;
        address fromIdentity = fromWord.identity();
        ctx.sameIdentity = !isMint && fromIdentity == toWord.identity() && fromIdentity != address(0);
        if (ctx.sameIdentity) return ctx;
        ctx.toJ = _jurisdictions[toWord.country()];
        ctx.toSlot = _holdingSlot(toWord.identity());
        ctx.toH = _loadHolding(ctx.toSlot);
        // An escrow never takes or frees a seat (SEC-122).
        ctx.newHolder = ctx.toH.balance() == 0 && amount != 0 && !ctx.toH.escrow();
        if (!isMint) {
            ctx.fromJ = _jurisdictions[fromWord.country()];
            ctx.fromSlot = _holdingSlot(fromIdentity);
            ctx.fromH = _loadHolding(ctx.fromSlot);
            ctx.senderLeaves = ctx.fromH.balance() == amount && amount != 0 && !ctx.fromH.escrow();
        }
        // Totals are needed only when holder counts move or a share-of-supply cap applies.
        if (isMint || ctx.newHolder || ctx.senderLeaves || ctx.rules.maxBalanceBps() != 0) ctx.totals = _totals;
    }

    /// @dev The single source of truth for both `detectTransferRestriction` and the recording path.
    function _evaluate(Context memory ctx, uint256 amount) internal view returns (uint8) {
        bool isMint = ctx.isMint;
        // A sanctions freeze (identity-wide, in the registry) unverifies; it is reported as a freeze.
        if (!isMint && !ctx.from.verified()) return ctx.from.frozen() ? RC.SENDER_FROZEN : RC.SENDER_NOT_VERIFIED;
        if (!ctx.to.verified()) return ctx.to.frozen() ? RC.RECIPIENT_FROZEN : RC.RECIPIENT_NOT_VERIFIED;
        if (ctx.sameIdentity) return _moduleCheck(ctx, amount);
        if (!isMint && !ctx.fromJ.allowed()) return RC.SENDER_JURISDICTION_BLOCKED;
        if (!ctx.toJ.allowed()) return RC.RECIPIENT_JURISDICTION_BLOCKED;
        if (!isMint && ctx.fromJ.hasRouteBlocks() && _routeBlocked[ctx.from.country()][ctx.to.country()]) {
            return RC.ROUTE_BLOCKED;
        }
        if (ctx.to.investorClass() < ctx.toJ.minInvestorClass()) return RC.INVESTOR_CLASS_TOO_LOW;
        // An escrow's return is not a trade: the time rules bind the owner's send into it (SEC-122).
        if (!isMint && !ctx.fromH.escrow()) {
            uint8 flowCode = _checkFlow(ctx, amount);
            if (flowCode != RC.SUCCESS) return flowCode;
        }
        uint8 holdingCode = _checkHoldings(ctx, amount);
        if (holdingCode != RC.SUCCESS) return holdingCode;
        uint8 capCode = _checkHolderCaps(ctx);
        if (capCode != RC.SUCCESS) return capCode;
        return _moduleCheck(ctx, amount);
    }

    function _checkFlow(Context memory ctx, uint256 amount) internal view returns (uint8) {
        if (ctx.from.country() != ctx.to.country() && block.timestamp < ctx.toJ.inboundClosedUntil()) {
            return RC.FLOWBACK_WINDOW;
        }
        RulesWord rules = ctx.rules;
        if (block.timestamp < rules.transfersOpenAt()) return RC.ISSUANCE_LOCKUP;
        uint256 lockup = rules.lockupAfterAcquisition();
        if (lockup != 0 && block.timestamp < uint256(ctx.fromH.lastAcquiredAt()) + lockup) {
            return RC.ACQUISITION_LOCKUP;
        }
        if (rules.hasWindows()) {
            WindowWord w = _rollWindows(_windows[ctx.from.identity()]);
            (ctx.windows, ctx.windowsRolled) = (w, true);
            // The current and the previous bucket both count: see `_rollWindows`.
            // No overflow: current totals are below 2**89, decoded previous ones below 2**122 and
            // amount below 2**96 (checked on entry).
            unchecked {
                uint40 daily = rules.dailyLimit();
                if (
                    daily != 0
                        && w.dayCurrent() + PackedTotal.decode(w.dayPrevious()) + amount > PackedAmount.decode(daily)
                ) return RC.DAILY_LIMIT_EXCEEDED;
                uint40 monthly = rules.monthlyLimit();
                if (
                    monthly != 0
                        && w.monthCurrent() + PackedTotal.decode(w.monthPrevious()) + amount
                            > PackedAmount.decode(monthly)
                ) return RC.MONTHLY_LIMIT_EXCEEDED;
            }
        }
        return RC.SUCCESS;
    }

    /// @dev The holding rules: the recipient's (caps, minimums) unless it is an escrow, and the
    /// sender's remaining minimum unless it is one (SEC-122: an escrow holds for others, whose
    /// own holdings met the rules; a send into it still leaves the owner a valid holding).
    function _checkHoldings(Context memory ctx, uint256 amount) internal pure returns (uint8) {
        RulesWord rules = ctx.rules;
        uint256 minHolding = PackedAmount.decode(rules.minHolding());
        if (!ctx.toH.escrow()) {
            uint256 newBalance;
            // No overflow: the balance is below 2**96 and amount below 2**96 (checked on entry).
            unchecked {
                newBalance = uint256(ctx.toH.balance()) + amount;
            }
            uint40 maxBalance = rules.maxBalance();
            if (maxBalance != 0 && newBalance > PackedAmount.decode(maxBalance)) return RC.MAX_BALANCE_EXCEEDED;
            // A seat under the holder caps costs the jurisdiction's minimum first holding (SEC-67).
            if (ctx.newHolder && amount < PackedAmount.decode(ctx.toJ.minFirstHolding())) {
                return RC.BELOW_MIN_HOLDING;
            }
            uint256 bps = rules.maxBalanceBps();
            if (bps != 0) {
                uint256 supplyAfter = uint256(ctx.totals.supply()) + (ctx.isMint ? amount : 0);
                if (newBalance * BPS > supplyAfter * bps) return RC.MAX_SHARE_OF_SUPPLY_EXCEEDED;
            }
            if (newBalance < minHolding) return RC.BELOW_MIN_HOLDING;
        }
        uint256 fromBalance = ctx.fromH.balance();
        // A mint's sender holding is empty (fromBalance 0): only a send of 0, which leaves nothing.
        if (fromBalance >= amount && !ctx.fromH.escrow()) {
            // No underflow: fromBalance >= amount checked on this line.
            uint256 remaining = fromBalance - amount;
            if (remaining != 0 && remaining < minHolding) return RC.BELOW_MIN_HOLDING;
        }
        return RC.SUCCESS;
    }

    function _checkHolderCaps(Context memory ctx) internal pure returns (uint8) {
        if (!ctx.newHolder) return RC.SUCCESS;
        JurisdictionWord j = ctx.toJ;
        TotalsWord t = ctx.totals;
        bool toRetail = ctx.to.investorClass() < uint8(InvestorClass.Accredited);
        // A sender leaving the same bucket frees the seat the recipient takes.
        bool freesCountrySeat = ctx.senderLeaves && ctx.fromH.countedCountry() == ctx.to.country();
        bool freesRetailSeat = ctx.senderLeaves && ctx.fromH.countedNonAccredited();
        bool retailCapFull = toRetail && j.nonAccreditedCap() != 0 && j.nonAccreditedCount() >= j.nonAccreditedCap();
        if (!freesCountrySeat) {
            if (j.holderCap() != 0 && j.holderCount() >= j.holderCap()) return RC.JURISDICTION_HOLDER_CAP;
            if (retailCapFull) return RC.JURISDICTION_NON_ACCREDITED_CAP;
        } else if (retailCapFull && !freesRetailSeat) {
            return RC.JURISDICTION_NON_ACCREDITED_CAP;
        }
        if (!ctx.senderLeaves && t.totalHolderCap() != 0 && t.totalHolders() >= t.totalHolderCap()) {
            return RC.TOTAL_HOLDER_CAP;
        }
        if (
            toRetail && !freesRetailSeat && t.totalNonAccreditedCap() != 0
                && t.totalNonAccredited() >= t.totalNonAccreditedCap()
        ) {
            return RC.TOTAL_NON_ACCREDITED_CAP;
        }
        return RC.SUCCESS;
    }

    function _moduleCheck(Context memory ctx, uint256 amount) internal view returns (uint8) {
        if (ctx.rules.moduleCount() == 0) return RC.SUCCESS;
        uint256 count = _modules.length;
        // Bounded: count <= MAX_MODULES.
        for (uint256 i; i < count; ++i) {
            if (!IERC3643Module(_modules[i]).moduleCheck(ctx.fromWallet, ctx.toWallet, amount, address(this))) {
                return RC.MODULE_REJECTED;
            }
        }
        return RC.SUCCESS;
    }

    // ================================================================ internal: recording

    function _record(Context memory ctx, uint256 amount) internal {
        bool modules = ctx.rules.moduleCount() != 0;
        if (ctx.sameIdentity) {
            if (modules) {
                _moduleActions(
                    abi.encodeCall(IERC3643Module.moduleTransferAction, (ctx.fromWallet, ctx.toWallet, amount))
                );
            }
            return;
        }
        uint96 value = uint96(amount); // No truncation: every caller checked amount <= type(uint96).max.
        TotalsWord totals = ctx.totals;
        if (!ctx.isMint) {
            HoldingWord fromH = ctx.fromH;
            // Checked: a sender identity without the recorded balance reverts (ledger out of sync).
            fromH = fromH.setBalance(fromH.balance() - value);
            if (ctx.senderLeaves) totals = _countLeaver(fromH, totals);
            if (ctx.rules.hasWindows() && !fromH.escrow()) {
                address fromIdentity = ctx.from.identity();
                WindowWord w = ctx.windowsRolled ? ctx.windows : _rollWindows(_windows[fromIdentity]);
                _windows[fromIdentity] = w.addSent(value);
            }
            _storeHolding(ctx.fromSlot, fromH);
        } else {
            totals = totals.setSupply(totals.supply() + value);
        }
        HoldingWord toH = ctx.toH;
        if (ctx.newHolder) {
            toH = toH.setCounted(ctx.to.country(), ctx.to.investorClass() < uint8(InvestorClass.Accredited));
            totals = _countJoiner(toH, totals);
        }
        // Checked: an identity balance above 2**96 - 1 reverts (the token's supply bound keeps it below).
        toH = toH.setBalance(toH.balance() + value).setLastAcquiredAt(_acquiredAt(toH, value));
        _storeHolding(ctx.toSlot, toH);
        if (ctx.isMint || ctx.newHolder || ctx.senderLeaves) _totals = totals;
        if (modules) {
            _moduleActions(
                ctx.isMint
                    ? abi.encodeCall(IERC3643Module.moduleMintAction, (ctx.toWallet, amount))
                    : abi.encodeCall(IERC3643Module.moduleTransferAction, (ctx.fromWallet, ctx.toWallet, amount))
            );
        }
    }

    /// @dev The identity's acquisition time after receiving `value`: the amount-weighted mean of the
    /// holding's time and now, rounded down (SEC-7). A zero receipt leaves it, dust moves it by
    /// (elapsed x dust / new balance) — so another holder cannot restart a victim's lock-up with
    /// 0- or 1-wei sends — and a first receipt sets it to now.
    function _acquiredAt(HoldingWord h, uint96 value) internal view returns (uint40) {
        uint256 held = h.balance();
        if (held == 0) return uint40(block.timestamp);
        uint256 stamp = h.lastAcquiredAt();
        // No overflow: elapsed < 2**40, value < 2**96; stamp <= block.timestamp (stamps are past times).
        unchecked {
            return uint40(stamp + (block.timestamp - stamp) * value / (held + value));
        }
    }

    function _moduleActions(bytes memory call) internal {
        if (_rules.moduleCount() == 0) return;
        uint256 count = _modules.length;
        // Bounded: count <= MAX_MODULES.
        for (uint256 i; i < count; ++i) {
            (bool success, bytes memory reason) = _modules[i].call(call);
            if (!success) {
                assembly ("memory-safe") {
                    revert(add(reason, 32), mload(reason))
                }
            }
        }
    }

    /// @dev The identity registry: the stored one once the token migrated (the rules' flag), else
    /// the one the engine was built with.
    function _registryOf(RulesWord rules) internal view returns (IIdentityRegistry) {
        return rules.registryMigrated() ? _registry : registry;
    }
}
