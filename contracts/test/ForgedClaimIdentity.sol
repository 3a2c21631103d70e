// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title ForgedClaimIdentity
/// @notice Test-only: an identity contract that answers `getClaim` with whatever it was told, to
/// reproduce ERC-3643 issue #101 (an identity naming an issuer of its own choosing).
contract ForgedClaimIdentity {
    uint256 private _topic;
    address private _issuer;
    bytes private _signature;
    bytes private _data;

    function setAnswer(uint256 topic, address issuer, bytes calldata signature, bytes calldata data) external {
        (_topic, _issuer, _signature, _data) = (topic, issuer, signature, data);
    }

    function getClaim(bytes32)
        external
        view
        returns (
            uint256 topic,
            uint256 scheme,
            address issuer,
            bytes memory signature,
            bytes memory data,
            string memory uri
        )
    {
        return (_topic, 1, _issuer, _signature, _data, "");
    }
}
