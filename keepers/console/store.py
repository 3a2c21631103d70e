"""The console domain's tables in the keeper store: the event index (`keepers.console.index`), kept
here so that a restarted console does not rescan the chain and several console processes behind
one address share one index (on PostgreSQL, consoles on several machines).

One index per scope (`index_scope`: a chain, the record's contracts, its first block and the
history bound). Its rows are the events indexed (`IndexedEvent`), in log order:
- the history: the newest `max_events`, `in_history`. An event past the bound leaves the history
  (and `dropped` counts it, `first_block` moves past its block) and is deleted, unless it is kept;
- the kept events (`kept_key` set: one of KEPT_EVENTS, folded into state by the pages): the latest
  of each key stays whatever the bound drops. A later event of the key (or one closing it) marks it
  `closed_at` that event's block; it is deleted with the history once REORG_WINDOW blocks are past
  that block, so that a reorganisation orphaning the later event can give it back its key.

The scope's cursor and the block hashes it checks for reorganisations are the keeper store's
cursor and checkpoints (`keepers.core.store`) under the scope's name. One process writes a scope at
a time (`keeper_lock`); every process reads it. A window is stored whole in one transaction, in
log order, and a window's events at or before the newest stored are skipped, so a writer killed
between a window and its cursor, asking the window again, stores nothing twice (nor counts an
event dropped twice)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import REORG_WINDOW, Base

# Rows per INSERT (SQLite binds at most 32,766 parameters in one statement; a row binds 12).
INSERT_CHUNK = 1_000


class IndexedEvent(Base):
    """One decoded event of an index's scope (`keepers.console.index.ChainEvent`'s fields)."""

    __tablename__ = "console_events"
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
    """An index's bookkeeping: from which block its history is complete, how many events left it,
    and a generation that moves whenever rows are taken back (a reorganisation): readers holding
    a copy reload it then."""

    __tablename__ = "console_indexes"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    first_block: Mapped[int] = mapped_column(BigInteger)
    dropped: Mapped[int] = mapped_column(BigInteger, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)


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

    generation: int
    first_block: int
    dropped: int
    rows: list[IndexedEvent]


def index_scope(chain_id: int, contracts: Mapping[str, str], first_block: int, bound: int) -> str:
    """The scope of an index: a name that changes with anything that changes what it holds."""
    listed = ",".join(f"{n}={a.lower()}" for n, a in sorted(contracts.items()))
    digest = hashlib.sha256(f"{chain_id}|{first_block}|{bound}|{listed}".encode()).hexdigest()
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


def ensure_state(engine: Engine, scope: str, chain_id: int, first_block: int) -> None:
    """Creates the scope's state row if there is none (idempotent across processes: of two
    creating it at once, the second's insert fails on the key, and the row is there)."""
    try:
        with Session(engine) as session, session.begin():
            if session.get(IndexState, scope) is None:
                session.add(
                    IndexState(
                        scope=scope,
                        chain_id=chain_id,
                        first_block=first_block,
                        dropped=0,
                        generation=0,
                    )
                )
    except IntegrityError:
        pass


def store_window(
    engine: Engine, scope: str, events: Sequence[NewEvent], max_events: int, head: int
) -> int:
    """Stores a window's events in log order, closes the keys they replace or close, and moves
    past the history bound what no longer fits (`head`: the window's last block, for how long a
    closed key is kept). One transaction. Returns how many events were new."""
    with Session(engine) as session, session.begin():
        newest = session.execute(
            select(IndexedEvent.block_number, IndexedEvent.log_index)
            .where(_in_scope(scope))
            .order_by(IndexedEvent.block_number.desc(), IndexedEvent.log_index.desc())
            .limit(1)
        ).one_or_none()
        if newest is not None:  # stored before (windows are stored whole, in order)
            events = [
                e for e in events if (e.row["block_number"], e.row["log_index"]) > tuple(newest)
            ]
        return _store_new(session, scope, events, max_events, head)


def _store_new(
    session: Session, scope: str, events: Sequence[NewEvent], max_events: int, head: int
) -> int:
    rows = [
        {
            **item.row,
            "scope": scope,
            "in_history": True,
            "kept_key": item.kept_key,
            "closed_at": item.row["block_number"] if item.closing else None,
        }
        for item in events
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    new = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = (
            insert(IndexedEvent)
            .values(rows[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing()
            .returning(IndexedEvent.log_index)
        )
        new += len(session.execute(stmt).all())
    for item in events:
        if item.kept_key is None:
            continue
        block, log_index = item.row["block_number"], item.row["log_index"]
        session.execute(
            update(IndexedEvent)
            .where(
                _in_scope(scope),
                IndexedEvent.kept_key == item.kept_key,
                IndexedEvent.closed_at.is_(None),
                _position_before(block, log_index),
            )
            .values(closed_at=block)
        )
    if new:  # nothing new, nothing past the bound (closed keys wait for the next new event)
        _bound_history(session, scope, max_events, head)
    return new


def _bound_history(session: Session, scope: str, max_events: int, head: int) -> None:
    """Moves the oldest events past `max_events` out of the history and deletes what is neither
    history nor kept (nor closed recently enough for a reorganisation to reopen)."""
    held = session.scalar(
        select(func.count()).where(_in_scope(scope), IndexedEvent.in_history.is_(True))
    )
    excess = int(held or 0) - max_events
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
        state = session.get(IndexState, scope)
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


def take_back(engine: Engine, scope: str, ancestor: int, first_block: int) -> int:
    """Forgets the events of the blocks above `ancestor` (orphaned by a reorganisation) and gives
    their keys back to the events they had closed; an ancestor before `first_block` (the record's:
    a reorganisation deeper than the checkpoints) forgets every event and the history's figures,
    and the index starts again. Moves the generation. Returns how many events went."""
    with Session(engine) as session, session.begin():
        state = session.get(IndexState, scope)
        gone = delete(IndexedEvent).where(_in_scope(scope), IndexedEvent.block_number > ancestor)
        count = session.execute(gone).rowcount or 0
        if ancestor < first_block and state is not None:
            state.dropped, state.first_block = 0, first_block
        else:
            session.execute(
                update(IndexedEvent)
                .where(_in_scope(scope), IndexedEvent.closed_at > ancestor)
                .values(closed_at=None)
            )
        if state is not None:
            state.generation += 1
        return count


def read_state(session: Session, scope: str) -> IndexState | None:
    return session.get(IndexState, scope)


def load(engine: Engine, scope: str, after: tuple[int, int] | None) -> Snapshot | None:
    """What a reader needs, read in one transaction: with `after` (the last position it holds),
    the events after it; without, the history and the kept events still open. None: nothing
    stored for the scope yet."""
    with Session(engine) as session, session.begin():
        state = read_state(session, scope)
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
        session.expunge_all()
        return Snapshot(state.generation, state.first_block, state.dropped, rows)


def generation(engine: Engine, scope: str) -> int | None:
    """The scope's generation now (None: no state yet)."""
    with Session(engine) as session:
        state = read_state(session, scope)
        return None if state is None else state.generation


def stored_events(engine: Engine, scope: str) -> int:
    """How many rows the scope holds (history, kept and recently closed)."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).where(_in_scope(scope))) or 0)
