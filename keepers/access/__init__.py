"""Access domain (contracts/access): the role vocabulary (`roles`), who may call which protocol
function (`protocol`), a wired AccessManager for benchmarks (`manager`), the governance watch over
AccessManager events (`operations`) and its silverback keeper (`bot`).

Other domains, the CLI and the demo import these names from `keepers.access` only."""

from keepers.access.manager import wired_manager
from keepers.access.operations import (
    OPERATION_EVENTS,
    WATCHED_EVENTS,
    PendingOperation,
    StoredEvent,
    event_row,
    pending_operations,
    role_holders,
)
from keepers.access.protocol import wiring
from keepers.access.roles import ROLE_IDS, ROLE_NAMES

__all__ = [
    "OPERATION_EVENTS",
    "ROLE_IDS",
    "ROLE_NAMES",
    "WATCHED_EVENTS",
    "PendingOperation",
    "StoredEvent",
    "event_row",
    "pending_operations",
    "role_holders",
    "wired_manager",
    "wiring",
]
