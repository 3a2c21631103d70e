// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {BalanceChange, ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../token/SecurityToken.sol";
import {IncomeLayout} from "./IncomeLayout.sol";
import {IncomeAccount, IncomeAccountLibrary, IncomeWord, IncomeWordLibrary} from "../types/IncomeWords.sol";

/// @title IncomeShareToken
/// @notice A money-market share class paying its dividends in new shares through a multiplicative
/// income index, settled lazily per holder (IIncomeShareToken): the SecurityToken, its ERC-20
/// balance with income, the income views, and a stub for each income function that writes
/// (`declareIncome`, `settleIncome`, `setDeclarer`), which runs in `IncomeShareLogic` by
/// DELEGATECALL (`Dispatch`) on this token's storage (`IncomeLayout`), so the token stays within
/// EIP-170. Its ABI is the whole of IIncomeShareToken.
/// @dev The module is fixed at construction (immutable) and checked then (`moduleId`): no upgrade
/// path. `IncomeLayout` is listed before SecurityToken, so its slots follow `TokenLayout`'s
/// directly in the token as in the module, even if SecurityToken ever declared state of its own
/// (it declares none: its state is `TokenLayout`; FND-21's test compares the two slot by slot). Stubs check what the token checks (the GOVERNOR role for `setDeclarer`); the module checks
/// the rest (the declarer, the bounds).
contract IncomeShareToken is IIncomeShareToken, IncomeLayout, SecurityToken {
    /// @notice The income module (IIncomeShareToken's writing functions beyond ISecurityToken).
    address public immutable incomeLogic;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_,
        address adminModule_,
        address incomeLogic_
    ) SecurityToken(authority, name_, symbol_, decimals_, registry_, compliance_, onchainID_, adminModule_) {
        _requireModule(incomeLogic_, INCOME_LAYOUT_ID);
        incomeLogic = incomeLogic_;
        _income = IncomeWordLibrary.pack(INDEX_ONE, 0, 0);
    }

    // ================================================================ stubs (IncomeShareLogic)

    /// @inheritdoc IIncomeShareToken
    function setDeclarer(address, bool) external restricted {
        _delegate(incomeLogic);
    }

    /// @inheritdoc IIncomeShareToken
    function declareIncome(uint256, uint256) external {
        _delegate(incomeLogic);
    }

    /// @inheritdoc IIncomeShareToken
    function settleIncome(address, address, uint256) external returns (uint256) {
        _delegate(incomeLogic);
    }

    // ================================================================ views

    /// @inheritdoc IIncomeShareToken
    function MAX_DECLARATION_BPS() external pure returns (uint256) {
        return DECLARATION_CAP_BPS;
    }

    /// @inheritdoc IIncomeShareToken
    function MIN_DECLARATION_INTERVAL() external pure returns (uint256) {
        return DECLARATION_INTERVAL;
    }

    /// @inheritdoc IIncomeShareToken
    function isDeclarer(address account) external view returns (bool) {
        return _declarers[account];
    }

    /// @inheritdoc IIncomeShareToken
    function incomeIndex() external view returns (uint256 index, uint256 declarations, uint256 lastDeclaredAt) {
        IncomeWord income = _income;
        return (income.index(), income.declarations(), income.lastDeclaredAt());
    }

    /// @inheritdoc IIncomeShareToken
    function incomeAccountOf(address holder) external view returns (uint256 paid, uint256 pending, uint256 index) {
        IncomeAccount a = _holders[holder];
        return (_accounts[holder].balance(), a.pending(), a.index());
    }

    /// @notice ERC-20 balance: the paid balance with the income settled or accrued and not paid
    /// (IIncomeShareToken).
    function balanceOf(address holder) external view override(IERC20, SecurityToken) returns (uint256) {
        return _accounts[holder].balance() + _unpaid(holder);
    }

    /// @notice ERC-1404, as SecurityToken's, with the sender's unpaid income counted at the token
    /// (a transfer pays it first when it needs it); the engine's part reads its ledger as it is.
    function detectTransferRestriction(address from, address to, uint256 amount)
        external
        view
        override(ISecurityToken, SecurityToken)
        returns (uint8)
    {
        // No carry out of the balance field: balance + unpaid income <= supply < 2**96.
        uint8 code = _tokenRestriction(_core, _accounts[from].credit(_unpaid(from)), _accounts[to], amount);
        if (code != 0) return code;
        return _requireCompliance().detectTransferRestriction(from, to, amount);
    }

    // ================================================================ internal

    /// @dev Settles both wallets at the index of the moment and pays the sender's income into its
    /// balance when its paid balance is short of `amount`: the module's `settleIncome` (SecurityToken
    /// calls the hook from every balance-changing function; one call out keeps one copy of the
    /// settlement in the bytecode).
    function _beforeBalanceChange(BalanceChange, address from, address to, uint256 amount) internal override {
        _delegateThree(
            incomeLogic, IIncomeShareToken.settleIncome.selector, uint256(uint160(from)), uint256(uint160(to)), amount
        );
    }

    /// @dev Income settled or accrued to `holder` and not paid into its balance.
    function _unpaid(address holder) internal view returns (uint256) {
        IncomeAccount a = _holders[holder];
        uint256 pending = a.pending();
        return pending + IncomeAccountLibrary.accrued(_accounts[holder].balance() + pending, a.index(), _income.index());
    }
}
