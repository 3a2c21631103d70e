"""What every act of the demo is given (`Stage`), what an act is (`Act`), and the summary's table
helpers. The acts themselves live in their domains' modules; keepers.demo.acts lists them.

An act runs on the demo's chain after `deploy all` (its keepers, if it names any, already
running), returns its outcome, and afterwards prints its tables and names its checks from that
outcome and the keepers' store. An act may build on the chain state another act left (`after`):
the rebalancing act resumes the fund the risk act's crash halted. Nothing else is shared, so each
act runs alone (`ape run demo --act NAME`) as well as in the whole demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from keepers.core.running_demo import DEMO_CHAIN_ID
from keepers.demo.actions import ActionLog

CHAIN_ID = DEMO_CHAIN_ID  # ape's URI provider for `ethereum:local` expects the dev chain id

console = Console()
#: The file in the demo's folder naming the step it is in (Progress.file).
PROGRESS_FILE = "progress"


@dataclass
class Progress:
    """The step the demo is in, named in the one line a failure prints, and written to `file` (when
    one is given) at each change: whoever waits on a served demo tells a slow demo (its step moves)
    from a hung one (keepers.demo.served)."""

    step: str = "start"
    file: Path | None = None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        file = getattr(self, "file", None)
        if name in ("step", "file") and file is not None:
            file.write_text(self.step)


@dataclass
class Stage:
    """The demo's chain and folders, shared by every act of one run."""

    url: str
    workdir: Path
    log: ActionLog = field(default_factory=ActionLog)
    progress: Progress = field(default_factory=Progress)
    #: Set once the keepers ran to their last block (before the acts' tables are printed).
    head: int = 0
    blocks: int = 0

    @property
    def deployments_dir(self) -> Path:
        return self.workdir / "deployments"

    @property
    def record_file(self) -> Path:
        from keepers.core.deployments import record_path

        return record_path("ethereum:local", self.deployments_dir)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.workdir / 'keeper.sqlite'}"

    @cached_property
    def record(self):
        """The deployment record `deploy all` wrote (read once: no act redeploys)."""
        from keepers.core.deployments import load

        return load(self.record_file)

    @cached_property
    def engine(self):
        """The keepers' store (the demo's keepers and the acts' in-process keepers share it)."""
        from keepers.core import store

        return store.open_store(self.db_url)

    def rpc(self, method: str, params: list | None = None):
        from keepers.demo.processes import rpc

        return rpc(self.url, method, params)


@dataclass(frozen=True)
class Act:
    """One per-domain act of the demo.

    `run` sends the act's transactions and returns its outcome (with whatever it must read from
    the chain before a later act changes it); `show` prints its tables; `checks` names each check
    and whether it passed, from the outcome and the keepers' store (read after the keepers ran).
    `keepers` are the keeper processes (keepers.demo.run.KEEPERS) that must run during the act;
    `after` the acts whose chain state it builds on (run first when it is chosen alone)."""

    name: str
    step: str
    run: Callable[[Stage], Any]
    show: Callable[[Stage, Any], None]
    checks: Callable[[Stage, Any], dict[str, bool]]
    keepers: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def table(title: str, columns: tuple[str, ...], rows: list[tuple]) -> Table:
    out = Table(title=title)
    for col in columns:
        out.add_column(col)
    for row in rows:
        out.add_row(*(str(cell) for cell in row))
    return out


def actions(log: ActionLog, section: str, width: int | None, title: str) -> Table:
    """A section's actions: who, what, outcome (cut to `width`), gas."""
    return table(
        title,
        ("who", "action", "outcome", "gas used"),
        [
            (a.who, a.what, a.outcome[:width], "" if a.gas_used is None else f"{a.gas_used:,}")
            for a in log.section(section)
        ],
    )
