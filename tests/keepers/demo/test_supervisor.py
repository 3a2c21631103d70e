"""The demo's keeper supervisor: an exited keeper is restarted (restart-safe keepers resume from
their store cursors), each restart is logged and counted, and a keeper that keeps failing is
reported."""

import sys

from keepers.core.errors import QuanteraError
from keepers.core.waiting import wait_until
from keepers.demo.processes import MAX_RESTARTS, KeeperSupervisor, ProcessGroup


def test_supervisor__restarts_an_exited_keeper_then_gives_up(tmp_path):
    group = ProcessGroup(tmp_path)
    keepers = KeeperSupervisor(group)
    try:
        flaky = keepers.start(
            "flaky-keeper", [sys.executable, "-c", "print('ran'); raise SystemExit(3)"]
        )
        # Sleeps until stopped (the test must not depend on how long it takes on a busy machine).
        steady = keepers.start(
            "steady-keeper", [sys.executable, "-c", "import time; time.sleep(86_400)"]
        )

        def given_up() -> str | None:
            # `check` holds the supervisor's lock: the keeper's restarts and process are read
            # together (reading `flaky.proc` outside it could see the exited process just before its
            # restart).
            try:
                keepers.check("flaky-keeper")
                return None
            except QuanteraError as err:
                return str(err)

        message = wait_until(given_up, "the supervisor to give up on the flaky keeper", timeout=600)
        assert message.startswith(f"flaky-keeper exited with 3 after {MAX_RESTARTS} restarts")
        assert flaky.exit_codes == [3] * MAX_RESTARTS
        log = (tmp_path / "flaky-keeper.log").read_text()
        assert log.count("ran") == MAX_RESTARTS + 1 and f"restart {MAX_RESTARTS} ===" in log
        assert (
            keepers.check("steady-keeper") is steady
            and steady.restarts == 0
            and steady.proc.poll() is None
        )
    finally:
        keepers.stop_all()
        group.stop_all()
    assert all(proc.poll() is not None for _, proc in group.children)
