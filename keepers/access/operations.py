"""Pure functions over AccessManager and UpgradeAuthority events (no chain access): normalise
logs, fold them into pending operations, proposed upgrades and role holders."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import keccak

from keepers.access.roles import ROLE_IDS
from keepers.core.jsonable import to_jsonable

# AccessManager events the governance keeper mirrors into the store.
WATCHED_EVENTS = (
    "RoleGranted",
    "RoleRevoked",
    "RoleLabel",
    "RoleGuardianChanged",
    "OperationScheduled",
    "OperationExecuted",
    "OperationCanceled",
    "TargetFunctionRoleUpdated",
    "TargetClosed",
)


# The events `pending_operations` folds (a keeper reads only these every block).
OPERATION_EVENTS = ("OperationScheduled", "OperationExecuted", "OperationCanceled")


def event_row(
    chain_id: int,
    *,
    event: str,
    block_number: int,
    block_timestamp: int,
    tx_hash: str | bytes,
    log_index: int,
    contract: str,
    args: Mapping[str, Any],
) -> dict:
    """One store row for one log."""
    return {
        "chain_id": int(chain_id),
        "block_number": int(block_number),
        "block_timestamp": int(block_timestamp),
        "tx_hash": to_jsonable(tx_hash) if not isinstance(tx_hash, str) else tx_hash,
        "log_index": int(log_index),
        "contract": str(contract),
        "event": event,
        "args": to_jsonable(dict(args)),
    }


@dataclass(frozen=True)
class PendingOperation:
    operation_id: str
    nonce: int
    caller: str
    target: str
    selector: str
    ready_at: int
    ready_in_seconds: int
    scheduled_block: int
    data: str = "0x"  # the scheduled call's calldata (its first 4 bytes are `selector`)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class StoredEvent:
    """The fields of a store row that folding needs (decoupled from the ORM class)."""

    event: str
    block_number: int
    log_index: int
    args: Mapping[str, Any]


def pending_operations(events: Iterable[StoredEvent], now: int) -> list[PendingOperation]:
    """Operations scheduled and neither executed nor cancelled, soonest first.

    An operation is identified by (operationId, nonce): OZ re-uses the id when the same call is
    scheduled again after a cancel or execution, with a new nonce.
    """
    scheduled: dict[tuple[str, int], PendingOperation] = {}
    closed: set[tuple[str, int]] = set()
    for ev in sorted(events, key=lambda e: (e.block_number, e.log_index)):
        key = (str(ev.args.get("operationId")), int(ev.args.get("nonce", 0)))
        if ev.event == "OperationScheduled":
            data = str(ev.args.get("data", "0x"))
            ready_at = int(ev.args["schedule"])
            scheduled[key] = PendingOperation(
                operation_id=key[0],
                nonce=key[1],
                caller=str(ev.args["caller"]),
                target=str(ev.args["target"]),
                selector=data[:10],
                ready_at=ready_at,
                ready_in_seconds=max(ready_at - now, 0),
                scheduled_block=ev.block_number,
                data=data,
            )
        elif ev.event in ("OperationExecuted", "OperationCanceled"):
            closed.add(key)
    pending = [op for key, op in scheduled.items() if key not in closed]
    return sorted(pending, key=lambda op: (op.ready_at, op.scheduled_block))


#: AccessManager calls that change who vetoes or runs upgrades (IUpgradeAuthority: "watch"), by
#: selector: what their first argument is (a role id, or a target address). Only that first word
#: is read, as OpenZeppelin's own admin check reads it: calldata whose later words an ABI decoder
#: would refuse (an odd array offset) still runs on chain.
_GUARD_CALLS = {
    "0x" + keccak(text=signature).hex()[:8]: first
    for signature, first in (
        ("grantRole(uint64,address,uint32)", "role"),
        ("revokeRole(uint64,address)", "role"),
        ("setRoleAdmin(uint64,uint64)", "role"),
        ("setRoleGuardian(uint64,uint64)", "role"),
        ("setGrantDelay(uint64,uint32)", "role"),
        ("updateAuthority(address,address)", "target"),
        ("setTargetClosed(address,bool)", "target"),
        ("setTargetFunctionRole(address,bytes4[],uint64)", "target"),
        ("setTargetAdminDelay(address,uint32)", "target"),
    )
}
#: `setAuthority(address)` on the UpgradeAuthority itself, run by the manager's `execute` (ADMIN's
#: by default: no role is wired to it): it re-points the authority as `updateAuthority` does.
_SET_AUTHORITY = "0x" + keccak(text="setAuthority(address)").hex()[:8]
#: The roles an upgrade's protection rests on: ADMIN grants all the others, GUARDIAN vetoes,
#: UPGRADER proposes and runs.
GUARD_ROLES = (ROLE_IDS["ADMIN"], ROLE_IDS["GUARDIAN"], ROLE_IDS["UPGRADER"])
#: OpenZeppelin AccessManager's `expiration()`: a scheduled operation not executed within a week
#: of its time can no longer be.
OPERATION_EXPIRATION = 7 * 86_400


def guard_operations(
    pending: Iterable[PendingOperation], manager: str, authority: str, now: int
) -> list[PendingOperation]:
    """The pending operations that change who vetoes or runs upgrades, still executable at `now`
    (not past their time plus OPERATION_EXPIRATION): on the AccessManager `manager`, a grant,
    revocation, admin, guardian or grant-delay change of ADMIN (0), GUARDIAN (2) or UPGRADER
    (11), and the UpgradeAuthority `authority` re-pointed, closed or re-wired; on `authority`
    itself (through the manager's `execute`), `setAuthority`. Scheduled at ADMIN's delay, they are
    to be read before they run (an upgrade's notice does not cover a guardian revoked first).
    A watched call too short to hold its first argument is flagged (the manager would refuse it,
    but a reader should see it)."""
    found = []
    for op in pending:
        if now > op.ready_at + OPERATION_EXPIRATION:
            continue
        if op.target.lower() == authority.lower() and op.selector == _SET_AUTHORITY:
            found.append(op)
            continue
        if op.target.lower() != manager.lower() or op.selector not in _GUARD_CALLS:
            continue
        word = bytes.fromhex(op.data[10:74]) if len(op.data) >= 74 else b""
        if len(word) < 32:
            found.append(op)
            continue
        if _GUARD_CALLS[op.selector] == "role":
            if int.from_bytes(word, "big") in GUARD_ROLES:
                found.append(op)
        elif word[-20:].hex() == authority.lower().removeprefix("0x"):
            found.append(op)
    return found


# The UpgradeAuthority's events `pending_upgrades` folds (IUpgradeAuthority).
UPGRADE_EVENTS = ("UpgradeProposed", "ProxyUpgraded", "UpgradeVetoedBy")


@dataclass(frozen=True)
class PendingUpgrade:
    """An upgrade proposed to the UpgradeAuthority, neither run nor vetoed: the proxy moves to
    `implementation` (then is called with `data`) from `eta`."""

    upgrade_id: str
    proxy: str
    implementation: str
    admin: str
    data: str
    eta: int
    ready_in_seconds: int
    proposed_block: int
    codehash: str = ""  # the implementation's code hash the proposal names

    def to_json(self) -> dict:
        return asdict(self)


def pending_upgrades(events: Iterable[StoredEvent], now: int) -> list[PendingUpgrade]:
    """Upgrades proposed and neither run (`ProxyUpgraded`) nor vetoed (`UpgradeVetoedBy`) since,
    soonest first. An id proposed again (after it ran, or its window closed) is pending from its
    latest proposal; whether the window is still open is the chain's to say (`proposal`)."""
    proposed: dict[str, PendingUpgrade] = {}
    for ev in sorted(events, key=lambda e: (e.block_number, e.log_index)):
        upgrade_id = str(ev.args.get("id"))
        if ev.event == "UpgradeProposed":
            eta = int(ev.args["eta"])
            proposed[upgrade_id] = PendingUpgrade(
                upgrade_id=upgrade_id,
                proxy=str(ev.args["proxy"]),
                implementation=str(ev.args["implementation"]),
                admin=str(ev.args["admin"]),
                data=str(ev.args.get("data", "0x")),
                eta=eta,
                ready_in_seconds=max(eta - now, 0),
                proposed_block=ev.block_number,
                codehash=str(ev.args.get("codehash", "")),
            )
        elif ev.event == "ProxyUpgraded":
            proposed.pop(upgrade_id, None)
        elif ev.event == "UpgradeVetoedBy":
            # A veto bars its code for its proxy: every pending sibling (other calldata) with it.
            barred = (
                str(ev.args.get("proxy", "")).lower(),
                str(ev.args.get("codehash", "")).lower(),
            )
            proposed.pop(upgrade_id, None)
            for key, up in list(proposed.items()):
                if (up.proxy.lower(), up.codehash.lower()) == barred and barred[1]:
                    proposed.pop(key)
    return sorted(proposed.values(), key=lambda up: (up.eta, up.proposed_block))


def role_holders(events: Iterable[StoredEvent]) -> dict[int, set[str]]:
    """Role id -> accounts holding it, folded from RoleGranted / RoleRevoked."""
    holders: dict[int, set[str]] = {}
    for ev in sorted(events, key=lambda e: (e.block_number, e.log_index)):
        if ev.event == "RoleGranted":
            holders.setdefault(int(ev.args["roleId"]), set()).add(str(ev.args["account"]))
        elif ev.event == "RoleRevoked":
            holders.get(int(ev.args["roleId"]), set()).discard(str(ev.args["account"]))
    return {role: accounts for role, accounts in holders.items() if accounts}
