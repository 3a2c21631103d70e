"""Helpers shared by the benchmark scripts (scripts/bench*.py): wall-clock timings and merging
measured figures into the committed JSON files under benchmarks/."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object], runs: int, warm_up: bool = False) -> dict:
    """Median and max wall time of `runs` calls (after one unmeasured call when `warm_up`)."""
    if warm_up:
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(samples), 5),
        "max_s": round(max(samples), 5),
        "runs": runs,
    }


def merge_json(path: Path, values: dict) -> None:
    """Replaces the scenarios measured now, keeps the others (sorted keys, one file per kind)."""
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")


def record_timings(path: Path, results: dict[str, dict]) -> list[str]:
    """Merges timed results (each with `median_s`, `max_s`, `within_goal`) into `path`, prints a
    line each, and returns the keys whose median missed its goal."""
    merge_json(path, results)
    for key, entry in results.items():
        print(f"{key}: median {entry['median_s']:.3f} s, max {entry['max_s']:.3f} s")
    return [k for k, e in results.items() if not e["within_goal"]]


# EIP-170 (runtime code) and EIP-3860 (init code) limits, and the headroom every deployable
# contract keeps below the runtime limit (issue 16: room to grow without a design bend).
EIP170_RUNTIME_LIMIT = 24_576
EIP3860_INITCODE_LIMIT = 2 * EIP170_RUNTIME_LIMIT
SIZE_HEADROOM = 1_000
RUNTIME_BUDGET = EIP170_RUNTIME_LIMIT - SIZE_HEADROOM
# Room every contract keeps below the budget for what the next domains add (issue 32 §1: the
# token family, the order book, cross-chain transfer, smart accounts): at most 22,076 bytes.
ROOM_TO_GROW = 1_500
GROWTH_LIMIT = RUNTIME_BUDGET - ROOM_TO_GROW


def _code_bytes(code: dict | None) -> int:
    hex_code = (code or {}).get("bytecode") or "0x"
    return (len(hex_code) - 2) // 2


def contract_sizes(build_file: Path) -> dict[str, dict[str, int | str]]:
    """Runtime and init code size of every deployable contract the project compiles (ape's
    `.build/__local__.json`): a contract with an ABI and code whose source still exists. Libraries
    of internal functions (no ABI, a 57-byte stub that is never deployed) are left out; test
    contracts (`contracts/test/`) are in, marked by their source."""
    types = json.loads(build_file.read_text())["contractTypes"]
    root = build_file.resolve().parent.parent
    sizes = {}
    for name, contract_type in types.items():
        runtime = _code_bytes(contract_type.get("runtimeBytecode"))
        if runtime == 0 or not contract_type.get("abi"):
            continue
        if not (root / contract_type["sourceId"]).is_file():
            continue  # a stale artifact: ape keeps the types of deleted sources in its cache
        sizes[name] = {
            "source": contract_type["sourceId"],
            "runtime_bytes": runtime,
            "initcode_bytes": _code_bytes(contract_type.get("deploymentBytecode")),
            "headroom_bytes": EIP170_RUNTIME_LIMIT - runtime,
        }
    return dict(sorted(sizes.items()))


def size_budget_problems(sizes: dict[str, dict[str, int | str]]) -> list[str]:
    """One line per contract within SIZE_HEADROOM bytes of EIP-170, within ROOM_TO_GROW bytes of
    that budget, or above EIP-3860."""
    problems = []
    for name, size in sizes.items():
        if int(size["runtime_bytes"]) > RUNTIME_BUDGET:
            problems.append(
                f"{name}: runtime {size['runtime_bytes']} bytes > budget {RUNTIME_BUDGET} "
                f"(EIP-170 {EIP170_RUNTIME_LIMIT} - {SIZE_HEADROOM} headroom)"
            )
        elif int(size["runtime_bytes"]) > GROWTH_LIMIT:
            problems.append(
                f"{name}: runtime {size['runtime_bytes']} bytes > {GROWTH_LIMIT}, less than "
                f"{ROOM_TO_GROW} bytes of room to grow under the budget {RUNTIME_BUDGET}"
            )
        if int(size["initcode_bytes"]) > EIP3860_INITCODE_LIMIT:
            problems.append(
                f"{name}: init code {size['initcode_bytes']} bytes "
                f"> EIP-3860 {EIP3860_INITCODE_LIMIT}"
            )
    return problems
