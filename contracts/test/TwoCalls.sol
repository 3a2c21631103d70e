// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @notice Red-team helper (atk-prime2): two calls to one target in one transaction; the second's
/// revert data bubbles up.
contract TwoCalls {
    function both(address target, bytes calldata first, bytes calldata second) external {
        (bool ok, bytes memory data) = target.call(first);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(data, 32), mload(data))
            }
        }
        (ok, data) = target.call(second);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(data, 32), mload(data))
            }
        }
    }
}
