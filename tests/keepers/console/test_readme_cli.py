"""Issue 33 §1: the README's `quantera` commands against the served demo, as written (the block
after `<!-- cli-on-the-served-demo -->`): each finds the demo without `--network` (its chain, its
deployment records and its keepers' store from .quantera/demo.json), answers, and reaches what the
console shows (the demo's fund and its instrument, built beside the record, by ISIN; a demo
institution's account by TEST::<n>)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from conftest import run_quantera

ROOT = Path(__file__).resolve().parents[3]
MARKER = "<!-- cli-on-the-served-demo -->"
ISIN = "US00QMMF0086"  # keepers/demo/lifecycle.py


def readme_commands() -> list[list[str]]:
    """The commands of the README's block, each as argv after `quantera`."""
    text = (ROOT / "README.md").read_text()
    block = re.search(re.escape(MARKER) + r"\s*```bash\n(.*?)```", text, re.S)
    assert block, f"README.md has no ```bash block after {MARKER}"
    commands = []
    for line in block[1].splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == ".venv/bin/quantera", line
            commands.append(words[1:])
    return commands


def test_readme_cli_block__lists_the_commands_this_test_checks():
    """The block is there and names each domain the console shows (so this file tests it)."""
    groups = {words[0] for words in readme_commands()}
    assert {"deployments", "governance", "instrument", "fund", "margin", "route"} <= groups


@pytest.mark.parametrize("argv", readme_commands(), ids=" ".join)
def test_readme_cli__as_written__answers_on_the_served_demo(served_demo, argv):
    """Each command as the README writes it: exit 0, an answer, no error and no traceback."""
    run = run_quantera(argv, env=served_demo.env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip(), argv
    assert "error" not in run.stderr.lower() and "Traceback" not in run.stdout + run.stderr


def _json(served_demo, argv: list[str]):
    run = run_quantera([*argv, "--json"], env=served_demo.env)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_readme_cli__json__reaches_what_the_console_shows(served_demo):
    """The same commands with --json: the record is the demo's, the demo's fund and instrument
    (found through its keepers' store, beside the record) and a demo investor's shares are
    there."""
    record = _json(served_demo, ["deployments", "show"])
    assert record["contracts"] == served_demo.record["contracts"]
    shown = _json(served_demo, ["instrument", "show", ISIN])
    assert shown["isin"] == ISIN and shown["fund_is_vault"] is True
    position = _json(served_demo, ["fund", "position", "TEST::12", "--fund", ISIN])
    assert int(position["shares"]) > 0, position
    # A demo institution's margin account, named as the console names it (CON-88: the record's
    # address book, written by the demo).
    health = _json(served_demo, ["margin", "health", "--account", "TEST::27"])
    book = served_demo.record.get("accounts", {})
    assert health["account_name"] and health["account_name"] == book.get(health["account"])


def test_cli__explicit_network_of_another_chain__is_not_the_demo(served_demo, tmp_path):
    """`--network` picks another deployment: a network where no node answers is refused in one
    line naming it, even with the demo up."""
    run = run_quantera(
        ["instrument", "show", ISIN, "--network", "ethereum:local:http://127.0.0.1:9"],
        env=served_demo.env,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: cannot connect to ethereum:local:http://127.0.0.1:9")
    assert run.stderr.count("\n") == 1


def test_instrument_list__every_instrument_the_console_shows(served_demo):
    """Issue 33 §1: every fund and instrument the console shows is reachable from the CLI:
    `quantera instrument list` lists exactly the funds page's instruments (one discovery rule,
    keepers.lifecycle.deployment_instruments), each then shown by its ISIN."""
    from web3 import Web3

    from keepers.console.pages.funds import _instruments
    from keepers.console.source import ChainSource, load_abis
    from keepers.core.deployments import load

    running = served_demo.running
    record = load(Path(running.deployments_dir) / "ethereum-local.json")
    w3 = Web3(Web3.HTTPProvider(running.rpc_url))
    source = ChainSource(w3, record, load_abis(), running.db_url, running.network_choice)
    shown_there = _instruments(source)
    console = {
        (i["registry"], i["id"], i["terms"].isin, i["desk"] or i["fund"]) for i in shown_there
    }
    listed = _json(served_demo, ["instrument", "list"])["instruments"]
    assert {(r["registry"], r["id"], r["isin"], r["fund"]) for r in listed} == console
    assert ISIN in {r["isin"] for r in listed} and len(listed) >= 2
    for r in listed:
        if not r["isin"]:
            continue
        shown = _json(served_demo, ["instrument", "show", r["isin"]])
        assert (shown["id"], shown["fund_is_vault"]) == (r["id"], r["fund"] is not None)
