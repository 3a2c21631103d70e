// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title TypedDataLib
/// @notice EIP-712 helpers that OpenZeppelin's `EIP712` leaves to the caller: `encodeData` of
/// dynamic arrays, and one signature check shared by every domain (rebalance intents, RFQ quotes,
/// compliance claims).
/// @dev EIP-712 encodes an array as keccak256 of the concatenated 32-byte encodings of its
/// elements; for value types that is exactly `abi.encodePacked(array)`, which pads array elements
/// to 32 bytes. The domain separator (chain id + verifying contract) comes from OZ `EIP712`, which
/// also rebuilds it after a chain split, so a signature never verifies on another chain or
/// contract.
library TypedDataLib {
    /// @notice A signature did not come from the expected signer (or is malleable / malformed).
    error InvalidSigner(address expectedSigner, bytes32 digest);

    function hashAddressArray(address[] memory values) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(values));
    }

    function hashUint256Array(uint256[] memory values) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(values));
    }

    function hashInt256Array(int256[] memory values) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(values));
    }

    function hashBytes32Array(bytes32[] memory values) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(values));
    }

    /// @notice Reverts unless `signature` over `digest` is valid for `signer`: an ECDSA signature
    /// by its key (high-s and malformed signatures rejected by OZ `ECDSA`), or else, for a
    /// contract signer (institutional multisigs), an ERC-1271 answer.
    /// @dev ECDSA is tried first, so an EOA costs no code-size lookup of the signer (a cold
    /// EXTCODESIZE, 2,600 gas, which OZ `SignatureChecker` pays first); a contract signer pays one
    /// `ecrecover` (3,000) before its ERC-1271 call. No contract address is an ECDSA key's address
    /// unless the key controls it (an EIP-7702 account), so the order accepts nothing more.
    /// Warning: does not check nonces or deadlines; the struct hashed into `digest` must bind
    /// them and the caller must consume the nonce.
    function requireValidSignature(address signer, bytes32 digest, bytes memory signature) internal view {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == signer) return;
        if (signer.code.length == 0 || !SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature)) {
            revert InvalidSigner(signer, digest);
        }
    }

    /// @notice Recovers the EOA that signed `digest`, reverting (OZ `ECDSA` errors) on malleable or
    /// malformed signatures instead of returning address(0).
    function recoverStrict(bytes32 digest, bytes memory signature) internal pure returns (address) {
        return ECDSA.recover(digest, signature);
    }
}
