"""`make bench` (`.venv/bin/python scripts/bench_sizes.py`; no chain needed): every deployable
contract's runtime and init code size from the compiled artifacts, written to
benchmarks/contract_sizes.json. Run `ape compile --force` first so the sizes are of the current
sources. `make test` (tests/keepers/test_contract_sizes.py) fails when a contract is within
1,000 bytes of EIP-170's 24,576 or when this file is out of date."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from keepers.core.benchmarking import RUNTIME_BUDGET, contract_sizes, size_budget_problems

BUILD_FILE = Path(".build") / "__local__.json"
SIZES_FILE = Path("benchmarks") / "contract_sizes.json"


def main() -> int:
    if not BUILD_FILE.is_file():
        print(f"error: {BUILD_FILE} not found: run `make build` first", file=sys.stderr)
        return 1
    sizes = contract_sizes(BUILD_FILE)
    SIZES_FILE.write_text(
        json.dumps({"runtime_budget_bytes": RUNTIME_BUDGET, "contracts": sizes}, indent=2) + "\n"
    )
    largest = max(sizes.items(), key=lambda item: item[1]["runtime_bytes"])
    print(
        f"{len(sizes)} contracts written to {SIZES_FILE}; "
        f"largest {largest[0]} {largest[1]['runtime_bytes']} bytes"
    )
    problems = size_budget_problems(sizes)
    for problem in problems:
        print(f"size: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
