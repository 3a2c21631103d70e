// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";
import {IUpgradeAuthority} from "../../interfaces/IUpgradeAuthority.sol";
import {AccountCode} from "../libraries/AccountCode.sol";
import {Roles} from "./Roles.sol";

/// @title UpgradeAuthority
/// @notice Owner of every GovernedProxy's ProxyAdmin, with its own immutable notice (see
/// IUpgradeAuthority).
contract UpgradeAuthority is IUpgradeAuthority, AccessManaged {
    /// @inheritdoc IUpgradeAuthority
    uint32 public constant MIN_NOTICE = 2 days;
    /// @inheritdoc IUpgradeAuthority
    uint32 public constant GRACE = 14 days;
    /// @inheritdoc IUpgradeAuthority
    uint32 public immutable NOTICE;

    /// The proxy the upgrade moves, where it stands, when it may run (one word); the code hash
    /// proposed, which a veto bars for that proxy.
    struct Proposal {
        address proxy;
        Status status;
        uint48 eta;
        bytes32 codehash;
    }

    mapping(bytes32 id => Proposal) private _proposals;
    /// keccak256(proxy, codehash) => the GUARDIAN vetoed that code for that proxy.
    mapping(bytes32 proxyCode => bool) private _vetoed;

    constructor(address authority, uint32 notice) AccessManaged(authority) {
        if (notice < MIN_NOTICE) revert NoticeTooShort(notice, MIN_NOTICE);
        NOTICE = notice;
    }

    /// @inheritdoc IUpgradeAuthority
    function adminOf(ITransparentUpgradeableProxy proxy) public pure returns (address) {
        // CREATE's address for (proxy, nonce 1): keccak256(rlp([proxy, 1])), the RLP being
        // 0xd6 0x94 <20 bytes> 0x01. OpenZeppelin 5's proxy creates its ProxyAdmin as its first
        // creation (its initialization data runs before it and must create nothing: ManagedInit)
        // and keeps it immutable.
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes2(0xd694), proxy, bytes1(0x01))))));
    }

    /// @inheritdoc IUpgradeAuthority
    function upgradeId(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(proxy, implementation, implementation.codehash, data));
    }

    /// @inheritdoc IUpgradeAuthority
    function proposal(bytes32 id) external view returns (Status status, uint48 eta) {
        Proposal memory p = _proposals[id];
        if (p.status != Status.Pending) return (p.status, p.eta);
        // A pending sibling of vetoed code (other calldata, a copy of the code) is vetoed too; one
        // whose window closed can neither run nor be vetoed.
        if (_vetoed[keccak256(abi.encode(p.proxy, p.codehash))]) return (Status.Vetoed, p.eta);
        if (block.timestamp > uint256(p.eta) + GRACE) return (Status.Expired, p.eta);
        return (Status.Pending, p.eta);
    }

    /// Reverts unless `implementation` holds code of its own: not empty, and not an EIP-7702
    /// delegation (0xef0100 ‖ target: its hash covers the target, so a re-delegation before the
    /// upgrade changes the id; but once the proxy runs it, its key can re-delegate it to other code
    /// at any time, unannounced).
    function _checkCode(address implementation) private view {
        if (implementation.code.length == 0) revert NotAContract(implementation);
        if (AccountCode.isDelegated(implementation)) revert DelegatedAccount(implementation);
    }

    /// @inheritdoc IUpgradeAuthority
    function propose(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        restricted
        returns (bytes32 id, uint48 eta)
    {
        // First, before anything reads it: code created in this transaction could still destroy
        // itself and come back as other code at the same address (EIP-6780, CREATE2).
        if (AccountCode.isWarm(implementation)) revert ImplementationNotSettled(implementation);
        _checkCode(implementation);
        if (address(proxy).code.length == 0) revert NotAContract(address(proxy));
        address admin = adminOf(proxy);
        // A proxy that is not a GovernedProxy of ours has no ProxyAdmin there (no code, or no
        // `owner`: reported as owned by nobody) or one owned by someone else.
        address owner;
        if (admin.code.length != 0) {
            try ProxyAdmin(admin).owner() returns (address o) {
                owner = o;
            } catch {}
        }
        if (owner != address(this)) revert NotAdministered(address(proxy), admin, owner);
        bytes32 codehash = implementation.codehash;
        if (_vetoed[keccak256(abi.encode(address(proxy), codehash))]) revert UpgradeVetoed(address(proxy), codehash);
        id = upgradeId(proxy, implementation, data);
        Proposal memory p = _proposals[id];
        // A pending one whose window closed may be proposed again, with a full notice.
        if (p.status == Status.Pending && block.timestamp <= uint256(p.eta) + GRACE) {
            revert UpgradeAlreadyPending(id, p.eta);
        }
        eta = uint48(block.timestamp + NOTICE);
        _proposals[id] = Proposal(address(proxy), Status.Pending, eta, codehash);
        emit UpgradeProposed(id, address(proxy), implementation, admin, codehash, data, eta);
    }

    /// @inheritdoc IUpgradeAuthority
    function upgrade(ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        restricted
    {
        // The id holds the implementation's code hash as it stands: other code there is no proposal.
        bytes32 id = upgradeId(proxy, implementation, data);
        Proposal memory p = _proposals[id];
        if (p.status != Status.Pending) revert UpgradeNotPending(id, p.status);
        // A veto of the same code for this proxy, by way of a sibling proposal, bars this one too
        // (said first: it is final, whatever the clock).
        if (_vetoed[keccak256(abi.encode(address(proxy), p.codehash))]) {
            revert UpgradeVetoed(address(proxy), p.codehash);
        }
        if (block.timestamp < p.eta) revert UpgradeNotReady(id, p.eta);
        if (block.timestamp > uint256(p.eta) + GRACE) revert UpgradeExpired(id, p.eta + GRACE);
        _checkCode(implementation);
        _proposals[id].status = Status.Done;
        // Reverts OwnableUnauthorizedAccount unless this authority still owns the admin.
        ProxyAdmin(adminOf(proxy)).upgradeAndCall(proxy, implementation, data);
        emit ProxyUpgraded(id, address(proxy), implementation, data);
    }

    /// @inheritdoc IUpgradeAuthority
    function veto(bytes32 id) external {
        // The current authority's GUARDIAN members: the roles are wherever ADMIN points this
        // contract (ADMIN, which can re-point it, can as well revoke the guardian).
        (bool guardian,) = IAccessManager(authority()).hasRole(Roles.GUARDIAN, msg.sender);
        if (!guardian) revert NotGuardian(msg.sender);
        Proposal storage p = _proposals[id];
        if (p.status != Status.Pending) revert UpgradeNotPending(id, p.status);
        // A proposal whose window closed can no longer run: vetoing it would only bar its code for
        // the proxy (a stale sibling of code proposed since); propose again to veto.
        if (block.timestamp > uint256(p.eta) + GRACE) revert UpgradeExpired(id, p.eta + GRACE);
        p.status = Status.Vetoed;
        _vetoed[keccak256(abi.encode(p.proxy, p.codehash))] = true;
        emit UpgradeVetoedBy(id, p.proxy, p.codehash, msg.sender);
    }
}
