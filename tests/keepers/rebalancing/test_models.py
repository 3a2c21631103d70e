"""RBL-20: the asset manager's model book in the keeper store (SQLite, and PostgreSQL when a server
can be started) and the vectorised drift maths, without a chain."""

import numpy as np
import pytest

from keepers.core import store
from keepers.core.errors import QuanteraError
from keepers.rebalancing.models import (
    Positions,
    assign_model,
    assignments,
    client_drifts,
    clients_of,
    define_model,
    drift_bps,
    get_model,
    list_models,
)
from postgres import available, postgres_server

CHAIN = 1337
USDC, QTF, QSPX = ("0x" + f"{i:02x}" * 20 for i in (0xA1, 0xA2, 0xA3))
CLIENTS = ["0x" + f"{i:02x}" * 20 for i in (0xC1, 0xC2, 0xC3)]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        yield store.open_store(f"sqlite:///{tmp_path / 'book.sqlite'}")
        return
    if available() is not None:
        pytest.skip(available())
    with postgres_server() as url:
        engine = store.open_store(url)
        yield engine
        engine.dispose()


def test_rbl_20__model_book__defined_versioned_assigned_and_listed(db):
    first = define_model(db, CHAIN, "balanced", {USDC: 5_000, QTF: 5_000}, 10)
    assert first.version == 1
    again = define_model(db, CHAIN, "balanced", {USDC: 2_000, QTF: 3_000, QSPX: 5_000}, 20)
    assert again.version == 2 and sum(again.weights_bps.values()) == 10_000
    define_model(db, CHAIN, "cash", {USDC: 10_000}, 30)
    define_model(db, CHAIN + 1, "elsewhere", {USDC: 10_000}, 30)
    assert [(m.name, m.version) for m in list_models(db, CHAIN)] == [("balanced", 2), ("cash", 1)]
    assert get_model(db, CHAIN, "balanced").weights_bps == again.weights_bps

    assert assign_model(db, CHAIN, "balanced", CLIENTS, 40) == 3
    assert assign_model(db, CHAIN, "balanced", CLIENTS, 41) == 0  # already following it
    assert assign_model(db, CHAIN, "cash", CLIENTS[2:], 42) == 1  # one model per client
    assert [c.lower() for c in clients_of(db, CHAIN, "balanced")] == CLIENTS[:2]
    assert {c.lower(): m for c, m in assignments(db, CHAIN).items()} == {
        CLIENTS[0]: "balanced",
        CLIENTS[1]: "balanced",
        CLIENTS[2]: "cash",
    }


@pytest.mark.parametrize(
    "weights, message",
    [
        ({USDC: 5_000}, "sum to 5000 bps"),
        ({USDC: 12_000, QTF: -2_000}, "each weight is 0 to 10000"),
        ({"0x12": 10_000}, "not an address"),
        ({}, "each weight is 0 to 10000"),
    ],
)
def test_rbl_20__define_model__bad_weights__refused_with_the_reason(db, weights, message):
    with pytest.raises(QuanteraError, match=message):
        define_model(db, CHAIN, "bad", weights, 1)
    with pytest.raises(QuanteraError, match="no model portfolio named 'bad'"):
        get_model(db, CHAIN, "bad")
    with pytest.raises(QuanteraError, match="no model portfolio named 'bad'"):
        assign_model(db, CHAIN, "bad", CLIENTS, 1)


def test_rbl_20__drift__vectorised_equals_per_client_loop():
    rng = np.random.default_rng(20)
    values = rng.uniform(0, 1e6, size=(50, 5))
    values[7] = 0  # an empty portfolio: no drift
    targets = np.tile([2_500, 2_500, 2_500, 1_500, 1_000], (50, 1))
    got = drift_bps(values, targets)
    for i in range(50):
        nav = values[i].sum()
        expected = (
            max(abs(v / nav * 10_000 - t) for v, t in zip(values[i], targets[i])) if nav else 0.0
        )
        assert got[i] == pytest.approx(expected, abs=1e-9)
    assert got[7] == 0.0


def test_rbl_20__client_drifts__asset_order_units_and_a_model_that_does_not_fit(db):
    model = define_model(db, CHAIN, "m", {USDC: 5_000, QSPX: 5_000}, 1)
    positions = Positions(
        CLIENTS,
        [[USDC, QSPX], [USDC, QTF, QSPX], [USDC, QTF]],
        np.array(
            [[1_000 * 10**6, 10 * 10**18, 0], [500 * 10**6, 0, 15 * 10**18], [1, 1, 0]],
            dtype=object,
        ),
    )
    prices = {USDC: (10**18, 10**6), QTF: (100 * 10**18, 10**18), QSPX: (100 * 10**18, 10**18)}
    with pytest.raises(QuanteraError, match="weights assets the portfolio lacks"):
        client_drifts(positions, prices, get_model(db, CHAIN, "m"))
    drifts = client_drifts(positions, prices, model, strict=False)
    # 1,000 USD cash and 1,000 USD QSPX: on target; 500 cash and 1,500 QSPX: 25 % off.
    assert drifts[0] == pytest.approx(0.0) and drifts[1] == pytest.approx(2_500.0)
    assert np.isnan(drifts[2])
