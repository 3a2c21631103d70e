"""A throwaway PostgreSQL server for store tests: initdb in a temp folder, started on a free port
as the `postgres` system user (the server refuses to run as root), stopped afterwards."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from keepers.demo.processes import free_port


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
    data, port = base / "data", free_port()
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    run = lambda *argv: subprocess.run([*as_postgres, *argv], check=True, capture_output=True, timeout=120)  # noqa: E731
    run("initdb", "-D", str(data), "-A", "trust", "-U", "quantera", "--no-sync")
    run("pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-w", "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg://quantera@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
