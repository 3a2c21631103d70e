"""RSK-10: the risk keeper's publication step against the deployed engine: bounded (RSK-17: by the
time since the last model under a window), recorded, idempotent across restarts, and never
publishing stale data as fresh."""

import numpy as np
import pandas as pd
import pytest

from keepers.core import store
from keepers.risk import publication
from keepers.risk import store as risk_store
from keepers.vault import Portfolio, PortfolioAsset
from risk_fixtures import ASSETS, LIMITS, asset_risk, limits_tuple

CLASSES = {0: "cash_stablecoin", 1: "tbill", 3: "ig_credit", 5: "equity"}


@pytest.fixture
def portfolio():
    assets = [
        PortfolioAsset(
            sym, sym, CLASSES[cls], liquid, cap, "sp500" if sym == "QSPX" else "constant", None
        )
        for sym, _, cls, liquid, cap, _ in ASSETS
    ]
    return Portfolio("test", "T", assets, LIMITS)


@pytest.fixture
def prices():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2007-01-01", periods=400)
    vols = [0.0001, 0.0002, 0.006, 0.015]
    data = {
        sym: start * np.cumprod(1 + rng.normal(0, vol, len(days)))
        for (sym, *_, start), vol in zip(ASSETS, vols)
    }
    return pd.DataFrame(data, index=days)


@pytest.fixture
def db(tmp_path):
    return store.open_store(f"sqlite:///{tmp_path / 'keeper.sqlite'}")


def test_publish__due_update__bounded_recorded_confirmed_and_not_repeated(
    risk_stack, risk_keeper, portfolio, prices, db, chain
):
    engine, vault, router = risk_stack.engine, risk_stack.vault, risk_stack.router
    chain.pending_timestamp += 700  # past minUpdateDelay since the fixture's update 1
    chain.mine()
    now = chain.pending_timestamp
    before_vols = list(risk_stack.lens.modelInputsOf(engine, vault)[0])
    result = publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        now - 5,
        now,
        risk_keeper,
        lens=risk_stack.lens,
    )
    assert result.get("published"), result
    assert result["update_id"] == 2
    assert engine.metricsOf(vault)[1] == 2
    vols = list(risk_stack.lens.modelInputsOf(engine, vault)[0])
    # The estimate moved each vol by at most the engine's 50% bound (times the keeper's 0.99
    # margin).
    for old, new in zip(before_vols, vols):
        assert abs(new - old) <= old * 0.5
    rows = risk_store.publications(db, chain.chain_id, vault.address)
    assert [(r.update_id, r.status) for r in rows] == [(2, "confirmed")] and rows[0].tx_hash
    # Same data again: nothing new to publish, nothing sent.
    again = publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        now - 5,
        chain.pending_timestamp + 1_000,
        risk_keeper,
        lens=risk_stack.lens,
    )
    assert again == {"published": False, "reason": "no new prices"}
    assert engine.metricsOf(vault)[1] == 2


def test_publish__window__decreases_held_to_the_time_share__engine_accepts(
    risk_stack, risk_keeper, governor, portfolio, prices, db, chain
):
    """RSK-17 (keeper side, on chain): under a 24 h window the keeper reads the window (through the
    lens) and the time since the engine's last model; 700 s after it, every falling input moves by
    at most 700 / 86,400 of its bound (the cash vol from 500 ppm towards ~100: 2 ppm), and the
    engine accepts the update."""
    engine, vault, router, lens = (
        risk_stack.engine,
        risk_stack.vault,
        risk_stack.router,
        risk_stack.lens,
    )
    engine.configure(vault, asset_risk(), limits_tuple(boundWindowHours=24), sender=governor)
    published_at = engine.metricsOf(vault)[3]
    chain.pending_timestamp += 700
    chain.mine()
    now = chain.pending_timestamp
    before_vols, before_rho, before_es, _ = lens.modelInputsOf(engine, vault)
    result = publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        now - 5,
        now,
        risk_keeper,
        lens=lens,
    )
    assert result.get("published"), result
    vols, rho, es, _ = lens.modelInputsOf(engine, vault)
    elapsed = now - published_at
    for old, new in [*zip(before_vols, vols), (before_es, es)]:
        assert (
            new >= old or (old - new) * 10_000 * 86_400 <= old * LIMITS["maxVolChangeBps"] * elapsed
        )
    for old, new in zip(before_rho, rho):
        assert new >= old or (old - new) * 86_400 <= LIMITS["maxCorrelationChange"] * elapsed
    assert 497 <= vols[0] < 500  # held back: the estimate is about 100 ppm
    [row] = risk_store.publications(db, chain.chain_id, vault.address)
    assert row.clamped["vol[0]"][1] == vols[0]


def test_publish__restart_after_send_before_record__confirms_instead_of_resending(
    risk_stack, risk_keeper, portfolio, prices, db, chain
):
    engine, vault, router = risk_stack.engine, risk_stack.vault, risk_stack.router
    chain.pending_timestamp += 700
    chain.mine()
    now = chain.pending_timestamp
    publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        now - 5,
        now,
        risk_keeper,
        lens=risk_stack.lens,
    )
    # A crash left update 2 pending in the store although it landed on chain.
    risk_store.set_publication_status(db, chain.chain_id, vault.address, 2, "pending")
    chain.pending_timestamp += 700
    chain.mine()
    later = chain.pending_timestamp
    result = publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        later - 5,
        later,
        risk_keeper,
        lens=risk_stack.lens,
    )
    statuses = {
        r.update_id: r.status for r in risk_store.publications(db, chain.chain_id, vault.address)
    }
    assert (
        statuses[2] == "confirmed" and result["update_id"] == 3 and engine.metricsOf(vault)[1] == 3
    )


def test_publish__prices_older_than_max_model_age__not_published_as_fresh(
    risk_stack, risk_keeper, portfolio, prices, db, chain
):
    engine, vault, router = risk_stack.engine, risk_stack.vault, risk_stack.router
    chain.pending_timestamp += 3 * 86_400
    chain.mine()
    now = chain.pending_timestamp
    stale_as_of = now - LIMITS["maxModelAge"] - 60
    result = publication.publish(
        db,
        chain.chain_id,
        engine,
        vault,
        router,
        portfolio,
        prices,
        stale_as_of,
        now,
        risk_keeper,
        lens=risk_stack.lens,
    )
    assert result["published"] is False and "older than maxModelAge" in result["reason"]
    assert engine.metricsOf(vault)[1] == 1


def test_with_retries__transport_failure_retried_revert_not():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("rpc down")
        return "ok"

    assert publication.with_retries(flaky, base_delay=0.0) == "ok" and len(calls) == 3
    with pytest.raises(ConnectionError):
        publication.with_retries(
            lambda: (_ for _ in ()).throw(ConnectionError("down")), attempts=2, base_delay=0.0
        )
