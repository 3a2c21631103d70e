// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IERC735ClaimView
/// @notice The part of an ONCHAINID identity (ERC-734/735, `@onchain-id/solidity` 2.x) that the
/// identity registry reads. Same signatures as `IERC735`.
interface IERC735ClaimView {
    /// @notice The claim stored under `claimId = keccak256(abi.encode(issuer, topic))`.
    function getClaim(bytes32 claimId)
        external
        view
        returns (
            uint256 topic,
            uint256 scheme,
            address issuer,
            bytes memory signature,
            bytes memory data,
            string memory uri
        );
}

/// @title IClaimIssuerView
/// @notice The part of an ONCHAINID `ClaimIssuer` that the identity registry calls. Same signature
/// as `IClaimIssuer.isClaimValid`: true when `sig` is a signature by one of the issuer's claim keys
/// over `keccak256(abi.encode(identity, topic, data))` and the claim is not revoked.
interface IClaimIssuerView {
    function isClaimValid(address identity, uint256 claimTopic, bytes calldata sig, bytes calldata data)
        external
        view
        returns (bool);
}
