// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";

/// @title IQuanteraAccessManager
/// @notice The single authority of a Quantera deployment: every protocol contract is
/// `AccessManaged` by it, so who may call what is one table, readable on-chain
/// (`canCall(caller, target, selector)`) and changed only through it.
/// @dev It is OpenZeppelin 5's `AccessManager` unchanged, plus a fixed role vocabulary (see
/// `Roles`): at construction every protocol role gets its `RoleLabel` and has `GUARDIAN` as its
/// role guardian, so the guardian can cancel any scheduled (timelocked) operation of a
/// non-admin role.
/// Warning: OZ does not let a guardian be set for `ADMIN_ROLE`; scheduled admin operations can
/// only be cancelled by an admin or by their proposer. Keep the admin a multisig with a delay.
/// Warning: the admin holds its role with no execution delay at construction (so the deploy
/// script can wire targets); the deploy script hands the role to the governance account with a
/// delay and renounces it on live networks.
interface IQuanteraAccessManager is IAccessManager {
    /// @notice Role id of the guardian (can halt and cancel, never resume).
    function GUARDIAN_ROLE() external view returns (uint64);

    /// @notice Role id of the governor (slow, delayed parameter changes).
    function GOVERNOR_ROLE() external view returns (uint64);
}
