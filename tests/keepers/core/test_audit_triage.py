"""tools/audit/triage.json checks itself without running slither (`make audit` does, for minutes):
every reviewed finding names code that still exists, and every test its reason cites exists, so a
rename or a moved test shows here at once instead of as a stale or unreviewed finding in the next
slither run. The check of the entries against a run's findings is slither_check.py's `check`,
tested here on hand-made results (what `--results FILE` reads)."""

import importlib.util
import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TRIAGE = json.loads((ROOT / "tools" / "audit" / "triage.json").read_text())
TESTS = ROOT / "tests"
# Slither's name for the code that initialises a contract's constants.
SYNTHETIC = {"slitherConstructorConstantVariables", "slitherConstructorVariables"}
# A name may end in `*`: some test starts with it.
CITED_TEST = re.compile(r"\b(?:(test_\w+\.py)::)?(test_\w+__\w*\*?)")
CITED_FILE = re.compile(r"\b(test_\w+\.py)\b")


def _checker():
    spec = importlib.util.spec_from_file_location(
        "slither_check", ROOT / "tools" / "audit" / "slither_check.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def _test_files() -> dict[str, list[Path]]:
    files: dict[str, list[Path]] = {}
    for path in TESTS.rglob("test_*.py"):
        files.setdefault(path.name, []).append(path)
    return files


@cache
def _test_names() -> dict[str, set[str]]:
    return {
        name: {m for p in paths for m in re.findall(r"^def (test_\w+)", p.read_text(), re.M)}
        for name, paths in _test_files().items()
    }


@cache
def _declarations() -> dict[str, str]:
    """Contract, library or interface name -> the text of its declaring file."""
    found = {}
    for path in (ROOT / "contracts").rglob("*.sol"):
        if ".cache" in path.parts:
            continue
        text = path.read_text()
        for name in re.findall(r"^(?:abstract )?(?:contract|library) (\w+)", text, re.M):
            found[name] = text
    return found


@pytest.mark.parametrize("entry", TRIAGE["findings"], ids=lambda e: f"{e['check']}:{e['where']}")
def test_audit_triage__entry__names_existing_code_and_tests(entry):
    assert set(entry) == {"check", "where", "why"} and entry["why"].strip()
    contract, _, member = entry["where"].partition(".")
    source = _declarations().get(contract)
    assert source is not None, f"{entry['where']}: no contract {contract} under contracts/"
    if member not in SYNTHETIC:
        declared = re.search(rf"\bfunction {member}\s*\(|\b{member}\s*(;|=[^=])", source)
        assert declared, f"{entry['where']}: {member} is not declared in {contract}'s file"
    for file in CITED_FILE.findall(entry["why"]):
        assert file in _test_files(), f"{entry['where']}: cites {file}, not under tests/"
    for file, name in CITED_TEST.findall(entry["why"]):
        where = [file] if file else list(_test_names())
        defined = {t for f in where for t in _test_names().get(f, ())}
        prefix = name.rstrip("*")
        found = (
            any(t.startswith(prefix) for t in defined) if name.endswith("*") else name in defined
        )
        assert found, (
            f"{entry['where']}: cites {file + '::' if file else ''}{name}, which no test file "
            "defines"
        )


def test_audit_triage__keys__unique_and_not_reviewed_whole_as_well():
    keys = [(e["check"], e["where"]) for e in TRIAGE["findings"]]
    assert len(keys) == len(set(keys))
    assert not {check for check, _ in keys} & set(TRIAGE["detectors"])


def _result(check, impact, contract, function):
    parent = {"type": "contract", "name": contract}
    element = {
        "type": "function",
        "name": function,
        "type_specific_fields": {"parent": parent},
    }
    return {
        "check": check,
        "impact": impact,
        "description": f"{contract}.{function}() does something\nmore",
        "elements": [element],
    }


def test_slither_check__saved_results__unreviewed_fail_stale_listed(tmp_path):
    checker = _checker()
    triage = {
        "detectors": {"whole": "every hit is fine"},
        "findings": [
            {"check": "a", "where": "C.f", "why": "reviewed"},
            {"check": "a", "where": "C.gone", "why": "reviewed, code since removed"},
        ],
    }
    results = [
        _result("a", "High", "C", "f"),
        _result("whole", "Medium", "C", "g"),
        _result("b", "Low", "C", "h"),
    ]
    saved = tmp_path / "slither.json"
    saved.write_text(json.dumps({"results": {"detectors": results}}))  # slither's own --json
    run = checker._load(saved)

    lines, status = checker.check(run, triage)
    assert status == 0
    assert lines[0].endswith("1 high, 1 medium, 1 low, 0 informational, 0 optimization")
    assert "not found this run (remove the entry if it never comes back): a C.gone" in lines

    run["results"].append(_result("b", "Medium", "D", "k"))
    lines, status = checker.check(run, triage)
    assert status == 1
    assert "UNREVIEWED Medium b D.k: D.k() does something" in lines
