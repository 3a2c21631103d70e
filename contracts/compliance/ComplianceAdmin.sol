// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {
    IComplianceEngine,
    InvestmentMinimums,
    JurisdictionConfig,
    Limits
} from "../../interfaces/IComplianceEngine.sol";
import {IERC3643ModularCompliance, IERC3643Module} from "../../interfaces/erc3643/IERC3643Compliance.sol";
import {IIdentityRegistry, InvestorClass} from "../../interfaces/IIdentityRegistry.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {InvestorWord} from "../types/InvestorWord.sol";
import {PackedAmount} from "../libraries/PackedAmount.sol";
import {BPS} from "../libraries/Constants.sol";
import {ComplianceLayout} from "./ComplianceLayout.sol";
import {JurisdictionWord, HoldingWord, TotalsWord} from "../types/ComplianceWords.sol";

/// @title ComplianceAdmin
/// @notice The ComplianceEngine functions no transfer runs — governance's rule setters, the
/// escrows, the ERC-3643 module management (`restricted`, GOVERNOR; documented in
/// IComplianceEngine and IERC3643ModularCompliance) and `bindToken`'s binding — run by
/// DELEGATECALL from every engine's stubs (`Dispatch`) on the engine's storage: one deployment
/// serves every engine of this build, so the engine keeps its room for the checks every transfer
/// runs. It inherits the engine's layout (`ComplianceLayout`, after AccessManaged's slot), not the
/// engine.
/// @dev Refuses a direct call (`DelegatedModule`). Checked here, in the engine's context: the
/// caller's role (`restricted`: the engine's AccessManager, the engine as target, the calldata's
/// selector) and each argument, exactly as the engine checked them when they were its own. The
/// engine's immutables are not in its layout: `setEscrow` reads the engine's registry through the
/// engine's own `identityRegistry()` (a STATICCALL to itself). NOT checked here: that the caller
/// came through an engine (any contract may DELEGATECALL this module; it then runs on that
/// contract's storage, which it could write anyway).
contract ComplianceAdmin is DelegatedModule, AccessManaged, ComplianceLayout {
    /// @dev Not an authority of anything: AccessManaged is inherited for its slot (the engine's
    /// slot 0) and its `restricted`, which runs on the engine's authority.
    constructor() AccessManaged(address(0)) {}

    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return COMPLIANCE_LAYOUT_ID;
    }

    // ================================================================ rules (GOVERNOR)

    /// @notice IComplianceEngine `setJurisdiction`.
    function setJurisdiction(uint16 country, JurisdictionConfig calldata config) external onlyDelegated restricted {
        _setJurisdiction(country, config);
    }

    /// @notice IComplianceEngine `setJurisdictions`.
    function setJurisdictions(uint16[] calldata countries, JurisdictionConfig[] calldata configs)
        external
        onlyDelegated
        restricted
    {
        if (countries.length != configs.length || countries.length > MAX_BATCH) {
            revert IComplianceEngine.JurisdictionBatchInvalid(countries.length, configs.length, MAX_BATCH);
        }
        // Bounded: countries.length <= MAX_BATCH.
        for (uint256 i; i < countries.length; ++i) {
            _setJurisdiction(countries[i], configs[i]);
        }
    }

    /// @notice IComplianceEngine `setRoute`.
    function setRoute(uint16 fromCountry, uint16 toCountry, bool blocked) external onlyDelegated restricted {
        _requireCountry(fromCountry);
        _requireCountry(toCountry);
        bool previous = _routeBlocked[fromCountry][toCountry];
        if (previous != blocked) {
            _routeBlocked[fromCountry][toCountry] = blocked;
            uint16 count = blocked ? _routeBlockCount[fromCountry] + 1 : _routeBlockCount[fromCountry] - 1;
            _routeBlockCount[fromCountry] = count;
            _jurisdictions[fromCountry] = _jurisdictions[fromCountry].setHasRouteBlocks(count != 0);
        }
        emit IComplianceEngine.RouteSet(fromCountry, toCountry, previous, blocked);
    }

    /// @notice IComplianceEngine `setLimits`.
    function setLimits(Limits calldata next) external onlyDelegated restricted {
        if (next.maxBalanceBps > BPS || (next.maxBalance != 0 && next.minHolding > next.maxBalance)) {
            revert IComplianceEngine.InvalidLimits(next.maxBalanceBps, next.minHolding, next.maxBalance);
        }
        Limits memory previous = _limits();
        _rules = _rules.setMaxBalance(PackedAmount.encodeExact(next.maxBalance))
            .setMinHolding(PackedAmount.encodeExact(next.minHolding))
            .setDailyLimit(PackedAmount.encodeExact(next.dailyLimit))
            .setMonthlyLimit(PackedAmount.encodeExact(next.monthlyLimit)).setMaxBalanceBps(next.maxBalanceBps)
            .setLockupAfterAcquisition(next.lockupAfterAcquisition).setTransfersOpenAt(next.transfersOpenAt);
        _totals = _totals.setTotalHolderCap(next.totalHolderCap).setTotalNonAccreditedCap(next.totalNonAccreditedCap);
        emit IComplianceEngine.LimitsSet(previous, next);
    }

    /// @notice IComplianceEngine `setInvestmentMinimums`.
    function setInvestmentMinimums(uint16 country, InvestmentMinimums calldata next) external onlyDelegated restricted {
        _requireCountry(country);
        InvestmentMinimums memory previous = _investmentMinimums[country];
        _investmentMinimums[country] = next;
        emit IComplianceEngine.InvestmentMinimumsSet(country, previous, next);
    }

    /// @notice IComplianceEngine `setEscrow`.
    /// @dev The registry is the engine's (`identityRegistry()`, read from the engine itself: the one
    /// it was built with is its immutable, not a slot of the layout).
    function setEscrow(address wallet, bool escrow) external onlyDelegated restricted {
        IIdentityRegistry registry = IIdentityRegistry(IComplianceEngine(address(this)).identityRegistry());
        (InvestorWord word,) = registry.investorWords(wallet, wallet);
        address identity = word.identity();
        if (identity == address(0)) revert IComplianceEngine.EscrowNotRegistered(wallet);
        uint256 slot = _holdingSlot(identity);
        HoldingWord h = _loadHolding(slot);
        bool previous = h.escrow();
        if (previous != escrow && h.balance() != 0) {
            // An escrow holds no seat: out of the counts as it becomes one, back in (in its bucket
            // now, past any cap: it holds already) as it stops.
            TotalsWord t = _totals;
            if (escrow) {
                t = _countLeaver(h, t);
            } else {
                h = h.setCounted(word.country(), word.investorClass() < uint8(InvestorClass.Accredited));
                t = _countJoiner(h, t);
            }
            _totals = t;
        }
        _storeHolding(slot, h.setEscrow(escrow));
        emit IComplianceEngine.EscrowSet(wallet, identity, previous, escrow);
    }

    /// @notice IComplianceEngine `setMinFirstHolding`.
    function setMinFirstHolding(uint16 country, uint256 amount) external onlyDelegated restricted {
        _requireCountry(country);
        JurisdictionWord j = _jurisdictions[country];
        uint256 previous = PackedAmount.decode(j.minFirstHolding());
        _jurisdictions[country] = j.setMinFirstHolding(PackedAmount.encodeExact(amount));
        emit IComplianceEngine.MinFirstHoldingSet(country, previous, amount);
    }

    // ================================================================ ERC-3643 binding and modules

    /// @notice IERC3643ModularCompliance `bindToken`: once, by the token itself (its
    /// `setCompliance`) or by the role (GOVERNOR).
    /// @dev NOT checked here: that `token` is the engine's (`boundToken`, an immutable of the
    /// engine, not of its layout): the engine's stub refuses any other (`OnlyBoundToken`) before it
    /// delegates.
    function bindToken(address token) external onlyDelegated {
        if (_bound) revert IComplianceEngine.TokenAlreadyBound(token);
        if (msg.sender != token) _checkCanCall(msg.sender, msg.data);
        _bound = true;
        emit IERC3643ModularCompliance.TokenBound(token);
    }

    /// @notice IERC3643ModularCompliance `addModule`.
    function addModule(address module) external onlyDelegated restricted {
        if (module == address(0)) revert IComplianceEngine.ZeroAddress();
        uint256 count = _modules.length;
        if (count >= MAX_MODULES) revert IComplianceEngine.TooManyModules(MAX_MODULES);
        if (_isModuleBound(module)) revert IComplianceEngine.ModuleAlreadyBound(module);
        IERC3643Module m = IERC3643Module(module);
        if (!m.isPlugAndPlay() && !m.canComplianceBind(address(this))) {
            revert IComplianceEngine.ModuleCannotBind(module);
        }
        _modules.push(module);
        _rules = _rules.setModuleCount(uint8(count + 1)); // No truncation: count < MAX_MODULES.
        emit IERC3643ModularCompliance.ModuleAdded(module);
        m.bindCompliance(address(this));
    }

    /// @notice IERC3643ModularCompliance `removeModule`.
    function removeModule(address module) external onlyDelegated restricted {
        uint256 count = _modules.length;
        // Bounded: count <= MAX_MODULES.
        for (uint256 i; i < count; ++i) {
            if (_modules[i] == module) {
                _modules[i] = _modules[count - 1];
                _modules.pop();
                _rules = _rules.setModuleCount(uint8(count - 1));
                emit IERC3643ModularCompliance.ModuleRemoved(module);
                IERC3643Module(module).unbindCompliance(address(this));
                return;
            }
        }
        revert IComplianceEngine.ModuleNotBound(module);
    }

    /// @notice IERC3643ModularCompliance `callModuleFunction`: the call leaves from the engine's
    /// address (this code runs in the engine's context).
    function callModuleFunction(bytes calldata callData, address module) external onlyDelegated restricted {
        if (!_isModuleBound(module)) revert IComplianceEngine.ModuleNotBound(module);
        emit IERC3643ModularCompliance.ModuleInteraction(module, bytes4(callData[:4]));
        (bool success, bytes memory reason) = module.call(callData);
        if (!success) {
            assembly ("memory-safe") {
                revert(add(reason, 32), mload(reason))
            }
        }
    }

    // ================================================================ internal

    function _setJurisdiction(uint16 country, JurisdictionConfig calldata config) internal {
        _requireCountry(country);
        JurisdictionWord j = _jurisdictions[country];
        JurisdictionConfig memory previous = _config(j);
        _jurisdictions[country] = j.setAllowed(config.allowed).setMinInvestorClass(uint8(config.minInvestorClass))
            .setHolderCap(config.holderCap).setNonAccreditedCap(config.nonAccreditedCap)
            .setInboundClosedUntil(config.inboundClosedUntil);
        emit IComplianceEngine.JurisdictionSet(country, previous, config);
    }

    function _requireCountry(uint16 country) internal pure {
        if (country == 0 || country > MAX_COUNTRY) revert IComplianceEngine.InvalidCountry(country);
    }
}
