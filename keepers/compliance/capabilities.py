"""Security-token agents' capability flags, as contracts/token/AgentCapabilities.sol defines them
(each granted or withheld alone; `agentCapabilities(agent)` reads an agent's)."""

from __future__ import annotations

from enum import IntFlag


class AgentCapability(IntFlag):
    MINT = 1 << 0
    BURN = 1 << 1
    FREEZE = 1 << 2
    UNFREEZE = 1 << 3
    FORCE_TRANSFER = 1 << 4
    RECOVERY = 1 << 5
    PAUSE = 1 << 6
    UNPAUSE = 1 << 7
    ALL = 0xFF
