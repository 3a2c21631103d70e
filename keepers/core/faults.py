"""Crash points for fault drills: named places in a keeper's cycle where a drill can make the
process die at once (SIGKILL, as `kill -9`), to prove the keeper restart-safe exactly there — the
failpoint pattern of TiKV's `fail-rs` and FoundationDB's simulation.

Off unless `QUANTERA_CRASH_FILE` names a file. A drill arms one point by writing its name into
that file; the first process to reach the point removes the file (one `unlink` succeeds, so two
workers never both die for one arming) and kills itself. Unarmed, a point costs one failed `open`.
"""

from __future__ import annotations

import os
import signal

CRASH_FILE_ENV = "QUANTERA_CRASH_FILE"

# Every point a keeper declares, by keeper: drills pick from these.
POINTS = {
    "governance": ("governance.after_store",),
    "screening": ("screening.after_scan", "screening.after_decide", "screening.after_freeze"),
    "risk": ("risk.after_observe", "risk.after_sync", "risk.after_record", "risk.after_publish"),
    "lifecycle": (
        "lifecycle.after_record",
        "lifecycle.after_report",
        "lifecycle.after_sign",
        "lifecycle.after_strike",
        "lifecycle.after_declare_record",
        "lifecycle.after_declare_sign",
        "lifecycle.after_declare",
    ),
    "fees": ("fees.after_record", "fees.after_accrue", "fees.after_sign", "fees.after_collect"),
    "prime": (
        "prime.after_call",
        "prime.after_record",
        "prime.after_sign",
        "prime.after_liquidate",
    ),
}


def crash_point(name: str) -> None:
    """Dies here with SIGKILL if a drill armed `name`; returns otherwise."""
    path = os.environ.get(CRASH_FILE_ENV)
    if not path:
        return
    try:
        with open(path) as armed:
            if armed.read().strip() != name:
                return
        os.unlink(path)
    except FileNotFoundError:  # not armed, or another worker took this arming
        return
    os.kill(os.getpid(), signal.SIGKILL)
