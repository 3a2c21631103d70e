"""The running-demo file: where `make demo SERVE=1` announces the chain it keeps up, so that
`quantera console` (and any tool) can find the local demo deployment without being told.

One JSON object at `.quantera/demo.json` under the working directory (`QUANTERA_DEMO_FILE`
overrides the path): the RPC URL, the deployment records' folder, the keeper store and the pid of
the demo process. A file whose process is gone is stale and read as "no demo running".
"""

from __future__ import annotations

import json
import os
import re
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
    """Writes the announcement atomically, readable and writable by this user only (0600, whatever
    the umask), never through a link planted where its temporary file goes."""
    path = running_demo_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(asdict(demo), indent=2))
    tmp.replace(path)
    return path


def remove_running_demo(pid: int) -> None:
    """Removes the file if it still announces process `pid` (a newer demo's file is kept)."""
    demo = read_running_demo()
    if demo is not None and demo.pid == pid:
        running_demo_path().unlink(missing_ok=True)


#: The largest announcement read (the demo writes about 300 bytes).
MAX_DEMO_FILE_BYTES = 64 * 1024
#: The demo's RPC URL as the demo writes it: plain HTTP to the loopback and a port, nothing else
#: (no user info, path or query that two URL parsers could read differently).
DEMO_RPC_URL = re.compile(r"http://(?:127\.0\.0\.1|localhost|\[::1\]):[0-9]{1,5}/?")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> tuple[RunningDemo, os.stat_result] | None:
    """The announcement and the status of the very file it was read from (opened once, not
    through a link, a regular file of bounded size: no check of one file and read of another);
    None when there is none or it is not an announcement."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DEMO_FILE_BYTES:
            return None
        try:
            fields = json.loads(file.read(MAX_DEMO_FILE_BYTES))
            demo = RunningDemo(**fields)
        except (OSError, ValueError, TypeError, RecursionError):
            return None
    if not isinstance(demo.pid, int) or not 0 < demo.pid < 2**22 + 1:
        return None
    if not all(isinstance(v, str) for v in (demo.rpc_url, demo.deployments_dir, demo.db_url)):
        return None
    return demo, info


def read_running_demo() -> RunningDemo | None:
    """The announced demo if its process is still alive; None when there is none (or it died)."""
    read = _read(running_demo_path())
    return read[0] if read is not None and _alive(read[0].pid) else None


def trusted_running_demo() -> RunningDemo | None:
    """The announced demo when it can be followed without being named: the file (as read, not
    through a link) and the demo's process are this user's (not a file another account planted in
    a shared folder, pointing at a process that happens to be alive, such as pid 1), the file is
    writable by this user only, and the chain is plain HTTP on this machine's loopback, written as
    the demo writes it (`DEMO_RPC_URL`). None when no demo runs; QuanteraError naming the reason
    when one is announced that must not be followed. NOT checked here: the chain id, which
    `keepers.core.chain.connected` asks the node for once connected (DEMO_CHAIN_ID)."""
    path = running_demo_path()
    read = _read(path)
    if read is None or not _alive(read[0].pid):
        return None
    demo, info = read
    problem = None
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = "is not this user's own (or others may write it)"
    elif _owner(demo.pid) != os.getuid():
        problem = f"names process {demo.pid}, which is not this user's"
    elif not DEMO_RPC_URL.fullmatch(demo.rpc_url) or not is_loopback_http(demo.rpc_url):
        problem = "names a chain that is not on this machine's loopback"
    if problem:
        raise QuanteraError(f"{path} {problem}: not followed (pass --network to name a chain)")
    return demo


def _owner(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        return None
