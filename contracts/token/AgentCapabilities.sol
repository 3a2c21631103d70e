// SPDX-License-Identifier: BUSL-1.1
pragma solidity ^0.8.24;

/// @title AgentCapabilities
/// @notice Capability flags of security-token agents; each can be granted or withheld alone.
library AgentCapabilities {
    uint8 internal constant MINT = 1 << 0;
    uint8 internal constant BURN = 1 << 1;
    uint8 internal constant FREEZE = 1 << 2;
    uint8 internal constant UNFREEZE = 1 << 3;
    uint8 internal constant FORCE_TRANSFER = 1 << 4;
    uint8 internal constant RECOVERY = 1 << 5;
    uint8 internal constant PAUSE = 1 << 6;
    uint8 internal constant UNPAUSE = 1 << 7;
    uint8 internal constant ALL = type(uint8).max;
}
