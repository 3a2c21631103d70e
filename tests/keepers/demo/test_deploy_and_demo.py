"""FND-7, FND-9, LIQ-15: the real deploy script is re-runnable (venues wired and seeded too); the
demo exits 0 and leaves no process.

These start their own anvil (like `make demo`) and run the real `ape run` commands.
"""

import json
import os
import re
import subprocess
from types import SimpleNamespace

import pytest

from conftest import BIN, SUBPROCESS_TIMEOUT_SECONDS, run_ape
from keepers.demo.processes import ProcessGroup, rpc, start_anvil
from route_cli_checks import check_route_quote


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """One `deploy all` on a private anvil, shared by the tests below (each full deployment costs
    about a minute of CPU on this machine): they read it first and replace it last."""
    folder = tmp_path_factory.mktemp("deployed")
    group = ProcessGroup(folder)
    try:
        url = start_anvil(group, chain_id=1337)
        network = f"ethereum:local:{url}"
        first = run_ape(["deploy", "all", "--network", network], folder)
        assert first.returncode == 0, first.stderr
        yield SimpleNamespace(
            url=url,
            network=network,
            folder=folder,
            record=json.loads((folder / "ethereum-local.json").read_text()),
        )
    finally:
        group.stop_all()


def test_deploy_show_and_route_quote__json__print_what_deploy_wrote_and_a_plan(deployed):
    """FND-7 (show) and LIQ-14 (`quantera route quote` on the deployed venues), one deployment."""
    shown = run_ape(["deploy", "show", "--network", deployed.network, "--json"], deployed.folder)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout[shown.stdout.index("{") :]) == deployed.record
    check_route_quote(deployed.network, deployed.folder)


def test_deploy__run_twice__second_run_sends_nothing_and_record_is_unchanged(deployed):
    """Runs after the show test (file order): its `--fresh` run replaces the shared deployment."""
    network, record_file, record = (
        deployed.network,
        deployed.folder / "ethereum-local.json",
        deployed.record,
    )
    assert record["chain_id"] == 1337 and record["block"] >= 1
    address = record["contracts"]["QuanteraAccessManager"]
    assert rpc(deployed.url, "eth_getCode", [address, "latest"]) not in ("0x", "")
    nonce_before = rpc(deployed.url, "eth_getTransactionCount", [first_test_account(), "latest"])

    second = run_ape(["deploy", "all", "--network", network], deployed.folder)
    assert second.returncode == 0, second.stderr
    assert "QuanteraAccessManager already at" in second.stdout
    assert (
        rpc(deployed.url, "eth_getTransactionCount", [first_test_account(), "latest"])
        == nonce_before
    )
    assert json.loads(record_file.read_text()) == record

    fresh = run_ape(
        ["deploy", "all", "--network", network, "--fresh", "--no-liquidity"], deployed.folder
    )
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(record_file.read_text())["contracts"]["QuanteraAccessManager"] != address


def first_test_account() -> str:
    return "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def assert_nothing_left(demo_stdout: str) -> None:
    """The demo's anvil no longer answers and no process it started (each keeper ran against that
    anvil's URL) is left. Checked by the URL, not by counting anvils: the contract suite starts and
    stops its own beside this one."""
    url = re.search(r"anvil on (http://127\.0\.0\.1:\d+)", demo_stdout).group(1)
    try:
        rpc(url, "eth_chainId", timeout=5.0)
        raise AssertionError(f"the demo's anvil still answers on {url}")
    except OSError:
        pass
    assert subprocess.run(["pgrep", "-f", url], capture_output=True, text=True).stdout == ""


def test_demo__bounded_blocks__exits_zero_all_checks_pass_and_leaves_no_process(tmp_path):
    demo = subprocess.run(
        [str(BIN / "ape"), "run", "demo", "--blocks", "5", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "FAIL" not in demo.stdout and demo.stdout.count("pass") == 18
    assert_nothing_left(demo.stdout)
    assert (tmp_path / "keeper.sqlite").is_file()
    report = (tmp_path / "rebalancing-report" / "report.md").read_text()
    assert "rebalance (" in report and "VaR exceptions:" in report
    assert all(
        (tmp_path / "rebalancing-report" / f"{p}.png").stat().st_size > 1_000
        for p in ("nav", "weights", "var", "gas")
    )


def test_demo__failing_step__one_line_names_it_exits_nonzero_and_leaves_no_process(tmp_path):
    """DEMO-2: an operator's wrong sanctions-list path makes the screening keeper exit at start,
    every time: the supervisor gives up after its restarts and the demo says so in one line."""
    env = dict(os.environ, QUANTERA_SANCTIONS_LIST=str(tmp_path / "no-such-list.csv"))
    demo = subprocess.run(
        [str(BIN / "ape"), "run", "demo", "--blocks", "5", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        env=env,
    )
    assert demo.returncode == 1, demo.stdout[-3000:] + demo.stderr[-3000:]
    [line] = [line for line in demo.stderr.splitlines() if line.startswith("demo failed")]
    assert line.startswith(
        "demo failed at step 'start the keepers': QuanteraError: screening-keeper exited with"
    )
    assert f"logs in {tmp_path / 'demo'}" in line
    assert "Traceback" not in demo.stdout + demo.stderr
    assert "cannot read sanctions list" in (tmp_path / "demo" / "screening-keeper.log").read_text()
    assert (tmp_path / "demo" / "demo-error.log").read_text().startswith("Traceback")
    assert_nothing_left(demo.stdout)
