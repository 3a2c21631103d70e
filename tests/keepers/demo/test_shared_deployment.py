"""The keeper tests' deployment shared by `make test`'s jobs (tests/keepers/shared_deployment.py):
made once under a lock whichever job asks first, read by the others; a job's own without the
shared folder; nothing half-made left by a deploy that failed."""

from __future__ import annotations

import gzip
import json
import multiprocessing
import time
from pathlib import Path

import pytest

from shared_deployment import SHARED_DIR_ENV, STATE, shared_anvil_state


def fake_deploy(folder: Path, calls: Path, seconds: float = 0.0) -> tuple[Path, Path]:
    """What drills.deploy_state leaves (the dumped state in gzipped hex, the record), counted."""
    with open(calls, "a") as log:
        log.write(f"{folder}\n")
    time.sleep(seconds)
    state = folder / "state.hex"
    state.write_text("0x" + gzip.compress(json.dumps({"block": 7}).encode()).hex())
    record = folder / "ethereum-local.json"
    record.write_text(json.dumps({"contracts": {"QTF": "0x01"}}))
    return state, record


def _ask(shared: str, calls: str, own: str, out: str) -> None:
    import os

    os.environ[SHARED_DIR_ENV] = shared
    state, record = shared_anvil_state(
        lambda folder: fake_deploy(folder, Path(calls), seconds=1.0), lambda: Path(own)
    )
    Path(out).write_text(f"{state}\n{record}\n{state.read_text()}")


def test_shared__two_jobs_at_once__deployed_once_both_read_it(tmp_path):
    shared, calls = tmp_path / "shared", tmp_path / "calls.log"
    shared.mkdir()
    spawn = multiprocessing.get_context("spawn")
    jobs = [
        spawn.Process(
            target=_ask, args=(str(shared), str(calls), str(tmp_path), str(tmp_path / f"out{i}"))
        )
        for i in range(2)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
        assert job.exitcode == 0
    assert len(calls.read_text().splitlines()) == 1
    first, second = ((tmp_path / f"out{i}").read_text() for i in range(2))
    assert first == second
    state, record, content = first.split("\n", 2)
    assert Path(state) == shared / "deployment" / STATE
    assert json.loads(content) == {"block": 7}
    assert json.loads(Path(record).read_text()) == {"contracts": {"QTF": "0x01"}}


def test_shared__no_shared_folder__the_sessions_own(tmp_path, monkeypatch):
    monkeypatch.delenv(SHARED_DIR_ENV, raising=False)
    calls, own = tmp_path / "calls.log", tmp_path / "own"
    own.mkdir()
    state, record = shared_anvil_state(lambda f: fake_deploy(f, calls), lambda: own)
    assert state == own / STATE and record == own / "ethereum-local.json"
    assert json.loads(state.read_text()) == {"block": 7}
    assert calls.read_text().splitlines() == [str(own)]


def test_shared__deploy_fails__nothing_left_the_other_jobs_fail_at_once(tmp_path, monkeypatch):
    """A failed deploy is not tried again by every job waiting on the lock (each up to the deploy's
    20-minute guard, one after the other): they fail at once with its error."""
    shared, calls = tmp_path / "shared", tmp_path / "calls.log"
    shared.mkdir()
    monkeypatch.setenv(SHARED_DIR_ENV, str(shared))

    def failing(folder: Path) -> tuple[Path, Path]:
        (folder / "half").write_text("a deploy that died")
        raise AssertionError("ape run deploy all failed")

    with pytest.raises(AssertionError, match="deploy all failed"):
        shared_anvil_state(failing, lambda: tmp_path)
    assert not (shared / "deployment").exists()
    assert not [p for p in shared.iterdir() if p.name.startswith("deployment.") and p.is_dir()]
    with pytest.raises(RuntimeError, match="failed in another job.*deploy all failed"):
        shared_anvil_state(lambda f: fake_deploy(f, calls), lambda: tmp_path)
    assert not calls.exists()


def test_shared__deploy_leaves_no_record__refused_not_published(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv(SHARED_DIR_ENV, str(shared))

    def no_record(folder: Path) -> tuple[Path, Path]:
        state, record = fake_deploy(folder, tmp_path / "calls.log")
        record.unlink()
        return state, record

    with pytest.raises(RuntimeError, match="wrote no deployment record"):
        shared_anvil_state(no_record, lambda: tmp_path)
    assert not (shared / "deployment").exists()
    assert not [p for p in shared.iterdir() if p.name.startswith("deployment.") and p.is_dir()]


def test_shared__folder_missing__clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(SHARED_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(RuntimeError, match="is not a folder"):
        shared_anvil_state(lambda f: fake_deploy(f, tmp_path / "c"), lambda: tmp_path)
