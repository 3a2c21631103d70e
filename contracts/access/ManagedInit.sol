// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title ManagedInit
/// @notice OpenZeppelin's AccessManaged for a contract that runs behind a GovernedProxy (issue
/// 34): its constructor builds the implementation (immutables only) with no authority, and the
/// proxy's storage (its authority, and whatever else the contract's `initialize` writes) is
/// written once, by the proxy's own constructor (`GovernedProxy(implementation, authority, data)`
/// with `data` the contract's `initialize` call).
///
/// `_initialize` runs only while the account it runs on has no code: in a constructor, the
/// proxy's (nobody can call it on a deployed proxy, nor front-run it: the proxy's creation and its
/// initialization are one transaction). The implementation itself keeps no authority: every
/// `restricted` function of it reverts (AccessManaged asks address(0), which answers nothing).
///
/// Warning: an `initialize` must never create a contract. It runs in the proxy's constructor
/// before the proxy creates its ProxyAdmin (OpenZeppelin's TransparentUpgradeableProxy), which
/// the UpgradeAuthority and the tooling find at the proxy's CREATE address for nonce 1
/// (`adminOf`): a creation before it would move the admin to nonce 2, out of their sight.
///
/// NOT checked here: that the proxy's constructor was given the initialization (the deploy routine
/// passes it; a proxy created without it keeps no authority and stays unusable: deploy another);
/// who deploys a proxy of this implementation (anyone may, on its own storage); and the
/// AccessManager's wiring of the proxy's functions (the access domain's deploy step).
abstract contract ManagedInit is AccessManaged {
    /// @notice `initialize` on `account`, which already has code: a deployed proxy or the
    /// implementation. Only a proxy's constructor initializes.
    error InitializeOutsideConstruction(address account);

    constructor() AccessManaged(address(0)) {}

    /// @dev Sets the authority of the contract being constructed (the proxy's storage); reverts
    /// anywhere else (`InitializeOutsideConstruction`), and for an authority with no code
    /// (AccessManaged's `AccessManagedInvalidAuthority`).
    function _initialize(address authority_) internal {
        if (address(this).code.length != 0) revert InitializeOutsideConstruction(address(this));
        if (authority_.code.length == 0) revert AccessManagedInvalidAuthority(authority_);
        _setAuthority(authority_);
    }
}

/// @title AuthorityInit
/// @notice A ManagedInit contract whose proxy storage needs nothing at construction but its
/// authority: `initialize(authority)`, the GovernedProxy's constructor data.
abstract contract AuthorityInit is ManagedInit {
    /// @notice Sets this contract's AccessManager, once, from its proxy's constructor. Reverts
    /// `InitializeOutsideConstruction` on any account with code (a deployed proxy, the
    /// implementation) and `AccessManagedInvalidAuthority` for an authority with no code.
    function initialize(address authority_) external {
        _initialize(authority_);
    }
}
