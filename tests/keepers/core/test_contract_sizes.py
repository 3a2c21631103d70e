"""FND-14: every deployable contract keeps 1,000 bytes of headroom below EIP-170, and
benchmarks/contract_sizes.json records the sizes of the contracts the build produces.

Runs on the artifacts `make build` compiled (`make test` builds first)."""

import json

import pytest

from conftest import BIN
from keepers.core.benchmarking import (
    GROWTH_LIMIT,
    RUNTIME_BUDGET,
    contract_sizes,
    size_budget_problems,
)

ROOT = BIN.parent.parent
BUILD_FILE = ROOT / ".build" / "__local__.json"
SIZES_FILE = ROOT / "benchmarks" / "contract_sizes.json"


@pytest.fixture(scope="module")
def sizes():
    assert BUILD_FILE.is_file(), "no compiled artifacts: run `make build`"
    return contract_sizes(BUILD_FILE)


def test_contract_sizes__every_deployable_contract__keeps_1000_bytes_below_eip170(sizes):
    assert {
        "ComplianceEngine",
        "RiskEngine",
        "AutoRebalancer",
        "LiquidityAggregator",
    } <= sizes.keys()
    assert size_budget_problems(sizes) == []
    # Issue 32 §1: every contract leaves ROOM_TO_GROW (1,500 bytes) under the budget.
    assert GROWTH_LIMIT == 22_076
    assert all(size["runtime_bytes"] <= GROWTH_LIMIT for size in sizes.values())


def test_contract_sizes__over_budget_contract__is_reported_with_its_size():
    over = {"Big": {"source": "x.sol", "runtime_bytes": RUNTIME_BUDGET + 1, "initcode_bytes": 100}}
    [problem] = size_budget_problems(over)
    assert problem.startswith(f"Big: runtime {RUNTIME_BUDGET + 1} bytes > budget {RUNTIME_BUDGET}")


def test_contract_sizes__contract_without_room_to_grow__is_reported():
    near = {"Near": {"source": "x.sol", "runtime_bytes": GROWTH_LIMIT + 1, "initcode_bytes": 100}}
    [problem] = size_budget_problems(near)
    assert problem.startswith(f"Near: runtime {GROWTH_LIMIT + 1} bytes > {GROWTH_LIMIT}")
    fits = {"Fits": {"source": "x.sol", "runtime_bytes": GROWTH_LIMIT, "initcode_bytes": 100}}
    assert size_budget_problems(fits) == []


def test_contract_sizes__benchmark_file__lists_every_contract_at_its_built_size(sizes):
    recorded = json.loads(SIZES_FILE.read_text())
    assert recorded["runtime_budget_bytes"] == RUNTIME_BUDGET
    assert recorded["contracts"].keys() == sizes.keys(), (
        "contracts added or removed: run `make sizes`"
    )
    stale = {
        name: (recorded["contracts"][name]["runtime_bytes"], size["runtime_bytes"])
        for name, size in sizes.items()
        if recorded["contracts"][name]["runtime_bytes"] != size["runtime_bytes"]
    }
    assert stale == {}, f"sizes changed (recorded, built): run `make sizes` — {stale}"
