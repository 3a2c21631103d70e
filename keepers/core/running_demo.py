"""The running-demo file: where `make demo SERVE=1` announces the chain it keeps up, so that
`quantera console` (and any tool) can find the local demo deployment without being told.

One JSON object at `.quantera/demo.json` under the working directory (`QUANTERA_DEMO_FILE`
overrides the path): the RPC URL, the deployment records' folder, the keeper store and the pid of
the demo process. A file whose process is gone is stale and read as "no demo running".
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from keepers.core.errors import QuanteraError
from keepers.core.loopback import is_loopback_http

DEMO_FILE_ENV = "QUANTERA_DEMO_FILE"
DEFAULT_DEMO_FILE = Path(".quantera") / "demo.json"
#: The demo's anvil chain id (ape's URI provider for `ethereum:local` expects the dev chain id):
#: a transaction signed for it is valid on no public chain (EIP-155).
DEMO_CHAIN_ID = 1337


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


def trusted_running_demo() -> RunningDemo | None:
    """The announced demo when it can be followed without being named: the file and the demo's
    process are this user's (not a file another account planted in a shared folder, pointing at a
    process that happens to be alive, such as pid 1), the file is writable by this user only, and
    the chain is on this machine's loopback. None when no demo runs; QuanteraError naming the
    reason when one is announced that must not be followed. NOT checked here: the chain id, which
    `keepers.core.chain.connected` checks once connected (DEMO_CHAIN_ID)."""
    demo = read_running_demo()
    if demo is None:
        return None
    path = running_demo_path()
    info = path.stat()
    problem = None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = "is not this user's own (or others may write it)"
    elif _owner(demo.pid) != os.getuid():
        problem = f"names process {demo.pid}, which is not this user's"
    elif not is_loopback_http(demo.rpc_url):
        problem = "names a chain that is not on this machine's loopback"
    if problem:
        raise QuanteraError(f"{path} {problem}: not followed (pass --network to name a chain)")
    return demo


def _owner(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        return None
