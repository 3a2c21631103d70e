// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {IBondServicer} from "../../interfaces/IBondServicer.sol";
import {IComplianceEngine} from "../../interfaces/IComplianceEngine.sol";
import {IIdentityRegistry} from "../../interfaces/IIdentityRegistry.sol";
import {BalanceChange} from "../../interfaces/ISecurityToken.sol";
import {SecurityToken} from "../token/SecurityToken.sol";

/// @title BondShareToken
/// @notice A fixed-coupon note's or a bill's share token: a SecurityToken (18 decimals) whose every
/// balance change first calls its BondServicer (coupons settled per holder, balances fixed from a
/// record date until its coupon is recorded and for good once redemption starts, but for an
/// agent's forced transfer or recovery, which carry what the holding is owed: SEC-125).
/// @dev The servicer is fixed at construction; it was deployed first, bound to this token's address
/// (its constructor's `token_`: the deployer's next deployment, keepers/lifecycle/deploy.py), and
/// this constructor checks it (`ServicerOfAnotherToken`).
contract BondShareToken is SecurityToken {
    /// @notice `servicer` serves `boundToken`, not this token.
    error ServicerOfAnotherToken(address servicer, address boundToken);

    /// @notice The servicer this token calls first in every balance change.
    IBondServicer public immutable servicer;

    constructor(
        address authority,
        string memory name_,
        string memory symbol_,
        uint8 decimals_,
        IIdentityRegistry registry_,
        IComplianceEngine compliance_,
        address onchainID_,
        address adminModule_,
        IBondServicer servicer_
    ) SecurityToken(authority, name_, symbol_, decimals_, registry_, compliance_, onchainID_, adminModule_) {
        // The servicer's coupon and redemption indices are per 10**18 base units.
        if (decimals_ != 18 || address(servicer_) == address(0)) revert ZeroAddress();
        address bound = address(servicer_.token());
        if (bound != address(this)) revert ServicerOfAnotherToken(address(servicer_), bound);
        servicer = servicer_;
    }

    /// @dev `servicer.beforeBalanceChange(kind, from, to, amount)`, reverting with its revert data
    /// (a low-level call: SecurityToken calls the hook from every balance-changing function).
    function _beforeBalanceChange(BalanceChange kind, address from, address to, uint256 amount) internal override {
        address target = address(servicer);
        bytes4 selector = IBondServicer.beforeBalanceChange.selector;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, selector)
            mstore(add(p, 0x04), kind)
            mstore(add(p, 0x24), from)
            mstore(add(p, 0x44), to)
            mstore(add(p, 0x64), amount)
            if iszero(call(gas(), target, 0, p, 0x84, 0x00, 0x00)) {
                returndatacopy(0x00, 0x00, returndatasize())
                revert(0x00, returndatasize())
            }
        }
    }
}
