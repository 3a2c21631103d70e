"""A fresh QuanteraAccessManager wired with the role table, as the deploy script wires it (the
benchmarks deploy one per scenario)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keepers.access.protocol import wiring
from keepers.access.roles import ROLE_IDS


def wired_manager(
    deployer: Any, role_holders: dict[str, Any]
) -> tuple[Any, Callable[[Any, str], None]]:
    """A fresh QuanteraAccessManager with each role of `role_holders` granted without delay, and
    `wire(contract, name)`, which applies keepers.access.protocol's role mapping to a contract as
    the deploy script does."""
    from ape import project

    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    for role, account in role_holders.items():
        manager.grantRole(ROLE_IDS[role], account, 0, sender=deployer)

    def wire(contract: Any, name: str) -> None:
        for role_id, selectors in wiring(name, contract.contract_type):
            manager.setTargetFunctionRole(contract, selectors, role_id, sender=deployer)

    return manager, wire
