"""CON-5, CON-6: `quantera console` finds the demo or says in one line that none runs;
`quantera console sign` sends a prepared batch from a local Ape account."""

from __future__ import annotations

import json

from conftest import run_quantera
from console_checks import fresh_address
from keepers.access import ROLE_IDS
from keepers.console.actions import Call, prepare, safe_batch
from keepers.console.source import ChainSource, load_abis
from keepers.core.deployments import load

GOVERNANCE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # test account 4, the demo's ADMIN


def test_console__no_demo_running__one_line_error_exit_1(tmp_path):
    """CON-5: without --network and without a running demo: one line, exit 1, no traceback."""
    import os

    env = dict(os.environ, QUANTERA_DEMO_FILE=str(tmp_path / "none.json"))
    run = run_quantera(["console", "--port", "0"], env=env)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "error: no local demo deployment is running: start one with `make demo SERVE=1`, "
        "or pass --network"
    ]
    assert "Traceback" not in run.stdout + run.stderr


def test_console_sign__sends_the_batch_from_the_named_account(served_demo, chain_reads, tmp_path):
    """CON-6: a batch prepared for the Safe (here the governance account) and signed locally with
    `quantera console sign --account TEST::4 --yes` (unattended: the decoded call is printed,
    not asked about) schedules exactly the prepared call; a batch for another chain is refused in
    one line before anything is sent."""
    from pathlib import Path

    from web3 import Web3

    record = load(Path(served_demo.running.deployments_dir) / "ethereum-local.json")
    source = ChainSource(Web3(Web3.HTTPProvider(served_demo.running.rpc_url)), record, load_abis())
    manager = chain_reads.contract("QuanteraAccessManager")
    args = (ROLE_IDS["OPERATOR"], fresh_address(chain_reads.w3, "CON-6"), 0)
    prepared = prepare(source, GOVERNANCE, [Call("QuanteraAccessManager", "grantRole", args)])
    batch = safe_batch(source.chain_id, GOVERNANCE, prepared, "grant", "test")
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    data = manager.encode_abi("grantRole", list(args))
    operation = manager.functions.hashOperation(GOVERNANCE, manager.address, data).call()
    assert manager.functions.getSchedule(operation).call() == 0

    wrong = tmp_path / "wrong-chain.json"
    wrong.write_text(json.dumps({**batch, "chainId": "1"}))
    refused = run_quantera(
        ["console", "sign", str(wrong), "--account", "TEST::4"], env=served_demo.env
    )
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines() == [
        f"error: the batch is for chain 1, {served_demo.running.network_choice} is chain "
        f"{source.chain_id}"
    ]

    # Issue 33 §4 ("console sign with the wrong account: raw revert data"): a batch signed by
    # another account than the one it was prepared for is refused in one line naming both,
    # before anything is sent (a send that still reverts names its custom error: revert_line).
    outsider = run_quantera(
        ["console", "sign", str(path), "--account", "TEST::5", "--yes"], env=served_demo.env
    )
    assert outsider.returncode == 1 and "Traceback" not in outsider.stderr
    errors = [x for x in outsider.stderr.strip().splitlines() if x.startswith("error:")]
    [line] = errors  # one line, and the last
    assert outsider.stderr.strip().splitlines()[-1] == line
    assert line.startswith(f"error: the batch was prepared for {GOVERNANCE}, not for ") and (
        "(TEST::5)" in line and "0x068ca9d8" not in line
    ), line
    assert manager.functions.getSchedule(operation).call() == 0  # nothing sent

    sent = run_quantera(
        ["console", "sign", str(path), "--account", "TEST::4", "--json", "--yes"],
        env=served_demo.env,
    )
    assert sent.returncode == 0, sent.stderr
    [row] = json.loads(sent.stdout[sent.stdout.index("[") :])
    assert row["to"] == manager.address
    assert manager.functions.getSchedule(operation).call() > 0  # scheduled behind the delay
