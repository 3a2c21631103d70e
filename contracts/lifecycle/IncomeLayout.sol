// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {TokenLayout} from "../token/TokenLayout.sol";
import {IncomeAccount, IncomeWord} from "../types/IncomeWords.sol";

/// @title IncomeLayout
/// @notice The state of a money-market share class paying its dividends in new shares
/// (IIncomeShareToken), after its SecurityToken's (`TokenLayout`), and nothing else: inherited by
/// the token (`IncomeShareToken`) and by its module (`IncomeShareLogic`), which runs on the
/// token's storage by DELEGATECALL. No function, no constructor.
/// @dev One word for the class (`_income`: the index, the declaration count and time), one word
/// per holder (`_holders`: its index and its income settled and not paid) and the declarers.
/// `INCOME_LAYOUT_ID` names this layout: bump it when a slot changes, so a token refuses a module
/// built for another (`Dispatch._requireModule`).
abstract contract IncomeLayout is TokenLayout {
    /// @dev The index at issue (IIncomeShareToken: 1e27).
    uint256 internal constant INDEX_ONE = 1e27;
    /// @dev IIncomeShareToken `MAX_DECLARATION_BPS` (0.5% of the supply) and
    /// `MIN_DECLARATION_INTERVAL`, defined here once for the token and its module.
    uint256 internal constant DECLARATION_CAP_BPS = 50;
    uint256 internal constant DECLARATION_INTERVAL = 12 hours;
    /// @dev The layout's name (AccessManaged's slot, `TokenLayout`, then the three below).
    bytes32 internal constant INCOME_LAYOUT_ID = keccak256("quantera.IncomeShareToken.layout.v1");

    IncomeWord internal _income;
    mapping(address holder => IncomeAccount) internal _holders;
    /// @dev Who may declare income (IIncomeShareToken `setDeclarer`, SEC-129).
    mapping(address account => bool) internal _declarers;
}
