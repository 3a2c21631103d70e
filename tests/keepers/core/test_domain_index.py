"""The domain index of docs/architecture.md is complete: every contract domain, interface, keeper
package and test folder appears in it, every path it names exists, and every requirement prefix it
names is one docs/specs/ uses (issue 16: adding a domain means adding one row)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
SPECS = ROOT / "docs" / "specs"  # one file per prefix (docs/specs.md is their index)
COLUMNS = ("domain", "contracts", "interfaces", "keepers", "tests", "specs")
NOT_A_DOMAIN = {"test"}  # contracts/test: test doubles, deployed by tests only


def index_rows() -> list[dict[str, str]]:
    text = ARCHITECTURE.read_text()
    section = text[text.index("## Domain index") :]
    section = section[: section.index("\n## ", 1)]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert tuple(header) == COLUMNS, header
    return [
        dict(zip(COLUMNS, (cell.strip() for cell in row.strip("|").split("|")))) for row in rows[1:]
    ]


def paths(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_domain_index__every_folder_listed_and_every_listed_path_exists():
    rows = index_rows()
    listed = {column: {p for row in rows for p in paths(row[column])} for column in COLUMNS[1:5]}
    problems = []
    for column in ("contracts", "keepers", "tests"):
        for path in listed[column]:
            if not (ROOT / path).is_dir():
                problems.append(f"{column}: `{path}` is not a folder")
    for name in listed["interfaces"]:
        if not (ROOT / "interfaces" / name).is_file():
            problems.append(f"interfaces: no `interfaces/{name}`")
    for folder in sorted(
        p
        for p in (ROOT / "contracts").iterdir()
        # Not contracts/.cache: the symlink to ape's unpacked dependencies (FND-19).
        if p.is_dir() and not p.is_symlink() and p.name not in NOT_A_DOMAIN
    ):
        if f"contracts/{folder.name}/" not in listed["contracts"]:
            problems.append(f"contracts/{folder.name}/ is in no row")
    for package in sorted(p for p in (ROOT / "keepers").iterdir() if (p / "__init__.py").is_file()):
        if f"keepers/{package.name}/" not in listed["keepers"]:
            problems.append(f"keepers/{package.name}/ is in no row")
    for runner in ("contracts", "keepers"):
        for folder in sorted(
            p for p in (ROOT / "tests" / runner).iterdir() if p.is_dir() and p.name != "__pycache__"
        ):
            if f"tests/{runner}/{folder.name}/" not in listed["tests"]:
                problems.append(f"tests/{runner}/{folder.name}/ is in no row")
    for interface in sorted((ROOT / "interfaces").glob("I*.sol")):
        if interface.name not in listed["interfaces"]:
            problems.append(f"interfaces/{interface.name} is in no row")
    assert not problems, "\n".join(problems)


def test_domain_index__spec_prefixes_are_the_ones_specs_md_uses():
    text = "".join(path.read_text() for path in sorted(SPECS.glob("*.md")))
    used = set(re.findall(r"\*\*([A-Z]+)-\d+\*\*", text))
    named = {
        prefix.strip()
        for row in index_rows()
        for prefix in row["specs"].split(",")
        if prefix.strip()
    }
    assert named == used, (sorted(named - used), sorted(used - named))


def _parts_table() -> str:
    text = ARCHITECTURE.read_text()
    return text[text.index("## The parts") : text.index("## Domain index")]


def test_parts__every_deployable_contract_and_every_keeper_bot_is_named():
    """Issue 32 §5: the parts table of docs/architecture.md names every deployable contract's
    source (benchmarks/contract_sizes.json, test harnesses aside) and every silverback bot (a
    module defining `bot = keeper_bot(...)`), and docs/keepers.md says how to run each bot."""
    import json

    parts = _parts_table()
    sizes = json.loads((ROOT / "benchmarks" / "contract_sizes.json").read_text())
    contracts = next(v for v in sizes.values() if isinstance(v, dict) and "LendingPool" in v)
    sources = {entry["source"] for entry in contracts.values()}
    unnamed = sorted(
        s for s in sources if not s.startswith("contracts/test/") and Path(s).name not in parts
    )
    assert unnamed == [], f"deployable contracts in no row of The parts: {unnamed}"
    bots = sorted(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "keepers").rglob("*.py")
        if re.search(r"^bot = ", path.read_text(), re.M)
    )
    assert len(bots) >= 7, bots
    keepers_row = next(line for line in parts.splitlines() if line.startswith("| Keepers |"))
    assert [b for b in bots if b not in keepers_row] == [], "bots missing from the Keepers row"
    runbook = (ROOT / "docs" / "keepers.md").read_text()
    modules = [b.removesuffix(".py").replace("/", ".") + ":bot" for b in bots]
    assert [m for m in modules if m not in runbook] == [], "bots docs/keepers.md does not run"


README = ROOT / "README.md"
#: Issue 32 §5: the README holds what a newcomer needs; the design goes in docs/.
README_MAX_LINES = 200


def test_readme__under_200_lines__every_doc_it_points_to_exists():
    text = README.read_text()
    assert len(text.splitlines()) < README_MAX_LINES
    named = set(re.findall(r"\bdocs/[\w./-]+\.(?:md|png|graphql)", text))
    assert "docs/architecture.md" in named
    missing = sorted(p for p in named if not (ROOT / p).is_file())
    assert not missing, missing
    # Its pointers into architecture.md name sections that are there.
    for section in re.findall(r'docs/architecture\.md, "([^"]+)"', text):
        assert f"## {section}" in ARCHITECTURE.read_text(), section
