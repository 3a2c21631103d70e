// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IIncomeShareToken} from "../../interfaces/IIncomeShareToken.sol";
import {DelegatedModule} from "../libraries/DelegatedModule.sol";
import {BPS} from "../libraries/Constants.sol";
import {IncomeLayout} from "./IncomeLayout.sol";
import {IncomeAccount, IncomeAccountLibrary, IncomeWord, IncomeWordLibrary} from "../types/IncomeWords.sol";

/// @title IncomeShareLogic
/// @notice The income functions of IIncomeShareToken that write (`declareIncome`, `settleIncome`,
/// `setDeclarer`), run by DELEGATECALL from IncomeShareToken's stubs and its balance-change hook
/// (`Dispatch`) on the token's own storage: one deployment serves every income share class. It
/// inherits the token's layout (`IncomeLayout`, after AccessManaged's slot), not the token.
/// @dev Refuses a direct call (`DelegatedModule`). Checked here: the declarer and the declaration's
/// bounds. NOT checked here: the GOVERNOR role of `setDeclarer` (the token's stub checks it).
contract IncomeShareLogic is DelegatedModule, AccessManaged, IncomeLayout {
    /// @dev Not an authority of anything: AccessManaged is inherited for its slot (the token's
    /// slot 0), and no function here is `restricted`.
    constructor() AccessManaged(address(0)) {}

    /// @inheritdoc DelegatedModule
    function moduleId() external pure override returns (bytes32) {
        return INCOME_LAYOUT_ID;
    }

    // ================================================================ governance

    /// @notice IIncomeShareToken `setDeclarer`; the token's stub checks the role (GOVERNOR).
    function setDeclarer(address account, bool allowed) external onlyDelegated {
        emit IIncomeShareToken.DeclarerSet(account, _declarers[account], allowed);
        _declarers[account] = allowed;
    }

    // ================================================================ declarers

    /// @notice IIncomeShareToken `declareIncome`.
    function declareIncome(uint256 number, uint256 shares) external onlyDelegated {
        // Its own capability, not MINT's (SEC-129). No reentrancy guard: no external call.
        if (!_declarers[msg.sender]) revert IIncomeShareToken.NotDeclarer(msg.sender);
        IncomeWord income = _income;
        uint256 expected = income.declarations() + 1;
        if (number != expected) revert IIncomeShareToken.UnexpectedDeclaration(number, expected);
        uint256 earliest = income.lastDeclaredAt() + DECLARATION_INTERVAL;
        if (expected != 1 && block.timestamp < earliest) {
            revert IIncomeShareToken.DeclarationTooSoon(income.lastDeclaredAt(), earliest);
        }
        uint256 supply = _totalSupply;
        uint256 maxShares = supply * DECLARATION_CAP_BPS / BPS;
        if (shares == 0 || shares > maxShares) {
            revert IIncomeShareToken.DeclarationOutOfBounds(shares, supply, maxShares);
        }
        // No overflow: shares <= supply / 200 and supply <= MAX_SUPPLY < 2**96.
        uint256 supplyAfter = supply + shares;
        uint256 previous = income.index();
        // Rounded down (never in a holder's favour); supply != 0 since 0 < shares <= supply / 200.
        // Checked: reverts (panic) only past an index of 2**159 (a growth of 7e20 times).
        uint256 next = previous * supplyAfter / supply;
        if (supplyAfter > SUPPLY_CAP || next > IncomeWordLibrary.INDEX_MASK) {
            revert IIncomeShareToken.DeclarationOutOfBounds(shares, supply, 0);
        }

        _income = IncomeWordLibrary.pack(next, number, block.timestamp);
        _totalSupply = supplyAfter;
        emit IIncomeShareToken.IncomeDeclared(number, shares, supply, next, msg.sender);
    }

    // ================================================================ holders

    /// @notice IIncomeShareToken `settleIncome`: settles `other` then `payer` (address(0) skipped)
    /// at the index of the moment.
    /// @dev No reentrancy guard: every balance change calls it on the token (its
    /// `_beforeBalanceChange`) inside the token's own guard; it writes before its one external call
    /// (the bound engine's record) and settling twice pays nothing the second time.
    function settleIncome(address payer, address other, uint256 needed) external onlyDelegated returns (uint256 paid) {
        uint256 index = _income.index();
        if (other != payer) _settle(other, index, 0);
        paid = _settle(payer, index, needed);
    }

    // ================================================================ internal

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
        if (last != index) pending += IncomeAccountLibrary.accrued(balance + pending, last, index);
        if (pending != 0 && balance <= needed) (paid, pending) = (pending, 0);
        if (last != index || paid != 0) _holders[holder] = IncomeAccountLibrary.pack(index, pending);
        if (paid != 0) {
            // No overflow: pending income was counted in the supply, below 2**96.
            _accounts[holder] = _accounts[holder].credit(paid);
            emit IERC20.Transfer(address(0), holder, paid);
            _core.compliance().created(holder, paid);
        }
    }
}
