"""The keeper tests' deployment (`ape run deploy all`, venues seeded), once per `make test` run.

Three jobs of `make test` (test-keepers-core, test-keepers-markets, test-deploys) each need the same
deployment as anvil state; each made its own, about 20 s of CPU apiece on a machine whose two cores
the ten jobs already fill. `make test` gives its jobs one empty folder (SHARED_DIR_ENV): the first
job to ask deploys into it under an exclusive lock, and the others, waiting on that lock, load what
it saved; if that deploy fails, they fail at once with its error. Without the variable (a job or a
file run alone) a session deploys its own, as before. The folder lives for one run only, so no
deployment outlives the code that made it."""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
from collections.abc import Callable
from pathlib import Path

SHARED_DIR_ENV = "QUANTERA_TEST_SHARED_DIR"
STATE = "state.json"
#: Names the deployment record inside the shared folder.
RECORD_NAME = "record-name"


def anvil_state(deploy: Callable[[Path], tuple[Path, Path]], folder: Path) -> tuple[Path, Path]:
    """Deploys with `deploy(folder)` (drills.deploy_state: the dumped state in hex, the record) and
    writes the state as the JSON `anvil --load-state` reads: (state.json, record)."""
    dumped, record = deploy(folder)
    # anvil_dumpState's reply is the gzipped JSON state in hex. Seeded venues make it too large for
    # anvil_loadState's request ("Invalid request"), so anvils load it at start (--load-state).
    state = folder / STATE
    state.write_bytes(gzip.decompress(bytes.fromhex(dumped.read_text().removeprefix("0x"))))
    return state, record


def shared_anvil_state(
    deploy: Callable[[Path], tuple[Path, Path]], own_folder: Callable[[], Path]
) -> tuple[Path, Path]:
    """The run's shared deployment when SHARED_DIR_ENV names a folder (made once, under a lock,
    by whichever job asks first), else one of this session's own in `own_folder()`. Readers only
    read both files: anvil loads the state at start, and tests copy the record."""
    shared = os.environ.get(SHARED_DIR_ENV)
    if not shared:
        return anvil_state(deploy, own_folder())
    root = Path(shared)
    if not root.is_dir():
        raise RuntimeError(f"{SHARED_DIR_ENV}={shared} is not a folder")
    done, failed = root / "deployment", root / "deployment.failed"
    with open(root / "deployment.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also on a crash
        if failed.is_file():
            # Not tried again by each waiting job in turn: one deploy's failure fails them at once.
            raise RuntimeError(
                f"the run's shared deployment failed in another job: {failed.read_text()}"
            )
        if not (done / STATE).is_file():
            # Built aside and renamed whole: a job killed mid-deploy leaves no half a deployment.
            work = root / f"deployment.{os.getpid()}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            try:
                _, record = anvil_state(deploy, work)
                if not record.is_file():
                    raise RuntimeError(
                        f"`ape run deploy all` wrote no deployment record ({record.name})"
                    )
                (work / RECORD_NAME).write_text(record.relative_to(work).as_posix())
            except BaseException as err:
                shutil.rmtree(work, ignore_errors=True)
                if isinstance(err, Exception):  # not an interrupt: the others would meet it too
                    failed.write_text(f"{type(err).__name__}: {err}"[:4000])
                raise
            work.rename(done)
        return done / STATE, done / (done / RECORD_NAME).read_text()
