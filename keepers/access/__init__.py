"""Access domain (contracts/access): the role vocabulary (`roles`), who may call which protocol
function (`protocol`), its deploy steps (`deploy`: the authority, role grants, wiring, acting under
a role), contracts behind a governed proxy and their upgrades (`upgrades`), the governance watch
over AccessManager events (`operations`) and its silverback keeper (`bot`).

Other domains, the CLI and the demo import these names from `keepers.access` only."""

from keepers.access.deploy import (
    DEFAULT_UPGRADE_DELAY,
    MIN_UPGRADE_DELAY,
    UPGRADE_AUTHORITY,
    as_role,
    deploy_access,
    grant_calls,
    hand_over_admin,
    hold_calls,
    is_admin,
    renounce_temporary_roles,
    send_to_manager,
    wire,
)
from keepers.access.operations import (
    OPERATION_EVENTS,
    UPGRADE_EVENTS,
    WATCHED_EVENTS,
    PendingOperation,
    PendingUpgrade,
    StoredEvent,
    event_row,
    guard_operations,
    pending_operations,
    pending_upgrades,
    role_holders,
)
from keepers.access.protocol import wiring
from keepers.access.roles import ROLE_IDS, ROLE_NAMES
from keepers.access.store import governance_events
from keepers.access.upgrade_plan import (
    UpgradeRefused,
    address_arguments,
    check_build_code,
    check_build_current,
    check_layout,
)
from keepers.access.upgrades import (
    BEACON_SLOT,
    IMPLEMENTATION_SLOT,
    admin_of,
    deploy_governed,
    deploy_managed,
    forwarding,
    implementation_of,
    refuse_unproxied_record,
    upgrade_arguments,
)

__all__ = [
    "DEFAULT_UPGRADE_DELAY",
    "MIN_UPGRADE_DELAY",
    "UPGRADE_AUTHORITY",
    "as_role",
    "deploy_access",
    "grant_calls",
    "hand_over_admin",
    "hold_calls",
    "is_admin",
    "renounce_temporary_roles",
    "send_to_manager",
    "wire",
    "OPERATION_EVENTS",
    "UPGRADE_EVENTS",
    "ROLE_IDS",
    "ROLE_NAMES",
    "WATCHED_EVENTS",
    "PendingOperation",
    "PendingUpgrade",
    "StoredEvent",
    "event_row",
    "guard_operations",
    "pending_operations",
    "pending_upgrades",
    "role_holders",
    "wiring",
    "governance_events",
    "UpgradeRefused",
    "address_arguments",
    "check_build_current",
    "check_build_code",
    "check_layout",
    "BEACON_SLOT",
    "IMPLEMENTATION_SLOT",
    "admin_of",
    "deploy_governed",
    "deploy_managed",
    "refuse_unproxied_record",
    "forwarding",
    "implementation_of",
    "upgrade_arguments",
]
