// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title DelegatedModule
/// @notice The base of every module a `Dispatch` contract runs by DELEGATECALL: a module's
/// functions run only on a dispatcher's storage, never on the module's own (`onlyDelegated`). A
/// module inherits its dispatcher's storage base, not the dispatcher.
///
/// NOT checked here: which dispatcher delegates (any contract may DELEGATECALL a module; it then
/// runs on that contract's own storage, which it could write anyway). The dispatcher's stub
/// checks the caller, the roles and the lock before it delegates.
abstract contract DelegatedModule {
    /// @notice The module was called directly (at its own address, on its own storage), not by a
    /// dispatcher.
    error DirectCall();

    address private immutable _self = address(this);

    /// @notice The layout (and role) this module was built for; its dispatcher's constructor
    /// compares it with its own (`Dispatch._requireModule`).
    function moduleId() external view virtual returns (bytes32);

    modifier onlyDelegated() {
        _requireDelegated();
        _;
    }

    function _requireDelegated() internal view {
        if (address(this) == _self) revert DirectCall();
    }
}
