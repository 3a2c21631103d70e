// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManager} from "@openzeppelin/contracts/access/manager/AccessManager.sol";
import {IQuanteraAccessManager} from "../../interfaces/IQuanteraAccessManager.sol";
import {Roles} from "./Roles.sol";

/// @title QuanteraAccessManager
/// @notice OpenZeppelin AccessManager with the protocol's role vocabulary set up at construction.
contract QuanteraAccessManager is AccessManager, IQuanteraAccessManager {
    /// @inheritdoc IQuanteraAccessManager
    uint64 public constant GUARDIAN_ROLE = Roles.GUARDIAN;
    /// @inheritdoc IQuanteraAccessManager
    uint64 public constant GOVERNOR_ROLE = Roles.GOVERNOR;

    constructor(address initialAdmin) AccessManager(initialAdmin) {
        emit RoleLabel(Roles.ADMIN, Roles.label(Roles.ADMIN));
        // Bounded: Roles.LAST_ROLE (11) iterations.
        for (uint64 roleId = 1; roleId <= Roles.LAST_ROLE; ++roleId) {
            emit RoleLabel(roleId, Roles.label(roleId));
            _setRoleGuardian(roleId, Roles.GUARDIAN);
        }
    }
}
