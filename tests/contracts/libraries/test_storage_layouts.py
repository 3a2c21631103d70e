"""UPG-1 (issue 34 §3): storage safety is checked, not hoped for. Every contract upgraded in place
(keepers/core/storage_layouts.py `UPGRADEABLE`) keeps the storage its deployed version wrote
(deployments/storage-layouts.json): the build's layouts are compared with the recorded ones by
OpenZeppelin upgrades-core, and real sources edited the ways a fix goes wrong (a field widened in
place, a variable inserted or renamed, a contract dropped) are each reported, while the
edits an upgrade may make (a variable appended, a member appended to a struct a mapping holds)
are not. Compiler output only (ASTs and `storageLayout`): no chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from keepers.core.storage_layouts import (
    RECORD,
    UPGRADEABLE,
    build_layouts,
    collisions,
    extract,
    recorded,
)

ROOT = Path(__file__).resolve().parents[3]
TOKEN_LAYOUT = "contracts/token/TokenLayout.sol"
ORACLE = "contracts/oracles/OracleRouter.sol"
FEES = "contracts/lifecycle/FeeSchedule.sol"


def _edited(path: str, old: str, new: str) -> str:
    text = (ROOT / path).read_text()
    assert text.count(old) == 1, f"{path} no longer holds {old!r} once: update the test's edit"
    return text.replace(old, new)


def _targets(*names: str) -> dict[str, str]:
    return {name: UPGRADEABLE[name][0] for name in names}


@pytest.fixture(scope="module")
def deployed():
    return recorded()


def test_upg_1__record__holds_every_upgradeable_contract_and_only_those(deployed):
    assert set(deployed) == set(UPGRADEABLE), (
        f"{RECORD} and UPGRADEABLE differ: a contract made upgradeable in place is recorded "
        "when its version is deployed (`make layouts`)"
    )
    for name, layout in deployed.items():
        assert layout["storage"], f"{name}'s recorded layout holds no variable"


def test_upg_1__build__every_upgradeable_layout_runs_on_the_deployed_versions(deployed):
    assert collisions(deployed, build_layouts()) == {}


def test_upg_1__fixes_that_go_wrong__each_reported_with_the_variable(deployed):
    """One compile of three edited sources, each edit a way a fix breaks storage."""
    overrides = {
        # A field widened in place: the heartbeat of a feed (uint32 -> uint64) in the struct a
        # mapping holds moves every member after it.
        ORACLE: _edited(ORACLE, "uint32 primaryHeartbeat;", "uint64 primaryHeartbeat;")
        .replace("(primary, feed.primaryHeartbeat,", "(primary, uint32(feed.primaryHeartbeat),")
        .replace(
            "primaryHeartbeat: feed.primaryHeartbeat,",
            "primaryHeartbeat: uint32(feed.primaryHeartbeat),",
        ),
        # A variable inserted before the others: every later one reads its neighbour's slot.
        TOKEN_LAYOUT: _edited(
            TOKEN_LAYOUT,
            "    CoreWord internal _core;",
            "    uint256 internal _added;\n    CoreWord internal _core;",
        ),
        # A variable renamed: the same slot may now mean something else.
        FEES: (ROOT / FEES).read_text().replace("_volumes", "_tradedVolumes"),
    }
    names = ("OracleRouter", "SecurityToken", "BondShareToken", "FeeSchedule")
    names += ("ComplianceEngine",)
    edited = extract(_targets(*names), overrides)
    old = {name: deployed[name] for name in names}
    found = collisions(old, edited)
    broken = {"OracleRouter", "SecurityToken", "BondShareToken", "FeeSchedule"}
    assert set(found) == broken, found
    assert "primaryHeartbeat" in found["OracleRouter"], found["OracleRouter"]
    assert "_added" in found["SecurityToken"], found["SecurityToken"]
    assert "_added" in found["BondShareToken"], found["BondShareToken"]
    assert "_volumes" in found["FeeSchedule"], found["FeeSchedule"]
    # A contract missing from the new version: its storage would be stranded.
    del edited["ComplianceEngine"]
    assert "ComplianceEngine" in collisions(old, edited)


def test_upg_1__what_an_upgrade_may_add__not_reported(deployed):
    overrides = {
        # A variable appended after the last one.
        TOKEN_LAYOUT: _edited(
            TOKEN_LAYOUT,
            "    address internal _onchainID;\n",
            "    address internal _onchainID;\n    uint256 internal _appended;\n",
        ),
        # A member appended to a struct that only a mapping holds.
        ORACLE: _edited(
            ORACLE, "uint128 maxPrice;\n", "uint128 maxPrice;\n        uint64 added;\n"
        ).replace(
            "maxPrice: config.maxPrice\n", "maxPrice: config.maxPrice,\n            added: 0\n"
        ),
    }
    names = ("SecurityToken", "BondShareToken", "IncomeShareToken", "OracleRouter")
    edited = extract(_targets(*names), overrides)
    found = collisions({name: deployed[name] for name in names}, edited)
    # Except where a class stacks its own layout on the token's: what the token appends lands
    # on the class's first variable (IncomeLayout after TokenLayout), so the family's base layout
    # does not grow in place once a class extends it (docs/architecture.md, "Upgrades").
    assert set(found) == {"IncomeShareToken"}, found
    assert "_appended" in found["IncomeShareToken"], found
