"""The keeper tests' jobs of `make test` (Makefile): every test file runs in exactly one job, and a
console test file runs in the served demo's job (test-demo) exactly when it uses the served demo
(its fixtures: the demo, the console on it, the browser, the chain reads), so no test is left out
and the served demo's job holds only what needs it (issue 32 §6)."""

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SERVED = {"served_demo", "console_url", "chain_reads", "browser_page"}


def uses_served_demo(path: Path) -> bool:
    """Whether a test or fixture of the file takes one of the served demo's fixtures."""
    return any(
        arg.arg in SERVED
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
        for arg in node.args.args
    )


def make_list(variable: str) -> list[str]:
    done = subprocess.run(
        ["make", "-s", f"print-{variable}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_make_jobs__console_files__in_the_demo_job_exactly_when_they_use_the_served_demo():
    demo, deploys = make_list("KEEPER_DEMO_TESTS"), make_list("KEEPER_DEPLOY_TESTS")
    console = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "tests/keepers/console").glob("test_*.py")
    )
    uses_demo = {f for f in console if uses_served_demo(ROOT / f)}
    assert uses_demo and uses_demo != set(console)
    assert {f for f in demo if f in console} == uses_demo
    assert {f for f in deploys if f in console} == set(console) - uses_demo
    # The demo test that stops the served demo is the demo job's last; its file's other tests
    # (their own anvils) run in test-deploys, which deselects it.
    assert demo[-1].startswith("tests/keepers/demo/test_deploy_and_demo.py::test_demo__bounded")
    assert "tests/keepers/demo/test_deploy_and_demo.py" in deploys
    assert make_list("BOUNDED_DEMO_TEST") == [demo[-1]]


def test_make_jobs__served_demo_fixtures_used_outside_the_console__none():
    """A keeper test elsewhere that used the served demo would start a second one in its job."""
    users = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tests/keepers").rglob("test_*.py")
        if "console" not in p.parts and uses_served_demo(p)
    ]
    assert users == ["tests/keepers/demo/test_deploy_and_demo.py"], users


def test_make_jobs__contract_domains__each_folder_in_exactly_one_job():
    """The contract suite's jobs: the lifecycle (two jobs of its own) and the other domains split
    in two (CONTRACT_CORE_DOMAINS, CONTRACT_MARKET_DOMAINS): each folder holding tests in exactly
    one, and no test file outside a folder (it would run in none)."""
    contracts = ROOT / "tests/contracts"
    folders = sorted(p.parent.name for p in contracts.glob("*/test_*.py"))
    core, markets = make_list("CONTRACT_CORE_DOMAINS"), make_list("CONTRACT_MARKET_DOMAINS")
    assert not set(core) & set(markets)
    assert set(folders) == {*core, *markets, "lifecycle"}
    assert not list(contracts.glob("test_*.py"))
