"""The keeper store on PostgreSQL: the same idempotence guarantees as on SQLite (FND-8, CMP-11)."""

import pytest

from keepers.access import store as access_store
from keepers.compliance import store as compliance_store
from keepers.core import store
from keepers.risk import store as risk_store
from postgres import available, postgres_server
from test_store import row

pytestmark = pytest.mark.skipif(available() is not None, reason=available() or "")


@pytest.fixture(scope="module")
def pg_engine():
    with postgres_server() as url:
        engine = store.open_store(url)
        yield engine
        engine.dispose()


def test_postgres__logs_decisions_and_cursor__idempotent_like_sqlite(pg_engine):
    assert pg_engine.dialect.name == "postgresql"
    rows = [row(5, 0), row(5, 1)]
    assert access_store.insert_governance_events(pg_engine, rows) == 2
    assert access_store.insert_governance_events(pg_engine, rows) == 0
    store.advance_cursor(pg_engine, "governance", 1337, 9)
    store.advance_cursor(pg_engine, "governance", 1337, 3)
    assert store.get_cursor(pg_engine, "governance", 1337) == 9
    decision = {
        "chain_id": 1337,
        "wallet": "0x" + "ab" * 20,
        "ent_num": 1,
        "entry_name": "x",
        "program": "p",
        "list_source": "s",
        "list_version": "v",
        "decided_at": 1,
        "block_number": 1,
        "action": "freeze",
        "status": "pending",
        "tx_hash": None,
    }
    assert compliance_store.record_decision(pg_engine, decision) is True
    assert compliance_store.record_decision(pg_engine, decision) is False
    assert compliance_store.add_known_wallets(
        pg_engine, 1337, {"0x" + "ab" * 20: (1, "registry")}
    ) == ["0x" + "ab" * 20]
    assert (
        compliance_store.add_known_wallets(pg_engine, 1337, {"0x" + "ab" * 20: (2, "transfer")})
        == []
    )


def publication_row(update_id: int, status: str = "pending") -> dict:
    return {
        "chain_id": 1337,
        "portfolio": "0x" + "cd" * 20,
        "update_id": update_id,
        "as_of": 100 + update_id,
        "computed_at": 200,
        "status": status,
        "tx_hash": None,
        "metrics": {"var99_bps": 150},
        "inputs": {"vols_ppm": [1, 2]},
        "clamped": {},
        "note": None,
    }


def test_postgres__price_rounds_and_risk_publications__idempotent_like_sqlite(pg_engine):
    rounds = [
        {
            "chain_id": 1337,
            "feed": "0x" + "ef" * 20,
            "round_id": r,
            "answer": str(10**8 + r),
            "updated_at": r,
        }
        for r in (1, 2)
    ]
    assert risk_store.add_price_observations(pg_engine, rounds) == 2
    assert risk_store.add_price_observations(pg_engine, rounds) == 0
    assert [
        o.round_id for o in risk_store.price_observations(pg_engine, 1337, "0x" + "ef" * 20)
    ] == [
        1,
        2,
    ]
    assert risk_store.record_publication(pg_engine, publication_row(1)) is True
    risk_store.set_publication_status(
        pg_engine, 1337, "0x" + "cd" * 20, 1, "confirmed", tx_hash="0x01"
    )
    # a confirmed id is never rewritten
    assert risk_store.record_publication(pg_engine, publication_row(1)) is False
    assert [
        (p.update_id, p.status) for p in risk_store.publications(pg_engine, 1337, "0x" + "cd" * 20)
    ] == [(1, "confirmed")]


def test_postgres__keeper_lock__advisory_lock_exclusive_per_keeper_and_released_after_the_cycle(
    pg_engine,
):
    other = store.open_store(pg_engine.url.render_as_string(hide_password=False))
    try:
        with store.keeper_lock(pg_engine, "screening") as first:
            with (
                store.keeper_lock(other, "screening") as second,
                store.keeper_lock(other, "risk") as third,
            ):
                assert first and not second and third
        with store.keeper_lock(other, "screening") as again:
            assert again
    finally:
        other.dispose()
