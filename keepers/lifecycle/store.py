"""The lifecycle domain's tables in the keeper store: the NAV agent's strikes and the fund flows
its NAV is computed from (`striking`, `keeper`), a bond's coupons (`servicing`), a money-market
token's income declarations (`declaring`) and the fee keeper's collections (`collecting`)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import (
    Base,
    find_one,
    forget_after,
    insert_new,
    record_attempt,
    select_rows,
    update_row,
)


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


# Rows in these states have nothing in flight: a new attempt replaces them.
REPLACEABLE = ("held", "failed", "unsent", "reorged")
# A vault's collection in these states may still land: no new one is recorded beside it.
COLLECTION_OPEN = ("pending", "sent")


# ------------------------------------------------------------------ the NAV agent: strikes, flows


def nav_strike(engine: Engine, chain_id: int, vault: str, period: int) -> NavStrike | None:
    return find_one(engine, NavStrike, {"chain_id": chain_id, "vault": vault, "period": period})


def record_nav_strike(engine: Engine, row: dict) -> bool:
    """Stores a strike attempt for (chain, vault, period). A `held`, `failed`, `unsent` or
    `reorged` row (nothing in flight) is replaced; a `pending`, `sent` or `confirmed` one never
    is. Returns whether the row was written."""
    key = ("chain_id", "vault", "period")
    return record_attempt(engine, NavStrike, key, row, REPLACEABLE.__contains__)


def update_nav_strike(engine: Engine, chain_id: int, vault: str, period: int, **fields) -> None:
    """Sets `fields` of the row of (chain, vault, period)."""
    key = {"chain_id": chain_id, "vault": vault, "period": period}
    update_row(engine, NavStrike, key, fields, f"strike of period {period} of {vault}")


def nav_strikes(
    engine: Engine, chain_id: int, vault: str | None = None, status: str | None = None
) -> list[NavStrike]:
    where = {"chain_id": chain_id, "vault": vault, "status": status}
    return select_rows(engine, NavStrike, where, ("vault", "period"))


def add_fund_flows(engine: Engine, rows: list[dict]) -> int:
    """Stores FundVault events not seen before; returns how many were new."""
    return insert_new(engine, FundFlow, rows, ("chain_id", "tx_hash", "log_index"))


def forget_fund_flows_after(engine: Engine, chain_id: int, vault: str, block: int) -> int:
    """Deletes a vault's events of blocks above `block` (orphaned by a reorganisation)."""
    where = {"chain_id": chain_id, "vault": vault}
    return forget_after(engine, FundFlow, "block_number", block, where)


def fund_flows(engine: Engine, chain_id: int, vault: str) -> list[FundFlow]:
    where = {"chain_id": chain_id, "vault": vault}
    return select_rows(engine, FundFlow, where, ("block_number", "log_index"))


def kept_funds(engine: Engine, chain_id: int, limit: int) -> list[str]:
    """The fund vaults the keepers handled on a chain (named by a strike, then by a fee
    collection), each once, in the order first recorded: at most `limit`."""
    funds: list[str] = []
    with Session(engine) as session:
        for table in (NavStrike, FeeCollection):
            query = (
                select(table.vault)
                .where(table.chain_id == chain_id)
                .group_by(table.vault)
                .order_by(func.min(table.id))
            )
            funds += [vault for vault in session.scalars(query) if vault not in funds]
    return funds[:limit]


# ------------------------------------------------------------------ coupons


def record_coupons(engine: Engine, rows: list[dict]) -> int:
    """Stores coupons not recorded yet; returns how many were new."""
    return insert_new(engine, CouponRecord, rows, ("chain_id", "instrument_id", "number"))


def update_coupon_record(
    engine: Engine, chain_id: int, instrument_id: int, number: int, **fields
) -> None:
    """Sets `fields` on a stored coupon (`status`: "due" when its record date came, "recorded"
    once the keeper recorded it on the note's BondServicer)."""
    key = {"chain_id": chain_id, "instrument_id": instrument_id, "number": number}
    update_row(
        engine,
        CouponRecord,
        key,
        fields,
        f"coupon {number} of instrument {instrument_id} on {chain_id}",
    )


def coupon_records(
    engine: Engine, chain_id: int, instrument_id: int | None = None
) -> list[CouponRecord]:
    where = {"chain_id": chain_id, "instrument_id": instrument_id}
    return select_rows(engine, CouponRecord, where, ("instrument_id", "number"))


# ------------------------------------------------------------------ income declarations


def income_declaration(
    engine: Engine, chain_id: int, token: str, number: int
) -> IncomeDeclaration | None:
    key = {"chain_id": chain_id, "token": token, "number": number}
    return find_one(engine, IncomeDeclaration, key)


def record_income_declaration(engine: Engine, row: dict) -> bool:
    """Stores declaration attempt (chain, token, number): a `held`, `failed`, `unsent` or
    `reorged` row is replaced, a `pending`, `sent` or `confirmed` one never is. Returns whether
    the row was written."""
    key = ("chain_id", "token", "number")
    return record_attempt(engine, IncomeDeclaration, key, row, REPLACEABLE.__contains__)


def update_income_declaration(
    engine: Engine, chain_id: int, token: str, number: int, **fields
) -> None:
    key = {"chain_id": chain_id, "token": token, "number": number}
    what = f"declaration {number} of {token} on chain {chain_id}"
    update_row(engine, IncomeDeclaration, key, fields, what)


def income_declarations(
    engine: Engine, chain_id: int, token: str | None = None, status: str | None = None
) -> list[IncomeDeclaration]:
    where = {"chain_id": chain_id, "token": token, "status": status}
    return select_rows(engine, IncomeDeclaration, where, ("token", "number"))


# ------------------------------------------------------------------ fee collections


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
    key = {"chain_id": chain_id, "vault": vault, "number": number}
    what = f"fee collection {number} of {vault} on chain {chain_id}"
    update_row(engine, FeeCollection, key, fields, what)


def fee_collections(
    engine: Engine, chain_id: int, vault: str | None = None, status: str | None = None
) -> list[FeeCollection]:
    """A chain's collections (a vault's, in one status), by vault and number."""
    where = {"chain_id": chain_id, "vault": vault, "status": status}
    return select_rows(engine, FeeCollection, where, ("vault", "number"))
