// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {TransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";

/// @title GovernedProxy
/// @notice OpenZeppelin's TransparentUpgradeableProxy, its ProxyAdmin owned by the deployment's
/// UpgradeAuthority (IUpgradeAuthority: an upgrade is proposed by the UPGRADER, runs after the
/// authority's immutable notice, and the GUARDIAN may veto it). Nothing is added to OpenZeppelin's proxy: this contract only names it in the
/// project's build.
/// @dev NOT checked here: that `upgradeAuthority` is the deployment's (the deploy routine passes
/// it; the ProxyAdmin is the first contract this constructor creates, which the authority's
/// `adminOf` and the tooling's `admin_of` compute, never read from the ERC-1967 admin slot).
contract GovernedProxy is TransparentUpgradeableProxy {
    constructor(address implementation, address upgradeAuthority, bytes memory data)
        payable
        TransparentUpgradeableProxy(implementation, upgradeAuthority, data)
    {}
}
