// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {ITokenMigrator} from "../../interfaces/ITokenMigrator.sol";

/// @title TokenMigrator
/// @notice Moves every holding of a security token to the token that replaces it, at the same
/// addresses, with the same freezes (see ITokenMigrator).
contract TokenMigrator is ITokenMigrator, AccessManaged {
    /// @inheritdoc ITokenMigrator
    /// @dev A holder costs a burn, a mint and up to two freezes (about 150,000 gas with a cold
    /// engine): 50 stay well inside a 30M block.
    uint256 public constant MAX_HOLDERS = 50;
    /// @inheritdoc ITokenMigrator
    ISecurityToken public immutable OLD_TOKEN;
    /// @inheritdoc ITokenMigrator
    ISecurityToken public immutable NEW_TOKEN;

    constructor(address authority, ISecurityToken oldToken, ISecurityToken newToken) AccessManaged(authority) {
        uint8 oldDecimals = oldToken.decimals();
        uint8 newDecimals = newToken.decimals();
        if (oldToken == newToken || oldDecimals != newDecimals) {
            revert TokensMismatch(address(oldToken), address(newToken), oldDecimals, newDecimals);
        }
        OLD_TOKEN = oldToken;
        NEW_TOKEN = newToken;
    }

    // ================================================================ issuer

    /// @inheritdoc ITokenMigrator
    function migrate(address[] calldata holders) external restricted returns (uint256 moved, uint256 refused) {
        if (holders.length > MAX_HOLDERS) revert TooManyHolders(holders.length, MAX_HOLDERS);
        _requireOldPaused();
        for (uint256 i; i < holders.length; ++i) {
            address holder = holders[i];
            // An external call, so that a refusal undoes this holder's burn and nothing else.
            try this.migrateOne(holder) returns (uint256 amount) {
                if (amount != 0) ++moved;
            } catch (bytes memory reason) {
                ++refused;
                emit MigrationRefused(holder, OLD_TOKEN.balanceOf(holder), reason);
            }
        }
    }

    // ================================================================ holders

    /// @inheritdoc ITokenMigrator
    function migrateSelf() external returns (uint256 amount) {
        _requireOldPaused();
        amount = _migrate(msg.sender);
        if (amount == 0) revert NothingToMigrate(msg.sender);
    }

    /// @inheritdoc ITokenMigrator
    function migrateOne(address holder) external returns (uint256) {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        return _migrate(holder);
    }

    // ================================================================ views

    /// @inheritdoc ITokenMigrator
    function remaining() external view returns (uint256) {
        return OLD_TOKEN.totalSupply();
    }

    // ================================================================ internal

    function _requireOldPaused() private view {
        if (!OLD_TOKEN.paused()) revert OldTokenNotPaused(address(OLD_TOKEN));
    }

    /// @dev The whole holding, burnt then minted (the mint refusing undoes the burn), then its
    /// freezes as they were; 0 for a wallet with nothing on the old token.
    function _migrate(address holder) private returns (uint256 amount) {
        amount = OLD_TOKEN.balanceOf(holder);
        if (amount == 0) return 0;
        uint256 frozenTokens = OLD_TOKEN.getFrozenTokens(holder);
        bool walletFrozen = OLD_TOKEN.isFrozen(holder);
        emit Migrated(holder, amount, frozenTokens, walletFrozen);
        OLD_TOKEN.burn(holder, amount);
        NEW_TOKEN.mint(holder, amount);
        if (frozenTokens != 0) NEW_TOKEN.freezePartialTokens(holder, frozenTokens);
        if (walletFrozen) NEW_TOKEN.setAddressFrozen(holder, true);
    }
}
