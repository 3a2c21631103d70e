"""Runs one command against a plain anvil of its own: `python scripts/on_plain_anvil.py -- CMD...`.

Ape's foundry provider starts anvil with `--steps-tracing` (it traces every transaction for
ape's call trees), which makes blocks of many heavy transactions slow enough that setting up
10,000 verified holders stalled on a loaded 2-core machine. A benchmark that needs only receipts
runs here instead: anvil without tracing, automining, on a port of its own, which ape's foundry
provider joins (APE_FOUNDRY_HOST) rather than starting its own. The command is given
`--network ethereum:local:foundry`; its exit status is this script's. Anvil is stopped after."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from keepers.demo.processes import ProcessGroup, start_anvil

CHAIN_ID = 1337  # ape's `ethereum:local` expects the dev chain id


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--" or len(argv) < 2:
        print("usage: python scripts/on_plain_anvil.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="plain-anvil-") as logs:
        group = ProcessGroup(Path(logs))
        try:
            url = start_anvil(group, CHAIN_ID, block_time_seconds=0)
            env = {**os.environ, "APE_FOUNDRY_HOST": url}
            command = [*argv[1:], "--network", "ethereum:local:foundry"]
            return subprocess.run(command, env=env, check=False).returncode
        finally:
            group.stop_all()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
