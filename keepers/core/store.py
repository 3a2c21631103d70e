"""The keeper store's base: what keepers saw and did, durable across restarts (SQLAlchemy).

SQLite under `.quantera/keeper.sqlite` by default; any SQLAlchemy URL (e.g. PostgreSQL) through
`QUANTERA_DB_URL`. Every row that mirrors a chain log is keyed by (chain_id, tx_hash, log_index), so
replaying a block range after a restart inserts nothing twice (`insert_new`).

Core holds what every keeper shares: the declarative `Base`, the keepers' cursors and checkpoints,
the lock, and the row helpers each domain's queries are written with. Each domain keeps its own
tables and queries in `keepers/<domain>/store.py` (`STORE_DOMAINS`); `open_store` loads them so
that every store, whichever process opens it first, holds every table.

Reorganisations: a keeper's cursor keeps the hash of each block it finished (the last
REORG_WINDOW of them, `keeper_checkpoints`), and every row derived from a log keeps its block
number, so a keeper that finds its cursor block replaced rewinds to the newest checkpoint still
canonical and deletes what it derived from the orphaned blocks (`keepers.core.scan.scan_range`,
`forget_after`).

One cycle at a time: `keeper_lock` is a lock the database's own machinery releases when its
holder dies (an flock beside a SQLite file, a PostgreSQL advisory lock), so two workers of one
keeper never act at once and a `kill -9` never leaves it held.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import BigInteger, String, create_engine, delete, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

DB_URL_ENV = "QUANTERA_DB_URL"
DEFAULT_DB_PATH = Path(".quantera") / "keeper.sqlite"
# Finished blocks remembered per keeper: a reorganisation deeper than this (far beyond any
# finality rule on the chains we run on) rewinds the keeper to its deployment block and rescans.
REORG_WINDOW = 128
# The domains with tables of their own (`keepers.<domain>.store`), loaded by `open_store`.
STORE_DOMAINS = ("access", "compliance", "risk", "rebalancing", "lifecycle", "prime", "console")
# The advisory lock under which a PostgreSQL store's tables are created.
_SCHEMA_LOCK = zlib.crc32(b"quantera:schema")
# A store in the opening process's memory, one per `open_store` (its threads share it).
MEMORY_URL = "sqlite://"

Row = TypeVar("Row")


class Base(DeclarativeBase):
    pass


class KeeperCursor(Base):
    """Last block a keeper has fully processed on a chain (its restart point)."""

    __tablename__ = "keeper_cursors"
    keeper: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger)


class KeeperCheckpoint(Base):
    """A block a keeper finished and the hash it had then (the last REORG_WINDOW per keeper)."""

    __tablename__ = "keeper_checkpoints"
    keeper: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_hash: Mapped[str] = mapped_column(String(66))


def database_url() -> str:
    url = os.environ.get(DB_URL_ENV)
    if url:
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


# Nullable BIGINT columns added after a table was first shipped (table -> columns), registered by
# the table's domain (`added_columns`): a store created before them gets them on open (create_all
# creates missing tables, never missing columns).
_ADDED_COLUMNS: dict[str, tuple[str, ...]] = {}


def added_columns(table: str, *columns: str) -> None:
    """Registers nullable BIGINT columns `table` gained after it first shipped."""
    _ADDED_COLUMNS[table] = tuple(dict.fromkeys(_ADDED_COLUMNS.get(table, ()) + columns))


def open_store(url: str | None = None) -> Engine:
    """Creates the engine and any missing tables (every domain's) and columns (idempotent)."""
    for domain in STORE_DOMAINS:
        import_module(f"keepers.{domain}.store")
    url = url or database_url()
    if url == MEMORY_URL:  # one connection for every thread: the memory is the connection's
        engine = create_engine(
            url,
            future=True,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
        )
    else:
        # SQLite: wait for another process's write instead of failing at once (workers share a
        # file).
        connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
        engine = create_engine(url, future=True, connect_args=connect_args)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Processes opening one database at once (two consoles started together) create its
            # tables one after the other: concurrent CREATE TABLEs of one name collide in
            # PostgreSQL's catalogue. The lock is the transaction's, released at its end.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        Base.metadata.create_all(conn)
        inspector = inspect(conn)
        for table, columns in _ADDED_COLUMNS.items():
            present = {c["name"] for c in inspector.get_columns(table)}
            for column in columns:
                if column not in present:
                    conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} BIGINT"))
    return engine


_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@contextlib.contextmanager
def keeper_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Tries to take the lock `name` without waiting; yields whether it was taken. Held until the
    block exits, released by the database's own machinery if the holder dies: an exclusive flock on
    `<sqlite file>.<name>.lock` (workers on one machine), a session advisory lock on PostgreSQL
    (workers anywhere), a thread lock for an in-memory SQLite store (one process)."""
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"quantera:{name}".encode())
        with engine.connect() as conn:
            taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield taken
            finally:
                if taken:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _thread_locks_guard:
            lock = _thread_locks.setdefault(f"{id(engine)}:{name}", threading.Lock())
        taken = lock.acquire(blocking=False)
        try:
            yield taken
        finally:
            if taken:
                lock.release()
        return
    # One open file description per attempt: flock excludes other threads of this process too.
    fd = os.open(f"{database}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        yield taken
    finally:
        os.close(fd)  # releases the flock


# ------------------------------------------------------------------ cursors and checkpoints


def get_cursor(engine: Engine, keeper: str, chain_id: int) -> int | None:
    with Session(engine) as session:
        row = session.get(KeeperCursor, (keeper, chain_id))
        return None if row is None else row.last_block


def advance_cursor(
    engine: Engine, keeper: str, chain_id: int, block: int, block_hash: str | None = None
) -> None:
    """Moves the cursor forward only (a late, older block never rewinds it; `rewind_cursor` does,
    after a reorganisation). With `block_hash`, remembers the block as a checkpoint (the last
    REORG_WINDOW are kept)."""
    with Session(engine) as session, session.begin():
        advance_cursor_in(
            session, keeper, chain_id, block, [(block, block_hash)] if block_hash else []
        )


def advance_cursor_in(
    session: Session, keeper: str, chain_id: int, block: int, hashes: Sequence[tuple[int, str]]
) -> None:
    """`advance_cursor` within the caller's transaction (a domain writing its rows and its cursor
    at once), remembering each (block, hash) of `hashes` at or below `block` as a checkpoint."""
    row = session.get(KeeperCursor, (keeper, chain_id))
    if row is None:
        session.add(KeeperCursor(keeper=keeper, chain_id=chain_id, last_block=block))
    elif block > row.last_block:
        row.last_block = block
    else:
        return
    for number, block_hash in hashes:
        if number <= block:
            session.merge(
                KeeperCheckpoint(
                    keeper=keeper, chain_id=chain_id, block_number=number, block_hash=block_hash
                )
            )
    if hashes:
        session.execute(
            delete(KeeperCheckpoint).where(
                KeeperCheckpoint.keeper == keeper,
                KeeperCheckpoint.chain_id == chain_id,
                KeeperCheckpoint.block_number <= block - REORG_WINDOW,
            )
        )


def checkpoints(engine: Engine, keeper: str, chain_id: int) -> list[tuple[int, str]]:
    """The keeper's remembered (block, hash) pairs, newest first."""
    with Session(engine) as session:
        rows = session.scalars(
            select(KeeperCheckpoint)
            .where(KeeperCheckpoint.keeper == keeper, KeeperCheckpoint.chain_id == chain_id)
            .order_by(KeeperCheckpoint.block_number.desc())
        )
        return [(r.block_number, r.block_hash) for r in rows]


def rewind_cursor(engine: Engine, keeper: str, chain_id: int, block: int) -> None:
    """Sets the cursor back to `block` (the common ancestor after a reorganisation) and forgets the
    checkpoints above it. The only way a cursor moves back."""
    with Session(engine) as session, session.begin():
        rewind_cursor_in(session, keeper, chain_id, block)


def rewind_cursor_in(session: Session, keeper: str, chain_id: int, block: int) -> None:
    """`rewind_cursor` within the caller's transaction."""
    row = session.get(KeeperCursor, (keeper, chain_id))
    if row is not None:
        row.last_block = min(row.last_block, block)
    session.execute(
        delete(KeeperCheckpoint).where(
            KeeperCheckpoint.keeper == keeper,
            KeeperCheckpoint.chain_id == chain_id,
            KeeperCheckpoint.block_number > block,
        )
    )


def forget_keeper_in(session: Session, keeper: str, chain_id: int) -> None:
    """Deletes a keeper's cursor and checkpoints (a scope no longer used)."""
    session.execute(
        delete(KeeperCursor).where(KeeperCursor.keeper == keeper, KeeperCursor.chain_id == chain_id)
    )
    session.execute(
        delete(KeeperCheckpoint).where(
            KeeperCheckpoint.keeper == keeper, KeeperCheckpoint.chain_id == chain_id
        )
    )


# ------------------------------------------------------------------ row helpers of the domains


def insert_new(
    engine: Engine,
    model: type,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
) -> int:
    """Inserts, in one statement, the rows whose key is not stored yet (`keys`: the columns of a
    unique constraint; without them any conflict, the primary key's included) and returns how many
    were new. RETURNING counts inserted rows on every backend (rowcount is unreliable for multi-row
    inserts)."""
    if not rows:
        return 0
    with engine.begin() as conn:
        return insert_new_in(conn, model, rows, keys)


def insert_new_in(
    conn: Any,
    model: type,
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str] | None = None,
) -> int:
    """`insert_new` inside the caller's transaction (`conn`: a Connection or an ORM Session)."""
    if not rows:
        return 0
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(model)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=list(keys) if keys else None)
        .returning(*inspect(model).primary_key)
    )
    return len(conn.execute(stmt).all())


def _matching(model: type, where: Mapping[str, Any]) -> list[Any]:
    """Equality conditions on `model`'s columns; a None value matches any row."""
    return [getattr(model, column) == value for column, value in where.items() if value is not None]


def select_rows(
    engine: Engine, model: type[Row], where: Mapping[str, Any], order_by: Sequence[str] = ("id",)
) -> list[Row]:
    """`model`'s rows whose columns equal `where`'s values (None matches any), ordered."""
    with Session(engine) as session:
        query = select(model).where(*_matching(model, where))
        return list(session.scalars(query.order_by(*(getattr(model, c) for c in order_by))))


def find_row(session: Session, model: type[Row], where: Mapping[str, Any]) -> Row | None:
    """The row of `model` whose key columns equal `where` (a unique key: one row at most)."""
    return session.scalars(select(model).filter_by(**where)).one_or_none()


def find_one(engine: Engine, model: type[Row], where: Mapping[str, Any]) -> Row | None:
    with Session(engine) as session:
        return find_row(session, model, where)


def update_row(
    engine: Engine,
    model: type,
    where: Mapping[str, Any],
    fields: Mapping[str, Any],
    what: str | None = None,
) -> None:
    """Sets `fields` on the row of the unique key `where`; LookupError "no <what>" when there is
    none (`what` names the row as an operator would, by default the table and the key)."""
    with Session(engine) as session, session.begin():
        row = find_row(session, model, where)
        if row is None:
            key = ", ".join(f"{c}={v}" for c, v in where.items())
            raise LookupError(f"no {what or f'{model.__tablename__} row with {key}'}")
        for column, value in fields.items():
            setattr(row, column, value)


def record_attempt(
    engine: Engine,
    model: type,
    key: Sequence[str],
    row: Mapping[str, Any],
    replaceable: Callable[[str], bool],
) -> bool:
    """Stores an attempt keyed by `key`'s columns of `row`: a new row, or over a stored one whose
    status is `replaceable` (nothing of it in flight). Returns whether the row was written."""
    with Session(engine) as session, session.begin():
        existing = find_row(session, model, {column: row[column] for column in key})
        if existing is None:
            session.add(model(**row))
            return True
        if not replaceable(existing.status):
            return False
        for column, value in row.items():
            setattr(existing, column, value)
        return True


def forget_after(
    engine: Engine, model: type, column: str, block: int, where: Mapping[str, Any]
) -> int:
    """Deletes `model`'s rows whose columns equal `where`'s values and whose block `column` is
    above `block` (orphaned by a reorganisation); returns how many. Every value of `where` is a
    condition: a None is refused (it would widen a delete, as it widens `select_rows`)."""
    missing = [c for c, v in where.items() if v is None]
    if missing:
        raise ValueError(f"forget_after on {model.__tablename__}: no value for {missing}")
    with engine.begin() as conn:
        condition = [getattr(model, column) > block, *_matching(model, where)]
        return conn.execute(delete(model).where(*condition)).rowcount or 0
