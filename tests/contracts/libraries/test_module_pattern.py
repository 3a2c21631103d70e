"""FND-21 (issue 32 §1): one module pattern. A contract split over EIP-170 runs its modules by
DELEGATECALL through one base (contracts/libraries/Dispatch.sol); every module inherits
DelegatedModule (direct calls refused, tested on chain beside each pair) and its dispatcher's
storage base, so that it sees the dispatcher's storage slot by slot; each function a module serves
has a stub of the same selector in its dispatcher, or is in the dispatcher's views module (view
functions only), which its fallback reaches. Compiler output (`storageLayout`, `abi`) only: no
chain."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from eth_utils import function_abi_to_4byte_selector

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from storage_layout import ROOT, compiler_output  # noqa: E402

#: dispatcher: (its source, {module: source}, its views module: the module its fallback forwards
#: every selector it has no function for, or None)
PAIRS = {
    "PrimeBroker": (
        "contracts/prime/PrimeBroker.sol",
        {
            "PrimeMargin": "contracts/prime/PrimeMargin.sol",
            "PrimeLiquidation": "contracts/prime/PrimeLiquidation.sol",
            "PrimeViews": "contracts/prime/PrimeViews.sol",
        },
        "PrimeViews",
    ),
    "LendingPool": (
        "contracts/prime/LendingPool.sol",
        {"PoolLosses": "contracts/prime/PoolLosses.sol"},
        None,
    ),
    "FundVault": (
        "contracts/lifecycle/FundVault.sol",
        {"FundInstant": "contracts/lifecycle/FundInstant.sol"},
        None,
    ),
    # Every SecurityToken runs its functions that move no balance in one admin module, which
    # inherits the token's layout (TokenLayout), not the token.
    "SecurityToken": (
        "contracts/token/SecurityToken.sol",
        {"TokenAdmin": "contracts/token/TokenAdmin.sol"},
        None,
    ),
    # A class's own module inherits the class's layout (TokenLayout, IncomeLayout), not the token;
    # the class runs the token family's admin module too.
    "IncomeShareToken": (
        "contracts/lifecycle/IncomeShareToken.sol",
        {
            "IncomeShareLogic": "contracts/lifecycle/IncomeShareLogic.sol",
            "TokenAdmin": "contracts/token/TokenAdmin.sol",
        },
        None,
    ),
    "BondShareToken": (
        "contracts/lifecycle/BondShareToken.sol",
        {"TokenAdmin": "contracts/token/TokenAdmin.sol"},
        None,
    ),
    # The portfolio vault's basket trades: the module inherits the vault's layout (VaultLayout).
    "PortfolioVault": (
        "contracts/vault/PortfolioVault.sol",
        {"PortfolioBasket": "contracts/vault/PortfolioBasket.sol"},
        None,
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
def test_fnd_21__module_functions__each_has_a_stub_or_is_the_views_module(
    output, dispatcher, module
):
    stubs = _selectors(output[dispatcher]["abi"])
    # `moduleId` is DelegatedModule's, for the dispatcher's constructor, not a served call.
    served = {s: n for s, n in _selectors(output[module]["abi"]).items() if n != "moduleId"}
    if module == PAIRS[dispatcher][2]:
        # The views module is reached by the fallback: a stub of the same selector would shadow
        # its function (the dispatcher's own would answer instead). The getters of the storage
        # base's public constants are in every module and the dispatcher alike (one source, one
        # value): those are not the module's own.
        base = set.intersection(
            *(set(_selectors(output[m]["abi"])) for m in PAIRS[dispatcher][1]), set(stubs)
        )
        shadowed = {n for s, n in served.items() if s in stubs and s not in base}
        assert not shadowed, f"{dispatcher} shadows {sorted(shadowed)} of {module}"
        return
    missing = {n for s, n in served.items() if s not in stubs}
    assert not missing, f"{module} serves {sorted(missing)}: {dispatcher} has no stub for them"


@pytest.mark.parametrize(
    "dispatcher, module", [(d, v) for d, (_, _, v) in PAIRS.items() if v is not None]
)
def test_fnd_21__views_module__holds_view_functions_only_and_refuses_the_rest(
    output, dispatcher, module
):
    """The dispatcher forwards every unknown selector to its views module without a role or a
    lock: that is safe only while every function there is view or pure (the compiler refuses a
    state change in one) and any other selector reverts (its fallback, not payable)."""
    abi = output[module]["abi"]
    writers = [
        e["name"]
        for e in abi
        if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")
    ]
    assert not writers, f"{module} has state-changing functions {writers}"
    fallbacks = [e for e in abi if e["type"] in ("fallback", "receive")]
    assert [(e["type"], e["stateMutability"]) for e in fallbacks] == [("fallback", "nonpayable")]
    assert "UnknownCall" in {e["name"] for e in abi if e["type"] == "error"}


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
