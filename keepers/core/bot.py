"""The keepers' SilverbackBot, hardened for months of running, restarts and several workers."""

from __future__ import annotations

import os

from ape.logging import logger


def keeper_bot(name: str):
    """The keeper's SilverbackBot, hardened for months of running, restarts and several workers:

    - named `quantera-<name>` unless $SILVERBACK_BOT_NAME says otherwise: silverback keeps each
      bot's runner snapshot in `.silverback-sessions/<bot name>/…/state.json`, and under the
      default name every keeper started from one folder wrote the same file;
    - that snapshot written atomically, and an unreadable one ignored: silverback 0.7.38 rewrites it
      in place, so two writers at once or a `kill -9` mid-write left a file that failed every later
      start (found by the kill drill, KPR-4). Our keepers keep what they know in the keeper store,
      never in the snapshot;
    - served by any worker process of the distributed runner (`serve_from_any_worker`);
    - observed: its metrics served on $QUANTERA_METRICS_PORT when set, its logs JSON lines under
      $QUANTERA_LOG_FORMAT=json (keepers/core/metrics.py; each bot decorates its block handler
      with `metrics.observed`)."""
    from silverback import SilverbackBot
    from silverback.settings import Settings

    from keepers.core import metrics

    metrics.serve_from_env(name)
    _harden_snapshots()
    overrides = {} if "SILVERBACK_BOT_NAME" in os.environ else {"BOT_NAME": f"quantera-{name}"}
    bot = SilverbackBot(settings=Settings(**overrides))
    serve_from_any_worker(bot)
    return bot


def _harden_snapshots() -> None:
    from silverback.state import Datastore

    if getattr(Datastore, "_quantera_hardened", False):
        return
    read = Datastore.init

    async def init(self, bot_id):
        try:
            return await read(self, bot_id)
        except ValueError as err:  # pydantic's ValidationError: a torn or foreign file
            logger.warning(
                f"ignoring unreadable silverback snapshot {self.state_backup_file}: {err}"
            )
            return None

    async def save(self, snapshot) -> None:
        partial = self.state_backup_file.with_name(
            f"{self.state_backup_file.name}.{os.getpid()}.tmp"
        )
        partial.write_text(snapshot.model_dump_json())
        # atomic: readers see the old file or the new one
        os.replace(partial, self.state_backup_file)

    Datastore.init, Datastore.save, Datastore._quantera_hardened = init, save, True


def serve_from_any_worker(bot) -> None:
    """Lets every worker process of silverback's distributed runner serve the bot's tasks.
    silverback 0.7.38 creates `bot.state` in the system task that loads the startup snapshot, which
    the broker hands to one worker process only: in every other process each task fails
    (`'SilverbackBot' object has no attribute 'state'`). Our keepers keep what they know in the
    keeper store, never in `bot.state`, so each worker process starts with an empty one of its own
    (the snapshot task, where it lands, replaces it)."""
    from silverback.main import SharedState

    @bot.on_worker_startup()
    def own_state(state) -> None:
        if not hasattr(bot, "state"):
            bot.state = SharedState()
