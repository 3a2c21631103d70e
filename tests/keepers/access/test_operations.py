"""Folding AccessManager events into pending operations and role holders."""

from keepers.access.operations import StoredEvent, pending_operations, role_holders
from keepers.core.jsonable import to_jsonable

OP_A, OP_B = "0x" + "aa" * 32, "0x" + "bb" * 32


def scheduled(block, op, nonce, ready_at, data="0x25c471a0" + "00" * 96):
    return StoredEvent(
        "OperationScheduled",
        block,
        0,
        {
            "operationId": op,
            "nonce": nonce,
            "schedule": ready_at,
            "caller": "0xCaller",
            "target": "0xTarget",
            "data": data,
        },
    )


def closed(block, op, nonce, kind="OperationExecuted"):
    return StoredEvent(kind, block, 0, {"operationId": op, "nonce": nonce})


def test_pending__scheduled_then_executed_or_cancelled__not_pending():
    events = [
        scheduled(1, OP_A, 1, 100),
        scheduled(2, OP_B, 1, 200),
        closed(3, OP_A, 1),
        closed(4, OP_B, 1, "OperationCanceled"),
    ]
    assert pending_operations(events, now=500) == []


def test_pending__rescheduled_with_new_nonce__pending_again_with_readiness():
    events = [
        scheduled(1, OP_A, 1, 100),
        closed(2, OP_A, 1, "OperationCanceled"),
        scheduled(3, OP_A, 2, 400),
    ]
    [op] = pending_operations(events, now=150)
    assert (op.nonce, op.ready_at, op.ready_in_seconds, op.selector) == (2, 400, 250, "0x25c471a0")
    [op] = pending_operations(events, now=999)
    assert op.ready_in_seconds == 0


def test_pending__several__sorted_soonest_first_whatever_the_input_order():
    events = [scheduled(5, OP_B, 1, 300), scheduled(1, OP_A, 1, 900)]
    assert [op.operation_id for op in pending_operations(list(reversed(events)), now=0)] == [
        OP_B,
        OP_A,
    ]


def test_role_holders__grant_revoke_grant__reflects_last_state():
    def grant(b, role, acct):
        return StoredEvent("RoleGranted", b, 0, {"roleId": role, "account": acct})

    def revoke(b, role, acct):
        return StoredEvent("RoleRevoked", b, 0, {"roleId": role, "account": acct})

    events = [
        grant(1, 0, "A"),
        grant(2, 3, "B"),
        revoke(3, 0, "A"),
        grant(4, 3, "C"),
        revoke(5, 3, "B"),
    ]
    assert role_holders(events) == {3: {"C"}}


def test_to_jsonable__log_values__are_json_native():
    assert to_jsonable({"id": b"\x01\x02", "n": 2**200, "ok": True, "xs": (1, b"\xff")}) == {
        "id": "0x0102",
        "n": 2**200,
        "ok": True,
        "xs": [1, "0xff"],
    }


def test_pending_upgrades__proposed_run_vetoed_proposed_again__latest_proposal_pending():
    """CON-93's fold: an upgrade is pending from its latest `UpgradeProposed` until it runs or
    is vetoed; re-proposed after it ran, it is pending again from the new proposal."""
    from keepers.access.operations import pending_upgrades

    def proposed(block, upgrade_id, eta):
        args = {
            "id": upgrade_id,
            "proxy": "0xProxy",
            "implementation": "0xCode",
            "admin": "0xAdmin",
            "data": "0x",
            "eta": eta,
        }
        return StoredEvent("UpgradeProposed", block, 0, args)

    def ended(block, upgrade_id, kind):
        return StoredEvent(kind, block, 1, {"id": upgrade_id, "proxy": "0xProxy"})

    events = [
        proposed(1, OP_A, 100),
        proposed(2, OP_B, 300),
        ended(5, OP_A, "ProxyUpgraded"),
        proposed(6, OP_A, 900),
    ]
    assert [(u.upgrade_id, u.eta, u.ready_in_seconds) for u in pending_upgrades(events, 400)] == [
        (OP_B, 300, 0),
        (OP_A, 900, 500),
    ]
    events.append(ended(7, OP_B, "UpgradeVetoedBy"))
    assert [u.upgrade_id for u in pending_upgrades(events, 400)] == [OP_A]


def test_forwarding__clones_proxies_and_delegated_accounts_named_with_their_target():
    """CON-94: code proposed as an implementation that does not run itself is named, with where
    it forwards: what runs there can change without a proposal (an attacker's read of 50130b5)."""
    from keepers.access import forwarding

    target = bytes.fromhex("11" * 20)
    shown = "0x" + "11" * 20
    zero = bytes(32)
    clone = (
        bytes.fromhex("363d3d373d3d3d363d73")
        + target
        + bytes.fromhex("5af43d82803e903d91602b57fd5bf3")
    )
    push0_clone = (
        bytes.fromhex("365f5f375f5f365f73")
        + target
        + bytes.fromhex("5af43d5f5f3e6029573d5ffd5b3d5ff3")
    )
    assert forwarding(b"", zero, zero) == "no code"
    assert forwarding(bytes.fromhex("ef0100") + target, zero, zero) == (
        f"an EIP-7702 delegated account (to {shown})"
    )
    assert forwarding(clone, zero, zero) == f"an ERC-1167 clone of {shown}"
    assert forwarding(push0_clone, zero, zero) == f"an ERC-1167 clone of {shown}"
    word = bytes(12) + target
    assert forwarding(b"\x60\x80", word, zero) == f"a proxy (its ERC-1967 implementation: {shown})"
    assert forwarding(b"\x60\x80", zero, word) == f"a proxy (its ERC-1967 beacon: {shown})"
    # Code of its own, with empty slots: nothing to say (a 23-byte code not starting 0xef0100 too).
    assert forwarding(b"\x60\x80" * 40, zero, zero) is None
    assert forwarding(b"\x00" * 23, zero, zero) is None


def test_guard_operations__changes_to_who_vetoes_or_runs_upgrades__only_those():
    """KPR-25: the governance keeper flags, among pending operations, those that change who vetoes
    or runs upgrades (IUpgradeAuthority's "watch": an attacker's read found a guardian revoked at
    ADMIN's delay, scheduled before any proposal, switched the veto off unseen)."""
    from eth_abi import encode
    from eth_utils import function_signature_to_4byte_selector as selector

    from keepers.access import PendingOperation, guard_operations

    manager, authority, other = "0x" + "aa" * 20, "0x" + "bb" * 20, "0x" + "cc" * 20
    account = "0x" + "dd" * 20

    def op(n, signature, types, args, target=manager):
        data = "0x" + (selector(signature) + encode(types, args)).hex()
        return PendingOperation(f"0x{n:064x}", 1, "0xAdmin", target, data[:10], 9, 0, n, data)

    guarded = [
        op(1, "revokeRole(uint64,address)", ["uint64", "address"], [2, account]),
        # A fifth read (helper-103): a new ADMIN at no delay revokes the guardian at once; the
        # authority re-pointed by the manager's `execute` of its own `setAuthority`; a role id
        # whose later words an ABI decoder refuses (an odd array offset) but the chain runs.
        op(
            10, "grantRole(uint64,address,uint32)", ["uint64", "address", "uint32"], [0, account, 0]
        ),
        op(11, "setAuthority(address)", ["address"], [other], target=authority),
        PendingOperation(
            "0x" + "0c" * 32,
            1,
            "0xAdmin",
            manager,
            "0x08d6122d",
            9,
            0,
            12,
            "0x08d6122d" + "00" * 12 + authority[2:] + f"{0x40:064x}" + f"{1:064x}",
        ),
        op(
            2, "grantRole(uint64,address,uint32)", ["uint64", "address", "uint32"], [11, account, 0]
        ),
        op(3, "setRoleAdmin(uint64,uint64)", ["uint64", "uint64"], [2, 5]),
        op(4, "updateAuthority(address,address)", ["address", "address"], [authority, other]),
        op(5, "setTargetClosed(address,bool)", ["address", "bool"], [authority, True]),
    ]
    other_ops = [
        op(6, "revokeRole(uint64,address)", ["uint64", "address"], [3, account]),
        op(7, "setTargetClosed(address,bool)", ["address", "bool"], [other, True]),
        # The same call on another contract than the manager: not the manager's roles.
        op(8, "revokeRole(uint64,address)", ["uint64", "address"], [2, account], target=other),
    ]
    # A watched call too short to hold its first argument: the manager would refuse it, a
    # reader should see it.
    guarded.append(
        PendingOperation(
            "0x" + "09" * 32, 1, "0xAdmin", manager, "0xb7d2b162", 9, 0, 9, "0xb7d2b162"
        )
    )
    found = guard_operations(other_ops[:2] + guarded + other_ops[2:], manager, authority, now=9)
    assert [o.operation_id for o in found] == [o.operation_id for o in guarded]
    # An operation past its time and OpenZeppelin's week of expiration can no longer run.
    assert guard_operations(guarded, manager, authority, now=9 + 7 * 86_400 + 1) == []


def test_pending_upgrades__a_veto_bars_every_pending_sibling_of_its_code():
    """A fifth read (helper-103): the chain bars every proposal of vetoed code for its proxy
    (IUpgradeAuthority), the fold kept counting a sibling with other calldata."""
    from keepers.access.operations import pending_upgrades

    def proposed(block, upgrade_id, codehash, data):
        args = {
            "id": upgrade_id,
            "proxy": "0xProxy",
            "implementation": "0xCode",
            "admin": "0xAdmin",
            "data": data,
            "eta": 100,
            "codehash": codehash,
        }
        return StoredEvent("UpgradeProposed", block, 0, args)

    vetoed = StoredEvent(
        "UpgradeVetoedBy",
        4,
        0,
        {"id": OP_A, "proxy": "0xProxy", "codehash": "0x01", "guardian": "0xG"},
    )
    events = [
        proposed(1, OP_A, "0x01", "0x"),
        proposed(2, OP_B, "0x01", "0x00"),
        proposed(3, "0x" + "cc" * 32, "0x02", "0x"),
        vetoed,
    ]
    assert [u.upgrade_id for u in pending_upgrades(events, 0)] == ["0x" + "cc" * 32]
