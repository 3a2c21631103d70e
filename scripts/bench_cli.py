"""`make bench` (`.venv/bin/python scripts/bench_cli.py [--demo-file F]`): how long the operator
CLI takes, start to output, as an operator runs it (issue 33's performance goals: `quantera --help`
within 0.8 s, a chain read against the local demo within 1.5 s end to end).

Each command is the README's, run as its own process (a cold Python start, as at a prompt) RUNS
times after one warm-up run (the OS file cache, as for an operator's second command), against the
demo's chain left up with every act on it (`ape run demo --serve`, started here in a temporary
folder and stopped at the end; `--demo-file .quantera/demo.json` measures against a demo already
served by `make demo SERVE=1`). Wall time per run, median and max per command into
benchmarks/cli.json; the command fails when a median misses its goal or a command fails."""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

from keepers.core.benchmarking import record_timings
from keepers.demo.served import bench_demo

RESULT_FILE = Path("benchmarks") / "cli.json"
RUNS = 5
HELP_GOAL_S = 0.8
CHAIN_READ_GOAL_S = 1.5
# key -> (arguments, goal): `--help` reads nothing; the others read the demo's record and chain.
COMMANDS: dict[str, tuple[tuple[str, ...], float]] = {
    "help": (("--help",), HELP_GOAL_S),
    "deployments_show": (("deployments", "show", "--json"), CHAIN_READ_GOAL_S),
    "governance_roles": (("governance", "roles", "--json"), CHAIN_READ_GOAL_S),
    "instrument_show": (("instrument", "show", "US00QMMF0086", "--json"), CHAIN_READ_GOAL_S),
    "fund_status": (("fund", "status", "--fund", "US00QMMF0086", "--json"), CHAIN_READ_GOAL_S),
    "margin_health": (("margin", "health", "--account", "TEST::27", "--json"), CHAIN_READ_GOAL_S),
    "margin_positions": (
        ("margin", "positions", "--account", "TEST::27", "--json"),
        CHAIN_READ_GOAL_S,
    ),
    "fund_position": (
        ("fund", "position", "TEST::12", "--fund", "US00QMMF0086", "--json"),
        CHAIN_READ_GOAL_S,
    ),
    "instrument_list": (("instrument", "list", "--json"), CHAIN_READ_GOAL_S),
    # Read directly too: its router takes a view (an RFQ maker's signed quote goes through ape).
    "route_quote": (
        ("route", "quote", "--token-in", "USDC", "--token-out", "QSPX", "--amount", "25000"),
        CHAIN_READ_GOAL_S,
    ),
}


def measure(env: dict[str, str], runs: int) -> dict[str, dict]:
    quantera = str(Path(sys.executable).parent / "quantera")
    results = {}
    for key, (args, goal) in COMMANDS.items():
        samples = []
        for k in range(runs + 1):
            start = time.perf_counter()
            done = subprocess.run([quantera, *args], env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                line = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
                raise click.ClickException(f"quantera {' '.join(args)}: {line}")
            if k:  # the first run warms the OS file cache
                samples.append(elapsed)
        median = statistics.median(samples)
        results[f"cli.{key}"] = {
            "command": f"quantera {' '.join(args)}",
            "median_s": round(median, 3),
            "max_s": round(max(samples), 3),
            "runs": runs,
            "goal_s": goal,
            "within_goal": median <= goal,
            "machine": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, a new process per run",
        }
    return results


@click.command()
@click.option("--runs", default=RUNS, show_default=True)
@click.option(
    "--demo-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A demo served already (its .quantera/demo.json); default: serve one here.",
)
def cli(runs: int, demo_file: Path | None) -> None:
    """Time the README's CLI commands against the served demo into benchmarks/cli.json."""
    with bench_demo(demo_file, "quantera-bench-cli-") as demo:
        results = measure(demo.env, runs)
    missed = record_timings(RESULT_FILE, results)
    if missed:
        raise click.ClickException(f"over the goal: {', '.join(missed)}")


if __name__ == "__main__":
    cli()
