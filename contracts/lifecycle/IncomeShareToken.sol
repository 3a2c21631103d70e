// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {BalanceChange} from "../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../token/SecurityToken.sol";
import {IncomeAccount, IncomeWord, IncomeWordLibrary} from "./IncomeWords.sol";

/// @title IncomeShareBase
/// @notice The storage and the ERC-20 balance of a money-market share class paying its dividends
/// in new shares (IIncomeShareToken), shared by the token and its logic: both inherit it, so the
/// logic, run by DELEGATECALL in the token's context, reads and writes the token's own layout.
/// @dev State added to SecurityToken's: one word (`_income`: the index, the declaration count and
/// time), one word per holder (`_holders`: its index and its income settled and not paid) and
/// the declarers (`_declarers`).
abstract contract IncomeShareBase is SecurityToken {
    /// @dev The index at issue (IIncomeShareToken: 1e27).
    uint256 internal constant INDEX_ONE = 1e27;

    IncomeWord internal _income;
    mapping(address holder => IncomeAccount) internal _holders;
    /// @dev Who may declare income (IIncomeShareToken `setDeclarer`, SEC-129).
    mapping(address account => bool) internal _declarers;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_
    ) SecurityToken(authority, name_, symbol_, decimals_, registry_, compliance_, onchainID_) {
        _income = IncomeWordLibrary.pack(INDEX_ONE, 0, 0);
    }

    /// @notice ERC-20 balance: the paid balance with the income settled or accrued and not paid
    /// (IIncomeShareToken).
    function balanceOf(address holder) external view override returns (uint256) {
        return _accounts[holder].balance() + _unpaid(holder);
    }

    /// @notice ERC-1404, as SecurityToken's, with the sender's unpaid income counted at the token
    /// (a transfer pays it first when it needs it); the engine's part reads its ledger as it is.
    function detectTransferRestriction(address from, address to, uint256 amount)
        external
        view
        override
        returns (uint8)
    {
        // No carry out of the balance field: balance + unpaid income <= supply < 2**96.
        uint8 code = _tokenRestriction(_core, _accounts[from].credit(_unpaid(from)), _accounts[to], amount);
        if (code != 0) return code;
        return _requireCompliance().detectTransferRestriction(from, to, amount);
    }

    /// @dev Income settled or accrued to `holder` and not paid into its balance.
    function _unpaid(address holder) internal view returns (uint256) {
        IncomeAccount a = _holders[holder];
        uint256 pending = a.pending();
        return pending + _accrued(_accounts[holder].balance() + pending, a.index(), _income.index());
    }

    /// @dev floor(held * index / last) - held: 0 for a wallet that never held (`last` 0: it held
    /// nothing, every receipt settles it first). No overflow: held < 2**96, index < 2**160.
    function _accrued(uint256 held, uint256 last, uint256 index) internal pure returns (uint256) {
        if (held == 0 || last == 0 || last == index) return 0;
        // No underflow: the index never decreases, so index >= last and the quotient >= held.
        unchecked {
            return held * index / last - held;
        }
    }
}

/// @title IncomeShareToken
/// @notice A money-market share class paying its dividends in new shares through a multiplicative
/// income index, settled lazily per holder: the SecurityToken, its ERC-20 balance with income, and
/// its balance-change hook; the income functions of IIncomeShareToken (`declareIncome`,
/// `settleIncome`, the views) run in `IncomeShareLogic` by DELEGATECALL (the fallback), so the
/// token stays within EIP-170 (SecurityToken leaves 2.4 kB of the budget). Use it through
/// IIncomeShareToken's ABI.
/// @dev The logic is fixed at construction (immutable): no upgrade path.
contract IncomeShareToken is IncomeShareBase {
    /// @notice The income logic (IIncomeShareToken's functions beyond ISecurityToken).
    address public immutable incomeLogic;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_,
        address incomeLogic_
    ) IncomeShareBase(authority, name_, symbol_, decimals_, registry_, compliance_, onchainID_) {
        if (incomeLogic_.code.length == 0) revert ZeroAddress();
        incomeLogic = incomeLogic_;
    }

    /// @notice IIncomeShareToken's income functions, run by the logic in this token's context.
    fallback() external {
        address logic = incomeLogic;
        assembly {
            calldatacopy(0x00, 0x00, calldatasize())
            let ok := delegatecall(gas(), logic, 0x00, calldatasize(), 0x00, 0x00)
            returndatacopy(0x00, 0x00, returndatasize())
            if iszero(ok) { revert(0x00, returndatasize()) }
            return(0x00, returndatasize())
        }
    }

    /// @dev Settles both wallets at the index of the moment and pays the sender's income into its
    /// balance when its paid balance is short of `amount`: the logic's `settleIncome`, by
    /// DELEGATECALL (SecurityToken calls the hook from every balance-changing function; one call
    /// out keeps one copy of the settlement in the bytecode).
    function _beforeBalanceChange(BalanceChange, address from, address to, uint256 amount) internal override {
        address logic = incomeLogic;
        bytes4 selector = IIncomeShareToken.settleIncome.selector;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, selector)
            mstore(add(p, 0x04), from)
            mstore(add(p, 0x24), to)
            mstore(add(p, 0x44), amount)
            if iszero(delegatecall(gas(), logic, p, 0x64, 0x00, 0x00)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
        }
    }
}
