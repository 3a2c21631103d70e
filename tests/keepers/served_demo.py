"""The session's served demo (keepers/demo/served.py): one per pytest session (it costs minutes
of CPU). `QUANTERA_TEST_DEMO_FILE=/path/.quantera/demo.json` reuses a demo already served
elsewhere (while developing: `make demo SERVE=1` in another shell); that demo is then neither
checked nor stopped."""

from __future__ import annotations

import os
from pathlib import Path

from keepers.demo.served import ServedDemo, reuse_served_demo, start_served_demo

REUSE_ENV = "QUANTERA_TEST_DEMO_FILE"


def session_demo(workdir: Path) -> ServedDemo:
    reuse = os.environ.get(REUSE_ENV)
    return reuse_served_demo(Path(reuse), workdir) if reuse else start_served_demo(workdir)
