// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {IncomeShareBase} from "./IncomeShareToken.sol";
import {IncomeAccount, IncomeAccountLibrary, IncomeWord, IncomeWordLibrary} from "./IncomeWords.sol";
import {BPS} from "../libraries/Constants.sol";

/// @title IncomeShareLogic
/// @notice The income functions of IIncomeShareToken, run by DELEGATECALL from IncomeShareToken
/// (its fallback and its balance-change hook) on the token's own storage: one deployment serves
/// every income share class.
/// @dev Its own storage is a SecurityToken nobody is an agent of (paused, no engine): called
/// directly it declares nothing (no declarer) and settles no holding.
contract IncomeShareLogic is IIncomeShareToken, IncomeShareBase {
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MAX_DECLARATION_BPS = 50;
    /// @inheritdoc IIncomeShareToken
    uint256 public constant MIN_DECLARATION_INTERVAL = 12 hours;

    constructor(address authority, IIdentityRegistry registry_)
        IncomeShareBase(authority, "IncomeShareLogic", "ISL", 18, registry_, IComplianceEngine(address(0)), address(0))
    {}

    // ================================================================ governance

    /// @inheritdoc IIncomeShareToken
    function setDeclarer(address account, bool allowed) external restricted {
        emit DeclarerSet(account, _declarers[account], allowed);
        _declarers[account] = allowed;
    }

    // ================================================================ declarers

    /// @inheritdoc IIncomeShareToken
    function declareIncome(uint256 number, uint256 shares) external {
        // Its own capability, not MINT's (SEC-129). No reentrancy guard: no external call.
        if (!_declarers[msg.sender]) revert NotDeclarer(msg.sender);
        IncomeWord income = _income;
        uint256 expected = income.declarations() + 1;
        if (number != expected) revert UnexpectedDeclaration(number, expected);
        uint256 earliest = income.lastDeclaredAt() + MIN_DECLARATION_INTERVAL;
        if (expected != 1 && block.timestamp < earliest) revert DeclarationTooSoon(income.lastDeclaredAt(), earliest);
        uint256 supply = _totalSupply;
        uint256 maxShares = supply * MAX_DECLARATION_BPS / BPS;
        if (shares == 0 || shares > maxShares) revert DeclarationOutOfBounds(shares, supply, maxShares);
        // No overflow: shares <= supply / 200 and supply <= MAX_SUPPLY < 2**96.
        uint256 supplyAfter = supply + shares;
        uint256 previous = income.index();
        // Rounded down (never in a holder's favour); supply != 0 since 0 < shares <= supply / 200.
        // Checked: reverts (panic) only past an index of 2**159 (a growth of 7e20 times).
        uint256 next = previous * supplyAfter / supply;
        if (supplyAfter > MAX_SUPPLY || next > IncomeWordLibrary.INDEX_MASK) {
            revert DeclarationOutOfBounds(shares, supply, 0);
        }

        _income = IncomeWordLibrary.pack(next, number, block.timestamp);
        _totalSupply = supplyAfter;
        emit IncomeDeclared(number, shares, supply, next, msg.sender);
    }

    // ================================================================ holders

    /// @inheritdoc IIncomeShareToken
    /// @dev No reentrancy guard: every balance change calls it on this token (see
    /// `_beforeBalanceChange`) inside its own guard; it writes before its one external call (the
    /// bound engine's record) and settling twice pays nothing the second time.
    function settleIncome(address payer, address other, uint256 needed) external returns (uint256 paid) {
        paid = _settleIncome(payer, other, needed);
    }

    // ================================================================ views

    /// @inheritdoc IIncomeShareToken
    function incomeAccountOf(address holder) external view returns (uint256 paid, uint256 pending, uint256 index) {
        IncomeAccount a = _holders[holder];
        return (_accounts[holder].balance(), a.pending(), a.index());
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

    // ================================================================ internal

    /// @dev Settles `other` then `payer` (address(0) skipped) at the index of the moment.
    function _settleIncome(address payer, address other, uint256 needed) internal returns (uint256 paid) {
        uint256 index = _income.index();
        if (other != payer) _settle(other, index, 0);
        paid = _settle(payer, index, needed);
    }

    /// @dev Moves `holder`'s index to `index`, adding its income since to its pending income; pays
    /// the pending income into its balance when that balance is at most `needed`: its balance and
    /// the engine's ledger (ERC-3643 `created`, record only) grow, `Transfer(address(0), holder,
    /// paid)`. Returns what it paid. At most, not below (SEC-128): a send of the whole paid balance
    /// pays the income first, so the sender keeps a holding and the engine's holder count never
    /// loses it with income pending (which `created`, checking no cap, would bring back past it).
    function _settle(address holder, uint256 index, uint256 needed) internal returns (uint256 paid) {
        if (holder == address(0)) return 0;
        IncomeAccount a = _holders[holder];
        uint256 balance = _accounts[holder].balance();
        uint256 last = a.index();
        uint256 pending = a.pending();
        if (last != index) pending += _accrued(balance + pending, last, index);
        if (pending != 0 && balance <= needed) (paid, pending) = (pending, 0);
        if (last != index || paid != 0) _holders[holder] = IncomeAccountLibrary.pack(index, pending);
        if (paid != 0) {
            // No overflow: pending income was counted in the supply, below 2**96.
            _accounts[holder] = _accounts[holder].credit(paid);
            emit Transfer(address(0), holder, paid);
            _core.compliance().created(holder, paid);
        }
    }
}
