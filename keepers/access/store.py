"""The access domain's tables in the keeper store: the AccessManager logs the governance keeper
watched (`keepers.access.bot`)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import Base, forget_after, insert_new


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


def insert_governance_events(engine: Engine, rows: list[dict]) -> int:
    """Inserts rows, ignoring ones already stored; returns how many were new."""
    return insert_new(engine, GovernanceEvent, rows, ("chain_id", "tx_hash", "log_index"))


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


def forget_governance_events_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes the stored events of blocks above `block` (orphaned by a reorganisation)."""
    return forget_after(engine, GovernanceEvent, "block_number", block, {"chain_id": chain_id})
