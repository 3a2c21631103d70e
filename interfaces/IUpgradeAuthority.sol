// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";

/// @title IUpgradeAuthority
/// @notice The one account that can replace the code behind the protocol's proxies (issue 34; the
/// mechanism per domain: docs/architecture.md, "Upgrades"). Every `GovernedProxy` is an
/// OpenZeppelin TransparentUpgradeableProxy whose ProxyAdmin this authority owns. An upgrade is
/// first proposed (`UpgradeProposed` names the proxy, the new implementation, the calldata and the
/// time it may run) and runs only `NOTICE` seconds later, within `GRACE` after that, unless the
/// GUARDIAN vetoed it. The notice is immutable and at least `MIN_NOTICE`: no role, grant, delay or
/// re-wiring of the AccessManager shortens it — ADMIN can choose who proposes and executes, never
/// how long holders are warned. The ProxyAdmins obey their owner only, and a proxy's admin calls
/// never reach its implementation.
/// @dev Who calls: `propose` and `upgrade` are the UPGRADER's, `veto` the GUARDIAN's (the
/// AccessManager's wiring, keepers/access/protocol.py). NOT checked here: that the new
/// implementation keeps the proxy's storage layout (checked before an upgrade is proposed, off
/// chain: UPG-1, `make test` and `ape run upgrade`); that it is the code the announcement promised
/// beyond its address (read the announced address's code during the notice); what `data` calls
/// on it (the announced calldata says); that `admin` is a ProxyAdmin at all (a contract that is not
/// one runs whatever it runs, after the same notice); that the AccessManager's wiring of these
/// three functions is still the deployment's (ADMIN can re-wire them, under the authority's target
/// admin delay once it applies: watch `TargetFunctionRoleUpdated`). A vetoed upgrade is vetoed for
/// good; a different proposal (another implementation or calldata) runs its own full notice.
interface IUpgradeAuthority {
    /// @notice Where a proposed upgrade stands.
    enum Status {
        None,
        Pending,
        Vetoed,
        Done
    }

    /// @notice The deployment asked for a notice below the floor.
    error NoticeTooShort(uint256 notice, uint256 minimum);
    /// @notice `implementation` has no code.
    error NotAContract(address implementation);
    /// @notice Proposed again while pending (runnable from `eta`, until `eta + GRACE`).
    error UpgradeAlreadyPending(bytes32 id, uint48 eta);
    /// @notice The GUARDIAN vetoed this upgrade; it can never be proposed again.
    error UpgradeVetoed(bytes32 id);
    /// @notice Executed or vetoed while not pending (`status`), or vetoed after it ran.
    error UpgradeNotPending(bytes32 id, Status status);
    /// @notice Executed before its notice ran out.
    error UpgradeNotReady(bytes32 id, uint48 eta);
    /// @notice Executed after its window closed (`deadline = eta + GRACE`): propose it again.
    error UpgradeExpired(bytes32 id, uint48 deadline);

    /// @notice `proxy` (administered by `admin`) may be moved to `implementation`, then called
    /// with `data`, from `eta` until `eta + GRACE`.
    event UpgradeProposed(
        bytes32 indexed id, address indexed proxy, address indexed implementation, address admin, bytes data, uint48 eta
    );
    /// @notice The GUARDIAN vetoed the upgrade `id` of `proxy`, for good.
    event UpgradeVetoedBy(bytes32 indexed id, address indexed proxy);
    /// @notice `proxy` now runs `implementation`, after calling it with `data` (when not empty).
    event ProxyUpgraded(bytes32 indexed id, address indexed proxy, address indexed implementation, bytes data);

    /// @notice The floor of every authority's notice (two days).
    function MIN_NOTICE() external view returns (uint32);
    /// @notice How long after its `eta` an upgrade may still run (fourteen days).
    function GRACE() external view returns (uint32);
    /// @notice This authority's notice: seconds from a proposal to the earliest time it runs.
    function NOTICE() external view returns (uint32);

    /// @notice The id of the upgrade moving `proxy` (administered by `admin`) to `implementation`
    /// and calling it with `data`.
    function upgradeId(
        ProxyAdmin admin,
        ITransparentUpgradeableProxy proxy,
        address implementation,
        bytes calldata data
    ) external pure returns (bytes32);

    /// @notice Where the upgrade `id` stands, and the time it may run from.
    function proposal(bytes32 id) external view returns (Status status, uint48 eta);

    /// @notice Announces the upgrade; it may run from now + NOTICE. UPGRADER only. Reverts
    /// UpgradeAlreadyPending while the same one is pending and runnable, UpgradeVetoed once vetoed.
    function propose(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        returns (bytes32 id, uint48 eta);

    /// @notice Runs a proposed upgrade between its `eta` and `eta + GRACE`: points `proxy` at
    /// `implementation`, then calls it with `data` in the proxy's context unless `data` is empty.
    /// UPGRADER only.
    function upgrade(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external;

    /// @notice Vetoes a pending upgrade for good. GUARDIAN only.
    function veto(bytes32 id) external;
}
