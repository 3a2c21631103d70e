"""Child processes the demo starts, and the guarantee that it stops every one of them."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from keepers.core.errors import QuanteraError
from keepers.core.waiting import wait_until

GRACE_SECONDS = 5.0
MAX_RESTARTS = 3  # per keeper: more means a real fault, not a transient RPC error
SUPERVISE_EVERY_SECONDS = 0.5
ACCOUNTS = 24  # funded test accounts; matches `test.number_of_accounts` in ape-config.yaml


def rpc(url: str, method: str, params: list | None = None, timeout: float = 10.0):
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    ).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise QuanteraError(f"{method} failed: {reply['error']}")
    return reply["result"]


def stop_mining(url: str, settle: float = 2.0, timeout: float = 120.0) -> int:
    """Stops the node's interval mining and returns its head once no block has come for `settle`
    seconds (more than an interval). anvil's miner can still mine a block it had scheduled after
    `evm_setIntervalMining 0` has returned (seen under load): a head read at once was then one
    short, and a reorganisation `head - fork` deep left block fork + 1 standing."""
    rpc(url, "evm_setIntervalMining", [0])
    head = int(rpc(url, "eth_blockNumber"), 16)
    still_since = started = time.monotonic()
    while time.monotonic() - still_since < settle:
        if time.monotonic() - started > timeout:
            raise QuanteraError(
                f"the node at {url} still mines {timeout:.0f} s after mining stopped"
            )
        time.sleep(0.25)
        now = int(rpc(url, "eth_blockNumber"), 16)
        if now != head:
            head, still_since = now, time.monotonic()
    return head


class ProcessGroup:
    """Starts children in their own sessions and kills each whole group on `stop_all()`
    (SIGTERM, then SIGKILL after a grace period), so nothing outlives the demo."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []
        # Folders a child writes that die with it (anvil's persisted states): removed by stop_all.
        self.scratch: list[Path] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, append: bool = False
    ) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab" if append else "wb")
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.children.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen, first_signal: int = signal.SIGTERM) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, first_signal)
            proc.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=GRACE_SECONDS)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for _, proc in reversed(self.children):
            self.stop(proc)
        for folder in self.scratch:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Keeper:
    """A keeper process kept running by `KeeperSupervisor`."""

    name: str
    argv: list[str]
    env: dict[str, str] | None
    proc: subprocess.Popen
    exit_codes: list[int] = field(default_factory=list)  # one per restart
    restart_at: float | None = None  # monotonic time of the next start while backing off

    @property
    def restarts(self) -> int:
        return len(self.exit_codes)


class KeeperSupervisor:
    """Restarts a keeper that exits while it should run, as a service manager does in production
    (systemd `Restart=on-failure`): keepers resume from their store cursors, so a transient RPC
    error that ends a silverback runner must not end the operation. Each restart is appended to the
    keeper's log and counted; after `max_restarts` the keeper stays down and `check` raises.
    Restarts after the first wait `backoff_seconds` doubling up to `max_backoff_seconds` (systemd's
    `RestartSec`), so a keeper whose RPC endpoint is away for a while retries without spinning."""

    def __init__(
        self,
        group: ProcessGroup,
        max_restarts: int = MAX_RESTARTS,
        backoff_seconds: float = 0.0,
        max_backoff_seconds: float = 10.0,
    ):
        self.group = group
        self.max_restarts = max_restarts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.keepers: dict[str, Keeper] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="keeper-supervisor", daemon=True)

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Keeper:
        keeper = Keeper(name, argv, env, self.group.start(name, argv, env))
        with self._lock:
            self.keepers[name] = keeper
        if not self._thread.is_alive():
            self._thread.start()
        return keeper

    def check(self, name: str) -> Keeper:
        """The keeper, restarted first if it exited; raises once it exceeded MAX_RESTARTS."""
        with self._lock:
            keeper = self.keepers[name]
            code = keeper.proc.poll()
            if code is None:
                return keeper
            if keeper.restarts >= self.max_restarts:
                raise QuanteraError(
                    f"{name} exited with {code} after {self.max_restarts} restarts "
                    f"(see {self.group.log_dir}/{name}.log)"
                )
            if keeper.restart_at is None:
                delay = (
                    0.0
                    if keeper.restarts == 0
                    else min(
                        self.backoff_seconds * 2 ** (keeper.restarts - 1), self.max_backoff_seconds
                    )
                )
                keeper.restart_at = time.monotonic() + delay
            if time.monotonic() < keeper.restart_at:
                return keeper  # backing off: restarted by a later check
            keeper.restart_at = None
            keeper.exit_codes.append(code)
            with open(self.group.log_dir / f"{name}.log", "ab") as log:
                line = f"\n=== supervisor: exited with {code}; restart {keeper.restarts} ===\n"
                log.write(line.encode())
            keeper.proc = self.group.start(name, keeper.argv, keeper.env, append=True)
            return keeper

    def stop(self, name: str, first_signal: int = signal.SIGTERM) -> None:
        """Stops one keeper for good (it is no longer restarted)."""
        with self._lock:
            keeper = self.keepers.pop(name)
        self.group.stop(keeper.proc, first_signal)

    def stop_all(self, first_signal: int = signal.SIGTERM) -> None:
        self._stop.set()
        for name in list(self.keepers):
            self.stop(name, first_signal)

    def _watch(self) -> None:
        while not self._stop.wait(SUPERVISE_EVERY_SECONDS):
            for name in list(self.keepers):
                try:
                    self.check(name)
                except (KeyError, QuanteraError):
                    pass  # stopped meanwhile, or given up: `check` from the caller reports it


ANVIL_LISTENING = re.compile(rb"Listening on 127\.0\.0\.1:(\d+)")


def start_anvil(
    group: ProcessGroup,
    chain_id: int,
    block_time_seconds: int = 1,
    startup_timeout: float = 120.0,
    mixed_mining: bool = True,
    extra_args: tuple[str, ...] = (),
    name: str = "anvil",
) -> str:
    """Starts anvil on a localhost port of its own choosing and returns its URL once it answers.
    Blocks come every `block_time_seconds` as on a live chain (polling keepers stop after 10 s
    without a block), and each transaction is also mined at once (mixed mining), so the demo's
    replays do not wait; without `mixed_mining` a transaction waits for its block, as on a live
    chain. `block_time_seconds=0`: a block per transaction only (automine), for benchmarks.

    Anvil binds port 0 and the port is read back from the line it logs: no port is picked first
    and bound later, so two anvils started at once (a test suite beside the demo) can never race
    for one port or answer for each other. `startup_timeout` guards against a hung start only.
    `extra_args` go to anvil as they are (`--load-state FILE`, say); `name` names its log.

    Anvil keeps its last states in memory and writes older ones to disk, by default under
    `~/.foundry/anvil/tmp`, which it never removes: one `make test` left 11 GB there, in five
    folders of up to 3.7 GB. Here they go to `<log dir>/<name>-states`, removed with the group by
    `stop_all`."""
    anvil = shutil.which("anvil")
    if anvil is None:
        raise QuanteraError("anvil is not on PATH: run `make install`")
    states = group.log_dir / f"{name}-states"
    group.scratch.append(states)
    proc = group.start(
        name,
        [
            anvil,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--chain-id",
            str(chain_id),
            *(["--block-time", str(block_time_seconds)] if block_time_seconds else []),
            *(["--mixed-mining"] if mixed_mining and block_time_seconds else []),
            "--accounts",
            str(ACCOUNTS),
            "--cache-path",
            str(states),
            *extra_args,
        ],
    )
    log_file = group.log_dir / f"{name}.log"

    def answering() -> str | None:
        if proc.poll() is not None:
            raise QuanteraError(f"anvil exited with {proc.returncode} (see {log_file})")
        listening = ANVIL_LISTENING.search(log_file.read_bytes())
        if listening is None:
            return None
        url = f"http://127.0.0.1:{int(listening.group(1))}"
        try:
            return url if int(rpc(url, "eth_chainId", timeout=5.0), 16) == chain_id else None
        except (OSError, QuanteraError):
            return None

    return wait_until(answering, f"anvil to answer (log: {log_file})", startup_timeout, poll=0.1)
