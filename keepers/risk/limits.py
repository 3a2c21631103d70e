"""Names of the RiskEngine's `RiskLimit` enum (interfaces/IRiskEngine.sol), in its order: what a
check found broken, and why `sync` or the guardian halted a portfolio. Read from the source (no
copy kept here)."""

from keepers.core.solidity_enums import solidity_enums

RISK_LIMIT_NAMES: tuple[str, ...] = solidity_enums()["RiskLimit"]
