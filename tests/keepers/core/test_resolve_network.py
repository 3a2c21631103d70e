"""Issue 33 §1: every chain command finds the served demo as the console does
(`keepers.core.chain.resolve_network`, behind the shared `--network` option)."""

from __future__ import annotations

import json
import os

import pytest

from keepers.core.chain import NO_DEMO, resolve_network
from keepers.core.deployments import DEPLOYMENTS_DIR_ENV
from keepers.core.errors import QuanteraError
from keepers.core.running_demo import RunningDemo, write_running_demo
from keepers.core.store import DB_URL_ENV

URL = "http://127.0.0.1:45123"


@pytest.fixture
def demo_file(tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTERA_DEMO_FILE", str(tmp_path / "demo.json"))
    monkeypatch.delenv(DEPLOYMENTS_DIR_ENV, raising=False)
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    return tmp_path / "demo.json"


def _announce(tmp_path, pid: int = os.getpid()) -> RunningDemo:
    demo = RunningDemo(URL, str(tmp_path / "records"), f"sqlite:///{tmp_path}/k.sqlite", pid, "")
    write_running_demo(demo)
    return demo


def test_resolve_network__none_and_no_demo__one_line_error(demo_file):
    with pytest.raises(QuanteraError) as err:
        resolve_network(None)
    assert str(err.value) == NO_DEMO and "\n" not in NO_DEMO


def test_resolve_network__none__the_demo_with_its_records_and_store(
    demo_file, tmp_path, monkeypatch
):
    """Without --network: the demo's chain, records and store, whatever the variables said
    (records of another chain would not describe this one)."""
    monkeypatch.setenv(DEPLOYMENTS_DIR_ENV, "/elsewhere")
    monkeypatch.setenv(DB_URL_ENV, "sqlite:////elsewhere.sqlite")
    demo = _announce(tmp_path)
    assert resolve_network(None) == f"ethereum:local:{URL}"
    assert os.environ[DEPLOYMENTS_DIR_ENV] == demo.deployments_dir
    assert os.environ[DB_URL_ENV] == demo.db_url


def test_resolve_network__the_demos_url__variables_win_when_set(demo_file, tmp_path, monkeypatch):
    demo = _announce(tmp_path)
    assert resolve_network(f"ethereum:local:{URL}/") == f"ethereum:local:{URL}/"
    assert os.environ[DEPLOYMENTS_DIR_ENV] == demo.deployments_dir
    monkeypatch.setenv(DEPLOYMENTS_DIR_ENV, "/mine")
    resolve_network(f"ethereum:local:{URL}")
    assert os.environ[DEPLOYMENTS_DIR_ENV] == "/mine"


def test_resolve_network__another_network__as_given_nothing_set(demo_file, tmp_path):
    _announce(tmp_path)
    assert resolve_network("ethereum:sepolia:node") == "ethereum:sepolia:node"
    assert DEPLOYMENTS_DIR_ENV not in os.environ and DB_URL_ENV not in os.environ


def test_resolve_network__announced_demo_whose_process_ended__is_no_demo(demo_file, tmp_path):
    _announce(tmp_path, pid=2**22 + 12345)  # above Linux's pid_max default: no such process
    with pytest.raises(QuanteraError, match="no local demo deployment is running"):
        resolve_network(None)


def test_resolve_network__announcement_others_may_write__not_followed(demo_file, tmp_path):
    """A demo file that another account could have written (group- or world-writable) is not
    followed: it would send the operator's signed transactions to a chain of its choosing."""
    _announce(tmp_path)
    demo_file.chmod(0o666)
    with pytest.raises(QuanteraError, match="not this user's own .* not followed"):
        resolve_network(None)


def test_resolve_network__announcement_naming_another_users_process__not_followed(
    demo_file, tmp_path, monkeypatch
):
    """A planted file naming a live process that is not this user's (pid 1 is alive on every
    machine) is not followed."""
    from keepers.core import running_demo

    _announce(tmp_path, pid=1)
    monkeypatch.setattr(running_demo, "_owner", lambda pid: os.getuid() + 1)
    with pytest.raises(QuanteraError, match="names process 1, which is not this user's"):
        resolve_network(None)


def test_resolve_network__announcement_of_a_remote_chain__not_followed(demo_file, tmp_path):
    demo = RunningDemo("http://203.0.113.7:8545", str(tmp_path), "sqlite://", os.getpid(), "")
    write_running_demo(demo)
    with pytest.raises(QuanteraError, match="not on this machine's loopback"):
        resolve_network(None)
    # Named with --network, that chain is the user's choice.
    assert resolve_network("ethereum:local:http://203.0.113.7:8545").endswith(":8545")


# ---------------------------------------------------------------- helper-74's attacker's read
# (findings/cli-demo-resolution.md): each failed before its fix.


def test_m2__rpc_url_parsed_differently_by_ape__not_followed(demo_file, tmp_path):
    """M-2: `http://attacker:8545\\@127.0.0.1` passed the loopback check while ape connected to
    the attacker's host; only the demo's own form (loopback, a port) is followed."""
    for url in (
        "http://attacker:8545\\@127.0.0.1",
        "http://127.0.0.1:8545/x",
        "https://127.0.0.1:1",
    ):
        write_running_demo(RunningDemo(url, str(tmp_path), "sqlite://", os.getpid(), ""))
        with pytest.raises(QuanteraError, match="not on this machine's loopback"):
            resolve_network(None)


def test_m1__announcement_through_a_link__not_read(demo_file, tmp_path):
    """M-1: the file was checked by path after being read by path (a swap in between, or a link,
    checked one file and used another); it is now opened once, not through a link."""
    real = tmp_path / "real.json"
    demo = RunningDemo(URL, str(tmp_path), "sqlite://", os.getpid(), "")
    write_running_demo(demo)
    demo_file.rename(real)
    demo_file.symlink_to(real)
    with pytest.raises(QuanteraError, match="no local demo deployment is running"):
        resolve_network(None)


def _fields(pid) -> str:
    return json.dumps(
        {"rpc_url": URL, "deployments_dir": "d", "db_url": "s", "pid": pid, "workdir": ""}
    )


@pytest.mark.parametrize(
    "content",
    [
        _fields("12"),
        _fields(1e400).replace("Infinity", "1e999"),
        _fields(2**70),
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["pid-text", "pid-infinite", "pid-huge", "deep-json"],
)
def test_l2__malformed_announcement__is_no_demo_and_never_a_traceback(demo_file, content):
    """L-2: a planted file whose pid is text or huge, or whose JSON nests deeply, raised
    TypeError / OverflowError / RecursionError in every command; it is now no announcement."""
    demo_file.write_text(content)
    with pytest.raises(QuanteraError, match="no local demo deployment is running"):
        resolve_network(None)
    assert resolve_network("ethereum:sepolia:node") == "ethereum:sepolia:node"


def test_l2__announcement_that_is_a_fifo__does_not_hang(demo_file):
    os.mkfifo(demo_file)
    with pytest.raises(QuanteraError, match="no local demo deployment is running"):
        resolve_network(None)


def test_l5__announcement_written_0600_never_through_a_planted_link(demo_file, tmp_path):
    """L-5: the file took the umask (002: group-writable, then refused as the user's own) and its
    temporary file followed a planted link onto another file."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    demo_file.with_suffix(".tmp").symlink_to(victim)
    old = os.umask(0o002)
    try:
        demo = _announce(tmp_path)
    finally:
        os.umask(old)
    assert victim.read_text() == "keep"
    assert demo_file.stat().st_mode & 0o777 == 0o600
    assert resolve_network(None) == demo.network_choice


def test_h1__keeper_store_names_registries_only_on_the_followed_demo(monkeypatch, tmp_path):
    """H-1: a row in a shared keeper store listed a look-alike registry whose vault a signing
    command (fund subscribe --fund ISIN) then approved: the store's funds are looked behind only
    on the announced local demo."""
    from keepers.core import chain
    from keepers.lifecycle import cli as lifecycle_cli

    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{tmp_path / 'k.sqlite'}")
    monkeypatch.setattr(chain, "_CONNECTED", ["ethereum:sepolia:node"])
    assert lifecycle_cli._store() is None
    monkeypatch.setattr(chain, "_FOLLOWED_DEMOS", {"ethereum:sepolia:node"})
    assert lifecycle_cli._store() is not None


def test_quiet_ape__stdout_stays_the_answer(capsys):
    """ape's lines never reach stdout (a command's answer, JSON with --json): its INFO lines are
    dropped (a refusal stays one line on stderr), its warnings go to stderr."""
    from ape.logging import logger

    from keepers.core.chain import quiet_ape

    quiet_ape()
    logger.info("Connecting to a 'anvil' node.")
    logger.warning("a warning")
    captured = capsys.readouterr()
    assert captured.out == "" and "Connecting" not in captured.err
    assert "a warning" in captured.err
