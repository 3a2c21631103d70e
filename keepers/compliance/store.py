"""The compliance domain's tables in the keeper store: the wallets the screening keeper has seen
and its sanctions decisions (`keepers.compliance.bot`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import Base, added_columns, forget_after, insert_new, select_rows


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


added_columns("screening_decisions", "enforced_block")


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
    return forget_after(engine, KnownWallet, "first_seen_block", block, {"chain_id": chain_id})


def known_wallets(engine: Engine, chain_id: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(select(KnownWallet.wallet).where(KnownWallet.chain_id == chain_id))
        )


def record_decision(engine: Engine, row: dict) -> bool:
    """Inserts a decision unless one exists for (chain, wallet, entry); returns whether it was
    new."""
    return insert_new(engine, ScreeningDecision, [row], ("chain_id", "wallet", "ent_num")) > 0


def decisions(engine: Engine, chain_id: int, status: str | None = None) -> list[ScreeningDecision]:
    return select_rows(engine, ScreeningDecision, {"chain_id": chain_id, "status": status})


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
