"""The prime domain's tables in the keeper store: the margin accounts the margin keeper found and
the liquidations it decided (`keepers.prime.keeper`)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import Base, find_row, forget_after, insert_new, select_rows, update_row


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


LIQUIDATION_OPEN = ("pending", "sent")


def add_prime_accounts(engine: Engine, chain_id: int, broker: str, opened: dict[str, int]) -> int:
    """Stores accounts not known yet (account -> opening block); returns how many were new."""
    rows = [
        {"chain_id": chain_id, "broker": broker, "account": a, "opened_block": b}
        for a, b in opened.items()
    ]
    return insert_new(engine, PrimeAccount, rows)


def forget_prime_accounts_after(engine: Engine, chain_id: int, block: int) -> int:
    """Deletes accounts opened above `block` (orphaned by a reorganisation)."""
    return forget_after(engine, PrimeAccount, "opened_block", block, {"chain_id": chain_id})


def prime_accounts(engine: Engine, chain_id: int, broker: str) -> list[str]:
    where = {"chain_id": chain_id, "broker": broker}
    rows = select_rows(engine, PrimeAccount, where, ("opened_block", "account"))
    return [row.account for row in rows]


def record_prime_liquidation(engine: Engine, row: dict) -> bool:
    """Records a liquidation for (chain, broker, account, count) unless one is recorded that is
    not `failed`, `unsent` or `reorged` (replaced by the new attempt); returns whether it was."""
    key = {column: row[column] for column in ("chain_id", "broker", "account", "count")}
    with Session(engine) as session, session.begin():
        existing = find_row(session, PrimeLiquidation, key)
        if existing is not None:
            if existing.status not in ("failed", "unsent", "reorged"):
                return False
            session.delete(existing)
            session.flush()
        session.add(PrimeLiquidation(**row))
        return True


def update_prime_liquidation(
    engine: Engine, chain_id: int, broker: str, account: str, count: int, **fields
) -> None:
    key = {"chain_id": chain_id, "broker": broker, "account": account, "count": count}
    what = f"liquidation {count} of {account} on chain {chain_id}"
    update_row(engine, PrimeLiquidation, key, fields, what)


def prime_liquidations(
    engine: Engine, chain_id: int, broker: str, account: str | None = None
) -> list[PrimeLiquidation]:
    """A broker's recorded liquidations (an account's), by account and count."""
    where = {"chain_id": chain_id, "broker": broker, "account": account}
    return select_rows(engine, PrimeLiquidation, where, ("account", "count"))
