"""LCY-12, LCY-13 as a hypothesis state machine: every status move of the instrument registry
(activate, suspend, guardianSuspend, resume, exerciseCall, mature, close), tried by every party
(the issuer, its operator, an outsider, the guardian, the governor), with the issuer's delegations
granted and revoked, its approval revoked and restored, and time moving past delegation expiries,
the first call date and maturity. An independent Python model of the machine (below, written from
IInstrumentRegistry's NatSpec) predicts each call: the new status, or the error with its fields;
the registry must agree, call by call, and its status, hold and `canAct` must be the model's
after every step; every legal move is made at least once. The whole table — every move by every
party from every status — is also swept exhaustively against the same model."""

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fast_reverts import assert_reverts
from keepers.lifecycle import OPERATIONS, InstrumentStatus
from lifecycle_fixtures import DAY, fund_terms, note_terms

S = InstrumentStatus
ACTIVATE, SUSPEND, CALL = OPERATIONS["ACTIVATE"], OPERATIONS["SUSPEND"], OPERATIONS["CALL"]
MOVES = ("activate", "suspend", "guardianSuspend", "resume", "exerciseCall", "mature", "close")
# The legal moves, (function, from, to): what the machine must have made by the end.
LEGAL = {
    ("activate", S.REGISTERED, S.ACTIVE),
    ("activate", S.SUSPENDED, S.ACTIVE),
    ("suspend", S.ACTIVE, S.SUSPENDED),
    ("guardianSuspend", S.ACTIVE, S.SUSPENDED),
    ("guardianSuspend", S.SUSPENDED, S.SUSPENDED),  # an issuer's suspension made a hold
    ("resume", S.SUSPENDED, S.ACTIVE),
    ("exerciseCall", S.ACTIVE, S.MATURED),
    ("mature", S.ACTIVE, S.MATURED),
    ("mature", S.SUSPENDED, S.MATURED),
    ("close", S.MATURED, S.CLOSED),
}
# Each move's target status, as `IllegalStatusMove(id, from, to)` names it.
TARGET = {
    "activate": S.ACTIVE,
    "suspend": S.SUSPENDED,
    "guardianSuspend": S.SUSPENDED,
    "resume": S.ACTIVE,
    "exerciseCall": S.MATURED,
    "mature": S.MATURED,
    "close": S.CLOSED,
}
# Operation a delegated move needs.
NEEDS = {"activate": ACTIVATE, "suspend": SUSPEND, "exerciseCall": CALL}
PARTIES = ("issuer", "operator", "outsider", "guardian", "governor")


# Where each run starts: the legal path setup takes, checked like any move ("pass": a deadline).
START_PATHS = {
    "registered": [],
    "active": [("activate", "issuer")],
    "suspended": [("activate", "issuer"), ("suspend", "issuer")],
    "held": [("activate", "issuer"), ("guardianSuspend", "guardian")],
    "late": [("activate", "operator"), ("pass", "maturity")],
    "suspended late": [("activate", "issuer"), ("suspend", "issuer"), ("pass", "maturity")],
    "matured": [("activate", "issuer"), ("pass", "maturity"), ("mature", "outsider")],
    "callable": [("activate", "issuer"), ("pass", "first call")],
    "closed": [
        ("activate", "issuer"),
        ("pass", "maturity"),
        ("mature", "issuer"),
        ("close", "issuer"),
    ],
}
# (a note, where it starts): the open-ended share class has no maturity and no call to pass.
RUNS = [(True, start) for start in START_PATHS] + [
    (False, start) for start in ("registered", "active", "suspended", "held")
]
EXAMPLES_PER_RUN = 4


def party_for(*meant):
    """Half the draws one of the parties a move is meant for, half any party."""
    return st.one_of(st.sampled_from(meant), st.sampled_from(PARTIES))


@dataclass
class Model:
    """The registry's status machine for one instrument, from IInstrumentRegistry's NatSpec."""

    id: int
    issuer: str
    maturity: int  # 0: none
    callable: bool
    first_call: int
    status: S = S.REGISTERED
    hold: bool = False
    approved: bool = True
    delegation: dict = field(default_factory=dict)  # operator address -> (operations, expiry)

    def allows(self, who: str, operation: int, now: int) -> bool:
        operations, expiry = self.delegation.get(who, (0, 0))
        return operations & operation == operation and now < expiry

    def can_act(self, who: str, operation: int, now: int) -> bool:
        return self.approved and (who == self.issuer or self.allows(who, operation, now))

    def expect(self, move: str, who: str, roles: dict, now: int):
        """("ok", next status, next hold) or (error name, fields) for `move` by `who`."""
        frm = self.status
        illegal = ("IllegalStatusMove", {"id": self.id, "from": frm, "to": TARGET[move]})

        def delegated(operation):
            if not self.approved:
                return ("IssuerNotApproved", {"issuer": self.issuer})
            if who != self.issuer and not self.allows(who, operation, now):
                expiry = self.delegation.get(who, (0, 0))[1]
                return (
                    "OperationNotDelegated",
                    {"id": self.id, "operator": who, "operation": operation, "expiry": expiry},
                )
            return None

        if move == "guardianSuspend":
            if who != roles["guardian"]:
                return ("AccessManagedUnauthorized", {"caller": who})
            if frm == S.ACTIVE or (frm == S.SUSPENDED and not self.hold):
                return ("ok", S.SUSPENDED, True)
            return illegal
        if move == "resume":
            if who != roles["governor"]:
                return ("AccessManagedUnauthorized", {"caller": who})
            return ("ok", S.ACTIVE, False) if frm == S.SUSPENDED else illegal
        if move == "activate":
            if frm not in (S.REGISTERED, S.SUSPENDED):
                return illegal
            refused = delegated(ACTIVATE)
            if refused:
                return refused
            if self.hold:
                return ("GuardianHold", {"id": self.id})
            return ("ok", S.ACTIVE, self.hold)
        if move == "suspend":
            if frm != S.ACTIVE:
                return illegal
            return delegated(SUSPEND) or ("ok", S.SUSPENDED, self.hold)
        if move == "exerciseCall":
            if frm != S.ACTIVE:
                return illegal
            refused = delegated(CALL)
            if refused:
                return refused
            if not self.callable or now < self.first_call:
                return (
                    "CallNotAllowed",
                    {"id": self.id, "callable": self.callable, "firstCallDate": self.first_call},
                )
            return ("ok", S.MATURED, self.hold)
        if move == "mature":
            if frm not in (S.ACTIVE, S.SUSPENDED):
                return illegal
            if self.maturity == 0 or now < self.maturity:
                return ("MaturityNotReached", {"id": self.id, "maturityDate": self.maturity})
            return ("ok", S.MATURED, self.hold)
        if move == "close":
            if frm != S.MATURED:
                return illegal
            if who != self.issuer:
                return ("NotIssuer", {"id": self.id, "caller": who, "issuer": self.issuer})
            if not self.approved:
                return ("IssuerNotApproved", {"issuer": self.issuer})
            return ("ok", S.CLOSED, self.hold)
        raise AssertionError(move)


def test_registry_status_machine(
    lifecycle, chain, issuer, issuer_operator, outsider, guardian, governor
):
    registry = lifecycle.registry
    accounts = {
        "issuer": issuer,
        "operator": issuer_operator,
        "outsider": outsider,
        "guardian": guardian,
        "governor": governor,
    }
    roles = {"guardian": guardian.address, "governor": governor.address}
    made: set = set()  # (move, from, to) made

    class RegistryMachine(RuleBasedStateMachine):
        NOTE, START = True, "registered"  # each run's instrument and starting point

        @initialize()
        def setup(self):
            note, start = self.NOTE, self.START
            self.snapshot = chain.snapshot()
            # Keep every deadline hours away from the clock: a call runs at the head's timestamp
            # or the next block's, and time moves in whole days.
            if not 3 * 3_600 < chain.pending_timestamp % DAY < DAY - 3 * 3_600:
                chain.pending_timestamp += 6 * 3_600
            chain.mine()
            now = chain.pending_timestamp
            terms = note_terms(lifecycle, now) if note else fund_terms(lifecycle, now)
            receipt = registry.register(terms.as_tuple(), sender=issuer)
            self.model = Model(
                id=receipt.decode_logs(registry.InstrumentRegistered)[0].id,
                issuer=issuer.address,
                maturity=terms.maturity_date,
                callable=terms.call.callable,
                first_call=terms.call.first_call_date,
            )
            # Start further along the machine (each move checked against the model as any other):
            # long legal paths are rare in random sequences.
            for move, party in START_PATHS[start]:
                if move == "pass":
                    self.pass_a_deadline(party)
                else:
                    self._move(move, party)

        def teardown(self):
            chain.restore(self.snapshot)

        def now(self) -> int:
            return chain.blocks.head.timestamp

        def _move(self, move, party):
            sender = accounts[party]
            frm = self.model.status
            expected = self.model.expect(move, sender.address, roles, self.now())
            if expected[0] == "ok":
                _, status, hold = expected
                receipt = getattr(registry, move)(self.model.id, sender=sender)
                moves = [
                    (log.previous, log.next) for log in receipt.decode_logs(registry.StatusChanged)
                ]
                assert moves == ([] if status == frm else [(frm, status)]), (move, moves)
                self.model.status, self.model.hold = status, hold
                made.add((move, frm, status))
            else:
                name, fields = expected
                assert_reverts(
                    chain,
                    getattr(registry, move),
                    self.model.id,
                    sender=sender,
                    error=(registry, name),
                    **fields,
                )

        # One rule per move; half the time by a party the move is meant for, half by anyone.
        @rule(party=party_for("issuer", "operator"))
        def activate(self, party):
            self._move("activate", party)

        @rule(party=party_for("issuer", "operator"))
        def suspend(self, party):
            self._move("suspend", party)

        @rule(party=party_for("guardian"))
        def guardian_suspend(self, party):
            self._move("guardianSuspend", party)

        @rule(party=party_for("governor"))
        def resume(self, party):
            self._move("resume", party)

        @rule(party=party_for("issuer", "operator"))
        def exercise_call(self, party):
            self._move("exerciseCall", party)

        @rule(party=party_for("outsider"))
        def mature(self, party):
            self._move("mature", party)

        @rule(party=party_for("issuer"))
        def close(self, party):
            self._move("close", party)

        @rule(
            operations=st.sampled_from([ACTIVATE, SUSPEND, CALL, ACTIVATE | SUSPEND | CALL]),
            days=st.integers(1, 400),
        )
        def delegate(self, operations, days):
            expiry = self.now() + days * DAY + 12 * 3_600
            if not self.model.approved:
                assert_reverts(
                    chain,
                    registry.setOperator,
                    issuer_operator,
                    operations,
                    expiry,
                    sender=issuer,
                    error=(registry, "IssuerNotApproved"),
                    issuer=issuer.address,
                )
            elif days > 365:  # beyond MAX_DELEGATION_PERIOD (366 days) from now
                assert_reverts(
                    chain,
                    registry.setOperator,
                    issuer_operator,
                    operations,
                    expiry,
                    sender=issuer,
                    error=(registry, "InvalidExpiry"),
                    expiry=expiry,
                )
            else:
                registry.setOperator(issuer_operator, operations, expiry, sender=issuer)
                self.model.delegation[issuer_operator.address] = (operations, expiry)

        @rule()
        def revoke_delegation(self):
            registry.setOperator(issuer_operator, 0, 0, sender=issuer)
            self.model.delegation[issuer_operator.address] = (0, 0)

        @rule(approved=st.sampled_from([True, True, False]))
        def set_approval(self, approved):
            registry.setIssuer(issuer, approved, sender=governor)
            self.model.approved = approved

        @rule(days=st.sampled_from([1, 30, 200, 400]))
        def advance_time(self, days):
            chain.pending_timestamp += days * DAY
            chain.mine()

        @rule(deadline=st.sampled_from(["first call", "maturity", "delegation expiry"]))
        def pass_a_deadline(self, deadline):
            # Six hours past it, if it is ahead (deadlines are midnights or noons).
            at = {
                "first call": self.model.first_call,
                "maturity": self.model.maturity,
                "delegation expiry": self.model.delegation.get(issuer_operator.address, (0, 0))[1],
            }[deadline]
            if at > self.now():
                chain.pending_timestamp = at + 6 * 3_600
                chain.mine()

        @invariant()
        def agrees_with_the_model(self):
            if not hasattr(self, "model"):
                return
            state = registry.stateOf(self.model.id)
            assert (state.status, state.guardianHold) == (self.model.status, self.model.hold)
            now = self.now()
            for who, operation in (
                (issuer.address, CALL),
                (issuer_operator.address, ACTIVATE),
                (issuer_operator.address, SUSPEND),
                (issuer_operator.address, CALL),
            ):
                assert registry.canAct(self.model.id, who, operation) == self.model.can_act(
                    who, operation, now
                ), (who, operation)

    for note, start in RUNS:
        run = type(f"RegistryMachine_{start}", (RegistryMachine,), {"NOTE": note, "START": start})
        run_state_machine_as_test(
            run,
            settings=settings(
                # Derandomised for a reproducible CI; no shrinking (each step is a transaction).
                max_examples=EXAMPLES_PER_RUN,
                stateful_step_count=30,
                deadline=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            ),
        )
    assert LEGAL <= made, f"legal moves never made: {sorted(LEGAL - made)}"


STATUS_PATHS = {
    S.REGISTERED: "registered",
    S.ACTIVE: "active",
    S.SUSPENDED: "suspended",
    S.MATURED: "matured",
    S.CLOSED: "closed",
}


@pytest.mark.parametrize("note", [True, False], ids=["note", "share class"])
def test_status_moves__every_move_by_every_party_from_every_status__as_the_model_says(
    lifecycle, chain, issuer, issuer_operator, outsider, guardian, governor, note
):
    """The whole table, exhaustively: from each status (and from a guardian's hold, and past the
    first call date and maturity), each of the seven moves by each of the five parties — with the
    operator delegated ACTIVATE and SUSPEND but not CALL — succeeds with the model's new status or
    reverts with the model's error and fields."""
    registry = lifecycle.registry
    accounts = {
        "issuer": issuer,
        "operator": issuer_operator,
        "outsider": outsider,
        "guardian": guardian,
        "governor": governor,
    }
    roles = {"guardian": guardian.address, "governor": governor.address}
    now = chain.pending_timestamp
    if not 3 * 3_600 < now % DAY < DAY - 3 * 3_600:
        chain.pending_timestamp = now = now + 6 * 3_600
    terms = note_terms(lifecycle, now) if note else fund_terms(lifecycle, now)
    receipt = registry.register(terms.as_tuple(), sender=issuer)
    expiry = now + 360 * DAY + 12 * 3_600
    registry.setOperator(issuer_operator, ACTIVATE | SUSPEND, expiry, sender=issuer)
    starts = [
        ("registered", []),
        ("active", [("activate", "issuer")]),
        ("suspended", [("activate", "issuer"), ("suspend", "issuer")]),
        ("held", [("activate", "issuer"), ("guardianSuspend", "guardian")]),
    ]
    if note:
        starts += [
            ("active past first call", [("activate", "issuer"), ("pass", "first call")]),
            ("active past maturity", [("activate", "issuer"), ("pass", "maturity")]),
            (
                "held past maturity",
                [("activate", "issuer"), ("guardianSuspend", "guardian"), ("pass", "maturity")],
            ),
            ("matured", [("activate", "issuer"), ("pass", "maturity"), ("mature", "outsider")]),
            (
                "closed",
                [
                    ("activate", "issuer"),
                    ("pass", "maturity"),
                    ("mature", "issuer"),
                    ("close", "issuer"),
                ],
            ),
        ]
    seen = set()
    for label, path in starts:
        snapshot = chain.snapshot()
        model = Model(
            id=receipt.decode_logs(registry.InstrumentRegistered)[0].id,
            issuer=issuer.address,
            maturity=terms.maturity_date,
            callable=terms.call.callable,
            first_call=terms.call.first_call_date,
            delegation={issuer_operator.address: (ACTIVATE | SUSPEND, expiry)},
        )
        for move, party in path:
            if move == "pass":
                at = model.first_call if party == "first call" else model.maturity
                chain.pending_timestamp = at + 6 * 3_600
                chain.mine()
                continue
            now = chain.blocks.head.timestamp
            _, model.status, model.hold = model.expect(move, accounts[party].address, roles, now)
            getattr(registry, move)(model.id, sender=accounts[party])
        assert registry.statusOf(model.id) == model.status, label
        for move in MOVES:
            for party, sender in accounts.items():
                expected = model.expect(move, sender.address, roles, chain.blocks.head.timestamp)
                seen.add((model.status, move, expected[0]))
                if expected[0] == "ok":
                    inner = chain.snapshot()
                    getattr(registry, move)(model.id, sender=sender)
                    assert registry.statusOf(model.id) == expected[1], (label, move, party)
                    assert registry.stateOf(model.id).guardianHold == expected[2]
                    chain.restore(inner)
                else:
                    name, fields = expected
                    assert_reverts(
                        chain,
                        getattr(registry, move),
                        model.id,
                        sender=sender,
                        error=(registry, name),
                        **fields,
                    )
        chain.restore(snapshot)
    made = {(move, frm) for frm, move, outcome in seen if outcome == "ok"}
    if note:
        assert {(move, frm) for move, frm, _ in LEGAL} == made
