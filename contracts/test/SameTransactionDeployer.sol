// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title SameTransactionDeployer
/// @notice Test only: creates contracts and uses them in the same transaction, as an attacker
/// preparing a contract that can still destroy itself (EIP-6780) and come back as other code.
/// Reverts bubble up as they were; the errors they may carry are declared here for decoding.
contract SameTransactionDeployer {
    error ModuleNotSettled(address module);
    error ImplementationNotSettled(address implementation);
    error ModuleMismatch(address module, bytes32 expected);

    /// Creates `first`, then `second` (whose constructor may name `first`'s address, CREATE's for
    /// this contract's nonce 1 on its first call).
    function deployTwo(bytes memory first, bytes memory second) external returns (address a, address b) {
        a = _create(first);
        b = _create(second);
    }

    /// Creates `init`, then proposes it to `authority` as `proxy`'s next implementation (this
    /// contract must hold the UPGRADER role).
    function deployAndPropose(address authority, bytes memory init, address proxy) external returns (address a) {
        a = _create(init);
        (bool ok, bytes memory answer) =
            authority.call(abi.encodeWithSignature("propose(address,address,bytes)", proxy, a, ""));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(answer, 0x20), mload(answer))
            }
        }
    }

    function _create(bytes memory init) private returns (address created) {
        assembly ("memory-safe") {
            created := create(0, add(init, 0x20), mload(init))
            if iszero(created) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
        }
    }
}
