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
    # Any depth: a folder holding only nested test files would otherwise run in no job.
    folders = sorted({p.relative_to(contracts).parts[0] for p in contracts.rglob("test_*.py")})
    core, markets = make_list("CONTRACT_CORE_DOMAINS"), make_list("CONTRACT_MARKET_DOMAINS")
    assert not set(core) & set(markets)
    assert set(folders) == {*core, *markets, "lifecycle"}
    assert not list(contracts.glob("test_*.py"))


def test_make_jobs__keeper_domains__each_folder_in_exactly_one_job():
    """The quick keeper suite's two jobs by domain (KEEPER_CORE_DOMAINS, KEEPER_MARKET_DOMAINS):
    each folder of tests/keepers holding tests is in exactly one, but the console's (its files run
    in test-demo and test-deploys, above); no test file sits in tests/keepers itself (it would run
    in none); and the deploy and drill files, which have jobs of their own, are ignored by both."""
    keepers = ROOT / "tests/keepers"
    folders = {p.relative_to(keepers).parts[0] for p in keepers.rglob("test_*.py")}
    core, markets = make_list("KEEPER_CORE_DOMAINS"), make_list("KEEPER_MARKET_DOMAINS")
    assert not set(core) & set(markets)
    assert folders == {*core, *markets, "console"}
    assert not list(keepers.glob("test_*.py"))
    # The umbrella `make test-keepers` runs the two jobs on one deployment, as `make test` does.
    makefile = (ROOT / "Makefile").read_text()
    umbrella = makefile.split("\ntest-keepers: ")[1].split("\n\n")[0]
    shared_dir = makefile.split("\nWITH_SHARED_DIR := ")[1].split("\ntest: ")[0]
    assert "QUANTERA_TEST_SHARED_DIR=" in shared_dir
    assert "$(WITH_SHARED_DIR)" in umbrella
    assert "$(WITH_SHARED_DIR)" in makefile.split("\ntest: ")[1].split("\n\n")[0]
    assert "test-keepers-core" in umbrella and "test-keepers-markets" in umbrella
    own_jobs = make_list("KEEPER_DEPLOY_TESTS") + make_list("KEEPER_DRILL_TESTS")
    ignored = make_list("KEEPER_OWN_JOBS")
    assert sorted(ignored) == sorted(f"--ignore={f}" for f in own_jobs)
    # `make test` runs both jobs (and not the umbrella `test-keepers`, which would run them again).
    recipe = (ROOT / "Makefile").read_text().split("\ntest: ")[1].split("\n\n")[0]
    jobs = recipe.split("SYSTEM_PACKAGES_CHECKED=1")[1].replace("\\", " ").split()
    assert {"test-keepers-core", "test-keepers-markets"} <= set(jobs)
    assert "test-keepers" not in jobs
