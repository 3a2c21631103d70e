"""FND-21 (issue 32 §1): one module pattern. A contract split over EIP-170 runs its modules by
DELEGATECALL through one base (contracts/libraries/Dispatch.sol); every module inherits
DelegatedModule (direct calls refused, tested on chain beside each pair) and its dispatcher's
storage base, so that it sees the dispatcher's storage slot by slot; each function a module serves
has a stub of the same selector in its dispatcher, or is one of the dispatcher's allow-listed
views. Compiler output (`storageLayout`, `abi`) only: no chain."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from eth_utils import function_abi_to_4byte_selector

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from storage_layout import ROOT, compiler_output  # noqa: E402

#: dispatcher: (its source, {module: source}, the module views its fallback serves)
PAIRS = {
    "PrimeBroker": (
        "contracts/prime/PrimeBroker.sol",
        {
            "PrimeMargin": "contracts/prime/PrimeMargin.sol",
            "PrimeLiquidation": "contracts/prime/PrimeLiquidation.sol",
        },
        {"health", "previewLiquidation", "topUp", "maxBorrow", "incomeOf", "incomeOwed"},
    ),
    "LendingPool": (
        "contracts/prime/LendingPool.sol",
        {"PoolLosses": "contracts/prime/PoolLosses.sol"},
        set(),
    ),
    "FundVault": (
        "contracts/lifecycle/FundVault.sol",
        {"FundInstant": "contracts/lifecycle/FundInstant.sol"},
        set(),
    ),
    # Every SecurityToken runs its functions that move no balance in one admin module, which
    # inherits the token's layout (TokenLayout), not the token.
    "SecurityToken": (
        "contracts/token/SecurityToken.sol",
        {"TokenAdmin": "contracts/token/TokenAdmin.sol"},
        set(),
    ),
    # A class's own module inherits the class's layout (TokenLayout, IncomeLayout), not the token;
    # the class runs the token family's admin module too.
    "IncomeShareToken": (
        "contracts/lifecycle/IncomeShareToken.sol",
        {
            "IncomeShareLogic": "contracts/lifecycle/IncomeShareLogic.sol",
            "TokenAdmin": "contracts/token/TokenAdmin.sol",
        },
        set(),
    ),
    "BondShareToken": (
        "contracts/lifecycle/BondShareToken.sol",
        {"TokenAdmin": "contracts/token/TokenAdmin.sol"},
        set(),
    ),
    # The portfolio vault's basket trades: the module inherits the vault's layout (VaultLayout).
    "PortfolioVault": (
        "contracts/vault/PortfolioVault.sol",
        {"PortfolioBasket": "contracts/vault/PortfolioBasket.sol"},
        set(),
    ),
}

#: Files that hold a DELEGATECALL: the one base, and the two other patterns (the aggregator's
#: adapters, the rebalancer's self-multicall).
DELEGATECALLERS = {
    "contracts/libraries/Dispatch.sol",
    "contracts/liquidity/LiquidityAggregator.sol",
    "contracts/rebalancing/AutoRebalancer.sol",
}


@pytest.fixture(scope="module")
def output():
    targets = {}
    for dispatcher, (source, modules, _) in PAIRS.items():
        targets[dispatcher] = source
        targets.update(modules)
    return compiler_output(targets, ("storageLayout", "abi"))


def _selectors(abi: list[dict]) -> dict[bytes, str]:
    return {
        function_abi_to_4byte_selector(entry): entry["name"]
        for entry in abi
        if entry["type"] == "function"
    }


@pytest.mark.parametrize(
    "dispatcher, module",
    [(d, m) for d, (_, modules, _) in PAIRS.items() for m in modules],
)
def test_fnd_21__module_storage__is_its_dispatchers_slot_by_slot(output, dispatcher, module):
    ours = output[dispatcher]["storage"]
    theirs = output[module]["storage"]
    assert theirs, f"{module} declares no storage: it does not inherit {dispatcher}'s base"
    assert theirs == ours[: len(theirs)], (dispatcher, module)


@pytest.mark.parametrize(
    "dispatcher, module",
    [(d, m) for d, (_, modules, _) in PAIRS.items() for m in modules],
)
def test_fnd_21__module_functions__each_has_a_stub_or_an_allow_listed_view(
    output, dispatcher, module
):
    stubs = _selectors(output[dispatcher]["abi"])
    # `moduleId` is DelegatedModule's, for the dispatcher's constructor, not a served call.
    served = {s: n for s, n in _selectors(output[module]["abi"]).items() if n != "moduleId"}
    views = PAIRS[dispatcher][2]
    missing = {n for s, n in served.items() if s not in stubs and n not in views}
    assert not missing, f"{module} serves {sorted(missing)}: {dispatcher} neither stubs nor allows"
    # An allow-listed view is the module's, not a stub of the dispatcher (or the stub would win).
    assert not views & set(stubs.values()), dispatcher


@pytest.mark.parametrize(
    "dispatcher, module",
    [(d, m) for d, (_, modules, _) in PAIRS.items() for m in modules],
)
def test_fnd_21__every_module__is_a_delegated_module_with_an_id(output, dispatcher, module):
    names = set(_selectors(output[module]["abi"]).values())
    assert "moduleId" in names, module
    errors = {e["name"] for e in output[module]["abi"] if e["type"] == "error"}
    assert "DirectCall" in errors, module
    dispatcher_errors = {e["name"] for e in output[dispatcher]["abi"] if e["type"] == "error"}
    assert "ModuleMismatch" in dispatcher_errors, dispatcher


def test_fnd_21__security_token__holds_no_state_beyond_its_layout(output):
    """SecurityToken's state is TokenLayout's (after AccessManaged's slot): a share class's module
    inherits that layout and not the token, so a variable declared in the token's body would sit
    in the token and not in the module. The income module's storage is the token's, then exactly
    IncomeLayout's three words."""
    token = output["SecurityToken"]["storage"]
    module = output["IncomeShareLogic"]["storage"]
    assert token == module[: len(token)]
    assert [entry[0] for entry in module[len(token) :]] == ["_income", "_holders", "_declarers"]


def test_fnd_21__delegatecall__only_in_the_dispatch_base_and_two_other_patterns():
    holders = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "contracts").rglob("*.sol")
        if ".cache" not in path.parts
        and "test" not in path.relative_to(ROOT / "contracts").parts[:1]
        and re.search(r"delegatecall\(", path.read_text())
    }
    assert holders == DELEGATECALLERS
