// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";
import {IUpgradeAuthority} from "../../interfaces/IUpgradeAuthority.sol";

/// @title UpgradeAuthority
/// @notice Owner of every GovernedProxy's ProxyAdmin (see IUpgradeAuthority).
contract UpgradeAuthority is IUpgradeAuthority, AccessManaged {
    constructor(address authority) AccessManaged(authority) {}

    /// @inheritdoc IUpgradeAuthority
    function upgrade(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        restricted
    {
        if (implementation.code.length == 0) revert NotAContract(implementation);
        // Reverts OwnableUnauthorizedAccount unless this authority owns `admin`, and the proxy
        // reverts unless `admin` is its admin (any other caller's call reaches the implementation).
        admin.upgradeAndCall(proxy, implementation, data);
        emit ProxyUpgraded(address(proxy), implementation, data);
    }
}
