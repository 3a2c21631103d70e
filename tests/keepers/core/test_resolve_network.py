"""Issue 33 §1: every chain command finds the served demo as the console does
(`keepers.core.chain.resolve_network`, behind the shared `--network` option)."""

from __future__ import annotations

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
