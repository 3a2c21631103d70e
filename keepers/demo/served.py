"""The demo run in the background and left up (`ape run demo --serve`), for whoever needs a chain
with every act on it: the console's browser tests (one per test session) and its page-load
benchmark. `start_served_demo` returns once the demo announces its chain; `stop` ends it as
Ctrl-C would and returns its exit code and output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from keepers.core.errors import QuanteraError
from keepers.core.running_demo import RunningDemo
from keepers.core.waiting import wait_until
from keepers.demo.stage import PROGRESS_FILE

DEMO_BLOCKS = 5
# A guard against a hung demo, not a guess at its speed: the most one step of the demo (the deploy,
# an act) may take. The whole demo takes 5-6 minutes alone and 22 under `make test`'s nine other
# jobs on two cores (1433d7f), more on a slower machine; its wait restarts at each step.
SERVE_TIMEOUT_SECONDS = 1_800.0


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

    def stop(self, timeout: float = SERVE_TIMEOUT_SECONDS) -> tuple[int, str, str]:
        """SIGTERM, then the demo's exit code, stdout and stderr (once; later calls repeat it)."""
        if self.result is None:
            if self.proc is None:
                raise QuanteraError("a reused demo is not stopped here")
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=timeout)
            self.result = (
                code,
                (self.workdir / "demo.stdout").read_text(),
                (self.workdir / "demo.stderr").read_text(),
            )
        return self.result


def reuse_served_demo(demo_file: Path, workdir: Path) -> ServedDemo:
    """A demo served elsewhere (`make demo SERVE=1`): neither checked nor stopped by its user."""
    demo = ServedDemo(workdir, demo_file, None)
    demo.running = RunningDemo(**json.loads(demo_file.read_text()))
    return demo


@contextmanager
def bench_demo(demo_file: Path | None, prefix: str) -> Iterator[ServedDemo]:
    """A benchmark's chain: the demo served already at `demo_file` (left up), else one started in
    a new temporary folder and stopped when the block ends."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    demo = reuse_served_demo(demo_file, workdir) if demo_file else start_served_demo(workdir)
    try:
        yield demo
    finally:
        if demo.proc is not None:
            demo.stop()


def start_served_demo(
    workdir: Path, blocks: int = DEMO_BLOCKS, with_keepers: bool = False
) -> ServedDemo:
    """The demo started in the background and served once its summary is printed. Its keepers
    run through the demo's acts as always; `with_keepers` also restarts them for the served chain
    (off by default: the console's tests and benchmark only read the chain and send their own
    transactions, and three keepers polling 1-second blocks cost minutes of CPU meanwhile)."""
    workdir.mkdir(parents=True, exist_ok=True)
    demo_file = workdir / "demo.json"
    env = dict(os.environ, QUANTERA_DEMO_FILE=str(demo_file))
    ape = str(Path(sys.executable).parent / "ape")
    run_dir = workdir / "run"
    argv = [ape, "run", "demo", "--blocks", str(blocks), "--dir", str(run_dir), "--serve"]
    if not with_keepers:
        argv.append("--serve-without-keepers")
    with open(workdir / "demo.stdout", "w") as out, open(workdir / "demo.stderr", "w") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
    demo = ServedDemo(workdir, demo_file, proc)

    def announced() -> RunningDemo | None:
        if proc.poll() is not None:
            code, stdout, stderr = demo.stop()
            raise QuanteraError(
                f"the demo exited with {code} before serving:\n{stdout[-3000:]}\n{stderr[-3000:]}"
            )
        if not demo_file.exists():
            return None
        return RunningDemo(**json.loads(demo_file.read_text()))

    def step() -> str | None:
        """The step the demo is in (keepers.demo.stage.Progress), None before its first."""
        try:
            return (run_dir / PROGRESS_FILE).read_text()
        except FileNotFoundError:
            return None

    try:
        demo.running = wait_until(
            announced, "the demo to serve its chain", SERVE_TIMEOUT_SECONDS, progress=step
        )
    except BaseException:
        if proc.poll() is None:
            demo.stop()
        raise
    return demo
