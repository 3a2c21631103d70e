"""FND-8: the keeper store never repeats or loses a log, and its cursor only moves forward."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepers.access import store as access_store
from keepers.access.operations import event_row
from keepers.core import store
from keepers.rebalancing import store as rebalancing_store
from keepers.risk import store as risk_store


def row(block: int, log_index: int, event: str = "RoleGranted") -> dict:
    return event_row(
        1337,
        event=event,
        block_number=block,
        block_timestamp=1_700_000_000 + block,
        tx_hash=f"0x{block:064x}",
        log_index=log_index,
        contract="0x" + "11" * 20,
        args={"roleId": 3, "account": "0x" + "22" * 20, "delay": 0, "since": 5, "newMember": True},
    )


def test_insert__same_logs_twice__stored_once(engine):
    rows = [row(5, 0), row(5, 1), row(6, 0)]
    assert access_store.insert_governance_events(engine, rows) == 3
    assert access_store.insert_governance_events(engine, rows) == 0
    stored = access_store.governance_events(engine, 1337)
    assert [(e.block_number, e.log_index) for e in stored] == [(5, 0), (5, 1), (6, 0)]
    assert stored[0].args["roleId"] == 3
    assert access_store.governance_events(engine, 1337, ("OperationScheduled",)) == []


def test_insert__other_chain__kept_apart(engine):
    access_store.insert_governance_events(engine, [row(5, 0)])
    other = dict(row(5, 0), chain_id=1)
    assert access_store.insert_governance_events(engine, [other]) == 1
    assert len(access_store.governance_events(engine, 1)) == 1


def test_reopen__existing_database__keeps_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    access_store.insert_governance_events(store.open_store(url), [row(1, 0)])
    store.advance_cursor(store.open_store(url), "governance", 1337, 9)
    reopened = store.open_store(url)
    assert len(access_store.governance_events(reopened, 1337)) == 1
    assert store.get_cursor(reopened, "governance", 1337) == 9


@settings(max_examples=50, deadline=None)
@given(blocks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=30))
def test_cursor__any_order_of_updates__is_the_maximum_seen(tmp_path_factory, blocks):
    engine = store.open_store(f"sqlite:///{tmp_path_factory.mktemp('c') / 'k.sqlite'}")
    for block in blocks:
        store.advance_cursor(engine, "governance", 1337, block)
    assert store.get_cursor(engine, "governance", 1337) == max(blocks)
    assert store.get_cursor(engine, "other", 1337) is None


def test_publications__pending_rewritten_confirmed_kept(engine):
    from test_store_postgres import publication_row

    assert risk_store.record_publication(engine, publication_row(1)) is True
    replaced = dict(publication_row(1), metrics={"var99_bps": 170})
    assert (
        risk_store.record_publication(engine, replaced) is True
    )  # an unconfirmed attempt is replaced
    risk_store.set_publication_status(
        engine, 1337, "0x" + "cd" * 20, 1, "confirmed", tx_hash="0x01"
    )
    assert risk_store.record_publication(engine, publication_row(1)) is False
    (row_1,) = risk_store.publications(engine, 1337, "0x" + "cd" * 20)
    assert (row_1.status, row_1.metrics, row_1.tx_hash) == ("confirmed", {"var99_bps": 170}, "0x01")


# KPR-3, KPR-5: reorganisation checkpoints, the keeper lock, old stores upgraded in place.


def test_checkpoints__rewind_after_reorg__cursor_back_to_ancestor_and_orphaned_rows_forgotten(
    engine,
):
    for block in (10, 11, 12):
        store.advance_cursor(engine, "governance", 1337, block, f"0x{block:064x}")
    access_store.insert_governance_events(engine, [row(10, 0), row(12, 0)])
    assert store.checkpoints(engine, "governance", 1337)[0] == (12, f"0x{12:064x}")
    store.rewind_cursor(engine, "governance", 1337, 10)
    assert access_store.forget_governance_events_after(engine, 1337, 10) == 1
    assert store.get_cursor(engine, "governance", 1337) == 10
    assert [n for n, _ in store.checkpoints(engine, "governance", 1337)] == [10]
    assert [e.block_number for e in access_store.governance_events(engine, 1337)] == [10]
    store.advance_cursor(engine, "governance", 1337, 11, "0x" + "ab" * 32)  # the new branch
    assert store.checkpoints(engine, "governance", 1337)[0] == (11, "0x" + "ab" * 32)


def test_checkpoints__window__only_the_last_reorg_window_kept(engine):
    for block in range(1, store.REORG_WINDOW + 40):
        store.advance_cursor(engine, "risk", 1337, block, f"0x{block:064x}")
    kept = store.checkpoints(engine, "risk", 1337)
    assert len(kept) == store.REORG_WINDOW and kept[0][0] == store.REORG_WINDOW + 39


def test_keeper_lock__sqlite_file__exclusive_and_released_when_the_holder_is_killed(tmp_path):
    import signal
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    engine = store.open_store(url)
    with store.keeper_lock(engine, "screening") as first:
        with (
            store.keeper_lock(engine, "screening") as second,
            store.keeper_lock(engine, "risk") as other,
        ):
            assert first and not second and other
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from keepers.core import store\n"
                f"e = store.open_store({url!r})\n"
                "with store.keeper_lock(e, 'screening') as mine:\n"
                "    print(mine, flush=True); time.sleep(86_400)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "True"
        with store.keeper_lock(engine, "screening") as taken:
            assert not taken
        holder.send_signal(signal.SIGKILL)  # kill -9: the holder never releases it itself
        holder.wait(timeout=600)
        with store.keeper_lock(engine, "screening") as taken:
            assert taken
    finally:
        holder.kill()
        holder.wait(timeout=600)


def test_open_store__store_from_before_the_reorg_columns__upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE price_observations (chain_id BIGINT, feed VARCHAR(42), round_id BIGINT, "
            "answer VARCHAR(80), updated_at BIGINT, PRIMARY KEY (chain_id, feed, round_id))"
        )
        conn.execute("INSERT INTO price_observations VALUES (1337, '0xfeed', 1, '100', 5)")
    engine = store.open_store(f"sqlite:///{path}")
    assert (
        risk_store.add_price_observations(
            engine,
            [
                {
                    "chain_id": 1337,
                    "feed": "0xfeed",
                    "round_id": 2,
                    "answer": "101",
                    "updated_at": 6,
                    "block_number": 40,
                }
            ],
        )
        == 1
    )
    assert risk_store.latest_observation_block(engine, 1337) == 40
    assert risk_store.forget_price_observations_after(engine, 1337, 39) == 1
    assert [o.round_id for o in risk_store.price_observations(engine, 1337, "0xfeed")] == [1]


def test_reopen_orphaned_intents__nonce_not_spent_on_chain__signed_again_or_expired(engine):
    base = {
        "chain_id": 1337,
        "portfolio": "0x" + "aa" * 20,
        "intent": {},
        "signature": "00",
        "routes": [],
        "created_at": 100,
        "status": "signed",
    }
    rebalancing_store.record_intent(engine, dict(base, nonce=3, digest="0x03", deadline=1_000))
    rebalancing_store.record_intent(engine, dict(base, nonce=4, digest="0x04", deadline=500))
    rebalancing_store.set_intent_status(engine, "0x03", "executed", tx_hash="0x" + "03" * 32)
    rebalancing_store.set_intent_status(engine, "0x04", "executed", tx_hash="0x" + "04" * 32)
    # The chain's next nonce is 3 again: both executions were orphaned.
    assert (
        rebalancing_store.reopen_orphaned_intents(engine, 1337, base["portfolio"], 3, now=600) == 2
    )
    rows = {r.digest: r for r in rebalancing_store.intents(engine, 1337, base["portfolio"])}
    assert (rows["0x03"].status, rows["0x03"].tx_hash) == ("signed", None)  # re-sent as it is
    assert rows["0x04"].status == "expired"
    assert (
        rebalancing_store.live_intent(engine, 1337, base["portfolio"], 3, now=600).digest == "0x03"
    )


def test_record_intent__the_same_intent_again_after_it_failed__its_row_reopened(engine):
    """A retry that signs the very intent that failed (same digest: same deadline second) reopens
    its row; a live one still refuses a rival; an executed one is never signed again."""
    base = {
        "chain_id": 1337,
        "portfolio": "0x" + "bb" * 20,
        "nonce": 0,
        "digest": "0x0a",
        "deadline": 1_000,
        "intent": {},
        "signature": "00",
        "routes": [],
        "created_at": 100,
        "status": "signed",
    }
    rebalancing_store.record_intent(engine, base)
    with pytest.raises(ValueError, match="a live intent for nonce 0 exists"):
        rebalancing_store.record_intent(engine, dict(base, digest="0x0b"))
    rebalancing_store.set_intent_status(engine, "0x0a", "failed", note="RebalancerRevoked")
    rebalancing_store.record_intent(engine, dict(base, routes=[[1]], created_at=101))
    [row] = rebalancing_store.intents(engine, 1337, base["portfolio"])
    assert (row.status, row.routes, row.created_at, row.tx_hash) == ("signed", [[1]], 101, None)
    assert row.note == "retried; was failed: RebalancerRevoked (None)"  # the failure kept
    rebalancing_store.set_intent_status(engine, "0x0a", "executed", tx_hash="0x" + "0a" * 32)
    with pytest.raises(ValueError, match="already executed"):
        rebalancing_store.record_intent(engine, dict(base, created_at=2_000))


STORE_DOMAIN_TABLES = {
    "access": {"governance_events"},
    "console": {"console_events", "console_indexes"},
    "compliance": {"known_wallets", "screening_decisions"},
    "risk": {"price_observations", "risk_publications"},
    "rebalancing": {
        "signal_intents",
        "model_portfolios",
        "model_assignments",
        "bulk_outcomes",
        "signal_predictions",
    },
    "lifecycle": {
        "nav_strikes",
        "fund_flows",
        "coupon_records",
        "income_declarations",
        "fee_collections",
    },
    "prime": {"prime_accounts", "prime_liquidations"},
}


def test_store_by_domain__core_defines_no_domain_table_and_stays_small():
    """Issue 32 §3: core keeps the base, the cursors, the checkpoints, the lock and the row helpers
    (under 450 lines); each domain's tables live in `keepers/<domain>/store.py`."""
    import ast
    from pathlib import Path

    core = Path(store.__file__)
    assert len(core.read_text().splitlines()) < 450
    tables = {
        node.name
        for node in ast.walk(ast.parse(core.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(getattr(b, "id", "") == "Base" for b in node.bases)
    }
    assert tables == {"KeeperCursor", "KeeperCheckpoint"}
    assert set(store.STORE_DOMAINS) == set(STORE_DOMAIN_TABLES)
    for domain, names in STORE_DOMAIN_TABLES.items():
        module = __import__(f"keepers.{domain}.store", fromlist=["Base"])
        defined = {
            v.__tablename__
            for v in vars(module).values()
            if getattr(v, "__module__", "") == module.__name__ and hasattr(v, "__tablename__")
        }
        assert defined == names, domain


def test_open_store__a_process_that_imported_no_domain__creates_every_domain_table(tmp_path):
    """A store opened first by a process that loaded none of the domains (the console, the CLI)
    holds every table: a keeper of another domain opening it later finds its tables there."""
    import subprocess
    import sys
    from pathlib import Path

    from sqlalchemy import create_engine, inspect

    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    code = "import sys; from keepers.core.store import open_store; open_store(sys.argv[1])"
    root = Path(store.__file__).parents[2]
    subprocess.run([sys.executable, "-c", code, url], check=True, cwd=root)
    present = set(inspect(create_engine(url)).get_table_names())
    expected = {"keeper_cursors", "keeper_checkpoints"}.union(*STORE_DOMAIN_TABLES.values())
    assert expected <= present, expected - present


def test_forget_after__a_condition_without_value__refused_nothing_deleted(engine):
    """A None in a delete's conditions would match every row (as `select_rows` reads it): the
    helper refuses it instead of forgetting other vaults' rows."""
    from keepers.lifecycle import store as lifecycle_store

    flow = {
        "chain_id": 1337,
        "block_number": 9,
        "timestamp": 1,
        "log_index": 0,
        "kind": "deposit",
        "assets": "1",
        "shares": "1",
    }
    rows = [
        {**flow, "vault": "0x" + "aa" * 20, "tx_hash": "0x" + "01" * 32},
        {**flow, "vault": "0x" + "bb" * 20, "tx_hash": "0x" + "02" * 32},
    ]
    assert lifecycle_store.add_fund_flows(engine, rows) == 2
    with pytest.raises(ValueError, match="no value for \\['vault'\\]"):
        lifecycle_store.forget_fund_flows_after(engine, 1337, None, 5)
    assert lifecycle_store.forget_fund_flows_after(engine, 1337, "0x" + "aa" * 20, 5) == 1
    assert [f.vault for f in lifecycle_store.fund_flows(engine, 1337, "0x" + "bb" * 20)] == [
        "0x" + "bb" * 20
    ]
