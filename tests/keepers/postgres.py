"""A throwaway PostgreSQL server for store tests: initdb in a temp folder, started as the `postgres`
system user (the server refuses to run as root), stopped afterwards. It listens on a Unix socket in
its own folder only: no TCP port is picked, so nothing can race for one."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def available() -> str | None:
    """Why a server cannot be started here, or None when it can."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields an SQLAlchemy URL of a fresh, empty database."""
    base = Path(tempfile.mkdtemp(prefix="quantera-pg-"))
    data = base / "data"
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def run(*argv: str) -> subprocess.CompletedProcess:
        # timeout: a hang guard
        return subprocess.run([*as_postgres, *argv], check=True, capture_output=True, timeout=600)

    run("initdb", "-D", str(data), "-A", "trust", "-U", "quantera", "--no-sync")
    run(
        "pg_ctl",
        "-D",
        str(data),
        "-l",
        str(base / "server.log"),
        "-w",
        "-t",
        "600",
        "-o",
        f"-k {base} -c listen_addresses='' -c fsync=off",
        "start",
    )
    try:
        yield f"postgresql+psycopg://quantera@/postgres?host={base}"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "-t", "600", "stop")
        shutil.rmtree(base, ignore_errors=True)
