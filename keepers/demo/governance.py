"""Governance act of the demo: timelocked administration on the deployed AccessManager, as
governance would do it (ADMIN handed to a governance account with a 1 h delay by `deploy all`):
a role grant executed before its delay is refused, a mistaken grant is cancelled, the deployer can
no longer grant, and the grant executes after the delay. The governance keeper (a silverback
process) records every event; its store must agree with the chain."""

from __future__ import annotations

from dataclasses import dataclass

from keepers.access import (
    ROLE_IDS,
    ROLE_NAMES,
    StoredEvent,
    governance_events,
    pending_operations,
    role_holders,
)
from keepers.demo.stage import CHAIN_ID, Act, Stage, actions, console, table

SECTION = "governance"
ADMIN_DELAY_SECONDS = 3600
GOVERNANCE_ACCOUNT = 4  # `deploy all --admin` in the demo: test account 4, whose address is
GOVERNANCE_ADDRESS = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
OPERATOR_ROLE, RISK_KEEPER_ROLE, ADMIN_ROLE = (
    ROLE_IDS["OPERATOR"],
    ROLE_IDS["RISK_KEEPER"],
    ROLE_IDS["ADMIN"],
)


@dataclass
class GovernanceOutcome:
    chain_time: int
    operator_holders: set[str]
    operator_granted: bool
    wrong_keeper_granted: bool
    deployer_is_admin: bool
    governance_is_admin: bool


def exercise_governance(stage: Stage) -> GovernanceOutcome:
    from ape import accounts, chain, project

    log = stage.log
    manager = project.QuanteraAccessManager.at(stage.record.address_of("QuanteraAccessManager"))
    governance, new_operator, wrong_keeper = (
        accounts.test_accounts[i] for i in (GOVERNANCE_ACCOUNT, 10, 11)
    )

    def act(who: str, what: str, send):
        return log.act(SECTION, who, what, send)

    grant_operator = manager.grantRole.encode_input(OPERATOR_ROLE, new_operator.address, 0)
    grant_wrong = manager.grantRole.encode_input(RISK_KEEPER_ROLE, wrong_keeper.address, 0)
    act(
        "governance",
        f"schedule grantRole(OPERATOR, {new_operator.address[:10]}…)",
        lambda: manager.schedule(manager.address, grant_operator, 0, sender=governance),
    )
    act(
        "governance",
        f"schedule grantRole(RISK_KEEPER, {wrong_keeper.address[:10]}…)",
        lambda: manager.schedule(manager.address, grant_wrong, 0, sender=governance),
    )
    act(
        "governance",
        "execute the OPERATOR grant before its delay",
        lambda: manager.execute(manager.address, grant_operator, sender=governance),
    )
    act(
        "governance",
        "cancel the mistaken RISK_KEEPER grant",
        lambda: manager.cancel(governance.address, manager.address, grant_wrong, sender=governance),
    )
    act(
        "deployer",
        "grantRole directly after renouncing ADMIN",
        lambda: manager.grantRole(
            OPERATOR_ROLE, wrong_keeper.address, 0, sender=accounts.test_accounts[0]
        ),
    )
    stage.rpc("evm_increaseTime", [ADMIN_DELAY_SECONDS])
    stage.rpc("evm_mine")
    act(
        "governance",
        f"execute the OPERATOR grant after {ADMIN_DELAY_SECONDS}s",
        lambda: manager.execute(manager.address, grant_operator, sender=governance),
    )
    return GovernanceOutcome(
        chain_time=chain.blocks.head.timestamp,
        operator_holders={
            a.address
            for a in list(accounts.test_accounts)[:12]
            if manager.hasRole(OPERATOR_ROLE, a.address)[0]
        },
        operator_granted=manager.hasRole(OPERATOR_ROLE, new_operator.address)[0],
        wrong_keeper_granted=manager.hasRole(RISK_KEEPER_ROLE, wrong_keeper.address)[0],
        deployer_is_admin=manager.hasRole(ADMIN_ROLE, accounts.test_accounts[0].address)[0],
        governance_is_admin=manager.hasRole(ADMIN_ROLE, governance.address)[0],
    )


def _stored(stage: Stage) -> list[StoredEvent]:
    return [
        StoredEvent(e.event, e.block_number, e.log_index, e.args)
        for e in governance_events(stage.engine, CHAIN_ID)
    ]


def show_governance(stage: Stage, outcome: GovernanceOutcome) -> None:
    console.print(
        actions(
            stage.log,
            SECTION,
            100,
            "Governance actions (ADMIN held by governance with a 1 h delay)",
        )
    )
    events = _stored(stage)
    counts: dict[str, int] = {}
    for e in events:
        counts[e.event] = counts.get(e.event, 0) + 1
    console.print(
        table(
            f"Recorded by the governance keeper over {stage.blocks} blocks (to block {stage.head})",
            ("event", "count"),
            sorted(counts.items()),
        )
    )
    console.print(
        table(
            "Role holders, from the keeper's store",
            ("role", "accounts"),
            [
                (ROLE_NAMES.get(r, str(r)), "\n".join(sorted(a)))
                for r, a in sorted(role_holders(events).items())
            ],
        )
    )


def governance_checks(stage: Stage, outcome: GovernanceOutcome) -> dict[str, bool]:
    events = _stored(stage)
    holders = role_holders(events)
    return {
        "early execution refused (AccessManagerNotReady)": any(
            "NotReady" in a.outcome for a in stage.log.section(SECTION)
        ),
        "OPERATOR granted after the delay": outcome.operator_granted,
        "cancelled grant never took effect": not outcome.wrong_keeper_granted,
        "deployer renounced ADMIN, governance holds it": (
            not outcome.deployer_is_admin and outcome.governance_is_admin
        ),
        "keeper store agrees with the chain on OPERATOR holders": (
            holders.get(OPERATOR_ROLE, set()) == outcome.operator_holders
        ),
        "no operation left pending": not pending_operations(events, now=outcome.chain_time),
    }


ACT = Act(
    name="governance",
    step="governance (timelocked role grants)",
    run=exercise_governance,
    show=show_governance,
    checks=governance_checks,
    keepers=("governance",),
)
