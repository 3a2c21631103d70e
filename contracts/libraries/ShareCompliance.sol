// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";

/// @title ShareCompliance
/// @notice How a contract whose shares are securities (the PortfolioVault, a LendingPool) binds its
/// share ComplianceEngine and records every share movement with it, as a SecurityToken does.
library ShareCompliance {
    /// @notice Binds `engine` to the calling contract unless it is bound to it. An engine built for
    /// another token refuses (`OnlyBoundToken`): it serves that one only.
    function bind(address engine) internal {
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
