"""Access domain deploy steps: the authority every other contract is AccessManaged by, its role
holders, the wiring of each contract's restricted functions (keepers/access/protocol.py), and
acting under a role for the duration of a deployment.

Every call to the AccessManager is chosen by reading the chain first, so a rerun sends only what is
still missing, and several are sent as one atomic `multicall`.
"""

from __future__ import annotations

from typing import Any

from keepers.access.protocol import wiring
from keepers.access.roles import ROLE_IDS
from keepers.core.deploying import Deployment, Step
from keepers.core.deployments import DeploymentError

MANAGER = "QuanteraAccessManager"
UPGRADE_AUTHORITY = "UpgradeAuthority"
ADMIN_ROLE = ROLE_IDS["ADMIN"]
#: The UpgradeAuthority's notice unless the deployment names one: a week, long enough for a
#: holder to leave (sell, redeem at the next dealing date) before an upgrade can run.
DEFAULT_UPGRADE_DELAY = 7 * 86_400
#: The floor of any notice: the authority's MIN_NOTICE (its constructor refuses less; the deploy
#: script's pre-flight says so before a transaction; a test reads the contract's).
MIN_UPGRADE_DELAY = 2 * 86_400

# An AccessManager call: (what it does, method name, arguments).
ManagerCall = tuple[str, str, tuple]


def manager_of(d: Deployment) -> Any:
    return d.at(MANAGER)


def deploy_access(
    d: Deployment,
    roles: dict[str, Any],
    governor_delay: int = 0,
    upgrade_delay: int = DEFAULT_UPGRADE_DELAY,
) -> Any:
    """The authority and the UpgradeAuthority (owner of every GovernedProxy's admin; an upgrade
    runs `upgrade_delay` after it is proposed, a notice fixed at its construction), with each role
    of `roles` (name -> holder; None skipped) granted: GOVERNOR with `governor_delay` (every call
    of theirs is then scheduled first, and the guardian may cancel it), the others at once. A
    rerun asking for another notice than the deployed authority's stops before any transaction:
    the notice of a deployment never changes (a new authority would own none of its proxies)."""
    manager = d.deploy_contract(MANAGER, MANAGER, d.sender.address)
    # A recorded authority (or one an interrupted run sent) is found, not deployed: its notice is
    # what the first run asked for, checked before anything else is sent.
    authority = d.deploy_contract(
        UPGRADE_AUTHORITY, UPGRADE_AUTHORITY, manager.address, upgrade_delay
    )
    notice = int(authority.NOTICE())
    if notice != upgrade_delay:
        raise DeploymentError(
            f"the deployment's upgrade notice is {notice}s (UpgradeAuthority "
            f"{authority.address}); --upgrade-delay {upgrade_delay} cannot change it"
        )
    if not is_admin(d, "role wiring"):
        return manager
    delays = {"GOVERNOR": governor_delay}
    grants = [
        call
        for role, holder in roles.items()
        if holder
        for call in grant_calls(d, role, _address(holder), delays.get(role, 0))
    ]
    wiring = wiring_calls(d, [(authority, UPGRADE_AUTHORITY)])
    # The guards go with the authority's wiring, in its one atomic transaction: AccessManager
    # reports a new delay only once its setback has passed, so a rerun cannot tell a guard set
    # minutes ago from none, but it can tell the authority wired.
    guards = upgrade_guard_calls(d, upgrade_delay) if wiring else []
    send_to_manager(d, wiring + grants + guards)
    return manager


def upgrade_guard_calls(d: Deployment, upgrade_delay: int) -> list[ManagerCall]:
    """What keeps ADMIN from quietly changing who proposes, runs or vetoes upgrades (UPG-5; the
    notice itself is the authority's, immutable): a new UPGRADER member counts only
    `upgrade_delay` after its grant (`setGrantDelay`), and re-wiring, closing or moving the
    UpgradeAuthority waits as long (`setTargetAdminDelay`). Sent after the grants and the wiring
    (AccessManager applies a new delay after its `minSetback`, five days, and until then reports
    the old one)."""
    manager, authority = manager_of(d), d.at(UPGRADE_AUTHORITY)
    calls: list[ManagerCall] = []
    if manager.getRoleGrantDelay(ROLE_IDS["UPGRADER"]) != upgrade_delay:
        calls.append(
            (
                f"grants of UPGRADER take effect after {upgrade_delay}s",
                "setGrantDelay",
                (ROLE_IDS["UPGRADER"], upgrade_delay),
            )
        )
    if manager.getTargetAdminDelay(authority.address) != upgrade_delay:
        calls.append(
            (
                f"admin changes to the UpgradeAuthority wait {upgrade_delay}s",
                "setTargetAdminDelay",
                (authority.address, upgrade_delay),
            )
        )
    return calls


def is_admin(d: Deployment, left_to_governance: str) -> bool:
    """Whether the sender still holds ADMIN (wiring needs it); if not, says what is left."""
    if manager_of(d).hasRole(ADMIN_ROLE, d.sender.address)[0]:
        return True
    d.echo(f"  = deployer is not admin: {left_to_governance} left to governance")
    return False


def send_to_manager(d: Deployment, calls: list[ManagerCall]) -> None:
    """Sends AccessManager calls as one transaction: the call itself when there is one, else
    through the `multicall` AccessManager inherits (atomic: all of them or none)."""
    if not calls:
        return
    manager = manager_of(d)
    d.confirm("; ".join(description for description, _, _ in calls).capitalize())
    if len(calls) == 1:
        ((_, method, args),) = calls
        getattr(manager, method)(*args, sender=d.sender)
    else:
        manager.multicall(
            [getattr(manager, method).encode_input(*args) for _, method, args in calls],
            sender=d.sender,
        )
    for description, _, _ in calls:
        d.echo(f"  + {description}")


def grant_calls(d: Deployment, role: str, account: str, delay: int = 0) -> list[ManagerCall]:
    """The grant of `role` to `account`, unless it holds it."""
    if manager_of(d).hasRole(ROLE_IDS[role], account)[0]:
        d.echo(f"  = {role} already held by {account}")
        return []
    return [
        (
            f"grant {role} to {account} (execution delay {delay}s)",
            "grantRole",
            (ROLE_IDS[role], account, delay),
        )
    ]


def wiring_calls(d: Deployment, contracts: list[tuple[Any, str]]) -> list[ManagerCall]:
    """Maps each (contract, name)'s restricted functions to their roles, skipping what is set."""
    manager, calls = manager_of(d), []
    for contract, name in contracts:
        for role_id, sels in wiring(name, contract.contract_type):
            todo = [sel for sel in sels if manager.getTargetFunctionRole(contract, sel) != role_id]
            if todo:
                calls.append(
                    (
                        f"{name}: {len(todo)} functions -> role {role_id}",
                        "setTargetFunctionRole",
                        (contract.address, todo, role_id),
                    )
                )
    return calls


def wire(
    d: Deployment, contracts: list[tuple[Any, str]], grants: list[ManagerCall] | None = None
) -> None:
    """Wires `contracts` (and sends `grants`) in one transaction."""
    send_to_manager(d, wiring_calls(d, contracts) + (grants or []))


def hold_calls(d: Deployment, role: str, needed: bool = True) -> list[ManagerCall]:
    """The grant that lets the sender act as `role` without delay, if `needed` and not held yet:
    held until `renounce_temporary_roles` at the end of the deployment (an admin can grant itself
    any role anyway), so a deployment pays one grant and one renunciation per role."""
    if not needed or manager_of(d).hasRole(ROLE_IDS[role], d.sender.address)[0]:
        return []
    return [
        (
            f"deployer holds {role} for the deployment",
            "grantRole",
            (ROLE_IDS[role], d.sender.address, 0),
        )
    ]


def as_role(d: Deployment, role: str, steps: list[Step]) -> None:
    """Runs `steps` as the sender holding `role` without delay (`hold_calls`)."""
    if not steps:
        return
    send_to_manager(d, hold_calls(d, role))
    d.run(steps)


def renounce_temporary_roles(d: Deployment) -> None:
    """Renounces every role the sender holds but is not meant to (`standing_roles`): those held for
    the deployment, this run's or an interrupted one's. Run at the end, and on a failure."""
    if not d.has(MANAGER):
        return
    manager = manager_of(d)
    send_to_manager(
        d,
        [
            (
                f"deployer renounces {role} (held for the deployment)",
                "renounceRole",
                (role_id, d.sender.address),
            )
            for role, role_id in ROLE_IDS.items()
            if role not in d.standing_roles and manager.hasRole(role_id, d.sender.address)[0]
        ],
    )


def hand_over_admin(d: Deployment, admin: str | None, admin_delay: int) -> None:
    """Gives ADMIN to governance with an execution delay and renounces the sender's, in one
    transaction: the protocol is never left with two admins, or none."""
    if not admin or admin.lower() == d.sender.address.lower() or not d.has(MANAGER):
        return
    if not manager_of(d).hasRole(ADMIN_ROLE, d.sender.address)[0]:
        return
    held, delay = manager_of(d).hasRole(ADMIN_ROLE, admin)
    # Held already at another delay: granted again, so that the handed-over ADMIN has the delay
    # asked for (a longer one applies at once; a shorter one after AccessManager's setback).
    grant = (
        [
            (
                f"set ADMIN's delay for {admin} to {admin_delay}s",
                "grantRole",
                (ADMIN_ROLE, admin, admin_delay),
            )
        ]
        if held and int(delay) != admin_delay
        else grant_calls(d, "ADMIN", admin, admin_delay)
    )
    send_to_manager(
        d,
        grant
        + [
            (
                f"deployer renounces ADMIN; admin is {admin} (delay {admin_delay}s)",
                "renounceRole",
                (ADMIN_ROLE, d.sender.address),
            )
        ],
    )


def _address(holder: Any) -> str:
    return holder if isinstance(holder, str) else holder.address
