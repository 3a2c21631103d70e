// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {BalanceChange, ISecurityToken, IERC3643Token} from "../../interfaces/ISecurityToken.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {RestrictionCodes as RC} from "../compliance/RestrictionCodes.sol";
import {AgentCapabilities as Cap} from "./AgentCapabilities.sol";
import {Dispatch} from "../libraries/Dispatch.sol";
import {AccountWord, CoreWord, CoreWordLibrary} from "../types/TokenWords.sol";
import {TokenBase} from "./TokenBase.sol";

/// @title SecurityToken
/// @notice ERC-20 + ERC-3643 permissioned security token; rules live in the ComplianceEngine. The
/// functions that move no balance (governance, the pause, the freezes) are stubs run in the admin
/// module (`TokenAdmin`, one deployment for the whole token family) by DELEGATECALL (`Dispatch`)
/// on this token's storage, which is `TokenLayout`'s; the module checks the caller's role or
/// capability in this token's context. The ABI is the whole of ISecurityToken.
/// @dev The module is fixed at construction (immutable) and checked then (`moduleId`). Extension point: every function that moves a balance first calls `_beforeBalanceChange`
/// (empty here), before it reads any balance; share classes that keep per-holder accruals
/// (contracts/lifecycle: IncomeShareToken, BondShareToken) act there. The storage they read is
/// `internal` for the same reason.
contract SecurityToken is ISecurityToken, AccessManaged, ReentrancyGuardTransient, TokenBase, Dispatch {
    /// @notice Entries in one batch call.
    uint256 public constant MAX_BATCH = BATCH_CAP;
    /// @notice Supply bound shared with the compliance engine's ledger.
    uint256 public constant MAX_SUPPLY = SUPPLY_CAP;

    /// @dev The module running the functions that move no balance (`TokenAdmin`: governance, the
    /// pause, the freezes), shared by every token of this build: the constructor's `adminModule_`,
    /// recorded by the deploy routine as `TokenAdmin.<code hash>`. No getter: a selector below
    /// `transfer`'s would cost every transfer 19 gas in the dispatcher's sorted chain.
    address private immutable _adminModule;
    /// @dev The token's state is `TokenLayout`'s (a module inherits it, not the token); the
    /// decimals are code.
    uint8 private immutable _decimals;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_,
        address adminModule_
    ) AccessManaged(authority) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        _requireModule(adminModule_, TOKEN_LAYOUT_ID);
        _adminModule = adminModule_;
        _name = name_;
        _symbol = symbol_;
        _decimals = decimals_;
        _onchainID = onchainID_;
        _registry = registry_;
        _core = CoreWordLibrary.pack(compliance_, true); // Paused until the issuer opens it, as T-REX.
        emit IdentityRegistryAdded(address(registry_));
        if (address(compliance_) != address(0)) emit ComplianceAdded(address(compliance_));
        emit UpdatedTokenInformation(name_, symbol_, decimals_, TOKEN_VERSION, onchainID_);
        emit Paused(msg.sender);
    }

    modifier onlyCapability(uint8 capability) {
        _requireCapability(capability);
        _;
    }

    // ================================================================ stubs (TokenAdmin)
    // Governance (GOVERNOR, `restricted`) and the agents' pause and freezes: no balance moves.
    // Each runs in the admin module on this token's storage; the module checks the caller's role
    // or capability in this token's context, as these functions did when they were the token's.

    /// @inheritdoc IERC3643Token
    function setName(string calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function setSymbol(string calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function setOnchainID(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    /// @dev The engine judges with the new registry from now on (SEC-65).
    function setIdentityRegistry(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    /// @dev Warning: the new engine starts with its own ledger; only switch engines before issuance
    /// or to one whose ledger mirrors the holdings.
    function setCompliance(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc ISecurityToken
    function addAgent(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc ISecurityToken
    function removeAgent(address) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc ISecurityToken
    function setAgentCapabilities(address, uint8) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function pause() external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function unpause() external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function setAddressFrozen(address, bool) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function freezePartialTokens(address, uint256) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function unfreezePartialTokens(address, uint256) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function batchSetAddressFrozen(address[] calldata, bool[] calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function batchFreezePartialTokens(address[] calldata, uint256[] calldata) external {
        _delegate(_adminModule);
    }

    /// @inheritdoc IERC3643Token
    function batchUnfreezePartialTokens(address[] calldata, uint256[] calldata) external {
        _delegate(_adminModule);
    }

    // ================================================================ agents

    /// @inheritdoc IERC3643Token
    function mint(address to, uint256 amount) public onlyCapability(Cap.MINT) nonReentrant {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        _beforeBalanceChange(BalanceChange.Mint, address(0), to, amount);
        uint256 supplyAfter = _totalSupply + amount;
        if (supplyAfter > MAX_SUPPLY) revert SupplyCapExceeded(supplyAfter, MAX_SUPPLY);
        IComplianceEngine engine = _requireCompliance();
        _totalSupply = supplyAfter;
        _credit(address(0), to, amount);
        emit Transfer(address(0), to, amount);
        engine.checkAndRecordMint(to, amount);
    }

    /// @inheritdoc IERC3643Token
    function burn(address userAddress, uint256 amount) public onlyCapability(Cap.BURN) nonReentrant {
        IComplianceEngine engine = _requireCompliance();
        _beforeBalanceChange(BalanceChange.Burn, userAddress, address(0), amount);
        _debitUnfreezing(userAddress, amount);
        // No underflow: amount <= a balance <= total supply.
        unchecked {
            _totalSupply -= amount;
        }
        emit Transfer(userAddress, address(0), amount);
        engine.destroyed(userAddress, amount);
    }

    /// @inheritdoc IERC3643Token
    function forcedTransfer(address from, address to, uint256 amount)
        public
        onlyCapability(Cap.FORCE_TRANSFER)
        nonReentrant
        returns (bool)
    {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        IComplianceEngine engine = _requireCompliance();
        _beforeBalanceChange(BalanceChange.ForcedTransfer, from, to, amount);
        _debitUnfreezing(from, amount);
        _credit(from, to, amount);
        emit Transfer(from, to, amount);
        emit ForcedTransfer(msg.sender, from, to, amount);
        // The engine refuses an unverified or sanctioned recipient and a move within one identity
        // (SEC-66), and records the rest without its rules.
        engine.checkAndRecordForcedTransfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IERC3643Token
    function recoveryAddress(address lostWallet, address newWallet, address investorOnchainID)
        external
        onlyCapability(Cap.RECOVERY)
        nonReentrant
        returns (bool)
    {
        if (lostWallet == newWallet) revert RecoveryToSameWallet(lostWallet);
        _beforeBalanceChange(BalanceChange.Recovery, lostWallet, newWallet, type(uint256).max);
        uint256 lostSlot = _accountSlot(lostWallet);
        AccountWord lost = _loadAccount(lostSlot);
        if (lost.balance() == 0) revert NothingToRecover(lostWallet);
        IComplianceEngine engine = _requireCompliance();
        if (
            investorOnchainID == address(0) || _registry.identity(lostWallet) != investorOnchainID
                || _registry.identity(newWallet) != investorOnchainID
        ) {
            revert RecoveryIdentityMismatch(lostWallet, newWallet, investorOnchainID);
        }
        uint256 freshSlot = _accountSlot(newWallet);
        AccountWord fresh = _loadAccount(freshSlot);
        // No overflow: both balances <= supply <= MAX_SUPPLY < 2^119.
        unchecked {
            fresh = fresh.setBalance(fresh.balance() + lost.balance())
                .setFrozenTokens(fresh.frozenTokens() + lost.frozenTokens());
        }
        if (lost.frozen()) fresh = fresh.setFrozen(true);
        _storeAccount(freshSlot, fresh);
        _storeAccount(lostSlot, AccountWord.wrap(0).setFrozen(true));
        emit Transfer(lostWallet, newWallet, lost.balance());
        if (lost.frozenTokens() != 0) emit TokensFrozen(newWallet, lost.frozenTokens());
        if (lost.frozen()) emit AddressFrozen(newWallet, true, msg.sender);
        emit AddressFrozen(lostWallet, true, msg.sender);
        emit RecoverySuccess(lostWallet, newWallet, investorOnchainID);
        engine.transferred(lostWallet, newWallet, lost.balance());
        return true;
    }

    // ================================================================ batches (bounded: MAX_BATCH)

    /// @inheritdoc IERC3643Token
    function batchTransfer(address[] calldata toList, uint256[] calldata amounts) external {
        _checkBatch(toList.length, amounts.length);
        for (uint256 i; i < toList.length; ++i) {
            _transfer(msg.sender, toList[i], amounts[i]);
        }
    }

    /// @inheritdoc IERC3643Token
    function batchForcedTransfer(address[] calldata fromList, address[] calldata toList, uint256[] calldata amounts)
        external
    {
        _checkBatch(fromList.length, toList.length);
        _checkBatch(fromList.length, amounts.length);
        for (uint256 i; i < fromList.length; ++i) {
            forcedTransfer(fromList[i], toList[i], amounts[i]);
        }
    }

    /// @inheritdoc IERC3643Token
    function batchMint(address[] calldata toList, uint256[] calldata amounts) external {
        _checkBatch(toList.length, amounts.length);
        for (uint256 i; i < toList.length; ++i) {
            mint(toList[i], amounts[i]);
        }
    }

    /// @inheritdoc IERC3643Token
    function batchBurn(address[] calldata userAddresses, uint256[] calldata amounts) external {
        _checkBatch(userAddresses.length, amounts.length);
        for (uint256 i; i < userAddresses.length; ++i) {
            burn(userAddresses[i], amounts[i]);
        }
    }

    // ================================================================ ERC-20

    /// @inheritdoc IERC20
    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert ERC20InsufficientAllowance(msg.sender, allowed, amount);
            // No underflow: allowed >= amount checked above.
            unchecked {
                _allowances[from][msg.sender] = allowed - amount;
            }
        }
        _transfer(from, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    // ================================================================ views

    /// @inheritdoc ISecurityToken
    function detectTransferRestriction(address from, address to, uint256 amount) external view virtual returns (uint8) {
        uint8 code = _tokenRestriction(_core, _accounts[from], _accounts[to], amount);
        if (code != RC.SUCCESS) return code;
        return _requireCompliance().detectTransferRestriction(from, to, amount);
    }

    /// @inheritdoc ISecurityToken
    function messageForTransferRestriction(uint8 reasonCode) external pure returns (string memory) {
        return RC.message(reasonCode);
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view virtual returns (uint256) {
        return _accounts[account].balance();
    }

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @inheritdoc IERC3643Token
    function isFrozen(address userAddress) external view returns (bool) {
        return _accounts[userAddress].frozen();
    }

    /// @inheritdoc IERC3643Token
    function getFrozenTokens(address userAddress) external view returns (uint256) {
        return _accounts[userAddress].frozenTokens();
    }

    /// @inheritdoc IERC3643Token
    function paused() external view returns (bool) {
        return _core.paused();
    }

    /// @inheritdoc IERC3643Token
    function compliance() external view returns (address) {
        return address(_core.compliance());
    }

    /// @inheritdoc IERC3643Token
    function identityRegistry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc IERC3643Token
    function name() external view returns (string memory) {
        return _name;
    }

    /// @inheritdoc IERC3643Token
    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @inheritdoc IERC3643Token
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    /// @inheritdoc IERC3643Token
    function onchainID() external view returns (address) {
        return _onchainID;
    }

    /// @inheritdoc IERC3643Token
    function version() external pure returns (string memory) {
        return TOKEN_VERSION;
    }

    /// @inheritdoc ISecurityToken
    function isAgent(address agent) external view returns (bool) {
        return _capabilities[agent] != 0;
    }

    /// @inheritdoc ISecurityToken
    function agentCapabilities(address agent) external view returns (uint8) {
        return _capabilities[agent];
    }

    // ================================================================ internal

    /// @dev Runs first in every balance change, before any balance is read: a transfer (`transfer`,
    /// `transferFrom`, `batchTransfer`; after the receiver check), `mint` (`from` address(0)),
    /// `burn` (`to` address(0)), `forcedTransfer` and `recoveryAddress` (after their argument
    /// checks, before the debit). `amount` is what leaves `from` (`type(uint256).max` for a
    /// recovery: the whole balance, read after the hook). Empty here.
    function _beforeBalanceChange(BalanceChange kind, address from, address to, uint256 amount) internal virtual {}

    function _transfer(address from, address to, uint256 amount) internal nonReentrant {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        CoreWord core = _core;
        IComplianceEngine compliance = core.compliance();
        if (address(compliance) == address(0)) revert ComplianceNotSet();
        _beforeBalanceChange(BalanceChange.Transfer, from, to, amount);
        uint256 senderSlot = _accountSlot(from);
        uint256 recipientSlot = _accountSlot(to);
        AccountWord sender = _loadAccount(senderSlot);
        AccountWord recipient = _loadAccount(recipientSlot);
        uint8 code = _tokenRestriction(core, sender, recipient, amount);
        if (code != RC.SUCCESS) revert TransferNotCompliant(from, to, amount, code);
        if (from != to) {
            // No borrow or carry into the freeze state: amount <= balance - frozenTokens (checked
            // above) and balances <= supply < 2**96.
            _storeAccount(senderSlot, sender.debit(amount));
            _storeAccount(recipientSlot, recipient.credit(amount));
        }
        emit Transfer(from, to, amount);
        // The engine checks its rules on the pre-transfer ledger and reverts the whole call with
        // `TransferNotCompliant` when one fails.
        compliance.checkAndRecordTransfer(from, to, amount);
    }

    /// @dev Token-level checks, in the order `detectTransferRestriction` reports them, on the
    /// words of `_core` and two accounts.
    function _tokenRestriction(CoreWord core, AccountWord sender, AccountWord recipient, uint256 amount)
        internal
        pure
        returns (uint8)
    {
        if (core.paused()) return RC.TOKEN_PAUSED;
        if (sender.frozen()) return RC.SENDER_FROZEN;
        if (recipient.frozen()) return RC.RECIPIENT_FROZEN;
        // Checked: frozenTokens <= balance is an invariant; a violation reverts rather than wraps.
        if (amount > uint256(sender.balance()) - sender.frozenTokens()) return RC.INSUFFICIENT_UNFROZEN_BALANCE;
        return RC.SUCCESS;
    }

    /// @dev Credits `amount` (sent by `from`) to `to`, which is not frozen on the token (SEC-68: a
    /// frozen wallet is credited by nothing; `TransferNotCompliant` RECIPIENT_FROZEN).
    function _credit(address from, address to, uint256 amount) internal {
        uint256 slot = _accountSlot(to);
        AccountWord account = _loadAccount(slot);
        if (account.frozen()) revert TransferNotCompliant(from, to, amount, RC.RECIPIENT_FROZEN);
        // No overflow: balance <= supply <= MAX_SUPPLY < 2^128.
        _storeAccount(slot, account.credit(amount));
    }

    /// @dev Debits `amount`, unfreezing partially frozen tokens if the free balance is short.
    function _debitUnfreezing(address wallet, uint256 amount) internal {
        uint256 slot = _accountSlot(wallet);
        AccountWord account = _loadAccount(slot);
        uint128 balance = account.balance();
        if (amount > balance) revert InsufficientBalance(wallet, balance, amount);
        // No underflow: frozenTokens <= balance (invariant) and amount <= balance (checked).
        unchecked {
            uint120 frozenTokens = account.frozenTokens();
            uint256 free = uint256(balance) - frozenTokens;
            if (amount > free) {
                uint256 toUnfreeze = amount - free;
                account = account.setFrozenTokens(frozenTokens - uint120(toUnfreeze));
                emit TokensUnfrozen(wallet, toUnfreeze);
            }
            account = account.setBalance(balance - uint128(amount));
        }
        _storeAccount(slot, account);
    }
}
