import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from keepers.core import store
from keepers.core.ape_config import cache_network_config
from keepers.core.waiting import WaitTimeout, wait_until
from keepers.demo.processes import ProcessGroup, start_anvil

# ape's network settings once per content (FND-23) for the tests that use ape in this process
# (`networks.parse_network_choice` and the like), whatever modules a run happens to collect.
cache_network_config()

BIN = Path(sys.executable).parent
# Guards against a hung process, not guesses at speed: on a busy machine a keeper's or a script's
# work simply completes later, and tests wait on what they need (keepers.core.waiting).
KEEPER_WAIT_SECONDS = 600.0
SUBPROCESS_TIMEOUT_SECONDS = 1_200


def wait_for(condition, what: str, log: Path | None = None):
    """`wait_until` for tests: a timeout fails the test with what was awaited and the log's tail."""
    try:
        return wait_until(condition, what, KEEPER_WAIT_SECONDS)
    except WaitTimeout as err:
        tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
        raise AssertionError(f"{err}\n{tail}") from None


@pytest.fixture
def engine(tmp_path):
    return store.open_store(f"sqlite:///{tmp_path / 'keeper.sqlite'}")


@pytest.fixture
def anvil(tmp_path):
    """A private anvil (chain id 1337) on a free port, stopped after the test."""
    group = ProcessGroup(tmp_path)
    try:
        yield start_anvil(group, chain_id=1337)
    finally:
        group.stop_all()


@pytest.fixture(scope="session")
def deployment_state(tmp_path_factory):
    """One `ape run deploy all` (venues seeded), saved as anvil state with its record
    (drills.deploy_state): once per `make test` run for all its jobs, or once per session when a
    job or a file runs alone (shared_deployment.py): a full deployment costs about 20 s of CPU."""
    from drills import deploy_state
    from shared_deployment import shared_anvil_state

    return shared_anvil_state(
        lambda folder: deploy_state(folder, liquidity=True),
        lambda: tmp_path_factory.mktemp("deployment"),
    )


@pytest.fixture
def deployed_anvil(deployment_state, tmp_path):
    """A private anvil (chain id 1337) started on the session's deployment, its record copied into
    `tmp_path` (the test's QUANTERA_DEPLOYMENTS_DIR); stopped after the test. Returns the URL."""
    state, record = deployment_state
    group = ProcessGroup(tmp_path)
    try:
        url = start_anvil(group, chain_id=1337, extra_args=("--load-state", str(state)))
        shutil.copy(record, tmp_path / record.name)
        yield url
    finally:
        group.stop_all()


def run_ape(args, deployments_dir):
    env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(deployments_dir))
    return subprocess.run(
        [str(BIN / "ape"), "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )


def run_quantera(args, deployments_dir=None, db_url=None, env=None):
    """`quantera ARGS` with the deployment records of `deployments_dir` (or in `env` as given)."""
    env = dict(env or os.environ)
    if deployments_dir is not None:
        env["QUANTERA_DEPLOYMENTS_DIR"] = str(deployments_dir)
    if db_url:
        env["QUANTERA_DB_URL"] = db_url
    return subprocess.run(
        [str(BIN / "quantera"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )


#: `quantera` in a fresh interpreter that says, last on stderr, whether the command imported ape.
_IMPORTS_APE = (
    "import sys\n"
    "from keepers.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write('imported ape: %s\\n' % ('ape' in sys.modules))\n"
    "sys.exit(code)\n"
)


def run_quantera_watching_imports(args, env) -> tuple[subprocess.CompletedProcess, bool]:
    """`quantera ARGS` (its run, its own stderr without the last line) and whether it imported
    ape (keepers.core.views: a read of a node named by its URL must not)."""
    run = subprocess.run(
        [str(BIN / "python"), "-c", _IMPORTS_APE, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )
    *lines, last = run.stderr.splitlines() or [""]
    assert last.startswith("imported ape: "), run.stderr
    run.stderr = "".join(line + "\n" for line in lines)
    return run, last == "imported ape: True"


@contextmanager
def deployed_all(folder: Path) -> Iterator[tuple[str, str]]:
    """`ape run deploy all` on a private anvil (chain id 1337), the record in `folder`: yields the
    anvil's URL and the network choice, and stops the anvil on exit. A full deployment costs about
    a minute of CPU here: a test module shares one (a module-scoped fixture)."""
    group = ProcessGroup(folder)
    try:
        url = start_anvil(group, chain_id=1337)
        network = f"ethereum:local:{url}"
        deployed = run_ape(["deploy", "all", "--network", network], folder)
        assert deployed.returncode == 0, deployed.stderr[-4000:]
        yield url, network
    finally:
        group.stop_all()


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory):
    """The demo, left up (`ape run demo --serve`), for the whole session; stopped at its end if
    no test stopped it (see served_demo.py)."""
    from served_demo import session_demo

    demo = session_demo(tmp_path_factory.mktemp("served-demo"))
    try:
        yield demo
    finally:
        if demo.proc is not None:
            demo.stop()


from console_fixtures import (  # noqa: E402,F401 - the console's browser-test fixtures
    browser,
    browser_page,
    chain_reads,
    console_url,
)
