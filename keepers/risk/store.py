"""The risk domain's tables in the keeper store: the feed rounds the risk keeper observed and the
model updates it published (`keepers.risk.bot`, `keepers.risk.publication`)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import (
    Base,
    added_columns,
    forget_after,
    insert_new,
    record_attempt,
    select_rows,
    update_row,
)


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


added_columns("price_observations", "block_number")
added_columns("risk_publications", "block_number")


def add_price_observations(engine: Engine, rows: list[dict]) -> int:
    """Stores feed rounds not seen before; returns how many were new."""
    return insert_new(engine, PriceObservation, rows, ("chain_id", "feed", "round_id"))


def forget_price_observations_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes the rounds observed in blocks above `block` (orphaned by a reorganisation; the
    canonical chain may hold another answer under the same round id)."""
    return forget_after(engine, PriceObservation, "block_number", block, {"chain_id": chain_id})


def latest_observation_block(engine: Engine, chain_id: int) -> int | None:
    """The newest block in which an observed round was logged (None without one)."""
    with Session(engine) as session:
        return session.scalar(
            select(func.max(PriceObservation.block_number)).where(
                PriceObservation.chain_id == chain_id
            )
        )


def price_observations(engine: Engine, chain_id: int, feed: str) -> list[PriceObservation]:
    where = {"chain_id": chain_id, "feed": feed}
    return select_rows(engine, PriceObservation, where, ("round_id",))


def record_publication(engine: Engine, row: dict) -> bool:
    """Stores a pending publication. An unconfirmed row with the same (chain, portfolio, update id)
    (an earlier attempt that never landed) is replaced; a confirmed one never is. Returns whether
    the row was written."""
    key = ("chain_id", "portfolio", "update_id")
    return record_attempt(engine, RiskPublication, key, row, lambda s: s != "confirmed")


def publications(
    engine: Engine, chain_id: int, portfolio: str, status: str | None = None
) -> list[RiskPublication]:
    where = {"chain_id": chain_id, "portfolio": portfolio, "status": status}
    return select_rows(engine, RiskPublication, where, ("update_id",))


def set_publication_status(
    engine: Engine,
    chain_id: int,
    portfolio: str,
    update_id: int,
    status: str,
    tx_hash: str | None = None,
    note: str | None = None,
) -> None:
    fields = {"status": status, "tx_hash": tx_hash, "note": note}
    key = {"chain_id": chain_id, "portfolio": portfolio, "update_id": update_id}
    update_row(engine, RiskPublication, key, {k: v for k, v in fields.items() if v is not None})
