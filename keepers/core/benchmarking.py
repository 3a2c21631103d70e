"""Helpers shared by the benchmark scripts (scripts/bench*.py): wall-clock timings and merging
measured figures into the committed JSON files under benchmarks/."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Callable


def timed(fn: Callable[[], object], runs: int, warm_up: bool = False) -> dict:
    """Median and max wall time of `runs` calls (after one unmeasured call when `warm_up`)."""
    if warm_up:
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {"median_s": round(statistics.median(samples), 5), "max_s": round(max(samples), 5), "runs": runs}


def merge_json(path: Path, values: dict) -> None:
    """Replaces the scenarios measured now, keeps the others (sorted keys, one file per kind)."""
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(current.items())), indent=2) + "\n")
