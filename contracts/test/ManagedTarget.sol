// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";

/// @title ManagedTarget
/// @notice Test-only: the smallest AccessManaged contract, standing in for a protocol contract
/// whose parameter setter the deploy script would give to the GOVERNOR role.
contract ManagedTarget is AccessManaged {
    uint256 public parameter;

    event ParameterSet(uint256 previous, uint256 next);

    constructor(address authority) AccessManaged(authority) {}

    function setParameter(uint256 next) external restricted {
        emit ParameterSet(parameter, next);
        parameter = next;
    }
}
