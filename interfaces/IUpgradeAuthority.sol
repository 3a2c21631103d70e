// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";

/// @title IUpgradeAuthority
/// @notice The one account that can replace the code behind the protocol's proxies (issue 34; the
/// mechanism per domain: docs/architecture.md, "Upgrades"). Every `GovernedProxy` is an
/// OpenZeppelin TransparentUpgradeableProxy whose ProxyAdmin (the first contract the proxy's
/// constructor created) this authority owns. An upgrade is first proposed (`UpgradeProposed` names
/// the proxy, its ProxyAdmin, the new implementation and its code hash, the calldata and the time
/// it may run) and runs only `NOTICE` seconds later, within `GRACE` after that, unless the GUARDIAN
/// vetoed it. The notice is immutable and at least `MIN_NOTICE`: no role, grant, delay or re-wiring
/// of the AccessManager shortens it — ADMIN can choose who proposes and runs, never how long
/// holders are warned. Only a proxy that exists and that this authority administers can be
/// proposed, and the implementation is named by its address and its code hash: code that changed
/// at that address is not the proposal.
/// @dev Who calls: `propose` and `upgrade` are the UPGRADER's (the AccessManager's wiring,
/// keepers/access/protocol.py); `veto` is any current member of the GUARDIAN role of this
/// contract's current `authority()`, checked here with `hasRole`, whatever its execution delay and
/// whether or not ADMIN closed or re-wired this contract. ADMIN can still remove vetoes: by revoking
/// the guardian, changing role 2's admin, or pointing this contract at another AccessManager
/// (`updateAuthority`), each at ADMIN's own delay. As deployed (ADMIN administers role 2, and
/// OpenZeppelin lets nobody be ADMIN's guardian) the GUARDIAN cannot cancel those operations:
/// scheduled before a proposal, they take effect during no notice; watch them. NOT checked here:
/// that the new implementation keeps the proxy's storage layout (checked before an upgrade is
/// proposed, off chain: UPG-1 and `make test`); what the new code does, its immutables included
/// (read the announced code during the notice: a new implementation built for another instance
/// runs this proxy's storage under that instance's immutables), and whether it forwards elsewhere
/// (a beacon proxy or an ERC-1167 clone is code like any other: its hash is fixed while what it
/// runs is not); what `data` calls on it (the announced calldata says; it runs on the new code,
/// from the ProxyAdmin); whether the AccessManager's roles are still the deployment's (watch
/// RoleGranted/RoleRevoked/RoleAdminChanged of roles 2 and 11, TargetClosed for this contract and
/// its AuthorityUpdated). A veto bars the proposal and any other of the same code for the same
/// proxy, pending or later, for good (so a rollback to the proxy's current code, once vetoed with
/// some calldata, needs new bytecode); a proposal of other code runs its own full notice; a
/// proposal whose window closed can no longer be vetoed (nor run). An implementation must hold
/// code fixed for good (`AccountCode`): not an EIP-7702 delegated account, which its key could
/// re-delegate after the upgrade, and not created in the proposing transaction, which could destroy
/// itself there and come back as other code. Assumes EIP-6780 (Cancun and later).
interface IUpgradeAuthority {
    /// @notice Where a proposed upgrade stands.
    enum Status {
        None,
        Pending,
        Vetoed,
        Done,
        /// Pending, but its window closed (`eta + GRACE` passed): it can neither run nor be
        /// vetoed; propose it again. Reported by `proposal` only.
        Expired
    }

    /// @notice The deployment asked for a notice below the floor.
    error NoticeTooShort(uint256 notice, uint256 minimum);
    /// @notice `account` (an implementation or a proxy) has no code.
    error NotAContract(address account);
    /// @notice `implementation` is an EIP-7702 delegated account: the code it runs is not its own.
    error DelegatedAccount(address implementation);
    /// @notice `implementation` was created (or touched) earlier in this transaction: created here,
    /// it could still destroy itself and come back as other code (EIP-6780, CREATE2). Propose it in
    /// a transaction that does not touch it first.
    error ImplementationNotSettled(address implementation);
    /// @notice `proxy`'s ProxyAdmin (`admin`) is not owned by this authority (`owner`).
    error NotAdministered(address proxy, address admin, address owner);
    /// @notice Proposed again while pending (runnable from `eta`, until `eta + GRACE`).
    error UpgradeAlreadyPending(bytes32 id, uint48 eta);
    /// @notice The GUARDIAN vetoed this code for this proxy; it can never be proposed again.
    error UpgradeVetoed(address proxy, bytes32 codehash);
    /// @notice Run or vetoed while not pending (`status`).
    error UpgradeNotPending(bytes32 id, Status status);
    /// @notice Run before its notice ran out.
    error UpgradeNotReady(bytes32 id, uint48 eta);
    /// @notice Run or vetoed after its window closed (`deadline = eta + GRACE`): propose it again.
    error UpgradeExpired(bytes32 id, uint48 deadline);
    /// @notice `caller` vetoed without holding the GUARDIAN role.
    error NotGuardian(address caller);

    /// @notice `proxy` (administered by `admin`) may be moved to `implementation` (whose code hash
    /// is `codehash`), then called with `data`, from `eta` until `eta + GRACE`.
    event UpgradeProposed(
        bytes32 indexed id,
        address indexed proxy,
        address indexed implementation,
        address admin,
        bytes32 codehash,
        bytes data,
        uint48 eta
    );
    /// @notice The GUARDIAN vetoed the upgrade `id` of `proxy`, and with it `codehash` for `proxy`.
    event UpgradeVetoedBy(bytes32 indexed id, address indexed proxy, bytes32 codehash, address guardian);
    /// @notice `proxy` now runs `implementation`, after calling it with `data` (when not empty).
    event ProxyUpgraded(bytes32 indexed id, address indexed proxy, address indexed implementation, bytes data);

    /// @notice The floor of every authority's notice (two days).
    function MIN_NOTICE() external view returns (uint32);
    /// @notice How long after its `eta` an upgrade may still run (fourteen days).
    function GRACE() external view returns (uint32);
    /// @notice This authority's notice: seconds from a proposal to the earliest time it runs.
    function NOTICE() external view returns (uint32);

    /// @notice The ProxyAdmin of a GovernedProxy: the first contract its constructor created.
    function adminOf(ITransparentUpgradeableProxy proxy) external pure returns (address);

    /// @notice The id of the upgrade moving `proxy` to `implementation` as its code stands now
    /// (its code hash is part of the id), then calling it with `data`.
    function upgradeId(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        view
        returns (bytes32);

    /// @notice Where the upgrade `id` stands, and the time it may run from: Vetoed also for a
    /// pending sibling of vetoed code, Expired for a pending one past its window.
    function proposal(bytes32 id) external view returns (Status status, uint48 eta);

    /// @notice Announces the upgrade; it may run from now + NOTICE. UPGRADER only. Reverts
    /// ImplementationNotSettled if the implementation was touched earlier in this transaction,
    /// NotAContract unless the proxy and the implementation have code, NotAdministered unless this
    /// authority owns the proxy's ProxyAdmin, UpgradeVetoed once this code was vetoed for this
    /// proxy, UpgradeAlreadyPending while the same one is pending and runnable.
    function propose(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        returns (bytes32 id, uint48 eta);

    /// @notice Runs a proposed upgrade between its `eta` and `eta + GRACE`: points `proxy` at
    /// `implementation`, then calls it with `data` in the proxy's context unless `data` is empty.
    /// UPGRADER only.
    function upgrade(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data) external;

    /// @notice Vetoes a pending upgrade, and its code for its proxy, for good. GUARDIAN only
    /// (NotGuardian). Reverts UpgradeNotPending unless pending, UpgradeExpired once past
    /// `eta + GRACE`.
    function veto(bytes32 id) external;
}
