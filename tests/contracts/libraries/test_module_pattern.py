"""FND-21 (issue 32 §1): one module pattern. A contract split over EIP-170 runs its modules by
DELEGATECALL through one base (contracts/libraries/Dispatch.sol); every module inherits
DelegatedModule (direct calls refused, tested on chain beside each pair) and its dispatcher's
storage base, so that it sees the dispatcher's storage slot by slot; each function a module serves
has a stub of the same selector in its dispatcher, or is in the dispatcher's views module (view
functions only), which its fallback reaches. Compiler output (`storageLayout`, `abi`) only: no
chain."""

from __future__ import annotations

import json
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
        {
            "FundInstant": "contracts/lifecycle/FundInstant.sol",
            "FundAdmin": "contracts/lifecycle/FundAdmin.sol",
        },
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
    # Every ComplianceEngine runs its governance in one admin module, which inherits the engine's
    # layout (ComplianceLayout), not the engine; no transfer check runs there.
    "ComplianceEngine": (
        "contracts/compliance/ComplianceEngine.sol",
        {"ComplianceAdmin": "contracts/compliance/ComplianceAdmin.sol"},
        None,
    ),
    # The portfolio vault's basket trades: the module inherits the vault's layout (VaultLayout).
    "PortfolioVault": (
        "contracts/vault/PortfolioVault.sol",
        {
            "PortfolioBasket": "contracts/vault/PortfolioBasket.sol",
            "PortfolioAdmin": "contracts/vault/PortfolioAdmin.sol",
        },
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


#: Opcodes that change state or call out with it (SSTORE, TSTORE, LOG0-4, CREATE, CALL, CALLCODE,
#: DELEGATECALL, CREATE2, SELFDESTRUCT). STATICCALL is the only call a view may make.
WRITERS = {0x55: "SSTORE", 0x5D: "TSTORE", 0xF0: "CREATE", 0xF1: "CALL", 0xF2: "CALLCODE"}
WRITERS |= {0xF4: "DELEGATECALL", 0xF5: "CREATE2", 0xFF: "SELFDESTRUCT"}
WRITERS |= {0xA0 + n: f"LOG{n}" for n in range(5)}
BUILD = ROOT / ".build" / "__local__.json"


def _opcodes(code: bytes) -> list[int]:
    """The runtime code's opcodes in order (PUSH data skipped), the trailing CBOR metadata (its
    length in the last two bytes) left out."""
    code = code[: len(code) - 2 - int.from_bytes(code[-2:], "big")]
    ops, i = [], 0
    while i < len(code):
        op = code[i]
        ops.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return ops


def test_opcodes__push_data_and_metadata_are_not_code():
    # PUSH2 0x55f1 (data that looks like SSTORE, CALL), STATICCALL, then 2 bytes of metadata.
    code = bytes([0x61, 0x55, 0xF1, 0xFA, 0xA1, 0x55]) + (2).to_bytes(2, "big")
    assert _opcodes(code) == [0x61, 0xFA]


@pytest.mark.skipif(not BUILD.is_file(), reason="needs the compiled build (make build)")
@pytest.mark.parametrize("module", [v for _, _, v in PAIRS.values() if v is not None])
def test_fnd_21__views_module__its_deployed_code_writes_nothing_and_calls_only_statically(module):
    """The invariant the open fallback rests on, checked on the deployed code and not the ABI
    (prime-views F3): no opcode of the views module's runtime changes state or calls with the
    power to (a later fallback body or an assembly block that did would show here)."""
    build = json.loads(BUILD.read_text())
    code = bytes.fromhex(build["contractTypes"][module]["runtimeBytecode"]["bytecode"][2:])
    found = sorted({WRITERS[op] for op in _opcodes(code) if op in WRITERS})
    assert not found, f"{module}'s runtime code holds {found}"
    assert 0xFA in _opcodes(code)  # it does read other contracts (the oracle), statically
    # The scan sees writes where there are some: its dispatcher's code stores and delegates.
    dispatcher = next(d for d, (_, _, v) in PAIRS.items() if v == module)
    ops = _opcodes(
        bytes.fromhex(build["contractTypes"][dispatcher]["runtimeBytecode"]["bytecode"][2:])
    )
    assert {0x55, 0xF4} <= set(ops)


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
