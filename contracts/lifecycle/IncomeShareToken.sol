// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {BalanceChange, ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../token/SecurityToken.sol";
import {AgentCapabilities as Cap} from "../token/AgentCapabilities.sol";
import {IncomeWord, IncomeWordLibrary} from "./IncomeWords.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title IncomeShareToken
/// @notice A money-market share class paying its dividends in new shares through a multiplicative
/// income index, settled lazily per holder (see IIncomeShareToken).
/// @dev State added to SecurityToken's: one word (`_income`: the index, the declaration count and
/// time), the total declared, and one index per holder. Settling runs in SecurityToken's
/// `_beforeBalanceChange` hook, before any balance is read.
contract IncomeShareToken is IIncomeShareToken, SecurityToken {
    /// @dev The index at issue (IIncomeShareToken: 1e27).
    uint256 internal constant INDEX_ONE = 1e27;
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MAX_DECLARATION_BPS = 50;
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MIN_DECLARATION_INTERVAL = 12 hours;

    IncomeWord private _income;
    mapping(address holder => uint256 index) private _holderIndex;

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

    // ================================================================ issuer (DECLARE)

    /// @inheritdoc IIncomeShareToken
    function declareIncome(uint256 number, uint256 shares) external onlyCapability(Cap.MINT) nonReentrant {
        IncomeWord income = _income;
        if (number != income.declarations() + 1) revert UnexpectedDeclaration(number, income.declarations() + 1);
        uint256 earliest = income.lastDeclaredAt() + MIN_DECLARATION_INTERVAL;
        if (income.declarations() != 0 && block.timestamp < earliest) {
            revert DeclarationTooSoon(income.lastDeclaredAt(), earliest);
        }
        uint256 supply = _totalSupply;
        uint256 maxShares = supply * MAX_DECLARATION_BPS / BPS;
        if (shares == 0 || shares > maxShares) revert DeclarationOutOfBounds(shares, supply, maxShares);
        // No overflow: shares <= supply / 200 and supply <= MAX_SUPPLY < 2**96.
        uint256 supplyAfter = supply + shares;
        if (supplyAfter > MAX_SUPPLY) revert SupplyCapExceeded(supplyAfter, MAX_SUPPLY);
        uint256 previous = income.index();
        // Rounded down (never in a holder's favour). No overflow: index < 2**160 (checked next) and
        // supplyAfter < 2**96; supply != 0 since shares != 0 and shares <= supply / 200.
        uint256 next = previous * supplyAfter / supply;
        if (next > IncomeWordLibrary.INDEX_MASK) revert DeclarationOutOfBounds(shares, supply, 0);

        _income = IncomeWordLibrary.pack(next, number, block.timestamp);
        _totalSupply = supplyAfter;
        emit IncomeDeclared(number, shares, supply, previous, next, msg.sender);
    }

    // ================================================================ holders

    /// @inheritdoc IIncomeShareToken
    /// @dev No reentrancy guard: every balance change calls it on this token (see
    /// `_beforeBalanceChange`) inside its own guard; it writes before its one external call (the
    /// bound engine's record) and settling twice pays nothing the second time.
    function claimIncome(address holder) external returns (uint256 paid) {
        paid = _settle(holder, _income.index());
        if (paid != 0) _requireCompliance().created(holder, paid);
    }

    // ================================================================ views

    /// @notice ERC-20 balance: the settled balance with the accrued income (IIncomeShareToken).
    function balanceOf(address holder) external view override(IERC20, SecurityToken) returns (uint256) {
        return _accounts[holder].balance + accruedIncomeOf(holder);
    }

    /// @inheritdoc IIncomeShareToken
    function accruedIncomeOf(address holder) public view returns (uint256) {
        return _accrued(_accounts[holder].balance, _holderIndex[holder], _income.index());
    }

    /// @inheritdoc IIncomeShareToken
    function incomeIndex() external view returns (uint256 index, uint256 declarations, uint256 lastDeclaredAt) {
        IncomeWord income = _income;
        return (income.index(), income.declarations(), income.lastDeclaredAt());
    }

    // ================================================================ internal

    /// @dev Settles both wallets at the index of the moment (`claimIncome`, called on this token:
    /// SecurityToken calls the hook from every balance-changing function, and one external entry
    /// keeps one copy of the settlement in the bytecode, within EIP-170). What each is paid is
    /// recorded in the engine's ledger through its ERC-3643 mint record `created` (record only).
    function _beforeBalanceChange(BalanceChange, address from, address to) internal override {
        if (from != address(0)) _claimHere(from);
        if (to != address(0) && to != from) _claimHere(to);
    }

    /// @dev `this.claimIncome(holder)`, reverting with its revert data.
    function _claimHere(address holder) private {
        bytes4 selector = this.claimIncome.selector;
        assembly ("memory-safe") {
            mstore(0x00, selector)
            mstore(0x04, holder)
            if iszero(call(gas(), address(), 0, 0x00, 0x24, 0x00, 0x00)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
        }
    }

    /// @dev Pays `holder` its income up to `index` into its balance and moves its index there.
    /// Returns the shares paid; the caller records them in the engine.
    function _settle(address holder, uint256 index) internal returns (uint256 paid) {
        uint256 last = _holderIndex[holder];
        if (last == index) return 0;
        _holderIndex[holder] = index;
        Account storage account = _accounts[holder];
        paid = _accrued(account.balance, last, index);
        if (paid == 0) return 0;
        // No overflow: the paid income was counted in the supply, which is below 2**96.
        account.balance += uint128(paid);
        emit Transfer(address(0), holder, paid);
    }

    /// @dev floor(balance * index / last) - balance: 0 for a wallet that never held (`last` 0: its
    /// balance is 0, every receipt settles it first). No overflow: balance < 2**96, index < 2**160.
    function _accrued(uint256 balance, uint256 last, uint256 index) internal pure returns (uint256) {
        if (balance == 0 || last == 0 || last == index) return 0;
        // No underflow: the index never decreases, so index >= last and the quotient >= balance.
        unchecked {
            return balance * index / last - balance;
        }
    }
}
