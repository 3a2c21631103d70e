// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";

/// @title ShareCompliance
/// @notice How a contract whose shares are securities (the PortfolioVault, a LendingPool) binds its
/// share ComplianceEngine and records every share movement with it, as a SecurityToken does.
/// @dev Freezes (ISecurityToken, SEC-68): these shares have no token agents, so no token freeze; the
/// identity registry's sanctions freeze is their freeze. The engine refuses a frozen recipient or
/// sender of a mint or transfer (a frozen investor is never verified); the vault refuses a frozen
/// sender of a burn (the engine only records it) and a frozen caller or payee of a redemption.
library ShareCompliance {
    /// @notice The engine judges with another identity registry than the vault's own (whose
    /// sanctions freezes the vault reads).
    error ShareRegistryMismatch(address engineRegistry, address registry);

    /// @notice Binds `engine` to the calling contract unless it is bound to it. An engine built for
    /// another token refuses (`OnlyBoundToken`): it serves that one only. An engine judging with
    /// another registry than `registry`, the one the vault reads freezes and verification from,
    /// is refused (`ShareRegistryMismatch`, SEC-69): the vault and its engine read one registry.
    function bind(address engine, address registry) internal {
        address engineRegistry = IComplianceEngine(engine).identityRegistry();
        if (engineRegistry != registry) revert ShareRegistryMismatch(engineRegistry, registry);
        if (IComplianceEngine(engine).getTokenBound() != address(this)) {
            IComplianceEngine(engine).bindToken(address(this));
        }
    }

    /// @notice Records a movement of `value` shares from `from` to `to` (zero: a mint or a burn)
    /// with `engine`, after the share ledger moved (its checks read the identity ledger before it);
    /// a refusal reverts `TransferNotCompliant` with the reason code. A burn is only recorded.
    function record(address engine, address from, address to, uint256 value) internal {
        if (from == address(0)) IComplianceEngine(engine).checkAndRecordMint(to, value);
        else if (to == address(0)) IComplianceEngine(engine).destroyed(from, value);
        else IComplianceEngine(engine).checkAndRecordTransfer(from, to, value);
    }
}
