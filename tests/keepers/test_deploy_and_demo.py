"""FND-7, FND-9: the real deploy script is re-runnable; the demo exits 0 and leaves no process.

These start their own anvil (like `make demo`) and run the real `ape run` commands.
"""

import json
import subprocess

from conftest import BIN, run_ape
from keepers.demo.processes import rpc
from route_cli_checks import check_route_quote


def test_deploy__run_twice__second_run_sends_nothing_and_record_is_unchanged(anvil, tmp_path):
    network = f"ethereum:local:{anvil}"
    first = run_ape(["deploy", "all", "--network", network], tmp_path)
    assert first.returncode == 0, first.stderr
    record_file = tmp_path / "ethereum-local.json"
    record = json.loads(record_file.read_text())
    assert record["chain_id"] == 1337 and record["block"] >= 1
    address = record["contracts"]["QuanteraAccessManager"]
    assert rpc(anvil, "eth_getCode", [address, "latest"]) not in ("0x", "")
    nonce_before = rpc(anvil, "eth_getTransactionCount", [first_test_account(), "latest"])

    second = run_ape(["deploy", "all", "--network", network], tmp_path)
    assert second.returncode == 0, second.stderr
    assert "QuanteraAccessManager already at" in second.stdout
    assert rpc(anvil, "eth_getTransactionCount", [first_test_account(), "latest"]) == nonce_before
    assert json.loads(record_file.read_text()) == record

    fresh = run_ape(["deploy", "all", "--network", network, "--fresh", "--no-liquidity"], tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(record_file.read_text())["contracts"]["QuanteraAccessManager"] != address


def test_deploy_show_and_route_quote__json__print_what_deploy_wrote_and_a_plan(anvil, tmp_path):
    """FND-7 (show) and LIQ-14 (`quantera route quote` on the deployed venues), one deployment."""
    network = f"ethereum:local:{anvil}"
    assert run_ape(["deploy", "all", "--network", network], tmp_path).returncode == 0
    shown = run_ape(["deploy", "show", "--network", network, "--json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout[shown.stdout.index("{"):]) == json.loads((tmp_path / "ethereum-local.json").read_text())
    check_route_quote(network, tmp_path)


def first_test_account() -> str:
    return "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def anvil_pids() -> set[int]:
    out = subprocess.run(["pgrep", "-x", "anvil"], capture_output=True, text=True).stdout
    return {int(pid) for pid in out.split()}


def test_demo__bounded_blocks__exits_zero_all_checks_pass_and_leaves_no_process(tmp_path):
    before = anvil_pids()
    demo = subprocess.run([str(BIN / "ape"), "run", "demo", "--blocks", "5", "--dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=480)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "FAIL" not in demo.stdout and demo.stdout.count("pass") == 18
    assert anvil_pids() <= before
    assert (tmp_path / "keeper.sqlite").is_file()
    report = (tmp_path / "rebalancing-report" / "report.md").read_text()
    assert "rebalance (" in report and "VaR exceptions:" in report
    assert all((tmp_path / "rebalancing-report" / f"{p}.png").stat().st_size > 1_000 for p in ("nav", "weights", "var", "gas"))
