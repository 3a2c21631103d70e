"""`make demo` / `ape run demo --blocks N [--act NAME ...]`.

1. start a private anvil on a free port;
2. deploy with the real deploy script (`ape run deploy all`), handing ADMIN to a timelocked
   governance account;
3. start the real keepers (`silverback run ...`) the chosen acts need against it;
4. run the acts (keepers.demo.acts, each in its domain's module; all of them unless some are
   chosen): governance (a timelocked role grant refused early, cancelled, then executed after the
   delay), compliance, liquidity, risk (2008 replay) and rebalancing (the signal keeper's intents
   on the resumed fund, with its report), the lifecycle (a T-bill money-market fund through the
   autumn of 2008: NAV at the real T-bill rate, a gated Lehman-week run) and prime brokerage (four
   institutions' margin accounts through 6-10 October 2008: margin calls, a top-up, a liquidation
   after the grace period);
5. let the keepers run until they have processed N blocks, then print each act's tables, what the
   keepers recorded next to what the chain says, and every check;
6. stop every process started, also on Ctrl-C or failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

from keepers.core import store
from keepers.core.errors import QuanteraError
from keepers.core.running_demo import RunningDemo, remove_running_demo, write_running_demo
from keepers.core.waiting import wait_until
from keepers.demo.acts import choose
from keepers.demo.governance import ADMIN_DELAY_SECONDS, GOVERNANCE_ADDRESS
from keepers.demo.processes import KeeperSupervisor, ProcessGroup, rpc, start_anvil
from keepers.demo.risk import HISTORY_END
from keepers.demo.stage import CHAIN_ID, PROGRESS_FILE, Act, Progress, Stage, console, table

# A guard against a hung keeper, not a guess at its speed: on a busy machine keepers start and
# catch up later, and the demo waits for what it needs (keepers.core.waiting).
KEEPER_TIMEOUT_SECONDS = 600.0
COMPLIANCE_KEEPER_ACCOUNT = 6  # freeze-only token agent set by the deploy script on local networks
RISK_KEEPER_ACCOUNT = 7  # RISK_KEEPER set by the deploy script on local networks
#: The keeper processes an act may need (Act.keepers), each a silverback bot: (bot, signer).
KEEPERS: dict[str, tuple[str, int | None]] = {
    "governance": ("keepers.access.bot:bot", None),
    "screening": ("keepers.compliance.bot:bot", COMPLIANCE_KEEPER_ACCOUNT),
    "risk": ("keepers.risk.bot:bot", RISK_KEEPER_ACCOUNT),
}


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _wait_for_cursor(
    db_url: str, target_block: int, keepers: KeeperSupervisor, keeper: str = "governance"
) -> int:
    """The keeper's store cursor once it reached `target_block`; the keeper is restarted meanwhile
    if it exits (and the wait fails once it keeps failing)."""
    engine = store.open_store(db_url)

    def reached() -> int | None:
        cursor = store.get_cursor(engine, keeper, CHAIN_ID)
        return cursor if cursor is not None and cursor >= target_block else None

    return wait_until(
        reached,
        f"the {keeper} keeper to process block {target_block}",
        KEEPER_TIMEOUT_SECONDS,
        on_poll=lambda: keepers.check(f"{keeper}-keeper"),
    )


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _start_keepers(
    keepers: KeeperSupervisor, env: dict[str, str], network: str, names: tuple[str, ...]
) -> None:
    """The named keepers (KEEPERS: silverback processes) on `network`."""
    for name in names:
        bot, signer = KEEPERS[name]
        keeper_env = dict(env)
        if signer is not None:
            keeper_env["SILVERBACK_SIGNER_ALIAS"] = f"TEST::{signer}"
        if name == "risk":
            keeper_env["QUANTERA_RISK_HISTORY_END"] = HISTORY_END
        keepers.start(
            f"{name}-keeper", [_bin("silverback"), "run", bot, "--network", network], env=keeper_env
        )


def _keepers_of(acts: tuple[Act, ...]) -> tuple[str, ...]:
    """The keepers the acts need, in KEEPERS' order."""
    wanted = {k for act in acts for k in act.keepers}
    return tuple(k for k in KEEPERS if k in wanted)


def _serve(
    group: ProcessGroup,
    env: dict[str, str],
    url: str,
    workdir: Path,
    db_url: str,
    keeper_names: tuple[str, ...],
) -> None:
    """Leaves the chain up with its keepers running again (under a new supervisor: they resume
    from their store cursors; none when `keeper_names` is empty), announced in the
    running-demo file (`quantera console` connects to it by default), until SIGINT or SIGTERM."""
    keepers = KeeperSupervisor(group)
    _start_keepers(keepers, env, f"ethereum:local:{url}", keeper_names)
    running = write_running_demo(
        RunningDemo(
            rpc_url=url,
            deployments_dir=str(workdir / "deployments"),
            db_url=db_url,
            pid=os.getpid(),
            workdir=str(workdir),
        )
    )
    console.print(
        f"[bold]serving[/bold] the demo chain on {url} (announced in {running}); "
        "`quantera console` connects to it; Ctrl-C stops everything"
    )
    try:
        while True:
            signal.pause()  # the supervisor's thread restarts a keeper that exits
    finally:
        remove_running_demo(os.getpid())
        keepers.stop_all()


def run_demo(
    blocks: int,
    keep_dir: Path | None = None,
    serve: bool = False,
    serve_keepers: bool = True,
    act_names: tuple[str, ...] = (),
) -> int:
    """Runs the demo's acts (all, or those named with the acts they build on: keepers.demo.acts);
    returns the process exit code. Every child is stopped on exit.
    `serve_keepers` False: serve the chain without restarting the keepers.
    `serve`: once the summary is printed, keep the chain and its keepers up for the operator
    console until interrupted (SIGINT/SIGTERM then ends the demo with the summary's code)."""
    acts = choose(act_names)
    keeper_names = _keepers_of(acts)
    workdir = keep_dir or Path(tempfile.mkdtemp(prefix="quantera-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    group = ProcessGroup(workdir)
    keepers = KeeperSupervisor(group)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    stage = Stage(url="", workdir=workdir, progress=Progress(file=workdir / PROGRESS_FILE))
    progress = stage.progress
    env = dict(
        os.environ,
        QUANTERA_DEPLOYMENTS_DIR=str(stage.deployments_dir),
        QUANTERA_DB_URL=stage.db_url,
    )
    try:
        progress.step = "start anvil"
        stage.url = url = start_anvil(group, CHAIN_ID)
        network = f"ethereum:local:{url}"
        console.print(f"[bold]anvil[/bold] on {url}; logs in {workdir}")
        if act_names:
            console.print(f"acts: {', '.join(act.name for act in acts)}")
        progress.step = "deploy (ape run deploy all)"
        deploy = subprocess.run(
            [
                _bin("ape"),
                "run",
                "deploy",
                "all",
                "--network",
                network,
                "--admin",
                GOVERNANCE_ADDRESS,
                "--admin-delay",
                str(ADMIN_DELAY_SECONDS),
                "--price-date",
                HISTORY_END,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        (workdir / "deploy.log").write_text(deploy.stdout + deploy.stderr)
        if deploy.returncode != 0:
            raise QuanteraError(
                f"deploy exited with {deploy.returncode} (see {workdir}/deploy.log)"
            )
        console.print("[bold]deployed[/bold] with `ape run deploy all`")
        os.environ.update(
            QUANTERA_DEPLOYMENTS_DIR=str(stage.deployments_dir), QUANTERA_DB_URL=stage.db_url
        )
        progress.step = "start the keepers"
        _start_keepers(keepers, env, network, keeper_names)
        start_block = int(rpc(url, "eth_blockNumber"), 16)
        for keeper in keeper_names:
            _wait_for_cursor(stage.db_url, start_block, keepers, keeper)
        if keeper_names:
            console.print(f"[bold]{_names(keeper_names)} keepers[/bold] running")
        outcomes = _run_acts(stage, acts, network)
        # At least N blocks, and every block the acts mined: the keepers' store must hold all the
        # acts did before the checks compare it with the chain (an act alone can end within N).
        target = max(start_block + blocks, int(rpc(url, "eth_blockNumber"), 16))
        progress.step = f"run the keepers to block {target}"
        while int(rpc(url, "eth_blockNumber"), 16) < target:
            rpc(url, "evm_mine")
        cursors = {k: _wait_for_cursor(stage.db_url, target, keepers, k) for k in keeper_names}
        # The governance act's table names the governance keeper's own cursor.
        stage.head, stage.blocks = cursors.get("governance", target), target - start_block
        restarts = {k.name: k.exit_codes for k in keepers.keepers.values() if k.restarts}
        keepers.stop_all(signal.SIGINT)
        for name, codes in restarts.items():
            console.print(
                f"[yellow]{name} restarted {len(codes)}x by the supervisor[/yellow] (exit codes "
                f"{codes}; resumed from its store cursor; see {workdir}/{name}.log)"
            )
        progress.step = "summary"
        ok = _summary(stage, acts, outcomes, network)
        console.print(f"Logs, deployment record and keeper store: [bold]{workdir}[/bold]")
        code = 0 if ok else 1
        if serve:
            progress.step = "serve"
            try:
                _serve(
                    group, env, url, workdir, stage.db_url, keeper_names if serve_keepers else ()
                )
            except KeyboardInterrupt:
                console.print("[yellow]stopping the served demo[/yellow]")
        return code
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: stopping everything the demo started[/yellow]")
        return 130
    except Exception as err:  # noqa: BLE001 - any failure is reported as one line, its trace kept in a file
        (workdir / "demo-error.log").write_text(traceback.format_exc())
        sys.stderr.write(
            f"demo failed at step '{progress.step}': {one_line(err)} "
            f"(logs in {workdir}; traceback in {workdir / 'demo-error.log'})\n"
        )
        return 1
    finally:
        keepers.stop_all()
        group.stop_all()
        signal.signal(signal.SIGTERM, previous)


def _names(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _run_acts(stage: Stage, acts: tuple[Act, ...], network: str) -> dict[str, object]:
    """Each act in order on the demo's chain (ape connected to it); their outcomes by name."""
    from ape import networks
    from ape.logging import logger

    logger.set_level("WARNING")  # the summary tables say what happened
    outcomes: dict[str, object] = {}
    with networks.parse_network_choice(network):
        for act in acts:
            stage.progress.step = act.step
            outcomes[act.name] = act.run(stage)
    return outcomes


def _summary(
    stage: Stage, acts: tuple[Act, ...], outcomes: dict[str, object], network: str
) -> bool:
    """Prints what was deployed, each act's tables and every check; returns whether every check
    passed. Reads the chain (an act's tables may) and the keepers' store."""
    from ape import networks

    record = stage.record
    with networks.parse_network_choice(network):
        console.print(
            table(
                f"Deployed on {record.network} (chain {record.chain_id})",
                ("contract", "address"),
                sorted(record.contracts.items()),
            )
        )
        checks: dict[str, bool] = {}
        for act in acts:
            act.show(stage, outcomes[act.name])
            checks.update(act.checks(stage, outcomes[act.name]))
    console.print(
        table(
            "Checks",
            ("check", "result"),
            [
                (name, "[green]pass[/green]" if ok else "[red]FAIL[/red]")
                for name, ok in checks.items()
            ],
        )
    )
    return all(checks.values())


def one_line(err: BaseException, limit: int = 300) -> str:
    """The error's type and the first line of its message, at most `limit` characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
