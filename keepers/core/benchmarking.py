"""Helpers shared by the benchmark scripts (scripts/bench*.py): a wired access manager, wall-clock
timings and merging measured figures into the committed JSON files under benchmarks/."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from keepers.protocol import wiring
from keepers.roles import ROLE_IDS


def wired_manager(deployer: Any, role_holders: dict[str, Any]) -> tuple[Any, Callable[[Any, str], None]]:
    """A fresh QuanteraAccessManager with each role of `role_holders` granted without delay, and
    `wire(contract, name)`, which applies keepers.protocol's role mapping to a contract as the
    deploy script does."""
    from ape import project

    manager = deployer.deploy(project.QuanteraAccessManager, deployer)
    for role, account in role_holders.items():
        manager.grantRole(ROLE_IDS[role], account, 0, sender=deployer)

    def wire(contract: Any, name: str) -> None:
        for role_id, selectors in wiring(name, contract.contract_type):
            manager.setTargetFunctionRole(contract, selectors, role_id, sender=deployer)

    return manager, wire


def timed(fn: Callable[[], object], runs: int, warm_up: bool = False) -> dict:
    """Median and max wall time of `runs` calls (after one unmeasured call when `warm_up`)."""
    if warm_up:
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(samples), 5), "max_s": round(max(samples), 5), "runs": runs}


def merge_json(path: Path, values: dict) -> None:
    """Replaces the scenarios measured now, keeps the others (sorted keys, one file per kind)."""
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")
