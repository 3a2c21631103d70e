"""`make layouts` (`.venv/bin/python scripts/storage_layouts.py --record`; no chain, no build):
records the storage layouts of every contract upgraded in place as the deployed version's
(deployments/storage-layouts.json). Run it when a release is deployed, and only then: `make test`
checks every later build against that record (tests/contracts/upgrades). Without `--record` it
checks the sources against the record and prints each collision, exiting 1 if there is one."""

from __future__ import annotations

import subprocess
import sys

from keepers.core.errors import QuanteraError
from keepers.core.storage_layouts import RECORD, build_layouts, collisions, record, recorded


def main(argv: list[str]) -> int:
    try:
        layouts = build_layouts()
        if "--record" in argv:
            commit = subprocess.run(
                ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False
            ).stdout.strip()
            record(layouts, commit or "unknown")
            print(f"{len(layouts)} storage layouts recorded in {RECORD} (sources at {commit})")
            return 0
        problems = collisions(recorded(), layouts)
    except QuanteraError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name, why in problems.items():
        print(f"{name}: {why}")
    if not problems:
        print(f"every layout can run on the deployed version's ({RECORD})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
