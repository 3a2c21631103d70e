// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {TransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";

/// @title GovernedProxy
/// @notice OpenZeppelin's TransparentUpgradeableProxy, its ProxyAdmin owned by the deployment's
/// UpgradeAuthority (IUpgradeAuthority: upgrades are UPGRADER calls, timelocked, cancellable by
/// the GUARDIAN). Nothing is added to OpenZeppelin's proxy: this contract only names it in the
/// project's build.
/// @dev NOT checked here: that `upgradeAuthority` is the deployment's (the deploy routine passes
/// it and records the ProxyAdmin the constructor creates, `AdminChanged`'s new admin).
contract GovernedProxy is TransparentUpgradeableProxy {
    constructor(address implementation, address upgradeAuthority, bytes memory data)
        payable
        TransparentUpgradeableProxy(implementation, upgradeAuthority, data)
    {}
}
