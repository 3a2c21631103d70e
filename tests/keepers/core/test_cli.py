"""FND-10: the quantera CLI: --json output, one-line errors and non-zero exits, never a
traceback."""

import json

import pytest

from keepers.access import store as access_store
from keepers.cli import main
from keepers.core import store
from keepers.core.deployments import DeploymentRecord, save
from test_store import row


@pytest.fixture
def record_dir(tmp_path):
    directory = tmp_path / "deployments"
    save(
        DeploymentRecord("ethereum:local", 1337, 4, {"QuanteraAccessManager": "0x" + "ab" * 20}),
        directory / "ethereum-local.json",
    )
    return directory


def test_help__lists_the_groups(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "deployments" in out and "governance" in out


def test_deployments_show__json__prints_the_record(record_dir, capsys):
    assert main(["deployments", "show", "--dir", str(record_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "network": "ethereum:local",
        "chain_id": 1337,
        "block": 4,
        "contracts": {"QuanteraAccessManager": "0x" + "ab" * 20},
    }


def test_deployments_show__missing_record__one_line_error_exit_1(tmp_path, capsys):
    assert main(["deployments", "show", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no deployment record") and err.count("\n") == 1
    assert "Traceback" not in err


def test_deployments_show__corrupt_record__one_line_error(tmp_path, capsys):
    (tmp_path / "ethereum-local.json").write_text("{not json")
    assert main(["deployments", "show", "--dir", str(tmp_path)]) == 1
    assert "is not valid JSON" in capsys.readouterr().err


def test_governance__missing_option__usage_error_exit_2(tmp_path, monkeypatch, capsys):
    """Without --chain-id and without a running demo to default to: a usage error naming both."""
    monkeypatch.setenv("QUANTERA_DEMO_FILE", str(tmp_path / "none.json"))
    assert main(["governance", "pending"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: Missing option '--chain-id' (no local demo is running to read it from: "
        "`make demo SERVE=1`)."
    )


def _scheduled(caller: str, target: str) -> dict:
    """An `OperationScheduled` row: operation 0xcdcd..., ready at 5,000, a grantRole call."""
    return dict(
        row(7, 0, "OperationScheduled"),
        args={
            "operationId": "0x" + "cd" * 32,
            "nonce": 1,
            "schedule": 5_000,
            "caller": caller,
            "target": target,
            "data": "0x25c471a0",
        },
    )


def test_governance_roles_and_pending__json__read_the_store(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    engine = store.open_store(url)
    scheduled = _scheduled("0xGov", "0xMgr")
    access_store.insert_governance_events(engine, [row(5, 0), scheduled])
    assert main(["governance", "roles", "--chain-id", "1337", "--db-url", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"OPERATOR": ["0x" + "22" * 20]}
    assert (
        main(
            [
                "governance",
                "pending",
                "--chain-id",
                "1337",
                "--db-url",
                url,
                "--now",
                "4000",
                "--json",
            ]
        )
        == 0
    )
    [op] = json.loads(capsys.readouterr().out)
    assert op["ready_in_seconds"] == 1000 and op["selector"] == "0x25c471a0"


def test_governance_upgrades__json__the_stores_proposals_neither_run_nor_vetoed(tmp_path, capsys):
    """UPG-6, KPR-25: `quantera governance upgrades` lists what the governance keeper stored of
    the UpgradeAuthority: proposed and pending, with its ETA; a vetoed one is gone."""
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    engine = store.open_store(url)

    def upgrade_row(block, event, upgrade_id, **args):
        return dict(row(block, 0, event), args={"id": upgrade_id, "proxy": "0xProxy", **args})

    proposal = {"implementation": "0xCode", "admin": "0xAdmin", "data": "0x", "codehash": "0x01"}
    access_store.insert_governance_events(
        engine,
        [
            upgrade_row(5, "UpgradeProposed", "0x" + "aa" * 32, eta=5_000, **proposal),
            # Other code for the same proxy, vetoed (which bars that code only).
            upgrade_row(
                6,
                "UpgradeProposed",
                "0x" + "bb" * 32,
                eta=6_000,
                **{**proposal, "codehash": "0x02"},
            ),
            upgrade_row(7, "UpgradeVetoedBy", "0x" + "bb" * 32, codehash="0x02", guardian="0xG"),
        ],
    )
    args = ["governance", "upgrades", "--chain-id", "1337", "--db-url", url, "--now", "4000"]
    assert main([*args, "--json"]) == 0
    [up] = json.loads(capsys.readouterr().out)
    assert (up["upgrade_id"], up["eta"], up["ready_in_seconds"]) == ("0x" + "aa" * 32, 5_000, 1_000)
    assert up["proxy_shown"] == "0xProxy" and up["implementation"] == "0xCode"


def test_governance_roles__names_from_the_one_record_of_the_chain(tmp_path, capsys, monkeypatch):
    """Issue 33 §2: off the demo, `governance roles` names its accounts from the deployment
    record of the chain it reads (the one record of that chain id; said on stderr); with two
    records of the chain, none is guessed."""
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    access_store.insert_governance_events(store.open_store(url), [row(5, 0)])
    records = tmp_path / "deployments"
    monkeypatch.setenv("QUANTERA_DEPLOYMENTS_DIR", str(records))
    operator = "0x" + "22" * 20
    record = DeploymentRecord("ethereum:local", 1337, 1, {"AccessManager": "0x" + "33" * 20})
    record.accounts = {operator: "Harbor operations desk"}
    save(record, records / "ethereum-local.json")
    args = ["governance", "roles", "--chain-id", "1337", "--db-url", url]
    assert main(args) == 0
    shown = capsys.readouterr()
    assert f"{operator} (Harbor operations desk)" in " ".join(shown.out.replace("│", " ").split())
    assert f"names from the deployment record {records / 'ethereum-local.json'}" in shown.err
    # helper-86 L3: a file in the folder that is no record (not UTF-8, not JSON) is skipped.
    (records / "notes.json").write_bytes(b"\xff\xfe not json")
    (records / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(args) == 0
    assert "Harbor operations desk" in capsys.readouterr().out
    save(record, records / "ethereum-other.json")  # a second record of chain 1337: whose names?
    assert main(args) == 0
    shown = capsys.readouterr()
    assert "Harbor" not in shown.out and operator in shown.out and "names from" not in shown.err


@pytest.mark.parametrize("command", ["pending", "roles"])
def test_sec_96__governance_with_a_chain_id_below_one__usage_error(command, tmp_path, capsys):
    """SEC-96: `governance pending|roles --chain-id -5` (exit 0, an empty answer) is a usage
    error (exit 2, one line): a chain id is positive (keepers.core.cli_options, one definition)."""
    db_url = f"sqlite:///{tmp_path / 'keeper.sqlite'}"
    for bad in ("-5", "0"):
        args = ["governance", command, "--chain-id", bad, "--db-url", db_url, "--json"]
        assert main(args) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1
        assert "--chain-id" in captured.err and "Traceback" not in captured.err


def test_sec_92__every_json_output__one_strict_emitter():
    """SEC-92: the CLI prints `--json` through one emitter (keepers.core.jsonable.echo_json:
    NaN and infinities as null, `allow_nan=False`, numpy scalars as numbers); no command module
    prints `json.dumps` of its own."""
    import math
    import re
    from pathlib import Path

    import numpy as np

    from keepers.core.jsonable import dumps_json

    text = dumps_json({"a": math.nan, "b": [math.inf, -math.inf], "c": np.float64("nan")})
    assert json.loads(text) == {"a": None, "b": [None, None], "c": None}
    assert json.loads(dumps_json({"n": np.int64(7), "x": np.float32(0.5)})) == {"n": 7, "x": 0.5}
    modules = [Path("keepers/cli.py"), *Path("keepers").glob("*/*cli*.py")]
    assert len(modules) >= 10
    for module in modules:
        assert not re.search(r"echo\(\s*json\.dumps", module.read_text()), module


def test_cli__starts_without_the_domains_groups__each_loaded_when_invoked():
    """Issue 32 §6: the domains' command groups load on first use (keepers.cli.LAZY_GROUPS), so a
    command of one domain does not import the others' (the risk models' scipy, the console, the
    reports): `quantera fund --help` took 1.97 s and now 0.74 s (median of 7, farm-bench,
    2026-11-26). `quantera --help` lists every group from LAZY_GROUPS' one-line help and imports
    none of them (nor the governance keeper's store); each line is its group's help as it begins."""
    import re
    import subprocess
    import sys

    import click

    from keepers.cli import LAZY_GROUPS, cli

    probe = (
        "import sys; from keepers.cli import main; main({args}); "
        "print(sorted(m for m in sys.modules if m.endswith('cli') or m.startswith('scipy') "
        "or m.startswith('sqlalchemy') or m == 'keepers.access'))"
    )

    def loaded(args: list[str]) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", probe.format(args=args)],
            capture_output=True,
            text=True,
            check=True,
        )
        out = done.stdout.strip().splitlines()
        return out[-1], "\n".join(out[:-1])

    # The fund's group (lifecycle) and the CLI itself; no other domain's group, no scipy.
    fund, _ = loaded(["fund", "--help"])
    assert fund.startswith(str(["keepers.cli", "keepers.lifecycle.cli"])[:-1]), fund
    assert "scipy" not in fund and "keepers.risk.cli" not in fund
    top, shown = loaded(["--help"])
    assert top == str(["keepers.cli"]), top
    ctx = click.Context(cli)
    assert set(LAZY_GROUPS) <= set(cli.list_commands(ctx))
    for name, (_, text) in LAZY_GROUPS.items():
        assert re.search(rf"^  {name} +\S", shown, re.M), name
        group = cli.get_command(ctx, name)
        assert isinstance(group, click.Group) and group.name == name
        assert " ".join(group.help.split()).startswith(text), (name, group.help)


def test_governance_pending__piped_table__no_cell_cut(tmp_path, capsys):
    """Issue 33 §2: piped (stdout not a terminal), a table is never cut to 80 columns: the
    operation id, the addresses and the selector are printed whole (keepers.core.terminal)."""
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    engine = store.open_store(url)
    caller, target = "0x" + "a1" * 20, "0x" + "b2" * 20
    access_store.insert_governance_events(engine, [_scheduled(caller, target)])
    args = ["governance", "pending", "--chain-id", "1337", "--db-url", url, "--now", "4000"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert caller in out and target in out and "0x25c471a0" in out and "…" not in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["margin", "deposit", "USDC", "-5"], "must be a positive amount, not -5"),
        (["margin", "withdraw", "USDC", "0"], "must be a positive amount, not 0"),
        (["margin", "borrow", "USDC", "abc"], "'abc' is not a number"),
        (["margin", "repay", "USDC", "-1e3"], "must be a positive amount, not -1e3"),
    ],
)
def test_issue_33__negative_or_bad_amount__one_line_usage_error_before_connecting(
    args, expected, capsys
):
    """`margin deposit USDC -5` answered "No such option: -5": the AMOUNT argument takes a negative
    number and refuses it, in one line, with exit 2 and no connection tried (no --network)."""
    assert main([*args, "--account", "TEST::1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert "AMOUNT" in captured.err and expected in captured.err


def test_issue_33__unknown_network__one_line_naming_the_options():
    """`--network foo:bar` answered "No ecosystem named 'foo'. Options:" and nothing after: ape's
    options are one a line. The error is one line with the first options and their count."""
    from keepers.core.chain import one_line

    listed = ValueError(
        "No ecosystem named 'foo'. Options:\n" + "\n".join(f"e{i}" for i in range(20))
    )
    line = one_line(listed)
    assert "\n" not in line and line.startswith("No ecosystem named 'foo'. Options: e0, e1")
    assert "(20 in all: `ape networks list`)" in line
    assert one_line(ValueError("No network in 'ethereum' named 'x'.")) == (
        "No network in 'ethereum' named 'x'."
    )


@pytest.mark.parametrize("bad", ["0x123", "0xZZ" + "0" * 38, "alice"])
def test_issue_33__identity_not_an_address__one_line_usage_error(bad, capsys):
    """`margin health --identity 0x123` raised ape's ConversionError: an address option is checked
    before connecting, one line, exit 2."""
    assert main(["margin", "health", "--identity", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not an address" in err and "--identity" in err
    assert main(["margin", "withdraw", "USDC", "1", "--account", "TEST::1", "--to", bad]) == 2
    assert "is not an address" in capsys.readouterr().err


def test_issue_33__public_network_without_a_node__one_line_no_retry_warnings(capsys):
    """`--network ethereum:sepolia` printed ape's warning for every retry of every public endpoint
    (21 lines, 11 here) before the error: one line now. Without internet it names how to give a
    node; with internet it connects and says the deployment record is missing: one line either
    way, and no WARNING line."""
    assert main(["fund", "status", "--network", "ethereum:sepolia"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("error: ") and "WARNING" not in captured.out + captured.err
