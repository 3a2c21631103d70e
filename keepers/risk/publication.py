"""The risk keeper's chain side: observe feed rounds, build the history, and publish one bounded,
idempotent model update. Pure computation lives in `keepers.risk.cycle`."""

from __future__ import annotations

import os
from dataclasses import asdict

import numpy as np
import pandas as pd
from ape.exceptions import ContractLogicError

from keepers.core.faults import crash_point
from keepers.core.logs import fetch_logs
from keepers.core.retries import with_retries
from keepers.core.tokens import token_decimals
from keepers.risk import cycle
from keepers.risk import store as risk_store
from keepers.risk.stress import load_scenarios
from keepers.vault import LIMIT_FIELDS, Portfolio, history

HISTORY_END_ENV = "QUANTERA_RISK_HISTORY_END"
SAMPLING_ENV = (
    "QUANTERA_RISK_SAMPLING"  # "round": every feed round is one period (replays); "daily"
)
LOOKBACK_DAYS = 500


def bootstrap_history(portfolio: Portfolio) -> pd.DataFrame:
    """The history the keeper starts from: the portfolio's reference series up to
    $QUANTERA_RISK_HISTORY_END (default: all of it), last LOOKBACK_DAYS rows."""
    prices = history(portfolio)
    end = os.environ.get(HISTORY_END_ENV)
    if end:
        prices = prices.loc[:end]
    return prices.iloc[-LOOKBACK_DAYS:]


def observe(db, chain_id: int, feeds: dict[str, object], event_abi, start: int, stop: int) -> int:
    """Stores every AnswerUpdated round of the feeds in blocks [start, stop]; returns how many were
    new."""
    rows = []
    for feed in feeds.values():
        for log in fetch_logs(feed.address, [event_abi], start, stop):
            rows.append(
                {
                    "chain_id": chain_id,
                    "feed": feed.address,
                    "round_id": int(log.roundId),
                    "answer": str(int(log.current)),
                    "updated_at": int(log.updatedAt),
                    "block_number": int(log.block_number),
                }
            )
    return risk_store.add_price_observations(db, rows)


def observed_history(
    db, chain_id: int, feeds: dict[str, object], decimals: int, bootstrap: pd.DataFrame
) -> tuple[pd.DataFrame, int]:
    """Bootstrap history followed by the observed rounds (one period per round, or the last round
    of each UTC day with $QUANTERA_RISK_SAMPLING=daily); returns it and the newest round's time."""
    columns = {}
    latest = 0
    for symbol, feed in feeds.items():
        obs = risk_store.price_observations(db, chain_id, feed.address)
        if not obs:
            continue
        series = pd.Series(
            [int(o.answer) / 10**decimals for o in obs], index=[o.updated_at for o in obs]
        )
        latest = max(latest, int(series.index.max()))
        if os.environ.get(SAMPLING_ENV, "round") == "daily":
            series = series.groupby(series.index // 86_400).last()
        else:
            series = series.reset_index(drop=True)
        columns[symbol] = series
    if not columns:
        return bootstrap, latest
    observed = pd.DataFrame(columns).ffill().dropna()
    observed = observed[bootstrap.columns]
    last_day = bootstrap.index[-1]
    observed.index = pd.bdate_range(last_day + pd.offsets.BDay(1), periods=len(observed))
    combined = pd.concat([bootstrap, observed])
    return combined.iloc[-LOOKBACK_DAYS:], latest


def current_weights(vault, router, tokens: list[str]) -> np.ndarray:
    """NAV weights of the vault's holdings at oracle prices; all cash when it holds nothing
    priced."""
    held = vault.holdings()
    values = []
    for token, amount in zip(tokens, held):
        status, price18, _ = router.priceOf(token)
        decimals = token_decimals(token)
        values.append(amount * price18 / 10**decimals / 1e18 if price18 else 0.0)
    values = np.array(values, dtype=float)
    if values.sum() <= 0:
        return np.eye(len(tokens))[0]
    return values / values.sum()


def _published_in(risk, vault, update_id: int, since_block: int | None) -> str | None:
    """The transaction that published `update_id` for the vault, searched from `since_block` (the
    head when it was computed) to the head; None if the search has no start."""
    from ape import chain

    if since_block is None:
        return None
    for log in fetch_logs(
        risk.address, [risk.ModelPublished.abi], since_block, chain.blocks.head.number
    ):
        if log.portfolio == vault.address and int(log.updateId) == update_id:
            return (
                log.transaction_hash
                if isinstance(log.transaction_hash, str)
                else log.transaction_hash.hex()
            )
    return None


def reconcile(db, chain_id: int, risk, vault, update_id: int) -> None:
    """Brings the store's publications in line with the engine's update id: a pending one the
    engine holds (a crash after sending) is confirmed with its transaction; a confirmed one the
    engine no longer holds (its block orphaned by a reorganisation) is marked `reorged`, and its id
    is published again."""
    for row in risk_store.publications(db, chain_id, vault.address):
        if row.status == "pending" and row.update_id <= update_id:
            risk_store.set_publication_status(
                db,
                chain_id,
                vault.address,
                row.update_id,
                "confirmed",
                tx_hash=_published_in(risk, vault, row.update_id, row.block_number),
            )
        elif row.status == "confirmed" and row.update_id > update_id:
            risk_store.set_publication_status(
                db,
                chain_id,
                vault.address,
                row.update_id,
                "reorged",
                note=f"orphaned by a reorganisation ({row.tx_hash})",
            )


def publish(
    db,
    chain_id: int,
    risk,
    vault,
    router,
    portfolio: Portfolio,
    prices: pd.DataFrame,
    as_of: int,
    now: int,
    signer,
    seed: int = 0,
    head: int | None = None,
    *,
    lens,
) -> dict:
    """Publishes the next model update if one is due; records it before and after sending.
    Never sends data older than the engine's maxModelAge, nor an id the engine already holds.
    `head` (the block the keeper is at) lets a restart find a sent update's transaction; `lens` is
    the deployment's RiskLens, which reads the engine's limits and last published model inputs.
    `now` is the time of the block the keeper is at: the engine, in a later block, sees at least as
    much time since its last model, so the time-scaled bounds (RSK-17) it computes hold there."""
    metrics, update_id, on_chain_as_of, published_at = risk.metricsOf(vault)
    limits = dict(zip(LIMIT_FIELDS, lens.limitsOf(risk, vault)[0]))
    reconcile(db, chain_id, risk, vault, update_id)
    if as_of <= on_chain_as_of:
        return {"published": False, "reason": "no new prices"}
    if now - as_of > limits["maxModelAge"]:
        return {
            "published": False,
            "reason": "prices older than maxModelAge: not published as fresh",
        }
    if published_at and now < published_at + limits["minUpdateDelay"]:
        return {"published": False, "reason": "minUpdateDelay not elapsed"}
    tokens = list(vault.assets())
    weights = current_weights(vault, router, tokens)
    assets = [cycle.AssetSpec(a.symbol, a.asset_class, a.liquid) for a in portfolio.assets]
    result = cycle.compute(
        prices, weights, assets, load_scenarios(), benchmark=_benchmark(portfolio), seed=seed
    )
    vols, correlations, es, stress = lens.modelInputsOf(risk, vault)
    previous = None
    if on_chain_as_of:
        previous = cycle.ModelInputs(list(vols), list(correlations), int(es), list(stress))
    # The engine measures the window's share to its own block, at or after `now` (RSK-17).
    bounds = cycle.UpdateBounds(
        limits["maxVolChangeBps"],
        limits["maxCorrelationChange"],
        limits["maxStressChangeBps"],
        limits["boundWindowHours"],
        now - published_at,
    )
    result = cycle.bound(result, previous, bounds)
    next_id = update_id + 1
    row = {
        "chain_id": chain_id,
        "portfolio": vault.address,
        "update_id": next_id,
        "as_of": as_of,
        "computed_at": now,
        "status": "pending",
        "tx_hash": None,
        "metrics": result.metrics,
        "inputs": asdict(result.inputs),
        "clamped": {k: list(v) for k, v in result.clamped.items()},
        "note": None,
        "block_number": head,
    }
    if not risk_store.record_publication(db, row):
        return {"published": False, "reason": f"update {next_id} already confirmed"}
    crash_point("risk.after_record")
    update = (
        next_id,
        as_of,
        result.inputs.vols_ppm,
        result.inputs.correlations,
        result.inputs.es_multiplier_ppm,
        result.inputs.stress_bps,
        result.metrics_tuple(),
    )
    try:
        receipt = with_retries(lambda: risk.publishModel(vault, update, sender=signer))
    except ContractLogicError as err:
        risk_store.set_publication_status(
            db, chain_id, vault.address, next_id, "rejected", note=str(err)[:250]
        )
        return {"published": False, "reason": f"engine refused the update: {err}"}
    crash_point("risk.after_publish")
    txn_hash = receipt.txn_hash if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex()
    risk_store.set_publication_status(
        db, chain_id, vault.address, next_id, "confirmed", tx_hash=txn_hash
    )
    return {
        "published": True,
        "update_id": next_id,
        "as_of": as_of,
        "clamped": len(result.clamped),
        **{k: result.metrics[k] for k in ("var99_bps", "es_bps", "grade")},
    }


def _benchmark(portfolio: Portfolio) -> str | None:
    equities = [a.symbol for a in portfolio.assets if a.series == "sp500"]
    return equities[0] if equities else None
