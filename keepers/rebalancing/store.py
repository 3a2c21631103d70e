"""The rebalancing domain's tables in the keeper store: the intents the signal keeper signed and
the signals it predicted (`keepers.rebalancing.keeper`), the asset manager's model portfolios and
their clients (`models`), and the bulk rebalance runs (`bulk`)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from keepers.core.store import Base, select_rows


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
    return select_rows(engine, SignalIntent, {"chain_id": chain_id, "portfolio": portfolio})


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
    return select_rows(engine, ModelPortfolio, {"chain_id": chain_id}, ("name",))


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
    where = {"chain_id": chain_id, "model": model}
    return select_rows(engine, ModelAssignment, where, ("portfolio",))


def record_bulk_outcomes(engine: Engine, rows: list[dict]) -> None:
    if rows:
        with Session(engine) as session, session.begin():
            session.add_all(BulkOutcome(**row) for row in rows)


def bulk_outcomes(engine: Engine, chain_id: int, run_id: str | None = None) -> list[BulkOutcome]:
    return select_rows(engine, BulkOutcome, {"chain_id": chain_id, "run_id": run_id})


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
    return select_rows(engine, SignalPrediction, {"chain_id": chain_id, "portfolio": portfolio})
