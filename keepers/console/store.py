"""The console domain's tables in the keeper store: the event index (`keepers.console.index`), kept
here so that a restarted console does not rescan the chain and several console processes behind
one address share one index (on PostgreSQL, consoles on several machines).

One index per scope (`index_scope`: a chain, the contracts with the events their ABIs decode, the
events folded into state, the record's first block and the history bound; any of them changing is
another scope). Its rows are the events indexed (`IndexedEvent`), in log order:
- the history: the newest `max_events`, `in_history`. An event past the bound leaves the history
  (and `dropped` counts it, `first_block` moves past its block) and is deleted, unless it is kept;
- the kept events (`kept_key` set: one of KEPT_EVENTS, folded into state by the pages): the latest
  of each key stays whatever the bound drops (at most one row of a key is open). A later event of
  the key (or one closing it) marks it `closed_at` that event's block; it is deleted with the
  history once REORG_WINDOW blocks are past that block, so that a reorganisation orphaning the
  later event can give it back its key.

The scope's cursor and the block hashes it checks for reorganisations are the keeper store's
cursor and checkpoints (`keepers.core.store`) under the scope's name, written in the same
transaction as the rows they cover: a window and its cursor, a take-back and the rewind, land
together or not at all. One process writes a scope at a time (`keeper_lock`); every process reads
it, in one view of the store (`_snapshot`). A window's events at or before the newest stored are
skipped (a writer asking a window again stores nothing twice). A scope of a `family` (the funds
page's indexes, whose contracts change as funds appear) that no writer synced for
STALE_SCOPE_SECONDS is deleted by the next writer of the family."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import (
    REORG_WINDOW,
    Base,
    KeeperCursor,
    advance_cursor_in,
    forget_keeper_in,
    insert_new_in,
    rewind_cursor_in,
)

# Rows per INSERT (SQLite binds at most 32,766 parameters in one statement; a row binds 12).
INSERT_CHUNK = 1_000
# A family's scope no writer synced for this long is deleted (the funds page's old contract sets).
STALE_SCOPE_SECONDS = 86_400


class IndexedEvent(Base):
    """One decoded event of an index's scope (`keepers.console.index.ChainEvent`'s fields)."""

    __tablename__ = "console_events"
    __table_args__ = (
        # A key's open row, found without reading the scope (a window closes each key once).
        Index("ix_console_events_kept", "scope", "kept_key", "closed_at"),
        # The history's oldest rows (the bound) and the rows out of it (what it deletes).
        Index("ix_console_events_history", "scope", "in_history", "block_number", "log_index"),
    )
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_time: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    contract: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(42))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSON)
    in_history: Mapped[bool] = mapped_column(Boolean, default=True)
    kept_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class IndexState(Base):
    """An index's bookkeeping: from which block its history is complete, how many events are in it
    and how many left it, a generation that moves whenever rows are taken back (a reorganisation:
    readers reload whole), a count of the writes to it (`version`: whether anything was written
    between two looks), when a writer last synced it, and the family it belongs to."""

    __tablename__ = "console_indexes"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    family: Mapped[str] = mapped_column(String(64), default="")
    first_block: Mapped[int] = mapped_column(BigInteger)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    dropped: Mapped[int] = mapped_column(BigInteger, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    writes: Mapped[int] = mapped_column(BigInteger, default=0)
    synced_at: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the state was made (ns): a scope deleted and made again is another index to a copy.
    born: Mapped[int] = mapped_column(BigInteger, default=0)


@dataclass(frozen=True)
class NewEvent:
    """An event to store: its row's columns, and its key's closing rule (`kept_key` None: not
    kept; `closing`: the event closes its key instead of holding it)."""

    row: Mapping[str, Any]
    kept_key: str | None = None
    closing: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What a reader loads: the state's figures and the rows asked for, in log order."""

    version: tuple[int, int, int]  # (born, generation, writes)
    first_block: int
    dropped: int
    rows: list[IndexedEvent]
    cursor: int | None  # the last block indexed


def index_scope(chain_id: int, config: str, first_block: int, bound: int) -> str:
    """The scope of an index: a name that changes with anything that changes what it holds
    (`config`: the contracts, the events their ABIs decode and the events kept by key)."""
    digest = hashlib.sha256(f"{chain_id}|{first_block}|{bound}|{config}".encode()).hexdigest()
    return f"console-index:{digest[:40]}"


def _position_after(block: int, log_index: int) -> Any:
    return or_(
        IndexedEvent.block_number > block,
        and_(IndexedEvent.block_number == block, IndexedEvent.log_index > log_index),
    )


def _position_before(block: int, log_index: int) -> Any:
    return or_(
        IndexedEvent.block_number < block,
        and_(IndexedEvent.block_number == block, IndexedEvent.log_index < log_index),
    )


def _in_scope(scope: str) -> Any:
    return IndexedEvent.scope == scope


def ensure_state(engine: Engine, scope: str, chain_id: int, first_block: int, family: str) -> None:
    """Creates the scope's state row if there is none (idempotent across processes: of two
    creating it at once, the second's insert fails on the key, and the row is there)."""
    try:
        with Session(engine) as session, session.begin():
            if session.get(IndexState, scope) is None:
                session.add(
                    IndexState(
                        scope=scope,
                        chain_id=chain_id,
                        family=family,
                        first_block=first_block,
                        held=0,
                        dropped=0,
                        generation=0,
                        writes=0,
                        synced_at=int(time.time()),
                        born=time.time_ns(),
                    )
                )
    except IntegrityError:
        pass


def store_window(
    engine: Engine,
    scope: str,
    chain_id: int,
    events: Sequence[NewEvent],
    max_events: int,
    end: int,
    hashes: Sequence[tuple[int, str]],
) -> int:
    """Stores a window's events (log order) with its cursor: closes the keys they replace or close,
    moves past the history bound what no longer fits, moves the scope's cursor to `end` and
    remembers `hashes` (the window's last blocks, `end`'s among them) as checkpoints. One
    transaction. Returns how many events were new."""
    with Session(engine) as session, session.begin():
        state = session.get(IndexState, scope)
        newest = session.execute(
            select(IndexedEvent.block_number, IndexedEvent.log_index)
            .where(_in_scope(scope))
            .order_by(IndexedEvent.block_number.desc(), IndexedEvent.log_index.desc())
            .limit(1)
        ).one_or_none()
        seen: set[tuple[int, int]] = set()
        unique = []
        for e in events:  # a provider answering a log twice: stored once, closing nothing
            position = (e.row["block_number"], e.row["log_index"])
            if position not in seen and (newest is None or position > tuple(newest)):
                seen.add(position)  # (and one stored before: windows are stored whole, in order)
                unique.append(e)
        events = unique
        _close_keys(session, scope, events)
        rows = _rows(scope, events)
        for start in range(0, len(rows), INSERT_CHUNK):
            insert_new_in(session, IndexedEvent, rows[start : start + INSERT_CHUNK])
        state.held += len(rows)
        if rows:
            _bound_history(session, state, max_events, end)
        state.writes += 1
        state.synced_at = int(time.time())
        advance_cursor_in(session, scope, chain_id, end, hashes)
        return len(rows)


def _close_keys(session: Session, scope: str, events: Sequence[NewEvent]) -> None:
    """Closes the stored open row of each key the window's events hold or close, at the block of
    the key's first event in the window: one indexed UPDATE per key (before the window's rows are
    written, so none of them is touched)."""
    first: dict[str, int] = {}
    for item in events:
        if item.kept_key is not None and item.kept_key not in first:
            first[item.kept_key] = item.row["block_number"]
    for kept_key, block in first.items():
        session.execute(
            update(IndexedEvent)
            .where(
                _in_scope(scope),
                IndexedEvent.kept_key == kept_key,
                IndexedEvent.closed_at.is_(None),
            )
            .values(closed_at=block)
        )


def _rows(scope: str, events: Sequence[NewEvent]) -> list[dict[str, Any]]:
    """The window's rows: a kept event is closed at the block of the next event of its key in the
    window (a closing one at its own block); the last open one of each key stays open."""
    rows: list[dict[str, Any]] = []
    last_of: dict[str, int] = {}  # key -> index in rows of its latest event
    for item in events:
        block = item.row["block_number"]
        row = {
            **item.row,
            "scope": scope,
            "in_history": True,
            "kept_key": item.kept_key,
            "closed_at": block if item.closing else None,
        }
        if item.kept_key is not None:
            previous = last_of.get(item.kept_key)
            if previous is not None and rows[previous]["closed_at"] is None:
                rows[previous]["closed_at"] = block
            last_of[item.kept_key] = len(rows)
        rows.append(row)
    return rows


def _bound_history(session: Session, state: IndexState, max_events: int, head: int) -> None:
    """Moves the oldest events past `max_events` out of the history and deletes what is neither
    history nor kept (nor closed recently enough for a reorganisation to reopen)."""
    scope = state.scope
    excess = state.held - max_events
    if excess > 0:
        cut = session.execute(
            select(IndexedEvent.block_number, IndexedEvent.log_index)
            .where(_in_scope(scope), IndexedEvent.in_history.is_(True))
            .order_by(IndexedEvent.block_number, IndexedEvent.log_index)
            .offset(excess - 1)
            .limit(1)
        ).one()
        session.execute(
            update(IndexedEvent)
            .where(
                _in_scope(scope),
                IndexedEvent.in_history.is_(True),
                _position_before(cut.block_number, cut.log_index + 1),
            )
            .values(in_history=False)
        )
        state.held -= excess
        state.dropped += excess
        state.first_block = max(state.first_block, cut.block_number + 1)
    session.execute(
        delete(IndexedEvent).where(
            _in_scope(scope),
            IndexedEvent.in_history.is_(False),
            or_(
                IndexedEvent.kept_key.is_(None),
                IndexedEvent.closed_at <= head - REORG_WINDOW,
            ),
        )
    )


def take_back(engine: Engine, scope: str, chain_id: int, ancestor: int, first_block: int) -> int:
    """Forgets the events of the blocks above `ancestor` (orphaned by a reorganisation), gives
    their keys back to the events they had closed and rewinds the cursor to `ancestor`, in one
    transaction; an ancestor before `first_block` (the record's: a reorganisation deeper than the
    checkpoints) forgets every event and the history's figures, and the index starts again. Moves
    the generation. Returns how many events went."""
    with Session(engine) as session, session.begin():
        state = session.get(IndexState, scope)
        gone = delete(IndexedEvent).where(_in_scope(scope), IndexedEvent.block_number > ancestor)
        count = session.execute(gone).rowcount or 0
        if ancestor < first_block:
            state.dropped, state.first_block = 0, first_block
        else:
            session.execute(
                update(IndexedEvent)
                .where(_in_scope(scope), IndexedEvent.closed_at > ancestor)
                .values(closed_at=None)
            )
        state.held = int(
            session.scalar(
                select(func.count()).where(_in_scope(scope), IndexedEvent.in_history.is_(True))
            )
            or 0
        )
        state.generation += 1
        state.writes += 1
        rewind_cursor_in(session, scope, chain_id, ancestor)
        return count


def forget_stale(engine: Engine, chain_id: int, family: str, keep: str, now: int) -> list[str]:
    """Deletes the scopes of `family` on the chain (but `keep`) that no writer synced for
    STALE_SCOPE_SECONDS: their rows, state, cursor and checkpoints. Returns their names."""
    with Session(engine) as session, session.begin():
        stale = list(
            session.scalars(
                select(IndexState.scope).where(
                    IndexState.chain_id == chain_id,
                    IndexState.family == family,
                    IndexState.scope != keep,
                    IndexState.synced_at < now - STALE_SCOPE_SECONDS,
                )
            )
        )
        for scope in stale:
            session.execute(delete(IndexedEvent).where(_in_scope(scope)))
            session.execute(delete(IndexState).where(IndexState.scope == scope))
            forget_keeper_in(session, scope, chain_id)
        return stale


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Session]:
    """A session whose reads share one view of the store (a write committed meanwhile is not
    seen): REPEATABLE READ on PostgreSQL, an explicit read transaction on SQLite (whose driver
    otherwise reads each statement on its own)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        elif engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        try:
            with Session(bind=conn) as session:
                yield session
        finally:
            conn.rollback()


def load(engine: Engine, scope: str, after: tuple[int, int] | None) -> Snapshot | None:
    """What a reader needs, in one view of the store: with `after` (the last position it holds),
    the events after it; without, the history and the kept events still open. None: nothing
    stored for the scope yet."""
    with _snapshot(engine) as session:
        state = session.get(IndexState, scope)
        if state is None:
            return None
        query = select(IndexedEvent).where(_in_scope(scope))
        if after is not None:
            query = query.where(_position_after(*after))
        else:
            query = query.where(
                or_(
                    IndexedEvent.in_history.is_(True),
                    and_(IndexedEvent.kept_key.is_not(None), IndexedEvent.closed_at.is_(None)),
                )
            )
        rows = list(
            session.scalars(query.order_by(IndexedEvent.block_number, IndexedEvent.log_index))
        )
        cursor = session.get(KeeperCursor, (scope, state.chain_id))
        session.expunge_all()
        return Snapshot(
            (state.born, state.generation, state.writes),
            state.first_block,
            state.dropped,
            rows,
            None if cursor is None else cursor.last_block,
        )


def version(engine: Engine, scope: str) -> tuple[int, int, int] | None:
    """The scope's (born, generation, writes) now (None: no state yet)."""
    with Session(engine) as session:
        state = session.get(IndexState, scope)
        return None if state is None else (state.born, state.generation, state.writes)


def stored_events(engine: Engine, scope: str) -> int:
    """How many rows the scope holds (history, kept and recently closed)."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).where(_in_scope(scope))) or 0)
