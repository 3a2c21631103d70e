"""The Solidity enums read from the sources (keepers/core/solidity_enums.py): every enum declared
is read, every enum an ABI names is known, the Python mirrors agree with the sources, and an error
argument of an enum type reads as its member's name."""

import json
import re
from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import keccak

from keepers.core import errors
from keepers.core.solidity_enums import (
    ROOT,
    SOURCE_FOLDERS,
    EnumConflict,
    member,
    member_name,
    parse_enums,
    solidity_enums,
)
from keepers.lifecycle.conventions import BusinessDayConvention, DayCountConvention
from keepers.lifecycle.instruments import InstrumentKind, InstrumentStatus, SettlementAssetType
from keepers.risk.limits import RISK_LIMIT_NAMES

BUILD = ROOT / ".build" / "__local__.json"


def _sources() -> list[Path]:
    return [
        p
        for folder in SOURCE_FOLDERS
        for p in (ROOT / folder).rglob("*.sol")
        if ".cache" not in p.relative_to(ROOT).parts
    ]


def test_every_enum_declared_in_the_sources_is_read():
    declared = sum(
        len(re.findall(r"^\s*enum\s+\w+", p.read_text(), re.MULTILINE)) for p in _sources()
    )
    assert declared > 0 and len(solidity_enums()) == declared


def test_parse__file_level_and_contract_scoped_enums__comments_ignored():
    text = """
    /// enum Fake { No }
    enum Top { A, // first
        B /* second */, C }
    contract Holder {
        struct S { uint256 x; }
        enum Inner { X, Y }
        function f() external { if (true) { } }
    }
    enum After { Z }
    """
    assert parse_enums(text) == {
        "Top": ("A", "B", "C"),
        "Holder.Inner": ("X", "Y"),
        "After": ("Z",),
    }
    with pytest.raises(ValueError, match="cannot read members"):
        parse_enums("enum Bad { A = 1 }")


def test_two_enums_of_one_name_that_disagree__refused(tmp_path):
    for name, body in (("a.sol", "enum Side { Buy, Sell }"), ("b.sol", "enum Side { Sell, Buy }")):
        (tmp_path / "contracts").mkdir(exist_ok=True)
        (tmp_path / "contracts" / name).write_text(body)
    (tmp_path / "interfaces").mkdir()
    with pytest.raises(EnumConflict, match="enum Side differs"):
        solidity_enums(tmp_path)


@pytest.mark.skipif(not BUILD.is_file(), reason="needs the compiled build (make build)")
def test_every_enum_an_abi_names_is_read_from_the_sources():
    manifest = json.loads(BUILD.read_text())
    named: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            kind = node.get("internalType") or node.get("internal_type") or ""
            if kind.startswith("enum "):
                named.add(kind[5:])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    # Types whose source is gone (a stale build's) are not the project's any more.
    for contract in manifest["contractTypes"].values():
        if (ROOT / contract.get("sourceId", "")).is_file():
            walk(contract.get("abi", []))
    assert named and named <= set(solidity_enums()), named - set(solidity_enums())


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z0-9])|(?<=[0-9])(?=[A-Z])", "_", name).upper()


@pytest.mark.parametrize(
    "mirror",
    [
        InstrumentKind,
        InstrumentStatus,
        SettlementAssetType,
        DayCountConvention,
        BusinessDayConvention,
    ],
)
def test_python_mirrors_agree_with_the_sources(mirror):
    assert [m.name for m in mirror] == [_snake(n) for n in solidity_enums()[mirror.__name__]]
    assert [m.value for m in mirror] == list(range(len(mirror)))


def test_risk_limit_names_are_the_sources():
    assert RISK_LIMIT_NAMES[0] == "None" and RISK_LIMIT_NAMES[member("RiskLimit", "Drawdown")] == (
        "Drawdown"
    )


def test_member__unknown_enum_or_member__says_which():
    assert member("ModelRule", "Vol") == solidity_enums()["ModelRule"].index("Vol")
    with pytest.raises(KeyError, match="no Solidity enum Nope"):
        member("Nope", "A")
    with pytest.raises(ValueError, match="enum ModelRule has no member Nope"):
        member("ModelRule", "Nope")
    assert member_name("enum ModelRule", 10**6) is None
    assert member_name("uint8", 1) is None


def test_an_error_argument_of_an_enum_type_reads_as_the_members_name(monkeypatch):
    """`decode_error_data` (the CLI's one line for a revert another contract raised) names the
    enum member: `rule=Vol`, not `rule=7`."""

    class Input:
        def __init__(self, name, type_, internal_type):
            self.name, self.canonical_type, self.internal_type = name, type_, internal_type

    class Abi:
        name = "InvalidModelUpdate"
        inputs = [
            Input("portfolio", "address", "address"),
            Input("rule", "uint8", "enum ModelRule"),
            Input("index", "uint256", "uint256"),
        ]

    selector = keccak(text="InvalidModelUpdate(address,uint8,uint256)")[:4]
    monkeypatch.setattr(errors, "_project_errors", lambda: {selector: Abi})
    portfolio = "0x" + "11" * 20
    vol = member("ModelRule", "Vol")
    data = "0x" + (selector + encode(["address", "uint8", "uint256"], [portfolio, vol, 2])).hex()
    line = errors.decode_error_data(data)
    assert line == f"InvalidModelUpdate(portfolio={portfolio}, rule=Vol, index=2)"


def _refused(monkeypatch, arguments: list[tuple[str, str, object]]) -> str:
    """The one line `decode_error_data` gives for `Refused(...)` with these (name, type, value)
    arguments, the error registered as the project's (the manifest's own form, errors._ErrorAbi)."""
    types = [kind for _, kind, _ in arguments]
    selector = keccak(text=f"Refused({','.join(types)})")[:4]
    inputs = tuple(errors._Input(name, kind, kind) for name, kind, _ in arguments)
    monkeypatch.setattr(
        errors, "_project_errors", lambda: {selector: errors._ErrorAbi("Refused", inputs)}
    )
    data = selector + encode(types, [value for _, _, value in arguments])
    return errors.decode_error_data("0x" + data.hex())


def test_error_arguments__times_money_and_bps_as_a_person_reads_them(monkeypatch):
    """Issue 33 §2: a refusal's arguments named as times read in ISO 8601 UTC, `…Usd` (18
    decimals) as money, `…Bps` with their percentage; a token amount stays in base units."""
    line = _refused(
        monkeypatch,
        [
            ("deadline", "uint64", 1_830_211_200),
            ("debtUsd", "uint256", 1_234_567 * 10**16),
            ("initialBps", "uint256", 15_000),
            ("amount", "uint256", 5 * 10**18),
            ("calledAt", "uint256", 0),
        ],
    )
    assert line == (
        "Refused(deadline=2027-12-31T00:00:00Z, debtUsd=$12,345.67, initialBps=15000 (150%), "
        "amount=5000000000000000000, calledAt=0)"
    )


def test_error_arguments__a_block_number_stays_a_number__text_one_line__usd_exact(monkeypatch):
    """helper-86 M2, L4, L6: `committedAt` of RevealTooEarly is a block number (no time before
    2001 is read as one); a string argument is one line, its control characters written out and
    its length bounded; a USD figure is exact (a debt of $100.004 against a $100 limit)."""
    line = _refused(
        monkeypatch,
        [
            ("committedAt", "uint256", 1_234),
            ("why", "string", "bad\nterms\x1b[2J" + "x" * 500),
            ("debtUsd", "uint256", 100_004 * 10**15),
            ("limitUsd", "uint256", 100 * 10**18),
        ],
    )
    assert line.startswith("Refused(committedAt=1234, why=bad\\nterms\\x1b[2Jxxx")
    assert "\n" not in line and "\x1b" not in line and len(line) < 400
    assert line.endswith("debtUsd=$100.004, limitUsd=$100.00)")


def test_a_checkout_under_a_folder_named_cache__still_read(tmp_path):
    """Only the dependency cache under contracts/ is skipped, not a `.cache` above the checkout
    (the review of 328b2dd..HEAD, L-1: `~/.cache/...` read no enum)."""
    root = tmp_path / ".cache" / "quantera"
    (root / "contracts" / ".cache").mkdir(parents=True)
    (root / "interfaces").mkdir()
    (root / "contracts" / "A.sol").write_text("enum Side { Buy, Sell }")
    (root / "contracts" / ".cache" / "Dep.sol").write_text("enum Dep { X }")
    assert solidity_enums(root) == {"Side": ("Buy", "Sell")}


def test_member_name__sources_in_conflict__the_number_not_an_exception(monkeypatch):
    """Formatting a revert never raises in the revert's place (review L-4)."""
    from keepers.core import solidity_enums as module

    def conflict():
        raise EnumConflict("enum Side differs")

    monkeypatch.setattr(module, "solidity_enums", conflict)
    assert module.member_name("enum Side", 0) is None


def test_revert_line__an_ape_custom_error__names_the_member():
    """The direct path (ape decoded the error from the called contract's ABI) names the enum
    member too."""
    from ape.exceptions import CustomError
    from ethpm_types.abi import ErrorABI

    abi = ErrorABI(
        type="error",
        name="InvalidStrategy",
        inputs=[
            {"name": "rule", "type": "uint8", "internalType": "enum StrategyRule"},
            {"name": "value", "type": "uint256", "internalType": "uint256"},
        ],
    )
    rule = member("StrategyRule", "Cooldown")
    err = CustomError(abi, {"rule": rule, "value": 599})
    assert errors.revert_line(err) == "InvalidStrategy(rule=Cooldown, value=599)"
