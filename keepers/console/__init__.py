"""Console domain (no contracts of its own): the operator console over a live deployment — the
chain source (`source`), the event index behind the audit log (`index`), the live feed pushed to
pages by server-sent events (`live`), actions prepared as Safe Transaction Builder batches
(`actions`), the pages (`pages/`), the Starlette app (`app`) and `quantera console` (`cli`).

Other modules import the names below from `keepers.console` only (loaded on first use: the web
stack is imported then, not when the CLI starts)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.console.actions import safe_batch
    from keepers.console.app import create_app
    from keepers.console.describe import duration, for_record
    from keepers.console.source import ChainSource, ConsoleError, load_abis

_PUBLIC = {
    "safe_batch": "actions",
    "create_app": "app",
    "ChainSource": "source",
    "ConsoleError": "source",
    "load_abis": "source",
    # What a person reads for a chain value (names, decoded calls, times: describe.py).
    "for_record": "describe",
    "duration": "describe",
}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
