"""What every bot needs: the deployment record of the connected network, the portfolio's price
feeds, bounded log fetching, and the scan of "the blocks since my cursor" that survives chain
reorganisations."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ape import chain, project
from ape.exceptions import BlockNotFoundError
from ape.logging import logger
from ape.types import LogFilter
from eth_utils import encode_hex, keccak

from keepers import store
from keepers.deployments import DeploymentRecord, load, record_path

# Largest block range one eth_getLogs call asks for (public RPCs cap ranges).
MAX_LOG_RANGE = 2_000


def keeper_bot(name: str):
    """The keeper's SilverbackBot, hardened for months of running, restarts and several workers:

    - named `quantera-<name>` unless $SILVERBACK_BOT_NAME says otherwise: silverback keeps each bot's
      runner snapshot in `.silverback-sessions/<bot name>/…/state.json`, and under the default name
      every keeper started from one folder wrote the same file;
    - that snapshot written atomically, and an unreadable one ignored: silverback 0.7.38 rewrites it
      in place, so two writers at once or a `kill -9` mid-write left a file that failed every later
      start (found by the kill drill, KPR-4). Our keepers keep what they know in the keeper store,
      never in the snapshot;
    - served by any worker process of the distributed runner (`serve_from_any_worker`)."""
    from silverback import SilverbackBot
    from silverback.settings import Settings

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
            logger.warning(f"ignoring unreadable silverback snapshot {self.state_backup_file}: {err}")
            return None

    async def save(self, snapshot) -> None:
        partial = self.state_backup_file.with_name(f"{self.state_backup_file.name}.{os.getpid()}.tmp")
        partial.write_text(snapshot.model_dump_json())
        os.replace(partial, self.state_backup_file)  # atomic: readers see the old file or the new one

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


def connected_record() -> DeploymentRecord:
    network = chain.provider.network
    record = load(record_path(f"{network.ecosystem.name}:{network.name}"))
    if record.chain_id != chain.chain_id:
        raise RuntimeError(
            f"deployment record is for chain {record.chain_id}, provider is on {chain.chain_id}"
        )
    return record


def share_contracts(record: DeploymentRecord) -> list[str]:
    """Every deployed contract whose units are securities: each SecurityToken and the vault's shares."""
    return [address for name, address in sorted(record.contracts.items())
            if name == "PortfolioVault" or name == "SecurityToken" or name.startswith("SecurityToken.")]


def portfolio_feeds(record: DeploymentRecord, portfolio: Any) -> tuple[Any, Any, dict[str, Any]]:
    """The deployed PortfolioVault, the OracleRouter, and each portfolio asset's primary price feed
    (by symbol, in the vault's asset order) — what the risk and signal keepers read prices from."""
    vault = project.PortfolioVault.at(record.address_of("PortfolioVault"))
    router = project.OracleRouter.at(record.address_of("OracleRouter"))
    feeds = {asset.symbol: project.ReporterPriceFeed.at(router.feedOf(token).primary)
             for asset, token in zip(portfolio.assets, vault.assets())}
    return vault, router, feeds


def fetch_logs(address: str | list[str], event_abis: list, start: int, stop: int) -> Iterator:
    """Decoded logs of `event_abis` emitted by `address` (one or several contracts) in blocks
    [start, stop], one eth_getLogs per MAX_LOG_RANGE blocks (bounded: ceil((stop - start + 1) /
    MAX_LOG_RANGE) calls; none when start > stop: an empty range is never sent)."""
    addresses = [address] if isinstance(address, str) else list(address)
    topics = [[encode_hex(keccak(text=abi.selector)) for abi in event_abis]]
    for chunk_start in range(start, stop + 1, MAX_LOG_RANGE):
        log_filter = LogFilter(
            addresses=addresses, events=event_abis, topic_filter=topics,
            start_block=chunk_start, stop_block=min(chunk_start + MAX_LOG_RANGE - 1, stop),
        )
        yield from chain.provider.get_contract_logs(log_filter)


def block_hash(number: int) -> str | None:
    """The canonical hash of block `number` now, or None when the chain is shorter."""
    try:
        block = chain.provider.get_block(number)
    except BlockNotFoundError:
        return None
    value = block.hash
    return value if isinstance(value, str) else encode_hex(value)


def transaction_is_canonical(tx_hash: str | None) -> bool:
    """Whether a transaction is mined in the canonical chain now (a reorganisation drops the
    transactions of the blocks it replaces, unless they are mined again)."""
    if not tx_hash:
        return False
    receipt = chain.provider.make_request("eth_getTransactionReceipt", [tx_hash])
    if not receipt or receipt.get("blockNumber") is None:
        return False
    number, mined_in = receipt["blockNumber"], receipt["blockHash"]
    number = int(number, 16) if isinstance(number, str) else int(number)
    return block_hash(number) == (mined_in if isinstance(mined_in, str) else encode_hex(mined_in))


@dataclass(frozen=True)
class Scan:
    """The inclusive block range a keeper scans now, and the hash its last block had when the range
    was fixed (the checkpoint `finish_scan` records)."""

    start: int
    stop: int
    stop_hash: str


def scan_range(engine, keeper: str, record: DeploymentRecord, head: int,
               on_reorg: Callable[[int], None]) -> Scan | None:
    """The blocks after the keeper's cursor up to `head`, or None when there are none (never an
    empty or inverted range). When the cursor's block is no longer canonical (a reorganisation), the
    keeper rewinds first: to the newest checkpoint whose hash the chain still has (to the deployment
    block if none is left), calling `on_reorg(ancestor)` so the keeper drops what it derived from
    the orphaned blocks and re-opens what its orphaned transactions did; the scan then covers the
    new canonical blocks."""
    chain_id = chain.chain_id
    cursor = store.get_cursor(engine, keeper, chain_id)
    first = record.block or 0
    if cursor is not None:
        remembered = store.checkpoints(engine, keeper, chain_id)
        if remembered and remembered[0][0] == cursor and block_hash(cursor) != remembered[0][1]:
            ancestor = next((n for n, h in remembered[1:] if block_hash(n) == h), first - 1)
            logger.warning(f"{keeper}: chain reorganised above block {ancestor} (cursor was {cursor}): rewinding")
            on_reorg(ancestor)
            store.rewind_cursor(engine, keeper, chain_id, ancestor)
            cursor = ancestor
    start = first if cursor is None else cursor + 1
    if start > head:
        return None
    stop_hash = block_hash(head)
    return None if stop_hash is None else Scan(start, head, stop_hash)


def finish_scan(engine, keeper: str, scan: Scan) -> bool:
    """Advances the cursor to the scan's last block with its hash, unless that block was replaced
    while the keeper scanned (then nothing moves, and the next cycle rewinds). Returns whether it
    moved."""
    if block_hash(scan.stop) != scan.stop_hash:
        logger.warning(f"{keeper}: block {scan.stop} replaced during the scan: cursor not advanced")
        return False
    store.advance_cursor(engine, keeper, chain.chain_id, scan.stop, scan.stop_hash)
    return True
