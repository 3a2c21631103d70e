"""The token agents' capability flags in Python (keepers.compliance.AgentCapability) are the
Solidity library's (contracts/token/AgentCapabilities.sol), read from its source: one definition
kept in step, never a third copy of literals."""

import re
from pathlib import Path

from keepers.compliance import AgentCapability

SOURCE = Path(__file__).resolve().parents[3] / "contracts/token/AgentCapabilities.sol"


def test_agent_capabilities__python_flags_are_the_solidity_librarys():
    text = SOURCE.read_text()
    found = dict(re.findall(r"uint8 internal constant (\w+) = ([^;]+);", text))
    assert found, "no constants read"
    values = {
        name: (0xFF if value.strip() == "type(uint8).max" else eval(value, {}))  # noqa: S307 - `1 << n` literals
        for name, value in found.items()
    }
    assert values == {name: int(flag) for name, flag in AgentCapability.__members__.items()}
