// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";

/// @title IUpgradeAuthority
/// @notice The one account that can replace the code behind the protocol's proxies (issue 34; the
/// mechanism per domain: docs/architecture.md, "Upgrades"). Every `GovernedProxy` is an
/// OpenZeppelin TransparentUpgradeableProxy whose ProxyAdmin this authority owns, and `upgrade`
/// is an UPGRADER function of the AccessManager: granted with an execution delay, so an upgrade is
/// first scheduled — AccessManager's `OperationScheduled(operationId, nonce, schedule, caller,
/// target, data)` announces the proxy, the new implementation and the time it may run — and
/// executed only after it, while the GUARDIAN (the UPGRADER role's guardian) may cancel it for
/// good. Nobody else can upgrade: the ProxyAdmins obey their owner only, and a proxy's admin calls
/// never reach its implementation.
/// @dev NOT checked here: that the new implementation keeps the proxy's storage layout (checked
/// before an upgrade is proposed, off chain: UPG-1, `make test` and the upgrade script), that it
/// is the code the announcement promised beyond its address (read the announced address's code
/// during the delay), and what `data` calls on it (the announced calldata says).
interface IUpgradeAuthority {
    /// @notice `implementation` has no code.
    error NotAContract(address implementation);

    /// @notice `proxy` now runs `implementation`, after calling it with `data` (when not empty).
    event ProxyUpgraded(address indexed proxy, address indexed implementation, bytes data);

    /// @notice Points `proxy` (administered by `admin`, a ProxyAdmin this authority owns) at
    /// `implementation`, then calls it with `data` in the proxy's context unless `data` is empty.
    /// UPGRADER only, after the role's execution delay (AccessManager).
    function upgrade(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external;
}
