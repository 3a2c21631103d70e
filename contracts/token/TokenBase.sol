// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {ISecurityToken} from "../../interfaces/ISecurityToken.sol";
import {AccountWord} from "../types/TokenWords.sol";
import {TokenLayout} from "./TokenLayout.sol";

/// @title TokenBase
/// @notice The internal checks and account-word reads and writes over a SecurityToken's state
/// (`TokenLayout`), shared by the token and its admin module (`TokenAdmin`), which both inherit
/// it: defined once, compiled into each only where used. No external function, no state.
abstract contract TokenBase is TokenLayout {
    /// @dev The caller holds `capability` on this token (AgentCapabilities), else
    /// `MissingCapability`.
    function _requireCapability(uint8 capability) internal view {
        if (_capabilities[msg.sender] & capability == 0) {
            revert ISecurityToken.MissingCapability(msg.sender, capability);
        }
    }

    /// @dev A batch's lists have one length, at most `BATCH_CAP`.
    function _checkBatch(uint256 expected, uint256 actual) internal pure {
        if (expected != actual) revert ISecurityToken.LengthMismatch(expected, actual);
        if (expected > BATCH_CAP) revert ISecurityToken.BatchTooLarge(expected, BATCH_CAP);
    }

    function _requireCompliance() internal view returns (IComplianceEngine engine) {
        engine = _core.compliance();
        if (address(engine) == address(0)) revert ISecurityToken.ComplianceNotSet();
    }

    /// @dev The slot of `wallet`'s account (`_accounts[wallet]`), hashed once per use.
    function _accountSlot(address wallet) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, wallet)
            mstore(0x20, _accounts.slot)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _loadAccount(uint256 slot) internal view returns (AccountWord account) {
        assembly ("memory-safe") {
            account := sload(slot)
        }
    }

    function _storeAccount(uint256 slot, AccountWord account) internal {
        assembly ("memory-safe") {
            sstore(slot, account)
        }
    }
}
