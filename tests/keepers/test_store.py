"""FND-8: the keeper store never repeats or loses a log, and its cursor only moves forward."""

from hypothesis import given, settings
from hypothesis import strategies as st

from keepers import store
from keepers.governance.operations import event_row


def row(block: int, log_index: int, event: str = "RoleGranted") -> dict:
    return event_row(
        1337, event=event, block_number=block, block_timestamp=1_700_000_000 + block,
        tx_hash=f"0x{block:064x}", log_index=log_index, contract="0x" + "11" * 20,
        args={"roleId": 3, "account": "0x" + "22" * 20, "delay": 0, "since": 5, "newMember": True},
    )


def test_insert__same_logs_twice__stored_once(engine):
    rows = [row(5, 0), row(5, 1), row(6, 0)]
    assert store.insert_governance_events(engine, rows) == 3
    assert store.insert_governance_events(engine, rows) == 0
    stored = store.governance_events(engine, 1337)
    assert [(e.block_number, e.log_index) for e in stored] == [(5, 0), (5, 1), (6, 0)]
    assert stored[0].args["roleId"] == 3
    assert store.governance_events(engine, 1337, ("OperationScheduled",)) == []


def test_insert__other_chain__kept_apart(engine):
    store.insert_governance_events(engine, [row(5, 0)])
    other = dict(row(5, 0), chain_id=1)
    assert store.insert_governance_events(engine, [other]) == 1
    assert len(store.governance_events(engine, 1)) == 1


def test_reopen__existing_database__keeps_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite'}"
    store.insert_governance_events(store.open_store(url), [row(1, 0)])
    store.advance_cursor(store.open_store(url), "governance", 1337, 9)
    reopened = store.open_store(url)
    assert len(store.governance_events(reopened, 1337)) == 1
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

    assert store.record_publication(engine, publication_row(1)) is True
    replaced = dict(publication_row(1), metrics={"var99_bps": 170})
    assert store.record_publication(engine, replaced) is True  # an unconfirmed attempt is replaced
    store.set_publication_status(engine, 1337, "0x" + "cd" * 20, 1, "confirmed", tx_hash="0x01")
    assert store.record_publication(engine, publication_row(1)) is False
    (row_1,) = store.publications(engine, 1337, "0x" + "cd" * 20)
    assert (row_1.status, row_1.metrics, row_1.tx_hash) == ("confirmed", {"var99_bps": 170}, "0x01")
