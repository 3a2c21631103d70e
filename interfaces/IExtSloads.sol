// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title IExtSloads
/// @notice Raw storage reads for a contract's read-only periphery (Morpho Blue's `extSloads`): the
/// periphery computes slots from the contract's layout library and decodes the words, so the core
/// carries no view its own hot path does not need.
interface IExtSloads {
    /// @notice The storage words at `slots`, in order.
    /// @dev Not checked: anything. Any slot may be read (storage is public on chain anyway); the
    /// result is only as meaningful as the layout the caller assumes. Unbounded: the caller chooses
    /// the cost of its own view.
    function extSloads(bytes32[] calldata slots) external view returns (bytes32[] memory);
}
