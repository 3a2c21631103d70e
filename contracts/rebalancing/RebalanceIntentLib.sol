// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {TypedDataLib} from "../libraries/TypedDataLib.sol";
import {RebalanceIntent} from "../../interfaces/IAutoRebalancer.sol";

/// @title RebalanceIntentLib
/// @notice EIP-712 struct hash of a RebalanceIntent and the M-of-N signer check. The digest's
/// domain (chain id, verifying contract) comes from the verifying contract's OZ `EIP712`, so an
/// intent never verifies on another chain or contract; signatures go through
/// `TypedDataLib.requireValidSignature` (no malleable ECDSA, ERC-1271 for contract signers).
/// Mirrored by `keepers/rebalancing/intent.py`.
/// @dev Not checked here: nonce, deadline, bounds — the rebalancer does those with its state.
library RebalanceIntentLib {
    bytes32 internal constant INTENT_TYPEHASH = keccak256(
        "RebalanceIntent(address portfolio,uint256 strategyId,uint16[] targetWeightsBps,uint16 maxSlippageBps,uint256 nonce,uint64 deadline,bytes32 modelVersion,bytes32 signalHash)"
    );
    /// @dev Bound on signatures per intent (M of N with N <= this).
    uint256 internal constant MAX_SIGNERS = 16;

    error SignersNotAscending(address previous, address signer);
    error SignerNotAuthorised(address signer);
    error QuorumNotMet(uint256 signatures, uint256 threshold);
    error SignatureCountMismatch(uint256 signers, uint256 signatures);
    error TooManySignatures(uint256 count, uint256 max);

    /// @dev Read from calldata: the intent is never copied to memory (only its targets, to hash).
    function structHash(RebalanceIntent calldata intent) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                INTENT_TYPEHASH,
                intent.portfolio,
                intent.strategyId,
                // EIP-712 encodes each uint16 element as one 32-byte word: encodePacked pads array elements.
                keccak256(abi.encodePacked(intent.targetWeightsBps)),
                intent.maxSlippageBps,
                intent.nonce,
                intent.deadline,
                intent.modelVersion,
                intent.signalHash
            )
        );
    }

    /// @notice Reverts unless at least `threshold` distinct authorised signers signed `digest`.
    /// Signers must be listed in strictly ascending address order (which makes duplicates impossible).
    function requireQuorum(
        bytes32 digest,
        address[] calldata signers,
        bytes[] calldata signatures,
        mapping(address => bool) storage authorised,
        uint256 threshold
    ) internal view {
        if (signers.length != signatures.length) {
            revert SignatureCountMismatch(signers.length, signatures.length);
        }
        if (signers.length > MAX_SIGNERS) revert TooManySignatures(signers.length, MAX_SIGNERS);
        if (signers.length < threshold || threshold == 0) revert QuorumNotMet(signers.length, threshold);
        address previous;
        for (uint256 i; i < signers.length; ++i) {
            address signer = signers[i];
            if (signer <= previous) revert SignersNotAscending(previous, signer);
            if (!authorised[signer]) revert SignerNotAuthorised(signer);
            TypedDataLib.requireValidSignature(signer, digest, signatures[i]);
            previous = signer;
        }
    }
}
