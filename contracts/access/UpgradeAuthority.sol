// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {ITransparentUpgradeableProxy} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";
import {IUpgradeAuthority} from "../../interfaces/IUpgradeAuthority.sol";

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

    /// One word: the proxy the upgrade moves, where it stands, when it may run.
    struct Proposal {
        address proxy;
        Status status;
        uint48 eta;
    }

    mapping(bytes32 id => Proposal) private _proposals;

    constructor(address authority, uint32 notice) AccessManaged(authority) {
        if (notice < MIN_NOTICE) revert NoticeTooShort(notice, MIN_NOTICE);
        NOTICE = notice;
    }

    /// @inheritdoc IUpgradeAuthority
    function upgradeId(
        ProxyAdmin admin,
        ITransparentUpgradeableProxy proxy,
        address implementation,
        bytes calldata data
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(admin, proxy, implementation, data));
    }

    /// @inheritdoc IUpgradeAuthority
    function proposal(bytes32 id) external view returns (Status status, uint48 eta) {
        Proposal memory p = _proposals[id];
        return (p.status, p.eta);
    }

    /// @inheritdoc IUpgradeAuthority
    function propose(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        restricted
        returns (bytes32 id, uint48 eta)
    {
        if (implementation.code.length == 0) revert NotAContract(implementation);
        id = upgradeId(admin, proxy, implementation, data);
        Proposal memory p = _proposals[id];
        if (p.status == Status.Vetoed) revert UpgradeVetoed(id);
        // A pending one whose window closed may be proposed again, with a full notice.
        if (p.status == Status.Pending && block.timestamp <= uint256(p.eta) + GRACE) {
            revert UpgradeAlreadyPending(id, p.eta);
        }
        eta = uint48(block.timestamp + NOTICE);
        _proposals[id] = Proposal(address(proxy), Status.Pending, eta);
        emit UpgradeProposed(id, address(proxy), implementation, address(admin), data, eta);
    }

    /// @inheritdoc IUpgradeAuthority
    function upgrade(ProxyAdmin admin, ITransparentUpgradeableProxy proxy, address implementation, bytes calldata data)
        external
        restricted
    {
        bytes32 id = upgradeId(admin, proxy, implementation, data);
        Proposal memory p = _proposals[id];
        if (p.status != Status.Pending) revert UpgradeNotPending(id, p.status);
        if (block.timestamp < p.eta) revert UpgradeNotReady(id, p.eta);
        if (block.timestamp > uint256(p.eta) + GRACE) revert UpgradeExpired(id, p.eta + GRACE);
        if (implementation.code.length == 0) revert NotAContract(implementation);
        _proposals[id].status = Status.Done;
        // Reverts OwnableUnauthorizedAccount unless this authority owns `admin`, and the proxy
        // reverts unless `admin` is its admin (any other caller's call reaches the implementation).
        admin.upgradeAndCall(proxy, implementation, data);
        emit ProxyUpgraded(id, address(proxy), implementation, data);
    }

    /// @inheritdoc IUpgradeAuthority
    function veto(bytes32 id) external restricted {
        Proposal storage p = _proposals[id];
        if (p.status != Status.Pending) revert UpgradeNotPending(id, p.status);
        p.status = Status.Vetoed;
        emit UpgradeVetoedBy(id, p.proxy);
    }
}
