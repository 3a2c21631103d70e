// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IERC3643IdentityRegistry
/// @notice The ERC-3643 (T-REX 4.x) `IIdentityRegistry` surface, signature for signature, so
/// clients written against the standard work unchanged. `IIdentity`, `IIdentityRegistryStorage`,
/// `ITrustedIssuersRegistry` and `IClaimTopicsRegistry` parameters are ABI-encoded as `address`.
interface IERC3643IdentityRegistry {
    event ClaimTopicsRegistrySet(address indexed claimTopicsRegistry);
    event IdentityStorageSet(address indexed identityStorage);
    event TrustedIssuersRegistrySet(address indexed trustedIssuersRegistry);
    event IdentityRegistered(address indexed investorAddress, address indexed identity);
    event IdentityRemoved(address indexed investorAddress, address indexed identity);
    event IdentityUpdated(address indexed oldIdentity, address indexed newIdentity);
    event CountryUpdated(address indexed investorAddress, uint16 indexed country);

    function registerIdentity(address userAddress, address identity, uint16 country) external;
    function deleteIdentity(address userAddress) external;
    function setIdentityRegistryStorage(address identityRegistryStorage) external;
    function setClaimTopicsRegistry(address claimTopicsRegistry) external;
    function setTrustedIssuersRegistry(address trustedIssuersRegistry) external;
    function updateCountry(address userAddress, uint16 country) external;
    function updateIdentity(address userAddress, address identity) external;
    function batchRegisterIdentity(
        address[] calldata userAddresses,
        address[] calldata identities,
        uint16[] calldata countries
    ) external;
    function contains(address userAddress) external view returns (bool);
    function isVerified(address userAddress) external view returns (bool);
    function identity(address userAddress) external view returns (address);
    function investorCountry(address userAddress) external view returns (uint16);
    function identityStorage() external view returns (address);
    function issuersRegistry() external view returns (address);
    function topicsRegistry() external view returns (address);
}
