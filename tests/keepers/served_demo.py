"""The demo left up for the operator console (`ape run demo --serve`), shared by one pytest
session: the demo test checks its summary and that it stops cleanly; the console's browser tests
read the chain it leaves. One demo per session (it costs minutes of CPU).

`QUANTERA_TEST_DEMO_FILE=/path/.quantera/demo.json` reuses a demo already served elsewhere (while
developing: `make demo SERVE=1` in another shell); that demo is then neither checked nor stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from conftest import BIN, SUBPROCESS_TIMEOUT_SECONDS, wait_for
from keepers.core.running_demo import RunningDemo

REUSE_ENV = "QUANTERA_TEST_DEMO_FILE"
DEMO_BLOCKS = 5


@dataclass
class ServedDemo:
    workdir: Path
    demo_file: Path
    proc: subprocess.Popen | None
    running: RunningDemo | None = None
    result: tuple[int, str, str] | None = field(default=None, repr=False)

    @property
    def record(self) -> dict:
        return json.loads((Path(self.running.deployments_dir) / "ethereum-local.json").read_text())

    @property
    def env(self) -> dict[str, str]:
        """The environment a `quantera` command needs to find this demo by default."""
        return dict(os.environ, QUANTERA_DEMO_FILE=str(self.demo_file))

    def output(self) -> str:
        return (self.workdir / "demo.stdout").read_text() if self.proc else ""

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM, then the demo's exit code, stdout and stderr (once; later calls repeat it)."""
        if self.result is None:
            assert self.proc is not None, "a reused demo is not stopped here"
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=SUBPROCESS_TIMEOUT_SECONDS)
            self.result = (
                code,
                (self.workdir / "demo.stdout").read_text(),
                (self.workdir / "demo.stderr").read_text(),
            )
        return self.result


def start_served_demo(workdir: Path) -> ServedDemo:
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        demo = ServedDemo(workdir, Path(reuse), None)
        demo.running = RunningDemo(**json.loads(Path(reuse).read_text()))
        return demo
    workdir.mkdir(parents=True, exist_ok=True)
    demo_file = workdir / "demo.json"
    env = dict(os.environ, QUANTERA_DEMO_FILE=str(demo_file))
    with open(workdir / "demo.stdout", "w") as out, open(workdir / "demo.stderr", "w") as err:
        proc = subprocess.Popen(
            [
                str(BIN / "ape"),
                "run",
                "demo",
                "--blocks",
                str(DEMO_BLOCKS),
                "--dir",
                str(workdir / "run"),
                "--serve",
            ],
            stdout=out,
            stderr=err,
            env=env,
        )
    demo = ServedDemo(workdir, demo_file, proc)

    def announced() -> RunningDemo | None:
        if proc.poll() is not None:
            code, stdout, stderr = demo.stop()
            raise AssertionError(
                f"the demo exited with {code} before serving:\n{stdout[-3000:]}\n{stderr[-3000:]}"
            )
        if not demo_file.exists():
            return None
        return RunningDemo(**json.loads(demo_file.read_text()))

    demo.running = wait_for(announced, "the demo to serve its chain", workdir / "demo.stdout")
    return demo
