// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IERC3643Token, ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {AgentCapabilities as Cap} from "./AgentCapabilities.sol";
import {AccountWord} from "../types/TokenWords.sol";
import {TokenBase} from "./TokenBase.sol";

/// @title TokenAdmin
/// @notice The SecurityToken functions that move no balance — governance (the token's
/// information, registry, engine and agents: `restricted`, GOVERNOR) and the agents' pause and
/// freezes (their capabilities) — run by DELEGATECALL from every SecurityToken's stubs
/// (`Dispatch`) on the token's storage: one deployment serves the whole token family, so each
/// class (IncomeShareToken, BondShareToken and the classes to come) keeps its room for what moves
/// balances. It inherits the token's layout (`TokenBase` over `TokenLayout`, after AccessManaged's
/// slot), not the token.
/// @dev Refuses a direct call (`DelegatedModule`). Checked here, in the token's context: the
/// caller's role (`restricted`: the token's AccessManager, the token as target, the calldata's
/// selector) or capability, and each argument, exactly as SecurityToken checked them when they
/// were its own. NOT checked here: that the caller came through a token (any contract may
/// DELEGATECALL this module; it then runs on that contract's storage, which it could write
/// anyway). Nothing here calls `_beforeBalanceChange`: no function here moves a balance.
contract TokenAdmin is DelegatedModule, AccessManaged, TokenBase {
    /// @dev Not an authority of anything: AccessManaged is inherited for its slot (the token's
    /// slot 0) and its `restricted`, which runs on the token's authority.
    constructor() AccessManaged(address(0)) {}

    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return TOKEN_LAYOUT_ID;
    }

    // ================================================================ owner (GOVERNOR)

    /// @notice IERC3643Token `setName`.
    function setName(string calldata name_) external onlyDelegated restricted {
        _name = name_;
        _emitTokenInformation();
    }

    /// @notice IERC3643Token `setSymbol`.
    function setSymbol(string calldata symbol_) external onlyDelegated restricted {
        _symbol = symbol_;
        _emitTokenInformation();
    }

    /// @notice IERC3643Token `setOnchainID`.
    function setOnchainID(address onchainID_) external onlyDelegated restricted {
        _onchainID = onchainID_;
        _emitTokenInformation();
    }

    /// @notice IERC3643Token `setIdentityRegistry`: the engine judges with the new registry from
    /// now on (SEC-65).
    function setIdentityRegistry(address registry_) external onlyDelegated restricted {
        if (registry_ == address(0)) revert ISecurityToken.ZeroAddress();
        _registry = IIdentityRegistry(registry_);
        emit IERC3643Token.IdentityRegistryAdded(registry_);
        IComplianceEngine engine = _core.compliance();
        if (address(engine) != address(0)) engine.setIdentityRegistry(registry_);
    }

    /// @notice IERC3643Token `setCompliance`. Warning: the new engine starts with its own ledger;
    /// only switch engines before issuance or to one whose ledger mirrors the holdings.
    function setCompliance(address compliance_) external onlyDelegated restricted {
        if (compliance_ == address(0)) revert ISecurityToken.ZeroAddress();
        _core = _core.setCompliance(IComplianceEngine(compliance_));
        emit IERC3643Token.ComplianceAdded(compliance_);
        if (IComplianceEngine(compliance_).getTokenBound() != address(this)) {
            IComplianceEngine(compliance_).bindToken(address(this));
        }
        IComplianceEngine(compliance_).setIdentityRegistry(address(_registry));
    }

    /// @notice ISecurityToken `addAgent`: every capability.
    function addAgent(address agent) external onlyDelegated restricted {
        _setCapabilities(agent, Cap.ALL);
        emit ISecurityToken.AgentAdded(agent);
    }

    /// @notice ISecurityToken `removeAgent`: no capability.
    function removeAgent(address agent) external onlyDelegated restricted {
        _setCapabilities(agent, 0);
        emit ISecurityToken.AgentRemoved(agent);
    }

    /// @notice ISecurityToken `setAgentCapabilities`.
    function setAgentCapabilities(address agent, uint8 capabilities) external onlyDelegated restricted {
        _setCapabilities(agent, capabilities);
    }

    // ================================================================ agents

    /// @notice IERC3643Token `pause` (PAUSE).
    function pause() external onlyDelegated {
        _requireCapability(Cap.PAUSE);
        _core = _core.setPaused(true);
        emit IERC3643Token.Paused(msg.sender);
    }

    /// @notice IERC3643Token `unpause` (UNPAUSE).
    function unpause() external onlyDelegated {
        _requireCapability(Cap.UNPAUSE);
        _core = _core.setPaused(false);
        emit IERC3643Token.Unpaused(msg.sender);
    }

    /// @notice IERC3643Token `setAddressFrozen` (FREEZE to freeze, UNFREEZE to unfreeze).
    function setAddressFrozen(address userAddress, bool freeze) external onlyDelegated {
        _setAddressFrozen(userAddress, freeze);
    }

    /// @notice IERC3643Token `freezePartialTokens` (FREEZE): at most the paid balance.
    function freezePartialTokens(address userAddress, uint256 amount) external onlyDelegated {
        _freezePartialTokens(userAddress, amount);
    }

    /// @notice IERC3643Token `unfreezePartialTokens` (UNFREEZE): at most the frozen tokens.
    function unfreezePartialTokens(address userAddress, uint256 amount) external onlyDelegated {
        _unfreezePartialTokens(userAddress, amount);
    }

    // ================================================================ batches (bounded: BATCH_CAP)

    /// @notice IERC3643Token `batchSetAddressFrozen`.
    function batchSetAddressFrozen(address[] calldata userAddresses, bool[] calldata freeze) external onlyDelegated {
        _checkBatch(userAddresses.length, freeze.length);
        for (uint256 i; i < userAddresses.length; ++i) {
            _setAddressFrozen(userAddresses[i], freeze[i]);
        }
    }

    /// @notice IERC3643Token `batchFreezePartialTokens`.
    function batchFreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts)
        external
        onlyDelegated
    {
        _checkBatch(userAddresses.length, amounts.length);
        for (uint256 i; i < userAddresses.length; ++i) {
            _freezePartialTokens(userAddresses[i], amounts[i]);
        }
    }

    /// @notice IERC3643Token `batchUnfreezePartialTokens`.
    function batchUnfreezePartialTokens(address[] calldata userAddresses, uint256[] calldata amounts)
        external
        onlyDelegated
    {
        _checkBatch(userAddresses.length, amounts.length);
        for (uint256 i; i < userAddresses.length; ++i) {
            _unfreezePartialTokens(userAddresses[i], amounts[i]);
        }
    }

    // ================================================================ internal

    function _setAddressFrozen(address userAddress, bool freeze) internal {
        _requireCapability(freeze ? Cap.FREEZE : Cap.UNFREEZE);
        uint256 slot = _accountSlot(userAddress);
        _storeAccount(slot, _loadAccount(slot).setFrozen(freeze));
        emit IERC3643Token.AddressFrozen(userAddress, freeze, msg.sender);
    }

    function _freezePartialTokens(address userAddress, uint256 amount) internal {
        _requireCapability(Cap.FREEZE);
        uint256 slot = _accountSlot(userAddress);
        AccountWord account = _loadAccount(slot);
        uint256 frozenAfter = uint256(account.frozenTokens()) + amount;
        if (frozenAfter > account.balance()) {
            revert ISecurityToken.FrozenAmountExceedsBalance(userAddress, account.balance(), frozenAfter);
        }
        // No truncation: frozenAfter <= balance < 2^96.
        _storeAccount(slot, account.setFrozenTokens(uint120(frozenAfter)));
        emit IERC3643Token.TokensFrozen(userAddress, amount);
    }

    function _unfreezePartialTokens(address userAddress, uint256 amount) internal {
        _requireCapability(Cap.UNFREEZE);
        uint256 slot = _accountSlot(userAddress);
        AccountWord account = _loadAccount(slot);
        uint120 frozenTokens = account.frozenTokens();
        if (amount > frozenTokens) revert ISecurityToken.UnfreezeExceedsFrozen(userAddress, frozenTokens, amount);
        // No underflow: amount <= frozenTokens checked above.
        unchecked {
            _storeAccount(slot, account.setFrozenTokens(frozenTokens - uint120(amount)));
        }
        emit IERC3643Token.TokensUnfrozen(userAddress, amount);
    }

    function _setCapabilities(address agent, uint8 capabilities) internal {
        if (agent == address(0)) revert ISecurityToken.ZeroAddress();
        emit ISecurityToken.AgentCapabilitiesSet(agent, _capabilities[agent], capabilities);
        _capabilities[agent] = capabilities;
    }

    /// @dev One emitting site for the three setters. The decimals are the token's code (an
    /// immutable), read from the token itself.
    function _emitTokenInformation() internal {
        uint8 decimals = IERC20Metadata(address(this)).decimals();
        emit IERC3643Token.UpdatedTokenInformation(_name, _symbol, decimals, TOKEN_VERSION, _onchainID);
    }
}
