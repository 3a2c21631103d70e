"""No keeper domain reaches into another's internals (issue 16 §2, FND-16): a module of
`keepers/<domain>/` imports from `keepers.core.*` (the shared plumbing), from its own domain, and
from another domain's package only (`from keepers.risk import ...`, whose `__init__` is that
domain's public API) — never `keepers.<other>.<module>`."""

import ast
from pathlib import Path

KEEPERS = Path(__file__).resolve().parents[3] / "keepers"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            modules += [(node.lineno, alias.name) for alias in node.names]
    return modules


def test_keeper_domains__import_each_other_through_packages_only():
    problems = []
    for path in sorted(KEEPERS.rglob("*.py")):
        parts = path.relative_to(KEEPERS).parts
        own = parts[0] if len(parts) > 1 else None  # keepers/cli.py: no domain of its own
        for line, module in imported_modules(path):
            names = module.split(".")
            if names[0] == "keepers" and len(names) > 2 and names[1] not in (own, "core"):
                problems.append(
                    f"{path.relative_to(KEEPERS.parent)}:{line} imports {module}: "
                    f"import it from `keepers.{names[1]}` (add it to that package's exports)"
                )
    assert not problems, "\n".join(problems)


def test_import_boundaries__a_reach_into_another_domain_is_reported(tmp_path):
    module = tmp_path / "reach.py"
    module.write_text(
        "from keepers.risk.cycle import bound\nfrom keepers.risk import observed_history\n"
    )
    assert imported_modules(module) == [(1, "keepers.risk.cycle"), (2, "keepers.risk")]
