"""The fault drills' harness: one deployment shared as anvil state, a chain driver that makes work
for the keepers (a listed wallet registers, the feeds report, the governor schedules), the faults
(an RPC endpoint that goes away, a Redis broker), and the checks of KPR-1 to KPR-3 against the
canonical chain."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from conftest import BIN, wait_for
from keepers.access import store as access_store
from keepers.compliance import store as compliance_store
from keepers.core import store
from keepers.core.faults import POINTS
from keepers.core.waiting import wait_until
from keepers.demo.processes import ProcessGroup, rpc
from keepers.risk import store as risk_store

CHAIN_ID = 1337
GOVERNOR, OPERATOR, COMPLIANCE_KEEPER, RISK_KEEPER, PRICE_REPORTER = 2, 3, 6, 7, 8
FAR_FUTURE = 2**40 - 1
ZERO = "0x0000000000000000000000000000000000000000"
# Seconds the chain's clock jumps each cycle: past the engine's minUpdateDelay (30 s), so every
# cycle's prices make a model update due.
CYCLE_SECONDS = 31
KEEPERS = ("governance", "screening", "risk")
SIGNERS = {"screening": COMPLIANCE_KEEPER, "risk": RISK_KEEPER}
# Each keeper's silverback entry point: the bot of the domain it serves.
ENTRY_POINTS = {
    "governance": "keepers.access.bot:bot",
    "screening": "keepers.compliance.bot:bot",
    "risk": "keepers.risk.bot:bot",
    # The lifecycle drill's (tests/keepers/lifecycle/test_lifecycle_drill.py): the NAV agent and
    # the fee keeper.
    "lifecycle": "keepers.lifecycle.bot:bot",
    "fees": "keepers.lifecycle.fee_bot:bot",
}


def silverback_argv(keeper: str, url: str, command: str = "run") -> list[str]:
    """The command line of a keeper's silverback process (`command` run, or worker: one worker)
    against the RPC endpoint `url`."""
    extra = ["-w", "1"] if command == "worker" else []
    return [
        str(BIN / "silverback"),
        command,
        *extra,
        ENTRY_POINTS[keeper],
        "--network",
        f"ethereum:local:{url}",
    ]


def keeper_env(
    deployments: Path, db_url: str, crash_file: Path, signer: int | None = None, **extra: str
) -> dict[str, str]:
    """A keeper process's environment: the deployment record's folder, the keeper store, the
    drill's crash file (keepers/core/faults.py) and the test account it signs with."""
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(deployments),
        QUANTERA_DB_URL=db_url,
        QUANTERA_CRASH_FILE=str(crash_file),
    )
    if signer is not None:
        env["SILVERBACK_SIGNER_ALIAS"] = f"TEST::{signer}"
    env.update(extra)
    return env


def fault_schedule(rng, cycles: int, keepers: tuple[str, ...] = KEEPERS) -> list[tuple[str, str]]:
    """Every crash point of `keepers` once in a seeded order with a kill -9 at a random moment
    inserted, cut or extended (random faults) to `cycles`."""
    schedule = [("point", str(p)) for p in rng.permutation(crash_points(keepers))]
    schedule.insert(int(rng.integers(0, len(schedule) + 1)), ("kill", str(rng.choice(keepers))))
    while len(schedule) < cycles:
        keeper = str(rng.choice(keepers))
        schedule.append(
            ("point", str(rng.choice(POINTS[keeper]))) if rng.random() < 0.6 else ("kill", keeper)
        )
    return schedule[:cycles]


def crash_points(keepers: tuple[str, ...] = KEEPERS) -> list[str]:
    return [point for keeper in keepers for point in POINTS[keeper]]


def wait_with_logs(folder: Path, condition, what: str, supervisor=None) -> None:
    """Waits (600 s at most) for `condition()`, restarting through `supervisor` every keeper that
    exited; on a timeout the assertion carries the tail of every process log in `folder`."""
    try:
        wait_until(
            condition,
            what,
            600,
            on_poll=(lambda: [supervisor.check(k) for k in list(supervisor.keepers)])
            if supervisor
            else None,
        )
    except Exception as err:  # noqa: BLE001 - the logs say why
        logs = "\n".join(
            f"--- {p.name}\n{p.read_text()[-2500:]}"
            for p in sorted(folder.glob("*.log"))
            if p.name != "anvil.log"
        )
        raise AssertionError(f"{err}\n{logs}") from None


def check_checkpoints(engine, names) -> None:
    """Every named cursor's last checkpoint is a canonical block (KPR-3)."""
    from keepers.core.scan import block_hash

    for name in names:
        [(number, stored_hash), *_] = store.checkpoints(engine, name, CHAIN_ID)
        assert block_hash(number) == stored_hash, f"{name}'s cursor block {number} is not canonical"


def listed_wallet(i: int) -> str:
    """The i-th wallet of the drill's sanctions list (deterministic, checksummed)."""
    from eth_utils import keccak, to_checksum_address

    return to_checksum_address(keccak(text=f"quantera drill listed wallet {i}")[-20:])


def write_sanctions_list(path: Path, count: int) -> None:
    """An OFAC SDN-format list naming `count` wallets (entries 70001...)."""
    rows = [
        f'{70_001 + i},"DRILL LISTED WALLET {i}","-0- ","CYBER2","-0- ","-0- ","-0- ",'
        '"-0- ","-0- ","-0- ","-0- ",'
        f'"Digital Currency Address - ETH {listed_wallet(i)}."'
        for i in range(count)
    ]
    path.write_text("\n".join(rows) + "\n")


class RpcProxy:
    """A TCP forwarder from a port of its own to anvil: the keepers' RPC endpoint. `cut()` resets
    every open connection and refuses new ones (reset at once) until `restore()`: the endpoint is
    gone for the keepers while the chain goes on. `cut_on(*markers)` cuts it at a moment of the
    keeper's own: when a request carrying every marker (a JSON-RPC method's name, a selector's hex)
    comes, instead of forwarding it."""

    def __init__(self, target_url: str):
        self.target = ("127.0.0.1", int(target_url.rsplit(":", 1)[1]))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.up = True
        self.refused = 0
        self._trip: tuple[bytes, ...] = ()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="rpc-proxy", daemon=True).start()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        """Resets the connection: linger 0 makes the close send RST; the shutdown first wakes a
        pump blocked in recv on it (a close alone would leave the kernel socket open, silent)."""
        try:
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                self.refused += 1
                self._reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                self._reset(client)
                continue
            with self._lock:
                if not self.up:  # cut while this connection was being made
                    self._reset(client)
                    self._reset(upstream)
                    continue
                self._open.update((client, upstream))
            for a, b, outbound in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, outbound), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        request = b""  # the request so far, when a cut is armed (each one starts with its verb)
        try:
            while data := source.recv(65536):
                if outbound and self._trip:
                    request = data if data.startswith(b"POST ") else request + data
                    if all(marker in request for marker in self._trip):
                        self._trip = ()
                        self.cut()  # the request, or its rest, never reaches the node
                        return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            self._reset(source)
            self._reset(sink)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            self._reset(sock)

    def cut_on(self, *markers: str) -> None:
        """Arms one cut: the first request carrying every one of `markers` is not forwarded (nor
        its rest, if it came in pieces); the endpoint goes away then (`cut()`, until
        `restore()`)."""
        self._trip = tuple(marker.encode() for marker in markers)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


class RedisServer:
    """Debian's redis-server on a Unix socket in a test folder (no TCP port: nothing to race for),
    without persistence; stopped by `stop()`."""

    def __init__(self, group: ProcessGroup, folder: Path):
        executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.socket = folder / "redis.sock"
        self.url = f"unix://{self.socket}"
        self.proc = group.start(
            "redis",
            [
                executable,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
        )
        self.group = group
        wait_for(self._answering, "redis-server to answer on its socket", folder / "redis.log")

    def _answering(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.proc.returncode}")
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX) as sock:
            try:
                sock.connect(str(self.socket))
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

    def stop(self) -> None:
        self.group.stop(self.proc)


def broker_env(redis_url: str, keeper: str) -> dict[str, str]:
    """Silverback's distributed settings for one keeper: its own task queue on the Redis broker,
    results through Redis (what docs/keepers.md prescribes)."""
    # socket_timeout null: a worker waits on the queue (BRPOP) for as long as no block comes;
    # redis-py 8's default 5 s read timeout would end it then.
    return {
        "SILVERBACK_BROKER_CLASS": "taskiq_redis:ListQueueBroker",
        "SILVERBACK_BROKER_KWARGS": json.dumps(
            {"url": redis_url, "queue_name": f"quantera:{keeper}", "socket_timeout": None}
        ),
        "SILVERBACK_RESULT_BACKEND_CLASS": "taskiq_redis:RedisAsyncResultBackend",
        "SILVERBACK_RESULT_BACKEND_KWARGS": json.dumps(
            {"redis_url": redis_url, "result_ex_time": 600}
        ),
    }


@dataclass
class Drill:
    """One drill's chain (anvil loaded with the shared deployment), store and keepers' environment.
    `url` is anvil itself (the driver and the checks); `keeper_url` is what the keepers use."""

    tmp: Path
    url: str
    keeper_url: str
    deployments: Path
    db_url: str
    listed: int  # entries in the drill's sanctions list
    registered: list[str] = field(default_factory=list)  # listed wallets registered so far
    cycles: int = 0
    keepers: tuple[str, ...] = KEEPERS  # the keepers this drill runs (and checks)

    def __post_init__(self):
        from ape import project

        from keepers.core.deployments import load, record_path

        self.engine = store.open_store(self.db_url)
        self.record = load(record_path("ethereum:local", self.deployments))
        at = lambda kind, name: getattr(project, kind).at(self.record.address_of(name))  # noqa: E731
        self.registry = at("IdentityRegistry", "IdentityRegistry")
        self.manager = at("QuanteraAccessManager", "QuanteraAccessManager")
        self.risk = at("RiskEngine", "RiskEngine")
        self.vault = at("PortfolioVault", "PortfolioVault")
        router = at("OracleRouter", "OracleRouter")
        self.feeds = [
            project.ReporterPriceFeed.at(router.feedOf(t).primary) for t in self.vault.assets()
        ]
        self.sanctions = self.tmp / "drill-sdn.csv"
        write_sanctions_list(self.sanctions, self.listed)
        self.crash_file = self.tmp / "crash-point"

    # ---------------------------------------------------------------- processes

    def env(self, keeper: str, **extra: str) -> dict[str, str]:
        return keeper_env(
            self.deployments,
            self.db_url,
            self.crash_file,
            SIGNERS.get(keeper),
            QUANTERA_SANCTIONS_LIST=str(self.sanctions),
            **extra,
        )

    def argv(self, keeper: str, command: str = "run") -> list[str]:
        return silverback_argv(keeper, self.keeper_url, command)

    # ---------------------------------------------------------------- the chain's work

    def head(self) -> int:
        return int(rpc(self.url, "eth_blockNumber"), 16)

    def send(self, sender: int, contract, method: str, *args) -> dict:
        """Sends a transaction from a test account through anvil and returns its receipt."""
        from ape import accounts

        frm = accounts.test_accounts[sender].address
        data = calldata(contract, method, *args)
        tx_hash = rpc(
            self.url, "eth_sendTransaction", [{"from": frm, "to": contract.address, "data": data}]
        )
        receipt = wait_until(
            lambda: rpc(self.url, "eth_getTransactionReceipt", [tx_hash]), f"{method} mined", 600
        )
        assert int(receipt["status"], 16) == 1, f"{method} reverted"
        return receipt

    def register_listed(self) -> str:
        """The next listed wallet registers (an investor the screening keeper must freeze)."""
        wallet = listed_wallet(len(self.registered))
        self.send(OPERATOR, self.registry, "registerInvestor", *self.registration(wallet))
        self.registered.append(wallet)
        return wallet

    def registration(self, wallet: str) -> tuple:
        from eth_utils import keccak, to_checksum_address

        identity = to_checksum_address(keccak(text=f"identity of {wallet}")[-20:])
        return (wallet, identity, 756, 4, FAR_FUTURE)

    def report_prices(self, rng) -> None:
        """Every feed reports a new round, a small random move from its last answer, after the
        chain's clock jumped CYCLE_SECONDS (a model update becomes due)."""
        rpc(self.url, "evm_increaseTime", [CYCLE_SECONDS])
        for feed in self.feeds:
            last = int(feed.latestRoundData()[1])
            self.send(PRICE_REPORTER, feed, "report", int(last * (1 + rng.normal(0, 0.002))))

    def schedule_operation(self) -> None:
        """The governor schedules a (never executed) venue listing: a governance event to mirror."""
        from eth_utils import keccak, to_checksum_address

        venue = to_checksum_address(keccak(text=f"drill venue {self.cycles}")[-20:])
        self.send(
            GOVERNOR,
            self.manager,
            "schedule",
            self.vault,
            calldata(self.vault, "setVenue", venue, True),
            0,
        )

    def make_work(self, rng) -> None:
        """One cycle's work for every keeper."""
        self.cycles += 1
        self.register_listed()
        self.report_prices(rng)
        self.schedule_operation()

    # ---------------------------------------------------------------- checks

    def latest_round_time(self) -> int:
        return max(int(feed.latestRoundData()[3]) for feed in self.feeds)

    def done(self, target: int | None = None) -> bool:
        """What the chain needs is done and the keepers are back: every registered listed wallet
        frozen and no decision pending, the model published for the latest prices and no
        publication pending (a keeper killed after sending confirms it once back), and every
        keeper's cursor at `target` (default: the head now) or beyond."""
        target = self.head() if target is None else target
        cursors = [store.get_cursor(self.engine, k, CHAIN_ID) or -1 for k in self.keepers]
        if min(cursors) < target:
            return False
        if not all(self.registry.isFrozen(w) for w in self.registered):
            return False
        if compliance_store.decisions(self.engine, CHAIN_ID, "pending"):
            return False
        if risk_store.publications(self.engine, CHAIN_ID, self.vault.address, "pending"):
            return False
        return int(self.risk.metricsOf(self.vault)[2]) == self.latest_round_time()

    def wait_done(self, what: str, supervisor=None) -> None:
        target = self.head()
        wait_with_logs(self.tmp, lambda: self.done(target), what, supervisor)

    def check_invariants(self) -> dict:
        """KPR-1 (no action duplicated), KPR-2 (none lost) and KPR-3 (the store agrees with the
        canonical chain), read from the chain as it is now. Returns the counts it checked."""
        from ape import accounts

        from keepers.core.logs import fetch_logs

        head = self.head()
        first = self.record.block or 0
        keeper = accounts.test_accounts[COMPLIANCE_KEEPER].address
        # --- screening: one freeze per listed wallet, by a transaction that stands
        freezes = [
            log
            for log in fetch_logs(
                self.registry.address, [self.registry.WalletFrozen.abi], first, head
            )
            if log.frozen and log.by == keeper
        ]
        frozen_by_tx = {log.wallet: log.transaction_hash for log in freezes}
        assert len(frozen_by_tx) == len(freezes), (
            f"a wallet frozen twice: {[log.wallet for log in freezes]}"
        )
        sent = int(rpc(self.url, "eth_getTransactionCount", [keeper, "latest"]), 16)
        assert sent == len(freezes), (
            f"the screening keeper sent {sent} transactions for {len(freezes)} freezes"
        )
        assert sorted(frozen_by_tx) == sorted(self.registered), (
            "a registered listed wallet is not frozen"
        )
        decisions = compliance_store.decisions(self.engine, CHAIN_ID)
        assert sorted((d.wallet, d.status, d.action, _hex(d.tx_hash)) for d in decisions) == sorted(
            (w, "done", "frozen", _hex(tx)) for w, tx in frozen_by_tx.items()
        ), "decisions disagree with the chain"
        screened_to = store.get_cursor(self.engine, "screening", CHAIN_ID)
        seen = {
            log.investorAddress
            for log in fetch_logs(
                self.registry.address, [self.registry.IdentityRegistered.abi], first, screened_to
            )
        }
        seen |= self._transfer_wallets(first, screened_to) - {ZERO}
        known = set(compliance_store.known_wallets(self.engine, CHAIN_ID))
        assert known == seen, f"known wallets disagree with the chain: {sorted(known ^ seen)[:6]}"
        # --- risk: one publication per update id, each stored with the transaction that made it
        published = [
            log
            for log in fetch_logs(self.risk.address, [self.risk.ModelPublished.abi], first, head)
            if log.portfolio == self.vault.address
        ]
        ids = [int(log.updateId) for log in published]
        assert ids == list(range(1, len(ids) + 1)), f"update ids on chain: {ids}"
        rows = risk_store.publications(self.engine, CHAIN_ID, self.vault.address)
        confirmed = {r.update_id: _hex(r.tx_hash) for r in rows if r.status == "confirmed"}
        assert confirmed == {int(log.updateId): _hex(log.transaction_hash) for log in published}, (
            "publications disagree with the chain: "
            f"{[(r.update_id, r.status, r.tx_hash) for r in rows]}"
        )
        assert not [r for r in rows if r.status in ("pending", "rejected")], (
            "a publication pending or rejected"
        )
        rounds = set()
        for feed in self.feeds:
            for log in fetch_logs(feed.address, [feed.AnswerUpdated.abi], first, head):
                rounds.add((feed.address, int(log.roundId), str(int(log.current))))
        observed = {
            (o.feed, o.round_id, o.answer)
            for feed in self.feeds
            for o in risk_store.price_observations(self.engine, CHAIN_ID, feed.address)
        }
        assert observed == rounds, (
            f"observations disagree with the chain: {sorted(observed ^ rounds)[:6]}"
        )
        # --- governance: the mirrored events are the canonical ones
        from ape import project

        from keepers.access.operations import UPGRADE_EVENTS, WATCHED_EVENTS

        stored = set()
        if "governance" in self.keepers:
            # What the keeper watches: the manager's events and the UpgradeAuthority's.
            abis = [getattr(self.manager, name).abi for name in WATCHED_EVENTS]
            watched = [self.manager.address]
            if "UpgradeAuthority" in self.record.contracts:
                authority = project.UpgradeAuthority.at(self.record.address_of("UpgradeAuthority"))
                abis += [getattr(authority, name).abi for name in UPGRADE_EVENTS]
                watched.append(authority.address)
            gov_cursor = store.get_cursor(self.engine, "governance", CHAIN_ID)
            canonical = {
                (_hex(log.transaction_hash), log.log_index)
                for log in fetch_logs(watched, abis, first, gov_cursor)
            }
            stored = {
                (_hex(e.tx_hash), e.log_index)
                for e in access_store.governance_events(self.engine, CHAIN_ID)
            }
            assert stored == canonical, (
                f"governance events disagree with the chain: {sorted(stored ^ canonical)[:6]}"
            )
        # --- every cursor's checkpoint is a canonical block
        check_checkpoints(self.engine, self.keepers)
        return {
            "freezes": len(freezes),
            "publications": len(ids),
            "rounds": len(rounds),
            "governance_events": len(stored),
        }

    def _transfer_wallets(self, first: int, head: int) -> set[str]:
        from ape import project

        from keepers.core.logs import fetch_logs
        from keepers.core.record import share_contracts

        securities = share_contracts(self.record)
        abi = project.SecurityToken.at(securities[0]).Transfer.abi
        return {
            w
            for log in fetch_logs(securities, [abi], first, head)
            for w in (log.event_arguments["from"], log.event_arguments["to"])
        }


def calldata(contract, method: str, *args) -> str:
    return "0x" + bytes(getattr(contract, method).encode_input(*args)).hex()


def _hex(value) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, str) else "0x" + bytes(value).hex()).lower()


def deploy_state(folder: Path, liquidity: bool = False) -> tuple[Path, Path]:
    """Deploys once (`ape run deploy all`, `--no-liquidity` unless `liquidity`) on a private anvil
    and saves its state and the deployment record: each drill (or test) loads them into an anvil
    of its own."""
    from keepers.demo.processes import start_anvil

    group = ProcessGroup(folder)
    try:
        url = start_anvil(group, CHAIN_ID)
        env = dict(os.environ, QUANTERA_DEPLOYMENTS_DIR=str(folder))
        deployed = subprocess.run(
            [
                str(BIN / "ape"),
                "run",
                "deploy",
                "all",
                "--network",
                f"ethereum:local:{url}",
                *([] if liquidity else ["--no-liquidity"]),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=1_200,
        )
        assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
        state = folder / "state.hex"
        state.write_text(rpc(url, "anvil_dumpState"))
        return state, folder / "ethereum-local.json"
    finally:
        group.stop_all()
