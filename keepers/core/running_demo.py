"""The running-demo file: where `make demo SERVE=1` announces the chain it keeps up, so that
`quantera console` (and any tool) can find the local demo deployment without being told.

One JSON object at `.quantera/demo.json` under the working directory (`QUANTERA_DEMO_FILE`
overrides the path): the RPC URL, the deployment records' folder, the keeper store and the pid of
the demo process. A file whose process is gone is stale and read as "no demo running".
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEMO_FILE_ENV = "QUANTERA_DEMO_FILE"
DEFAULT_DEMO_FILE = Path(".quantera") / "demo.json"


@dataclass(frozen=True)
class RunningDemo:
    rpc_url: str
    deployments_dir: str
    db_url: str
    pid: int
    workdir: str

    @property
    def network_choice(self) -> str:
        return f"ethereum:local:{self.rpc_url}"


def running_demo_path() -> Path:
    return Path(os.environ.get(DEMO_FILE_ENV, DEFAULT_DEMO_FILE))


def write_running_demo(demo: RunningDemo) -> Path:
    path = running_demo_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(demo), indent=2))
    tmp.replace(path)
    return path


def remove_running_demo(pid: int) -> None:
    """Removes the file if it still announces process `pid` (a newer demo's file is kept)."""
    demo = read_running_demo()
    if demo is not None and demo.pid == pid:
        running_demo_path().unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_running_demo() -> RunningDemo | None:
    """The announced demo if its process is still alive; None when there is none (or it died)."""
    path = running_demo_path()
    try:
        demo = RunningDemo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return demo if _alive(demo.pid) else None
