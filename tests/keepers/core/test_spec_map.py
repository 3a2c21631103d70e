"""The specification (docs/specs/, one file per prefix; docs/specs.md its index) checks itself:
every requirement id names tests that exist, is defined once, in the file of its prefix, and every
id a test claims is a requirement (issue 16, item 5; issue 32 §5).

A requirement is a list item starting `- **ID**`; its references are the backticked
`tests/<path>.py::<name>` under it, `tests/<path>.py` alone (every test of the file), and the
continuation `::<name>` (the file of the previous reference in the same item). A name may end in
`*` (every test it starts) or carry a parametrize suffix `[..]`; `Class.method` names a method.
References outside requirements (section introductions) must exist too. A test claims an id when
its name, its docstring, its class's or its module's docstring mentions one (`RSK-3`, `KPR-1 to
KPR-3`). Test files move between folders (tests/contracts/<domain>/, tests/keepers/<domain>/): a
path that no longer exists but whose file name is unique under tests/ is reported with the path to
write instead, and so is a test that moved to another file.
"""

import ast
import fnmatch
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "docs" / "specs"  # one file per prefix, `<PREFIX>.md`
INDEX = ROOT / "docs" / "specs.md"  # their index: defines no requirement
TESTS = ROOT / "tests"

ID = re.compile(r"\b([A-Z]{3,4})-(\d+)\b")
# Standards and other numbered names that are not requirement ids.
NOT_REQUIREMENTS = {"ERC", "EIP", "BIP", "RFC", "ISO", "CVE", "UTF", "SHA"}
# In a test's name an id is lower case with an underscore (test_rsk_3__...): only the spec's
# domains.
NAMED_ID = re.compile(r"(?<![a-z])([a-z]{3,4})_(\d+)(?![0-9])")
DOMAINS = {
    "FND",
    "CMP",
    "ORC",
    "RSK",
    "LIQ",
    "RBL",
    "DEMO",
    "SEC",
    "KPR",
    "LCY",
    "ANL",
    "RPT",
    "PRM",
    "UPG",
}
ITEM = re.compile(r"^- \*\*([A-Z]{3,4}-\d+)\*\*")
BACKTICKED = re.compile(r"`([^`]+)`")
# `tests/x/test_y.py`, `tests/x/test_y.py::name`, `test_y.py::name` (a path to fix), `::name`.
REFERENCE = re.compile(r"^(?P<path>(?:[\w.-]+/)*[\w.-]+\.py)?(?:::(?P<name>[\w.*\[\]-]+))?$")


@dataclass
class Reference:
    line: int
    path: str
    name: str | None  # None: the whole file
    source: str = "docs/specs.md"  # the document it is written in

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass
class Requirement:
    id: str
    line: int
    references: list[Reference] = field(default_factory=list)
    source: str = "docs/specs.md"


@dataclass
class SpecMap:
    requirements: list[Requirement]
    loose: list[Reference]  # references outside any requirement (section introductions)
    problems: list[str]


def spec_documents() -> dict[str, str]:
    """The specification's documents, by path: each prefix's file under docs/specs/, and the
    index (which must define none)."""
    paths = [INDEX, *sorted(SPECS.glob("*.md"))]
    return {path.relative_to(ROOT).as_posix(): path.read_text() for path in paths}


def parse_specs(text: str, source: str = "docs/specs.md") -> SpecMap:
    """The requirements of one document with their test references, and what cannot be parsed."""
    requirements: list[Requirement] = []
    loose: list[Reference] = []
    problems: list[str] = []
    current: Requirement | None = None
    previous_path: str | None = None  # for `::name`, reset at each item and paragraph
    for number, line in enumerate(text.splitlines(), start=1):
        item = ITEM.match(line)
        if item:
            current = Requirement(item.group(1), number, source=source)
            requirements.append(current)
            previous_path = None
        elif not line.strip() or line.startswith(("#", "- ")):
            current, previous_path = None, None
        for token in BACKTICKED.findall(line):
            match = REFERENCE.match(token.strip())
            if not match or not (match.group("name") or token.endswith(".py")):
                continue
            path, name = match.group("path"), match.group("name")
            if path is None:
                if previous_path is None:
                    where = current.id if current else "a section introduction"
                    problems.append(
                        f"{source}:{number}: `{token}` under {where} continues no "
                        "reference: write its file (`tests/...py::name`)"
                    )
                    continue
                path = previous_path
            elif not (path.startswith("tests/") or "/" not in path):
                continue  # not a test reference (a contract, a keeper module)
            if "/" not in path and not Path(path).name.startswith("test_"):
                continue
            previous_path = path
            reference = Reference(number, path, name, source)
            (current.references if current else loose).append(reference)
    return SpecMap(requirements, loose, problems)


@dataclass
class ParsedFile:
    tests: set[str]  # test functions and methods (bare names) and test classes
    names: set[str]  # every defined name, `Class.method` included


@cache
def read_test_file(path: Path) -> ParsedFile:
    tree = ast.parse(path.read_text(), filename=str(path))
    tests: set[str] = set()
    names: set[str] = set()

    def visit(node, prefix=""):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(prefix + child.name)
                if child.name.startswith("test"):
                    tests.add(child.name)
                visit(child, prefix)  # a state machine defined inside its test function
            elif isinstance(child, ast.ClassDef):
                names.add(prefix + child.name)
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in child.bases}
                if child.name.startswith("Test") or bases & {"RuleBasedStateMachine", "TestCase"}:
                    tests.add(child.name)
                visit(child, child.name + ".")
            elif isinstance(child, ast.Assign):
                # `TestMachine = Machine.TestCase`: hypothesis's stateful test, by its name.
                for target in child.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                        value = child.value
                        if target.id.startswith("Test") or (
                            isinstance(value, ast.Attribute) and value.attr == "TestCase"
                        ):
                            tests.add(target.id)
            else:
                visit(child, prefix)

    visit(tree)
    return ParsedFile(tests, names)


def shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def files_under_tests() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def resolve(reference: Reference, files: list[Path]) -> tuple[bool, list[str]]:
    """Whether the reference names at least one test, and its problems (empty: it resolves)."""
    where = reference.where
    path = ROOT / reference.path
    quoted = f"`{reference.path}{'::' + reference.name if reference.name else ''}`"
    if not path.is_file():
        same_name = [p for p in files if p.name == Path(reference.path).name]
        if len(same_name) == 1:
            right = shown(same_name[0])
            return False, [
                f"{where}: stale path {quoted}: the file is `{right}` "
                f"(write `{reference.path}` as `{right}`)"
            ]
        hint = (
            f" (several files are named so: {', '.join(shown(p) for p in same_name)})"
            if same_name
            else ""
        )
        return False, [f"{where}: {quoted}: no file `{reference.path}`{hint}"]
    defined = read_test_file(path)
    if reference.name is None:
        if not defined.tests and path.name.startswith("test_"):
            return False, [f"{where}: {quoted}: the file defines no test"]
        return bool(defined.tests), []
    name = reference.name.split("[", 1)[0]  # a parametrized case names its test function
    if "*" in name:
        matched = fnmatch.filter(defined.tests, name)
        if not matched:
            return False, [f"{where}: {quoted}: no test in `{reference.path}` matches `{name}`"]
        return True, []
    if name in defined.tests or name in defined.names:
        return name in defined.tests, []
    elsewhere = [shown(p) for p in files if p != path and name in read_test_file(p).tests]
    if len(elsewhere) == 1:
        return False, [f"{where}: {quoted}: the test moved: write `{elsewhere[0]}::{name}`"]
    return False, [f"{where}: {quoted}: `{reference.path}` defines no `{name}`"]


def claimed_ids(files: list[Path]) -> dict[str, list[str]]:
    """Requirement ids mentioned by test names and docstrings, with where each is mentioned."""
    claims: dict[str, list[str]] = defaultdict(list)

    def note(text: str | None, where: str):
        for prefix, number in ID.findall(text or ""):
            if prefix not in NOT_REQUIREMENTS:
                claims[f"{prefix}-{number}"].append(where)

    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        relative = shown(path)
        note(ast.get_docstring(tree), f"{relative} (module docstring)")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                note(ast.get_docstring(node), f"{relative}::{node.name}")
                for prefix, number in NAMED_ID.findall(node.name):
                    if prefix.upper() in DOMAINS:
                        claims[f"{prefix.upper()}-{number}"].append(
                            f"{relative}::{node.name} (name)"
                        )
    return claims


def spec_map_problems(documents: str | dict[str, str], files: list[Path]) -> list[str]:
    """Every problem of the specification (`documents`: path -> text; a bare text is read as
    docs/specs.md): a reference that resolves to no test, an id defined twice or, under
    docs/specs/, outside the file of its prefix, a claimed id defined nowhere."""
    if isinstance(documents, str):
        documents = {"docs/specs.md": documents}
    spec = SpecMap([], [], [])
    for source, text in documents.items():
        part = parse_specs(text, source)
        spec.requirements += part.requirements
        spec.loose += part.loose
        spec.problems += part.problems
    problems = list(spec.problems)
    lines: dict[str, list[str]] = defaultdict(list)
    for requirement in spec.requirements:
        lines[requirement.id].append(f"{requirement.source}:{requirement.line}")
        folder, _, name = requirement.source.rpartition("/")
        prefix = requirement.id.split("-")[0]
        if folder == "docs/specs" and name != f"{prefix}.md":
            problems.append(
                f"{requirement.id} ({requirement.source}:{requirement.line}) belongs in "
                f"docs/specs/{prefix}.md"
            )
        elif requirement.source == "docs/specs.md" and len(documents) > 1:
            problems.append(
                f"{requirement.id} (docs/specs.md:{requirement.line}) is in the index: move it "
                f"to docs/specs/{prefix}.md"
            )
    for id_, at in lines.items():
        if len(at) > 1:
            problems.append(f"{id_} is defined {len(at)} times ({', '.join(at)})")
    for requirement in spec.requirements:
        names_a_test = False
        for reference in requirement.references:
            resolves_to_test, found = resolve(reference, files)
            names_a_test |= resolves_to_test
            problems += [f"{requirement.id}: {p}" for p in found]
        if not names_a_test:
            problems.append(
                f"{requirement.id} ({requirement.source}:{requirement.line}) names no test "
                "(`tests/...py::test_name` or a test file)"
            )
    for reference in spec.loose:
        problems += resolve(reference, files)[1]
    for id_, where in sorted(claimed_ids(files).items()):
        if id_ not in lines:
            problems.append(
                f"{id_} is claimed but defined nowhere in docs/specs/: "
                f"{', '.join(sorted(set(where)))}"
            )
    return problems


def test_spec_map__every_requirement_names_existing_tests_and_every_claimed_id_exists():
    documents = spec_documents()
    assert len(documents) >= 14, sorted(documents)
    count = sum(len(parse_specs(text, path).requirements) for path, text in documents.items())
    assert count >= 68, count
    problems = spec_map_problems(documents, files_under_tests())
    assert not problems, f"{len(problems)} problem(s) in the spec map:\n" + "\n".join(problems)


def test_spec_map__each_kind_of_problem__reported_with_the_fix(tmp_path):
    """The checker itself, on a small document and the real tests/ tree."""
    real = "tests/keepers/core/test_store.py"
    text = "\n".join(
        [
            "## Domain",
            "",
            f"- **FND-1** holds. `{real}::test_insert__same_logs_twice__stored_once`,",
            "  `::test_cursor__any_order_of_updates__is_the_maximum_seen`, `::test_no_such_test`.",
            "- **FND-1** twice.",
            f"  `{real}::test_insert__same_logs_twice__stored_once`.",
            "- **FND-2** names nothing but a helper. `tests/contracts/isolation.py::isolated`.",
            "- **FND-3** stale path. "
            "`tests/test_store.py::test_insert__same_logs_twice__stored_once`.",
            "- **FND-4** no file. `tests/keepers/test_nowhere.py::test_x`.",
            "- **FND-5** dangling. `::test_x`.",
            "- **FND-6** a glob and a state machine. "
            "`tests/keepers/liquidity/test_routing.py::test_split__*`,",
            "  `tests/contracts/risk/test_risk_stateful.py::RiskMachine`, "
            "`tests/keepers/core/test_cli.py`.",
            "- **FND-7** moved. "
            "`tests/keepers/core/test_cli.py::test_insert__same_logs_twice__stored_once`.",
        ]
    )
    problems = "\n".join(spec_map_problems(text, files_under_tests()))
    assert "FND-1 is defined 2 times (docs/specs.md:3, docs/specs.md:5)" in problems
    assert "defines no `test_no_such_test`" in problems
    assert "FND-2 (docs/specs.md:7) names no test" in problems
    assert (
        "stale path `tests/test_store.py::test_insert__same_logs_twice__stored_once`: "
        f"the file is `{real}`" in problems
    )
    assert "no file `tests/keepers/test_nowhere.py`" in problems
    assert "`::test_x` under FND-5 continues no reference" in problems
    assert "FND-6" not in problems, problems
    assert f"the test moved: write `{real}::test_insert__same_logs_twice__stored_once`" in problems
    assert "FND-1 names no test" not in problems and "FND-3 (docs" in problems
    # A claim of an id the document does not define, from a test's docstring.
    claimed = tmp_path / "test_claims.py"
    claimed.write_text(
        'def test_a():\n    """RSK-99 and ERC-20: one requirement, one standard."""\n\n\n'
        "def test_sec_98__named_for_it():\n    pass\n"
    )
    problems = "\n".join(spec_map_problems(text, [claimed]))
    assert f"RSK-99 is claimed but defined nowhere in docs/specs/: {claimed}::test_a" in problems
    assert (
        "SEC-98 is claimed but defined nowhere in docs/specs/: "
        f"{claimed}::test_sec_98__named_for_it (name)" in problems
    )
    assert "ERC-20" not in problems


def test_spec_map__an_id_outside_its_prefixs_file_or_in_the_index__reported():
    """Issue 32 §5: the split keeps each prefix in its own file, and the index defines none."""
    real = "tests/keepers/core/test_store.py::test_insert__same_logs_twice__stored_once"
    item = f"- **SEC-1** holds. `{real}`."
    problems = "\n".join(
        spec_map_problems(
            {"docs/specs.md": item.replace("SEC-1", "FND-9"), "docs/specs/PRM.md": item},
            files_under_tests(),
        )
    )
    assert "SEC-1 (docs/specs/PRM.md:1) belongs in docs/specs/SEC.md" in problems
    assert "FND-9 (docs/specs.md:1) is in the index: move it to docs/specs/FND.md" in problems
