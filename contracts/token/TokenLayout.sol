// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {AccountWord, CoreWord} from "../types/TokenWords.sol";

/// @title TokenLayout
/// @notice The state of a SecurityToken, and nothing else: no function, no constructor. A share
/// class's module (run by DELEGATECALL through `Dispatch`, contracts/lifecycle) inherits this
/// layout and not the token, so it carries none of the token's code. Its slots follow
/// AccessManaged's (slot 0: the authority), which the token and every such module inherit first.
/// @dev Append only: a class's own state (e.g. `IncomeLayout`) follows it. The words are
/// `TokenWords`'. `TOKEN_LAYOUT_ID` names this layout: bump it when a slot changes, so a token
/// refuses an admin module built for another (`Dispatch._requireModule`).
abstract contract TokenLayout {
    /// @dev ISecurityToken `MAX_SUPPLY`, the supply bound shared with the compliance engine's
    /// ledger: balances and the supply fit 96 bits.
    uint256 internal constant SUPPLY_CAP = type(uint96).max;
    /// @dev ISecurityToken `MAX_BATCH`: entries in one batch call.
    uint256 internal constant BATCH_CAP = 100;
    /// @dev IERC3643Token `version`.
    string internal constant TOKEN_VERSION = "1.0.0";
    /// @dev The layout's name (AccessManaged's slot, then the variables below).
    bytes32 internal constant TOKEN_LAYOUT_ID = keccak256("quantera.SecurityToken.layout.v1");

    /// @dev The compliance engine and the pause (`TokenWords`): one slot read on every transfer.
    CoreWord internal _core;
    IIdentityRegistry internal _registry;
    uint256 internal _totalSupply;
    /// @dev One slot per wallet (`TokenWords`): balance and freeze state are read together on
    /// every transfer; the hot paths hash a wallet's slot once (`TokenBase._accountSlot`).
    mapping(address wallet => AccountWord) internal _accounts;
    mapping(address owner => mapping(address spender => uint256)) internal _allowances;
    mapping(address agent => uint8) internal _capabilities;
    string internal _name;
    string internal _symbol;
    address internal _onchainID;
}
