"""The keeper store: what keepers saw and did, durable across restarts (SQLAlchemy).

SQLite under `.quantera/keeper.sqlite` by default; any SQLAlchemy URL (e.g. PostgreSQL) through
`QUANTERA_DB_URL`. Every row that mirrors a chain log is keyed by (chain_id, tx_hash, log_index), so
replaying a block range after a restart inserts nothing twice.

Reorganisations: a keeper's cursor keeps the hash of each block it finished (the last
REORG_WINDOW of them, `keeper_checkpoints`), and every row derived from a log keeps its block
number, so a keeper that finds its cursor block replaced rewinds to the newest checkpoint still
canonical and deletes what it derived from the orphaned blocks (`keepers.core.scan.scan_range`).

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
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    delete,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DB_URL_ENV = "QUANTERA_DB_URL"
DEFAULT_DB_PATH = Path(".quantera") / "keeper.sqlite"
# Finished blocks remembered per keeper: a reorganisation deeper than this (far beyond any
# finality rule on the chains we run on) rewinds the keeper to its deployment block and rescans.
REORG_WINDOW = 128


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


class GovernanceEvent(Base):
    """An AccessManager log (role grants, scheduled / executed / cancelled operations)."""

    __tablename__ = "governance_events"
    __table_args__ = (
        UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_governance_log"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(42))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict] = mapped_column(JSON)


class KnownWallet(Base):
    """A wallet the screening keeper has seen (registered investor or transfer counterparty)."""

    __tablename__ = "known_wallets"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    wallet: Mapped[str] = mapped_column(String(42), primary_key=True)
    first_seen_block: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))


class ScreeningDecision(Base):
    """One sanctions match and what was done about it. Unique per (chain, wallet, list entry): a
    restart never decides twice; `status` is `pending` until the freeze is confirmed on chain."""

    __tablename__ = "screening_decisions"
    __table_args__ = (
        UniqueConstraint("chain_id", "wallet", "ent_num", name="uq_screening_decision"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    wallet: Mapped[str] = mapped_column(String(42))
    ent_num: Mapped[int] = mapped_column(BigInteger)
    entry_name: Mapped[str] = mapped_column(String(256))
    program: Mapped[str] = mapped_column(String(128))
    list_source: Mapped[str] = mapped_column(String(512))
    list_version: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    # where the freeze was mined
    enforced_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class PriceObservation(Base):
    """One feed round the risk keeper saw (answer with the feed's decimals, round timestamp)."""

    __tablename__ = "price_observations"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    feed: Mapped[str] = mapped_column(String(42), primary_key=True)
    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    answer: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[int] = mapped_column(BigInteger)
    # of the round's log
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RiskPublication(Base):
    """One model update of a portfolio: `pending` before it is sent, `confirmed` once the engine
    holds its id, `skipped` (with the reason in `note`) when the keeper decided not to send.
    Unique per (chain, portfolio, update id): a restart never sends an id twice."""

    __tablename__ = "risk_publications"
    __table_args__ = (
        UniqueConstraint("chain_id", "portfolio", "update_id", name="uq_risk_publication"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    portfolio: Mapped[str] = mapped_column(String(42))
    update_id: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    metrics: Mapped[dict] = mapped_column(JSON)
    inputs: Mapped[dict] = mapped_column(JSON)
    clamped: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # The head when the update was computed: its transaction, if it landed, is in a later block.
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SignalIntent(Base):
    """A rebalance intent the signal keeper signed: `signed` before it is sent, then `executed`,
    `failed` (revert reason in `note`) or `expired`. Unique per (chain, portfolio, nonce, digest);
    the keeper never signs a second intent for a nonce while one is live (deadline not passed)."""

    __tablename__ = "signal_intents"
    __table_args__ = (
        UniqueConstraint("chain_id", "portfolio", "nonce", "digest", name="uq_signal_intent"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    portfolio: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(66))
    deadline: Mapped[int] = mapped_column(BigInteger)
    intent: Mapped[dict] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(140))
    routes: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    loss_usd: Mapped[float | None] = mapped_column(nullable=True)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)


class ModelPortfolio(Base):
    """A model portfolio of the asset manager's book (off-chain): target weights in bps per asset
    address, summing to 10,000. Redefining a name replaces its weights and increments `version`."""

    __tablename__ = "model_portfolios"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    weights: Mapped[dict] = mapped_column(JSON)  # asset address -> bps
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[int] = mapped_column(BigInteger)


class ModelAssignment(Base):
    """Which model portfolio a client portfolio (a PortfolioVault) follows: one model per client."""

    __tablename__ = "model_assignments"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    portfolio: Mapped[str] = mapped_column(String(42), primary_key=True)
    model: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[int] = mapped_column(BigInteger)


class BulkOutcome(Base):
    """One client's outcome in a bulk rebalance run (`run_id`): `rebalanced`, `skipped` (the reason:
    within the drift threshold, cooldown, paused, nothing to trade) or `failed` (the revert
    reason); the intent's nonce and digest, the batch transaction and the client's share of its gas
    (the batch's gas over its items), the drift from the model's targets before and after (bps)."""

    __tablename__ = "bulk_outcomes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(36))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    model: Mapped[str] = mapped_column(String(64))
    portfolio: Mapped[str] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(256), nullable=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    digest: Mapped[str | None] = mapped_column(String(66), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    drift_before_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    drift_after_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recorded_at: Mapped[int] = mapped_column(BigInteger)


class SignalPrediction(Base):
    """One signal: the model's decision, what the keeper did with it, and the realised outcome (the
    return of one vault share at oracle prices until the next signal), filled in by the next
    cycle."""

    __tablename__ = "signal_predictions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    portfolio: Mapped[str] = mapped_column(String(42))
    computed_at: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[str] = mapped_column(String(10))
    strategy: Mapped[str] = mapped_column(String(32))
    fallback: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    probabilities: Mapped[dict] = mapped_column(JSON)
    target_bps: Mapped[list] = mapped_column(JSON)
    share_price: Mapped[float]  # USD per vault share at oracle prices (deposits do not move it)
    decision: Mapped[str] = mapped_column(String(256))
    realised_return: Mapped[float | None] = mapped_column(nullable=True)
    realised_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class NavStrike(Base):
    """One dealing period of a fund as the NAV agent keeper handled it (keepers/lifecycle):
    `held` (not struck, the reason in `note`), `pending` (recorded, about to report and strike),
    `sent` (the strike transaction signed, its hash, nonce and raw bytes kept, then broadcast),
    `confirmed` (the vault's period moved past it: `tx_hash` struck it), `failed` (the strike
    reverted or can no longer land), `unsent` (recorded, never signed) or `reorged` (its block
    orphaned): after these a new attempt may follow. Unique per (chain,
    vault, period): a restart finds what it sent instead of sending again."""

    __tablename__ = "nav_strikes"
    __table_args__ = (UniqueConstraint("chain_id", "vault", "period", name="uq_nav_strike"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    vault: Mapped[str] = mapped_column(String(42))
    instrument_id: Mapped[int] = mapped_column(BigInteger)
    period: Mapped[int] = mapped_column(BigInteger)
    cutoff: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    nav18: Mapped[str | None] = mapped_column(String(80), nullable=True)
    answer: Mapped[str | None] = mapped_column(String(80), nullable=True)
    inputs: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[int] = mapped_column(BigInteger)
    # The head when the strike was computed: its transaction, if it landed, is in a later block.
    block_number: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(String(4096), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    strike_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)


class FundFlow(Base):
    """A FundVault event the NAV is computed from (keepers/lifecycle/nav.py): cash sent to and
    back from the custodian, deposit shares struck and claimed. Amounts as decimal strings."""

    __tablename__ = "fund_flows"
    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_fund_flow"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    vault: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    assets: Mapped[str] = mapped_column(String(80))
    shares: Mapped[str] = mapped_column(String(80))


class CouponRecord(Base):
    """A bond coupon whose record date has come (keepers/lifecycle/coupons.py): recorded once per
    (chain, instrument, coupon number), `due`; `recorded` once the keeper recorded it on the note's
    BondServicer (keepers/lifecycle/servicing.py), which pays it; `amount_per_unit` is None for a
    floating coupon."""

    __tablename__ = "coupon_records"
    __table_args__ = (
        UniqueConstraint("chain_id", "instrument_id", "number", name="uq_coupon_record"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    instrument_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(Integer)
    accrual_start: Mapped[str] = mapped_column(String(10))
    payment_date: Mapped[str] = mapped_column(String(10))
    record_date: Mapped[str] = mapped_column(String(10))
    amount_per_unit: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[int] = mapped_column(BigInteger)
    block_number: Mapped[int] = mapped_column(BigInteger)


class IncomeDeclaration(Base):
    """One income declaration of a money-market fund's share token (`IIncomeShareToken.
    declareIncome(number, shares)`) as the NAV agent keeper handled it (keepers/lifecycle/
    declaring.py): the statuses of `NavStrike`, keyed by the token's declaration number. The
    number is the token's replay guard (a declaration whose number is not the next one reverts),
    so a declaration is applied once on chain whatever the keeper sends; the row makes a restart
    find what it sent. `start`/`end`: the accrual window (unix seconds); amounts as strings."""

    __tablename__ = "income_declarations"
    __table_args__ = (
        UniqueConstraint("chain_id", "token", "number", name="uq_income_declaration"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    token: Mapped[str] = mapped_column(String(42))
    instrument_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(BigInteger)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    supply: Mapped[str] = mapped_column(String(80))
    shares: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict] = mapped_column(JSON)
    block_number: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(String(4096), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)


class FeeCollection(Base):
    """One collection of a fund vault's fees (`IFundVault.collectFees`, after `accrueFees` when
    management fee is accruing) as the fee keeper handled it (keepers/lifecycle/collecting.py):
    `pending` (recorded, about to send), `sent` (the collection signed, its hash, nonce and raw
    bytes kept, then broadcast), `confirmed` (its receipt read: `shares` and `assets` are what its
    `FeesCollected` paid), `failed` (it reverted or can no longer land), `unsent` (recorded, never
    signed) or `reorged` (its block orphaned). `number` counts a vault's collections 1, 2, ...; a
    new one is recorded only while none of the vault is `pending` or `sent`, so a restart finds
    what it sent (by its receipt) instead of sending again. Amounts as decimal strings."""

    __tablename__ = "fee_collections"
    __table_args__ = (UniqueConstraint("chain_id", "vault", "number", name="uq_fee_collection"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    vault: Mapped[str] = mapped_column(String(42))
    instrument_id: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(42))
    # What was due when the collection was decided: shares owed (with the management fee accruing
    # since the vault's last accrual) and assets held.
    due_shares: Mapped[str] = mapped_column(String(80))
    due_assets: Mapped[str] = mapped_column(String(80))
    inputs: Mapped[dict] = mapped_column(JSON)
    decided_at: Mapped[int] = mapped_column(BigInteger)
    # The head when the collection was decided: its transactions, if they landed, are later.
    block_number: Mapped[int] = mapped_column(BigInteger)
    accrue_tx: Mapped[str | None] = mapped_column(String(66), nullable=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(String(4096), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    collect_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    collected_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    shares: Mapped[str | None] = mapped_column(String(80), nullable=True)
    assets: Mapped[str | None] = mapped_column(String(80), nullable=True)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)


class PrimeAccount(Base):
    """A prime-broker margin account the margin keeper found (its AccountOpened log): keyed by
    (chain, broker, account), with the block it was opened in (a reorganisation forgets it)."""

    __tablename__ = "prime_accounts"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    broker: Mapped[str] = mapped_column(String(42), primary_key=True)
    account: Mapped[str] = mapped_column(String(42), primary_key=True)
    opened_block: Mapped[int] = mapped_column(BigInteger)


class PrimeLiquidation(Base):
    """One liquidation the margin keeper decided (keepers/prime/keeper.py), keyed by the account's
    liquidation count it expects (`count`, the broker's replay guard: a transaction for a count
    the account has passed reverts StaleLiquidation). `pending` (recorded, about to sign), `sent`
    (signed: hash, nonce and raw bytes kept, then broadcast), `confirmed` (the account's count moved
    past `count`: `tx_hash` is what liquidated it, `note` says if another did), `failed` (reverted,
    refused or replaced), `unsent` (recorded, never signed). Unique per (chain, broker, account,
    count): a restart finds what it sent, so one shortfall is liquidated once."""

    __tablename__ = "prime_liquidations"
    __table_args__ = (
        UniqueConstraint("chain_id", "broker", "account", "count", name="uq_prime_liquidation"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    broker: Mapped[str] = mapped_column(String(42))
    account: Mapped[str] = mapped_column(String(42))
    count: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))  # "sell" (through the router) or "take"
    terms: Mapped[dict] = mapped_column(JSON)
    inputs: Mapped[dict] = mapped_column(JSON)
    decided_at: Mapped[int] = mapped_column(BigInteger)
    # The head when it was decided: its transaction, if it landed, is in a later block.
    block_number: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    raw_tx: Mapped[str | None] = mapped_column(String(8192), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    mined_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(String(256), nullable=True)


def database_url() -> str:
    url = os.environ.get(DB_URL_ENV)
    if url:
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


# Nullable columns added after a table was first shipped: a store created before them gets them on
# open (create_all creates missing tables, never missing columns).
_ADDED_COLUMNS = {
    "price_observations": ("block_number",),
    "risk_publications": ("block_number",),
    "screening_decisions": ("enforced_block",),
}


def open_store(url: str | None = None) -> Engine:
    """Creates the engine and any missing tables and columns (idempotent)."""
    url = url or database_url()
    # SQLite: wait for another process's write instead of failing at once (workers share a file).
    connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
    engine = create_engine(url, future=True, connect_args=connect_args)
    Base.metadata.create_all(engine)
    inspector = inspect(engine)
    with engine.begin() as conn:
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


def _insert(engine: Engine):
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def insert_governance_events(engine: Engine, rows: list[dict]) -> int:
    """Inserts rows, ignoring ones already stored; returns how many were new."""
    if not rows:
        return 0
    stmt = (
        _insert(engine)(GovernanceEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chain_id", "tx_hash", "log_index"])
        .returning(GovernanceEvent.id)
    )
    # RETURNING counts inserted rows on every backend (rowcount is unreliable for multi-row
    # inserts).
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def governance_events(
    engine: Engine, chain_id: int, names: tuple[str, ...] | None = None
) -> list[GovernanceEvent]:
    """Stored events of a chain in log order, optionally only those named."""
    with Session(engine) as session:
        query = select(GovernanceEvent).where(GovernanceEvent.chain_id == chain_id)
        if names:
            query = query.where(GovernanceEvent.event.in_(names))
        return list(
            session.scalars(query.order_by(GovernanceEvent.block_number, GovernanceEvent.log_index))
        )


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
        row = session.get(KeeperCursor, (keeper, chain_id))
        if row is None:
            session.add(KeeperCursor(keeper=keeper, chain_id=chain_id, last_block=block))
        elif block > row.last_block:
            row.last_block = block
        else:
            return
        if block_hash is not None:
            session.merge(
                KeeperCheckpoint(
                    keeper=keeper, chain_id=chain_id, block_number=block, block_hash=block_hash
                )
            )
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


def forget_governance_events_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes the stored events of blocks above `block` (orphaned by a reorganisation)."""
    with engine.begin() as conn:
        return conn.execute(
            delete(GovernanceEvent).where(
                GovernanceEvent.chain_id == chain_id, GovernanceEvent.block_number > block
            )
        ).rowcount


def add_known_wallets(
    engine: Engine, chain_id: int, wallets: dict[str, tuple[int, str]]
) -> list[str]:
    """Stores wallets not seen before (wallet -> (block, source)); returns the new ones."""
    if not wallets:
        return []
    with Session(engine) as session, session.begin():
        existing = set(
            session.scalars(
                select(KnownWallet.wallet).where(
                    KnownWallet.chain_id == chain_id, KnownWallet.wallet.in_(list(wallets))
                )
            )
        )
        new = [w for w in wallets if w not in existing]
        session.add_all(
            KnownWallet(
                chain_id=chain_id, wallet=w, first_seen_block=wallets[w][0], source=wallets[w][1]
            )
            for w in new
        )
    return new


def forget_wallets_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes wallets first seen above `block` (orphaned by a reorganisation): the rescan of the
    canonical blocks finds again the ones the canonical chain holds."""
    with engine.begin() as conn:
        return conn.execute(
            delete(KnownWallet).where(
                KnownWallet.chain_id == chain_id, KnownWallet.first_seen_block > block
            )
        ).rowcount


def known_wallets(engine: Engine, chain_id: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(select(KnownWallet.wallet).where(KnownWallet.chain_id == chain_id))
        )


def record_decision(engine: Engine, row: dict) -> bool:
    """Inserts a decision unless one exists for (chain, wallet, entry); returns whether it was
    new."""
    stmt = (
        _insert(engine)(ScreeningDecision)
        .values(row)
        .on_conflict_do_nothing(index_elements=["chain_id", "wallet", "ent_num"])
        .returning(ScreeningDecision.id)
    )
    with engine.begin() as conn:
        return len(conn.execute(stmt).all()) > 0


def decisions(engine: Engine, chain_id: int, status: str | None = None) -> list[ScreeningDecision]:
    with Session(engine) as session:
        query = select(ScreeningDecision).where(ScreeningDecision.chain_id == chain_id)
        if status:
            query = query.where(ScreeningDecision.status == status)
        return list(session.scalars(query.order_by(ScreeningDecision.id)))


def complete_decision(
    engine: Engine,
    decision_id: int,
    action: str,
    tx_hash: str | None,
    enforced_block: int | None = None,
) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(ScreeningDecision, decision_id)
        row.status, row.action, row.tx_hash, row.enforced_block = (
            "done",
            action,
            tx_hash,
            enforced_block,
        )


def recently_enforced(engine: Engine, chain_id: int, since_block: int) -> list[ScreeningDecision]:
    """Decisions whose freeze was mined at or after `since_block` (still within reorganisation
    reach)."""
    with Session(engine) as session:
        return list(
            session.scalars(
                select(ScreeningDecision)
                .where(
                    ScreeningDecision.chain_id == chain_id,
                    ScreeningDecision.status == "done",
                    ScreeningDecision.enforced_block >= since_block,
                )
                .order_by(ScreeningDecision.id)
            )
        )


def reopen_decision(engine: Engine, decision_id: int) -> None:
    """Back to `pending` (its freeze was mined in an orphaned block): the keeper freezes again."""
    with Session(engine) as session, session.begin():
        row = session.get(ScreeningDecision, decision_id)
        row.status, row.action, row.tx_hash, row.enforced_block = "pending", "freeze", None, None


def forget_decision(engine: Engine, decision_id: int) -> None:
    """Deletes a decision taken on an orphaned block and not enforced on the canonical chain: the
    rescan decides again from what the canonical chain holds."""
    with engine.begin() as conn:
        conn.execute(delete(ScreeningDecision).where(ScreeningDecision.id == decision_id))


def add_price_observations(engine: Engine, rows: list[dict]) -> int:
    """Stores feed rounds not seen before; returns how many were new."""
    if not rows:
        return 0
    stmt = (
        _insert(engine)(PriceObservation)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chain_id", "feed", "round_id"])
        .returning(PriceObservation.round_id)
    )
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def forget_price_observations_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes the rounds observed in blocks above `block` (orphaned by a reorganisation; the
    canonical chain may hold another answer under the same round id)."""
    with engine.begin() as conn:
        return conn.execute(
            delete(PriceObservation).where(
                PriceObservation.chain_id == chain_id, PriceObservation.block_number > block
            )
        ).rowcount


def latest_observation_block(engine: Engine, chain_id: int) -> int | None:
    """The newest block in which an observed round was logged (None without one)."""
    from sqlalchemy import func

    with Session(engine) as session:
        return session.scalar(
            select(func.max(PriceObservation.block_number)).where(
                PriceObservation.chain_id == chain_id
            )
        )


def price_observations(engine: Engine, chain_id: int, feed: str) -> list[PriceObservation]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(PriceObservation)
                .where(PriceObservation.chain_id == chain_id, PriceObservation.feed == feed)
                .order_by(PriceObservation.round_id)
            )
        )


def record_publication(engine: Engine, row: dict) -> bool:
    """Stores a pending publication. An unconfirmed row with the same (chain, portfolio, update id)
    (an earlier attempt that never landed) is replaced; a confirmed one never is. Returns whether
    the row was written."""
    with Session(engine) as session, session.begin():
        existing = session.scalars(
            select(RiskPublication).where(
                RiskPublication.chain_id == row["chain_id"],
                RiskPublication.portfolio == row["portfolio"],
                RiskPublication.update_id == row["update_id"],
            )
        ).one_or_none()
        if existing is None:
            session.add(RiskPublication(**row))
            return True
        if existing.status == "confirmed":
            return False
        for key, value in row.items():
            setattr(existing, key, value)
        return True


def publications(
    engine: Engine, chain_id: int, portfolio: str, status: str | None = None
) -> list[RiskPublication]:
    with Session(engine) as session:
        query = select(RiskPublication).where(
            RiskPublication.chain_id == chain_id, RiskPublication.portfolio == portfolio
        )
        if status:
            query = query.where(RiskPublication.status == status)
        return list(session.scalars(query.order_by(RiskPublication.update_id)))


def set_publication_status(
    engine: Engine,
    chain_id: int,
    portfolio: str,
    update_id: int,
    status: str,
    tx_hash: str | None = None,
    note: str | None = None,
) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(
            select(RiskPublication).where(
                RiskPublication.chain_id == chain_id,
                RiskPublication.portfolio == portfolio,
                RiskPublication.update_id == update_id,
            )
        ).one()
        row.status = status
        if tx_hash is not None:
            row.tx_hash = tx_hash
        if note is not None:
            row.note = note


def live_intent(
    engine: Engine, chain_id: int, portfolio: str, nonce: int, now: int
) -> SignalIntent | None:
    """The intent signed for this nonce that can still execute (signed, not past its deadline)."""
    with Session(engine) as session:
        return session.scalars(
            select(SignalIntent).where(
                SignalIntent.chain_id == chain_id,
                SignalIntent.portfolio == portfolio,
                SignalIntent.nonce == nonce,
                SignalIntent.status == "signed",
                SignalIntent.deadline >= now,
            )
        ).one_or_none()


def record_intent(engine: Engine, row: dict) -> None:
    """Stores a signed intent. Refuses a second live one for the same nonce (the restart guard).
    The same intent signed again after its row closed (failed or expired: an identical digest,
    as when a retry falls in the same block second, so the same deadline) reopens that row with
    this attempt's routes, time and status instead of a second row for one digest."""
    with Session(engine) as session, session.begin():
        live = session.scalars(
            select(SignalIntent).where(
                SignalIntent.chain_id == row["chain_id"],
                SignalIntent.portfolio == row["portfolio"],
                SignalIntent.nonce == row["nonce"],
                SignalIntent.status == "signed",
                SignalIntent.deadline >= row["created_at"],
            )
        ).first()
        if live is not None:
            raise ValueError(f"a live intent for nonce {row['nonce']} exists ({live.digest})")
        closed = session.scalars(
            select(SignalIntent).where(
                SignalIntent.chain_id == row["chain_id"],
                SignalIntent.portfolio == row["portfolio"],
                SignalIntent.nonce == row["nonce"],
                SignalIntent.digest == row["digest"],
            )
        ).one_or_none()
        if closed is None:
            session.add(SignalIntent(**row))
            return
        if closed.status not in ("failed", "expired"):
            raise ValueError(f"intent {closed.digest} is already {closed.status}")
        previous = f"retried; was {closed.status}: {closed.note} ({closed.tx_hash})"[:256]
        for field, value in row.items():
            setattr(closed, field, value)
        closed.tx_hash, closed.loss_usd, closed.note = None, None, previous


def set_intent_status(
    engine: Engine,
    digest: str,
    status: str,
    tx_hash: str | None = None,
    loss_usd: float | None = None,
    note: str | None = None,
) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(select(SignalIntent).where(SignalIntent.digest == digest)).one()
        row.status = status
        row.tx_hash = tx_hash if tx_hash is not None else row.tx_hash
        row.loss_usd = loss_usd if loss_usd is not None else row.loss_usd
        row.note = note if note is not None else row.note


def reopen_orphaned_intents(
    engine: Engine, chain_id: int, portfolio: str, next_nonce: int, now: int
) -> int:
    """Intents recorded `executed` for a nonce the chain has not spent (`next_nonce` or above: their
    block was orphaned by a reorganisation) go back to `signed` while their deadline allows, to be
    sent again as they are (never a rival for the nonce), and to `expired` otherwise. Returns how
    many."""
    with Session(engine) as session, session.begin():
        rows = list(
            session.scalars(
                select(SignalIntent).where(
                    SignalIntent.chain_id == chain_id,
                    SignalIntent.portfolio == portfolio,
                    SignalIntent.status == "executed",
                    SignalIntent.nonce >= next_nonce,
                )
            )
        )
        for row in rows:
            row.note = f"orphaned by a reorganisation ({row.tx_hash})"[:256]
            row.status, row.tx_hash, row.loss_usd = (
                ("signed" if row.deadline >= now else "expired"),
                None,
                None,
            )
        return len(rows)


def intents(engine: Engine, chain_id: int, portfolio: str) -> list[SignalIntent]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(SignalIntent)
                .where(SignalIntent.chain_id == chain_id, SignalIntent.portfolio == portfolio)
                .order_by(SignalIntent.id)
            )
        )


def define_model(engine: Engine, chain_id: int, name: str, weights: dict, now: int) -> int:
    """Stores (or replaces) a model portfolio's weights; returns its version (1, 2, ...)."""
    with Session(engine) as session, session.begin():
        row = session.get(ModelPortfolio, (chain_id, name))
        if row is None:
            session.add(
                ModelPortfolio(
                    chain_id=chain_id, name=name, weights=weights, version=1, updated_at=now
                )
            )
            return 1
        row.weights, row.version, row.updated_at = weights, row.version + 1, now
        return row.version


def model_portfolios(engine: Engine, chain_id: int) -> list[ModelPortfolio]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(ModelPortfolio)
                .where(ModelPortfolio.chain_id == chain_id)
                .order_by(ModelPortfolio.name)
            )
        )


def assign_model(engine: Engine, chain_id: int, portfolios: list[str], model: str, now: int) -> int:
    """Makes each of `portfolios` follow `model` (replacing what it followed); returns how many
    changed."""
    changed = 0
    with Session(engine) as session, session.begin():
        for portfolio in portfolios:
            row = session.get(ModelAssignment, (chain_id, portfolio))
            if row is None:
                session.add(
                    ModelAssignment(
                        chain_id=chain_id, portfolio=portfolio, model=model, assigned_at=now
                    )
                )
            elif row.model != model:
                row.model, row.assigned_at = model, now
            else:
                continue
            changed += 1
    return changed


def model_assignments(
    engine: Engine, chain_id: int, model: str | None = None
) -> list[ModelAssignment]:
    with Session(engine) as session:
        query = select(ModelAssignment).where(ModelAssignment.chain_id == chain_id)
        if model is not None:
            query = query.where(ModelAssignment.model == model)
        return list(session.scalars(query.order_by(ModelAssignment.portfolio)))


def record_bulk_outcomes(engine: Engine, rows: list[dict]) -> None:
    if rows:
        with Session(engine) as session, session.begin():
            session.add_all(BulkOutcome(**row) for row in rows)


def bulk_outcomes(engine: Engine, chain_id: int, run_id: str | None = None) -> list[BulkOutcome]:
    with Session(engine) as session:
        query = select(BulkOutcome).where(BulkOutcome.chain_id == chain_id)
        if run_id is not None:
            query = query.where(BulkOutcome.run_id == run_id)
        return list(session.scalars(query.order_by(BulkOutcome.id)))


def record_prediction(engine: Engine, row: dict) -> None:
    """Stores a signal and fills the realised return of the ones before it that still lack one."""
    with Session(engine) as session, session.begin():
        open_rows = session.scalars(
            select(SignalPrediction).where(
                SignalPrediction.chain_id == row["chain_id"],
                SignalPrediction.portfolio == row["portfolio"],
                SignalPrediction.realised_return.is_(None),
            )
        )
        for previous in open_rows:
            if previous.share_price > 0:
                previous.realised_return = row["share_price"] / previous.share_price - 1
                previous.realised_at = row["computed_at"]
        session.add(SignalPrediction(**row))


def predictions(engine: Engine, chain_id: int, portfolio: str) -> list[SignalPrediction]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(SignalPrediction)
                .where(
                    SignalPrediction.chain_id == chain_id, SignalPrediction.portfolio == portfolio
                )
                .order_by(SignalPrediction.id)
            )
        )


# ------------------------------------------------------------------ lifecycle: the NAV agent


def nav_strike(engine: Engine, chain_id: int, vault: str, period: int) -> NavStrike | None:
    with Session(engine) as session:
        return session.scalars(
            select(NavStrike).where(
                NavStrike.chain_id == chain_id,
                NavStrike.vault == vault,
                NavStrike.period == period,
            )
        ).one_or_none()


def record_nav_strike(engine: Engine, row: dict) -> bool:
    """Stores a strike attempt for (chain, vault, period). A `held`, `failed`, `unsent` or
    `reorged` row (nothing in flight) is replaced; a `pending`, `sent` or `confirmed` one never
    is. Returns whether the row was written."""
    with Session(engine) as session, session.begin():
        existing = session.scalars(
            select(NavStrike).where(
                NavStrike.chain_id == row["chain_id"],
                NavStrike.vault == row["vault"],
                NavStrike.period == row["period"],
            )
        ).one_or_none()
        if existing is None:
            session.add(NavStrike(**row))
            return True
        if existing.status not in ("held", "failed", "unsent", "reorged"):
            return False
        for key, value in row.items():
            setattr(existing, key, value)
        return True


def update_nav_strike(engine: Engine, chain_id: int, vault: str, period: int, **fields) -> None:
    """Sets `fields` of the row of (chain, vault, period)."""
    with Session(engine) as session, session.begin():
        row = session.scalars(
            select(NavStrike).where(
                NavStrike.chain_id == chain_id,
                NavStrike.vault == vault,
                NavStrike.period == period,
            )
        ).one()
        for key, value in fields.items():
            setattr(row, key, value)


def nav_strikes(
    engine: Engine, chain_id: int, vault: str | None = None, status: str | None = None
) -> list[NavStrike]:
    with Session(engine) as session:
        query = select(NavStrike).where(NavStrike.chain_id == chain_id)
        if vault is not None:
            query = query.where(NavStrike.vault == vault)
        if status is not None:
            query = query.where(NavStrike.status == status)
        return list(session.scalars(query.order_by(NavStrike.vault, NavStrike.period)))


def add_fund_flows(engine: Engine, rows: list[dict]) -> int:
    """Stores FundVault events not seen before; returns how many were new."""
    if not rows:
        return 0
    stmt = (
        _insert(engine)(FundFlow)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chain_id", "tx_hash", "log_index"])
        .returning(FundFlow.id)
    )
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def forget_fund_flows_after(engine: Engine, chain_id: int, vault: str, block: int) -> int:
    """Deletes a vault's events of blocks above `block` (orphaned by a reorganisation)."""
    with engine.begin() as conn:
        return conn.execute(
            delete(FundFlow).where(
                FundFlow.chain_id == chain_id,
                FundFlow.vault == vault,
                FundFlow.block_number > block,
            )
        ).rowcount


def fund_flows(engine: Engine, chain_id: int, vault: str) -> list[FundFlow]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(FundFlow)
                .where(FundFlow.chain_id == chain_id, FundFlow.vault == vault)
                .order_by(FundFlow.block_number, FundFlow.log_index)
            )
        )


def record_coupons(engine: Engine, rows: list[dict]) -> int:
    """Stores coupons not recorded yet; returns how many were new."""
    if not rows:
        return 0
    stmt = (
        _insert(engine)(CouponRecord)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chain_id", "instrument_id", "number"])
        .returning(CouponRecord.id)
    )
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def update_coupon_record(
    engine: Engine, chain_id: int, instrument_id: int, number: int, **fields
) -> None:
    """Sets `fields` on a stored coupon (`status`: "due" when its record date came, "recorded"
    once the keeper recorded it on the note's BondServicer)."""
    with Session(engine) as session, session.begin():
        key = {"chain_id": chain_id, "instrument_id": instrument_id, "number": number}
        row = session.scalars(select(CouponRecord).filter_by(**key)).one_or_none()
        if row is None:
            raise LookupError(f"no coupon {number} of instrument {instrument_id} on {chain_id}")
        for key, value in fields.items():
            setattr(row, key, value)


def coupon_records(
    engine: Engine, chain_id: int, instrument_id: int | None = None
) -> list[CouponRecord]:
    with Session(engine) as session:
        query = select(CouponRecord).where(CouponRecord.chain_id == chain_id)
        if instrument_id is not None:
            query = query.where(CouponRecord.instrument_id == instrument_id)
        return list(
            session.scalars(query.order_by(CouponRecord.instrument_id, CouponRecord.number))
        )


# ------------------------------------------------------------------ lifecycle: income declarations

# Rows in these states have nothing in flight: a new attempt replaces them.
REPLACEABLE = ("held", "failed", "unsent", "reorged")


def _declaration(session: Session, chain_id: int, token: str, number: int):
    return session.scalars(
        select(IncomeDeclaration).where(
            IncomeDeclaration.chain_id == chain_id,
            IncomeDeclaration.token == token,
            IncomeDeclaration.number == number,
        )
    ).one_or_none()


def income_declaration(
    engine: Engine, chain_id: int, token: str, number: int
) -> IncomeDeclaration | None:
    with Session(engine) as session:
        return _declaration(session, chain_id, token, number)


def record_income_declaration(engine: Engine, row: dict) -> bool:
    """Stores declaration attempt (chain, token, number): a `held`, `failed`, `unsent` or
    `reorged` row is replaced, a `pending`, `sent` or `confirmed` one never is. Returns whether
    the row was written."""
    with Session(engine) as session, session.begin():
        existing = _declaration(session, row["chain_id"], row["token"], row["number"])
        if existing is None:
            session.add(IncomeDeclaration(**row))
            return True
        if existing.status not in REPLACEABLE:
            return False
        for key, value in row.items():
            setattr(existing, key, value)
        return True


def update_income_declaration(
    engine: Engine, chain_id: int, token: str, number: int, **fields
) -> None:
    with Session(engine) as session, session.begin():
        row = _declaration(session, chain_id, token, number)
        if row is None:
            raise LookupError(f"no declaration {number} of {token} on chain {chain_id}")
        for key, value in fields.items():
            setattr(row, key, value)


def income_declarations(
    engine: Engine, chain_id: int, token: str | None = None, status: str | None = None
) -> list[IncomeDeclaration]:
    with Session(engine) as session:
        query = select(IncomeDeclaration).where(IncomeDeclaration.chain_id == chain_id)
        if token is not None:
            query = query.where(IncomeDeclaration.token == token)
        if status is not None:
            query = query.where(IncomeDeclaration.status == status)
        return list(
            session.scalars(query.order_by(IncomeDeclaration.token, IncomeDeclaration.number))
        )


# ------------------------------------------------------------------ lifecycle: fee collections

# A vault's collection in these states may still land: no new one is recorded beside it.
COLLECTION_OPEN = ("pending", "sent")


def record_fee_collection(engine: Engine, row: dict) -> int | None:
    """Records the vault's next collection (`number` = its last number + 1) unless one of the
    vault's rows is `pending` or `sent`; returns the number, or None when one is open."""
    with Session(engine) as session, session.begin():
        rows = list(
            session.scalars(
                select(FeeCollection).where(
                    FeeCollection.chain_id == row["chain_id"],
                    FeeCollection.vault == row["vault"],
                )
            )
        )
        if any(r.status in COLLECTION_OPEN for r in rows):
            return None
        number = max((r.number for r in rows), default=0) + 1
        session.add(FeeCollection(**row, number=number))
        return number


def update_fee_collection(engine: Engine, chain_id: int, vault: str, number: int, **fields) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(
            select(FeeCollection).where(
                FeeCollection.chain_id == chain_id,
                FeeCollection.vault == vault,
                FeeCollection.number == number,
            )
        ).one_or_none()
        if row is None:
            raise LookupError(f"no fee collection {number} of {vault} on chain {chain_id}")
        for key, value in fields.items():
            setattr(row, key, value)


def fee_collections(
    engine: Engine, chain_id: int, vault: str | None = None, status: str | None = None
) -> list[FeeCollection]:
    """A chain's collections (a vault's, in one status), by vault and number."""
    with Session(engine) as session:
        query = select(FeeCollection).where(FeeCollection.chain_id == chain_id)
        if vault is not None:
            query = query.where(FeeCollection.vault == vault)
        if status is not None:
            query = query.where(FeeCollection.status == status)
        return list(session.scalars(query.order_by(FeeCollection.vault, FeeCollection.number)))


def add_prime_accounts(engine: Engine, chain_id: int, broker: str, opened: dict[str, int]) -> int:
    """Stores accounts not known yet (account -> opening block); returns how many were new."""
    rows = [
        {"chain_id": chain_id, "broker": broker, "account": a, "opened_block": b}
        for a, b in opened.items()
    ]
    if not rows:
        return 0
    with engine.begin() as conn:
        result = conn.execute(_insert(engine)(PrimeAccount).values(rows).on_conflict_do_nothing())
        return max(result.rowcount or 0, 0)


def forget_prime_accounts_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes accounts opened above `block` (orphaned by a reorganisation)."""
    with engine.begin() as conn:
        result = conn.execute(
            delete(PrimeAccount).where(
                PrimeAccount.chain_id == chain_id, PrimeAccount.opened_block > block
            )
        )
        return result.rowcount or 0


def prime_accounts(engine: Engine, chain_id: int, broker: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(PrimeAccount.account)
                .where(PrimeAccount.chain_id == chain_id, PrimeAccount.broker == broker)
                .order_by(PrimeAccount.opened_block, PrimeAccount.account)
            )
        )


LIQUIDATION_OPEN = ("pending", "sent")


def record_prime_liquidation(engine: Engine, row: dict) -> bool:
    """Records a liquidation for (chain, broker, account, count) unless one is recorded that is
    not `failed`, `unsent` or `reorged` (replaced by the new attempt); returns whether it was."""
    key = (row["chain_id"], row["broker"], row["account"], row["count"])
    with Session(engine) as session, session.begin():
        existing = session.scalars(_prime_liquidation(*key)).one_or_none()
        if existing is not None:
            if existing.status not in ("failed", "unsent", "reorged"):
                return False
            session.delete(existing)
            session.flush()
        session.add(PrimeLiquidation(**row))
        return True


def _prime_liquidation(chain_id: int, broker: str, account: str, count: int):
    return select(PrimeLiquidation).where(
        PrimeLiquidation.chain_id == chain_id,
        PrimeLiquidation.broker == broker,
        PrimeLiquidation.account == account,
        PrimeLiquidation.count == count,
    )


def update_prime_liquidation(
    engine: Engine, chain_id: int, broker: str, account: str, count: int, **fields
) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(_prime_liquidation(chain_id, broker, account, count)).one_or_none()
        if row is None:
            raise LookupError(f"no liquidation {count} of {account} on chain {chain_id}")
        for key, value in fields.items():
            setattr(row, key, value)


def prime_liquidations(
    engine: Engine, chain_id: int, broker: str, account: str | None = None
) -> list[PrimeLiquidation]:
    """A broker's recorded liquidations (an account's), by account and count."""
    with Session(engine) as session:
        query = select(PrimeLiquidation).where(
            PrimeLiquidation.chain_id == chain_id, PrimeLiquidation.broker == broker
        )
        if account is not None:
            query = query.where(PrimeLiquidation.account == account)
        order = (PrimeLiquidation.account, PrimeLiquidation.count)
        return list(session.scalars(query.order_by(*order)))
