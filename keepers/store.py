"""The keeper store: what keepers saw and did, durable across restarts (SQLAlchemy).

SQLite under `.quantera/keeper.sqlite` by default; any SQLAlchemy URL (e.g. PostgreSQL) through
`QUANTERA_DB_URL`. Every row that mirrors a chain log is keyed by (chain_id, tx_hash, log_index), so
replaying a block range after a restart inserts nothing twice.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

DB_URL_ENV = "QUANTERA_DB_URL"
DEFAULT_DB_PATH = Path(".quantera") / "keeper.sqlite"


class Base(DeclarativeBase):
    pass


class KeeperCursor(Base):
    """Last block a keeper has fully processed on a chain (its restart point)."""

    __tablename__ = "keeper_cursors"
    keeper: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger)


class GovernanceEvent(Base):
    """An AccessManager log (role grants, scheduled / executed / cancelled operations)."""

    __tablename__ = "governance_events"
    __table_args__ = (UniqueConstraint("chain_id", "tx_hash", "log_index", name="uq_governance_log"),)
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
    __table_args__ = (UniqueConstraint("chain_id", "wallet", "ent_num", name="uq_screening_decision"),)
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


class PriceObservation(Base):
    """One feed round the risk keeper saw (answer with the feed's decimals, round timestamp)."""

    __tablename__ = "price_observations"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    feed: Mapped[str] = mapped_column(String(42), primary_key=True)
    round_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    answer: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[int] = mapped_column(BigInteger)


class RiskPublication(Base):
    """One model update of a portfolio: `pending` before it is sent, `confirmed` once the engine
    holds its id, `skipped` (with the reason in `note`) when the keeper decided not to send.
    Unique per (chain, portfolio, update id): a restart never sends an id twice."""

    __tablename__ = "risk_publications"
    __table_args__ = (UniqueConstraint("chain_id", "portfolio", "update_id", name="uq_risk_publication"),)
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


class SignalIntent(Base):
    """A rebalance intent the signal keeper signed: `signed` before it is sent, then `executed`,
    `failed` (revert reason in `note`) or `expired`. Unique per (chain, portfolio, nonce, digest);
    the keeper never signs a second intent for a nonce while one is live (deadline not passed)."""

    __tablename__ = "signal_intents"
    __table_args__ = (UniqueConstraint("chain_id", "portfolio", "nonce", "digest", name="uq_signal_intent"),)
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


class SignalPrediction(Base):
    """One signal: the model's decision, what the keeper did with it, and the realised outcome (the
    return of one vault share at oracle prices until the next signal), filled in by the next cycle."""

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


def database_url() -> str:
    url = os.environ.get(DB_URL_ENV)
    if url:
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


def open_store(url: str | None = None) -> Engine:
    """Creates the engine and any missing tables (idempotent)."""
    engine = create_engine(url or database_url(), future=True)
    Base.metadata.create_all(engine)
    return engine


def _insert(engine: Engine):
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def insert_governance_events(engine: Engine, rows: list[dict]) -> int:
    """Inserts rows, ignoring ones already stored; returns how many were new."""
    if not rows:
        return 0
    stmt = _insert(engine)(GovernanceEvent).values(rows).on_conflict_do_nothing(
        index_elements=["chain_id", "tx_hash", "log_index"]
    ).returning(GovernanceEvent.id)
    # RETURNING counts inserted rows on every backend (rowcount is unreliable for multi-row inserts).
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def governance_events(engine: Engine, chain_id: int, names: tuple[str, ...] | None = None) -> list[GovernanceEvent]:
    """Stored events of a chain in log order, optionally only those named."""
    with Session(engine) as session:
        query = select(GovernanceEvent).where(GovernanceEvent.chain_id == chain_id)
        if names:
            query = query.where(GovernanceEvent.event.in_(names))
        return list(session.scalars(query.order_by(GovernanceEvent.block_number, GovernanceEvent.log_index)))


def get_cursor(engine: Engine, keeper: str, chain_id: int) -> int | None:
    with Session(engine) as session:
        row = session.get(KeeperCursor, (keeper, chain_id))
        return None if row is None else row.last_block


def advance_cursor(engine: Engine, keeper: str, chain_id: int, block: int) -> None:
    """Moves the cursor forward only (a late, older block never rewinds it)."""
    with Session(engine) as session, session.begin():
        row = session.get(KeeperCursor, (keeper, chain_id))
        if row is None:
            session.add(KeeperCursor(keeper=keeper, chain_id=chain_id, last_block=block))
        elif block > row.last_block:
            row.last_block = block


def add_known_wallets(engine: Engine, chain_id: int, wallets: dict[str, tuple[int, str]]) -> list[str]:
    """Stores wallets not seen before (wallet -> (block, source)); returns the new ones."""
    if not wallets:
        return []
    with Session(engine) as session, session.begin():
        existing = set(session.scalars(select(KnownWallet.wallet).where(
            KnownWallet.chain_id == chain_id, KnownWallet.wallet.in_(list(wallets)))))
        new = [w for w in wallets if w not in existing]
        session.add_all(KnownWallet(chain_id=chain_id, wallet=w, first_seen_block=wallets[w][0], source=wallets[w][1])
                        for w in new)
    return new


def known_wallets(engine: Engine, chain_id: int) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(KnownWallet.wallet).where(KnownWallet.chain_id == chain_id)))


def record_decision(engine: Engine, row: dict) -> bool:
    """Inserts a decision unless one exists for (chain, wallet, entry); returns whether it was new."""
    stmt = _insert(engine)(ScreeningDecision).values(row).on_conflict_do_nothing(
        index_elements=["chain_id", "wallet", "ent_num"]).returning(ScreeningDecision.id)
    with engine.begin() as conn:
        return len(conn.execute(stmt).all()) > 0


def decisions(engine: Engine, chain_id: int, status: str | None = None) -> list[ScreeningDecision]:
    with Session(engine) as session:
        query = select(ScreeningDecision).where(ScreeningDecision.chain_id == chain_id)
        if status:
            query = query.where(ScreeningDecision.status == status)
        return list(session.scalars(query.order_by(ScreeningDecision.id)))


def complete_decision(engine: Engine, decision_id: int, action: str, tx_hash: str | None) -> None:
    with Session(engine) as session, session.begin():
        row = session.get(ScreeningDecision, decision_id)
        row.status, row.action, row.tx_hash = "done", action, tx_hash


def add_price_observations(engine: Engine, rows: list[dict]) -> int:
    """Stores feed rounds not seen before; returns how many were new."""
    if not rows:
        return 0
    stmt = _insert(engine)(PriceObservation).values(rows).on_conflict_do_nothing(
        index_elements=["chain_id", "feed", "round_id"]).returning(PriceObservation.round_id)
    with engine.begin() as conn:
        return len(conn.execute(stmt).all())


def price_observations(engine: Engine, chain_id: int, feed: str) -> list[PriceObservation]:
    with Session(engine) as session:
        return list(session.scalars(select(PriceObservation).where(
            PriceObservation.chain_id == chain_id, PriceObservation.feed == feed).order_by(PriceObservation.round_id)))


def record_publication(engine: Engine, row: dict) -> bool:
    """Stores a pending publication. An unconfirmed row with the same (chain, portfolio, update id)
    (an earlier attempt that never landed) is replaced; a confirmed one never is. Returns whether
    the row was written."""
    with Session(engine) as session, session.begin():
        existing = session.scalars(select(RiskPublication).where(
            RiskPublication.chain_id == row["chain_id"], RiskPublication.portfolio == row["portfolio"],
            RiskPublication.update_id == row["update_id"])).one_or_none()
        if existing is None:
            session.add(RiskPublication(**row))
            return True
        if existing.status == "confirmed":
            return False
        for key, value in row.items():
            setattr(existing, key, value)
        return True


def publications(engine: Engine, chain_id: int, portfolio: str, status: str | None = None) -> list[RiskPublication]:
    with Session(engine) as session:
        query = select(RiskPublication).where(RiskPublication.chain_id == chain_id,
                                              RiskPublication.portfolio == portfolio)
        if status:
            query = query.where(RiskPublication.status == status)
        return list(session.scalars(query.order_by(RiskPublication.update_id)))


def set_publication_status(engine: Engine, chain_id: int, portfolio: str, update_id: int, status: str,
                           tx_hash: str | None = None, note: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(select(RiskPublication).where(
            RiskPublication.chain_id == chain_id, RiskPublication.portfolio == portfolio,
            RiskPublication.update_id == update_id)).one()
        row.status = status
        if tx_hash is not None:
            row.tx_hash = tx_hash
        if note is not None:
            row.note = note


def live_intent(engine: Engine, chain_id: int, portfolio: str, nonce: int, now: int) -> SignalIntent | None:
    """The intent signed for this nonce that can still execute (signed, not past its deadline)."""
    with Session(engine) as session:
        return session.scalars(select(SignalIntent).where(
            SignalIntent.chain_id == chain_id, SignalIntent.portfolio == portfolio, SignalIntent.nonce == nonce,
            SignalIntent.status == "signed", SignalIntent.deadline >= now)).one_or_none()


def record_intent(engine: Engine, row: dict) -> None:
    """Stores a signed intent. Refuses a second live one for the same nonce (the restart guard)."""
    with Session(engine) as session, session.begin():
        live = session.scalars(select(SignalIntent).where(
            SignalIntent.chain_id == row["chain_id"], SignalIntent.portfolio == row["portfolio"],
            SignalIntent.nonce == row["nonce"], SignalIntent.status == "signed",
            SignalIntent.deadline >= row["created_at"])).first()
        if live is not None:
            raise ValueError(f"a live intent for nonce {row['nonce']} exists ({live.digest})")
        session.add(SignalIntent(**row))


def set_intent_status(engine: Engine, digest: str, status: str, tx_hash: str | None = None,
                      loss_usd: float | None = None, note: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        row = session.scalars(select(SignalIntent).where(SignalIntent.digest == digest)).one()
        row.status = status
        row.tx_hash = tx_hash if tx_hash is not None else row.tx_hash
        row.loss_usd = loss_usd if loss_usd is not None else row.loss_usd
        row.note = note if note is not None else row.note


def intents(engine: Engine, chain_id: int, portfolio: str) -> list[SignalIntent]:
    with Session(engine) as session:
        return list(session.scalars(select(SignalIntent).where(
            SignalIntent.chain_id == chain_id, SignalIntent.portfolio == portfolio).order_by(SignalIntent.id)))


def record_prediction(engine: Engine, row: dict) -> None:
    """Stores a signal and fills the realised return of the ones before it that still lack one."""
    with Session(engine) as session, session.begin():
        open_rows = session.scalars(select(SignalPrediction).where(
            SignalPrediction.chain_id == row["chain_id"], SignalPrediction.portfolio == row["portfolio"],
            SignalPrediction.realised_return.is_(None)))
        for previous in open_rows:
            if previous.share_price > 0:
                previous.realised_return = row["share_price"] / previous.share_price - 1
                previous.realised_at = row["computed_at"]
        session.add(SignalPrediction(**row))


def predictions(engine: Engine, chain_id: int, portfolio: str) -> list[SignalPrediction]:
    with Session(engine) as session:
        return list(session.scalars(select(SignalPrediction).where(
            SignalPrediction.chain_id == chain_id, SignalPrediction.portfolio == portfolio).order_by(SignalPrediction.id)))
