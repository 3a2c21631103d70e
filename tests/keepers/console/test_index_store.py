"""The console's event index in the keeper store (issue 32 §2): a restart reads the store instead
of the chain, several consoles share one index (one writes at a time, every one reads), a
reorganisation takes the orphaned events back and gives a key back the event it had replaced,
and the history bound keeps what it kept in memory. On a chain in memory (fake_chain) whose
answers are counted, and on PostgreSQL with separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import fake_chain
import pytest
from fake_chain import FIRST_BLOCK, HOLDERS, ROLE_GRANTED, ROLE_REVOKED, FakeChain

import postgres
from keepers.console import store as console_store
from keepers.console.index import EventIndex, settled_head
from keepers.core import store as core_store
from keepers.core.reads import SETTLE_BLOCKS
from keepers.core.store import keeper_lock

UNBOUNDED = 10**9


def key(e) -> tuple:
    return (
        e.block_number,
        e.log_index,
        e.tx_hash,
        e.contract,
        e.event,
        json.dumps(e.args, sort_keys=True),
    )


def truth(chain: FakeChain) -> list:
    """Every event of the chain's canonical blocks, decoded by an index of its own in memory."""
    index = EventIndex(chain.source(), max_events=UNBOUNDED)
    index.sync()
    return index.events()


def bounded(events: list, max_events: int) -> tuple[list, int]:
    """What an index bound to `max_events` shows of `events` (the module docstring of
    keepers.console.index): the newest max_events, and before them the latest event of each
    kept key still open; with how many the bound dropped."""
    history, dropped = events[-max_events:], max(0, len(events) - max_events)
    if not dropped:
        return history, 0
    probe = EventIndex(fake_chain.FakeChain(0).source(), max_events=UNBOUNDED)
    open_keys: dict = {}
    for e in events:
        keyed = probe._key_of(e)
        if keyed is not None:
            k, closing = keyed
            if closing:
                open_keys.pop(k, None)
            else:
                open_keys[k] = e
    oldest = (history[0].block_number, history[0].log_index)
    older = sorted(
        (e for e in open_keys.values() if (e.block_number, e.log_index) < oldest),
        key=lambda e: (e.block_number, e.log_index),
    )
    return older + history, dropped


def holders(index: EventIndex) -> set:
    """The role holders a fold of the index's events finds (as the governance page folds them)."""
    held: set = set()
    for e in index.events(names=["RoleGranted", "RoleRevoked"]):
        pair = (e.args["roleId"], e.args["account"])
        (held.add if e.event == "RoleGranted" else held.discard)(pair)
    return held


def settled(chain: FakeChain) -> int:
    """The last block an index takes from `chain`: the block before its head (CON-96)."""
    return settled_head(chain.eth.block_number)


def file_store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keeper.sqlite'}"


def test_index_store__restart__reads_the_store_not_the_chain(tmp_path):
    """A console restarted on its keeper store asks the chain for no block it indexed before: its
    first sync asks no logs at all, and it shows the same events and figures; new blocks are asked
    from the stored cursor on."""
    chain = FakeChain(1)
    chain.grow(300)
    url = file_store(tmp_path)
    first = EventIndex(chain.source(url), max_events=150)
    first.sync()
    assert chain.eth.asked and first.head == settled(chain)
    assert first.dropped > 0  # the bound is part of what a restart must give back

    chain.eth.asked.clear()
    restarted = EventIndex(chain.source(url), max_events=150)
    assert restarted.sync() and chain.eth.asked == []
    assert [key(e) for e in restarted.events()] == [key(e) for e in first.events()]
    assert (restarted.head, restarted.dropped, restarted.first_block) == (
        first.head,
        first.dropped,
        first.first_block,
    )

    head = restarted.head
    chain.grow(20)
    restarted.sync()
    assert chain.eth.asked and chain.eth.asked[0][0] == head + 1
    shown, dropped = bounded(truth(chain), 150)
    assert [key(e) for e in restarted.events()] == [key(e) for e in shown]
    assert restarted.dropped == dropped


def test_index_store__bound__what_memory_kept_in_every_sync(tmp_path):
    """The history bound in the store keeps what the memory index kept: after each of many syncs
    the events shown are the newest max_events and, before them, each kept key's open event, the
    same as the rule applied to the chain's whole history; a second copy reading the store
    (without writing) shows the same after every sync."""
    chain = FakeChain(2)
    url = file_store(tmp_path)
    writer = EventIndex(chain.source(url), max_events=40)
    reader = EventIndex(chain.source(url), max_events=40)
    for step in range(25):
        chain.grow(1 + step % 7)
        writer.sync()
        with keeper_lock(writer.engine, writer.scope) as taken:
            assert taken
            reader.sync()  # the lock is held: the reader only reads the store
        shown, dropped = bounded(truth(chain), 40)
        for index in (writer, reader):
            assert [key(e) for e in index.events()] == [key(e) for e in shown], step
            assert index.dropped == dropped and index.head == settled(chain)
    assert writer.dropped > 40  # the bound was exercised many times over
    restarted = EventIndex(chain.source(url), max_events=40)  # loads the store whole
    restarted.sync()
    assert [key(e) for e in restarted.events()] == [key(e) for e in shown]


def test_index_store__reader_behind_many_windows__loads_whole_not_a_hole(tmp_path):
    """A copy that did not read while the writer stored more than the bound (its next read finds
    events the store already dropped) loads the index whole instead of folding a history with a
    hole in it."""
    chain = FakeChain(3)
    chain.grow(30)
    url = file_store(tmp_path)
    writer = EventIndex(chain.source(url), max_events=30)
    reader = EventIndex(chain.source(url), max_events=30)
    writer.sync()
    reader.sync()
    chain.grow(200)
    writer.sync()
    with keeper_lock(writer.engine, writer.scope):
        reader.sync()
    shown, dropped = bounded(truth(chain), 30)
    assert [key(e) for e in reader.events()] == [key(e) for e in shown]
    assert reader.dropped == dropped == writer.dropped


def test_index_store__reorg__orphaned_events_taken_back__a_key_reopened(tmp_path):
    """A reorganisation orphans a revocation: the index takes its block's events back and the
    grant it had closed is shown again, though the grant had long left the history (the bound
    kept it for a reorganisation within REORG_WINDOW blocks); the events are the new branch's,
    the same as an index built on it from scratch. A copy that only reads follows (it reloads)."""
    chain = FakeChain(4)
    role, holder = 2, HOLDERS[0]
    chain.mine_event(ROLE_GRANTED, role, holder)
    chain.mine_commits(30)  # 90 commitments: the grant leaves the history of 20
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=20)
    reader = EventIndex(chain.source(url), max_events=20)
    index.sync()
    assert (role, holder) in holders(index)
    grant = next(e for e in index.events() if e.event == "RoleGranted" and e.args["roleId"] == role)
    assert grant not in index._events, "the grant must have left the history for this test"
    chain.mine_event(ROLE_REVOKED, role, holder)
    chain.mine_commits(2)
    index.sync()
    reader.sync()
    assert (role, holder) not in holders(index) and (role, holder) not in holders(reader)

    chain.reorg(depth=3, blocks=0)  # the revocation's block replaced by commitments only
    chain.mine_commits(4)
    index.sync()
    with keeper_lock(index.engine, index.scope):
        reader.sync()
    shown, _ = bounded(truth(chain), 20)
    for copy in (index, reader):
        assert (role, holder) in holders(copy), "the orphaned revocation still counted"
        assert [key(e) for e in copy.events()] == [key(e) for e in shown]
        assert copy.head == settled(chain)


def test_index_store__reorg_below_every_checkpoint__index_starts_again(tmp_path):
    """A reorganisation that replaces every block since the record's first (deeper than any
    checkpoint the scope remembers) makes the index start again: no event of the old branch is
    left, and the new branch's are all there."""
    chain = FakeChain(5)
    chain.grow(80)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED)
    index.sync()
    before = {key(e) for e in index.events()}
    chain.reorg(depth=chain.eth.block_number - FIRST_BLOCK + 1, blocks=90)
    index.sync()
    after = [key(e) for e in index.events()]
    assert after == [key(e) for e in truth(chain)]
    assert not (before & set(after))
    assert console_store.stored_events(index.engine, index.scope) == len(after)


def test_index_store__lock_held_elsewhere__reads_without_asking_the_chain(tmp_path):
    """While another console indexes the scope (its lock held), a sync asks the chain nothing and
    answers what the store holds; the writer's next windows reach it at its next sync."""
    chain = FakeChain(6)
    chain.grow(50)
    url = file_store(tmp_path)
    writer = EventIndex(chain.source(url), max_events=UNBOUNDED)
    writer.sync()
    other = EventIndex(chain.source(url), max_events=UNBOUNDED)
    chain.eth.asked.clear()
    with keeper_lock(writer.engine, writer.scope):
        other.sync()
    assert chain.eth.asked == [] and other.head == writer.head
    chain.grow(10)
    writer.sync()
    with keeper_lock(writer.engine, writer.scope):
        new = other.sync()
    assert new and [key(e) for e in other.events()] == [key(e) for e in truth(chain)]


SCRIPT = """
import json, sys, time
from fake_chain import FakeChain
from keepers.console.index import EventIndex, settled_head
url, seed, blocks, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
chain = FakeChain(seed)
chain.grow(blocks)
index = EventIndex(chain.source(url), max_events=int(sys.argv[5]))
deadline = time.monotonic() + 300
while index.head < settled_head(chain.eth.block_number):  # polling, as the console's live feed does
    assert time.monotonic() < deadline, "the index never reached the head"
    index.sync()
    time.sleep(0.05)
json.dump(
    {
        "asked": chain.eth.asked,
        "head": index.head,
        "dropped": index.dropped,
        "events": [[e.block_number, e.log_index, e.event] for e in index.events()],
    },
    open(out, "w"),
)
"""


def _consoles(url: str, tmp_path: Path, names: list[str], max_events: int) -> list[dict]:
    here = Path(__file__).parent
    env = dict(os.environ, PYTHONPATH=str(here))
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, url, "7", "400", str(tmp_path / n), str(max_events)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in names
    ]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
    return [json.loads((tmp_path / n).read_text()) for n in names]


@pytest.mark.skipif(postgres.available() is not None, reason=str(postgres.available()))
def test_index_store__two_console_processes_on_one_postgresql_store(tmp_path):
    """Two console processes started at once on one PostgreSQL store index the chain once between
    them (no block asked twice: one writes, the other reads what it wrote) and show the same
    events, the bound's figures included; a third started afterwards asks the chain nothing."""
    chain = FakeChain(7)
    chain.grow(400)
    shown, dropped = bounded(truth(chain), 500)
    expected = [[e.block_number, e.log_index, e.event] for e in shown]
    with postgres.postgres_server() as url:
        first, second = _consoles(url, tmp_path, ["a.json", "b.json"], 500)
        asked = sorted(tuple(w) for w in first["asked"] + second["asked"])
        covered = [n for start, end in asked for n in range(start, end + 1)]
        assert covered == list(range(FIRST_BLOCK, settled(chain) + 1)), asked
        for run in (first, second):
            assert run["events"] == expected
            assert (run["head"], run["dropped"]) == (settled(chain), dropped)
        [third] = _consoles(url, tmp_path, ["c.json"], 500)
        assert third["asked"] == [] and third["events"] == expected
        engine = core_store.open_store(url)
        scope = EventIndex(chain.source(url), max_events=500).scope
        assert console_store.stored_events(engine, scope) >= len(expected)


def test_index_store__writer_killed_in_a_window__nothing_of_it_stored__then_once(
    tmp_path, monkeypatch
):
    """A window and its cursor are one transaction: a writer dying while it writes them (here the
    cursor write fails) leaves neither, and its next sync stores the window once (no event twice,
    the bound's figures counted once)."""
    chain = FakeChain(8)
    chain.grow(120)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=60)

    def dies(*args, **kwargs):
        raise RuntimeError("killed while writing the cursor")

    with monkeypatch.context() as patch:
        patch.setattr(console_store, "advance_cursor_in", dies)
        with pytest.raises(RuntimeError, match="killed"):
            index.sync()
    assert console_store.stored_events(index.engine, index.scope) == 0
    assert core_store.get_cursor(index.engine, index.scope, fake_chain.CHAIN_ID) is None
    index.sync()
    shown, dropped = bounded(truth(chain), 60)
    assert [key(e) for e in index.events()] == [key(e) for e in shown]
    assert index.dropped == dropped


def test_index_store__reorg_between_the_cursor_check_and_the_window__caught(tmp_path):
    """The attacker's read F1: the chain reorganises below the cursor after the sync checked the
    cursor's block and before it reads the next window (whose own last block then checks out on
    the new branch). The window is not stored (the block before it is no longer the one indexed);
    the next sync takes the orphaned events back: the index is the new branch's."""
    chain = FakeChain(9)
    chain.grow(40)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED)
    index.sync()
    cursor = index.head
    chain.grow(5)
    chain.eth.after_block = (cursor, lambda: chain.reorg(depth=8, blocks=10))
    index.sync()
    assert index.head <= cursor, "a window of the new branch stored over the orphaned blocks"
    index.sync()
    assert [key(e) for e in index.events()] == [key(e) for e in truth(chain)]


def test_index_store__shallow_reorg_after_a_catch_up__no_rescan(tmp_path):
    """The attacker's read F2: after a catch-up in one window, a one-block reorganisation finds its
    ancestor among the window's last blocks' checkpoints (asked again: the replaced block on, not
    the whole history), and a lagging node (its head below the cursor, the cursor's block not
    found) is waited for: nothing taken back."""
    chain = FakeChain(10)
    chain.grow(300)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED)
    index.sync()
    head = index.head
    chain.eth.behind = 3
    before = console_store.version(index.engine, index.scope)
    index.sync()
    assert console_store.version(index.engine, index.scope) == before and index.head == head
    chain.eth.behind = 0
    # The index's last block replaced (with the chain's head, which it never took: CON-96).
    chain.reorg(depth=1 + SETTLE_BLOCKS, blocks=2)
    chain.eth.asked.clear()
    index.sync()
    assert chain.eth.asked and chain.eth.asked[0][0] == head, chain.eth.asked
    assert [key(e) for e in index.events()] == [key(e) for e in truth(chain)]


def test_index_store__many_kept_events_in_a_window__one_update_per_key(tmp_path):
    """The attacker's read F3: a window of many events of few keys (anyone can call
    `RiskEngine.sync` in a loop) closes each key with one indexed UPDATE, not one scan per event;
    the keys fold as they did."""
    from sqlalchemy import event as sa_event

    chain = FakeChain(11)
    for k in range(300):
        chain.mine_event(ROLE_GRANTED, k % 3, HOLDERS[0])
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=50)
    updates: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE CONSOLE_EVENTS"):
            updates.append(statement)

    sa_event.listen(index.engine, "before_cursor_execute", count)
    index.sync()
    sa_event.remove(index.engine, "before_cursor_execute", count)
    assert len(updates) <= 3 + 1, updates  # a key each, and the bound's one
    assert holders(index) == {(k, HOLDERS[0]) for k in range(3)}
    shown, _ = bounded(truth(chain), 50)
    assert [key(e) for e in index.events()] == [key(e) for e in shown]


def test_index_store__a_family_scope_left_a_day__deleted_by_the_next_writer(tmp_path, monkeypatch):
    """The attacker's read F6: the funds page's indexes change scope as funds appear; a scope of
    its family that no writer synced for a day is deleted (rows, state, cursor) by the next writer
    of the family, and no other family's scope is touched; the scope names change with the
    contracts' decoded events (F7)."""
    import time as clock

    from keepers.console import index as index_module

    chain = FakeChain(12)
    chain.grow(30)
    url = file_store(tmp_path)
    main = EventIndex(chain.source(url), max_events=UNBOUNDED)
    old = EventIndex(chain.source(url), max_events=UNBOUNDED, family="funds")
    main.sync()
    old.sync()
    source = chain.source(url)
    source.record.contracts.pop("LiquidityAggregator")
    new = EventIndex(source, max_events=UNBOUNDED, family="funds")
    assert len({main.scope, old.scope, new.scope}) == 3
    later = clock.time() + 2 * 86_400
    monkeypatch.setattr(index_module.time, "time", lambda: later)
    monkeypatch.setattr(console_store.time, "time", lambda: later)
    new.sync()
    assert console_store.version(new.engine, old.scope) is None
    assert console_store.stored_events(new.engine, old.scope) == 0
    assert core_store.get_cursor(new.engine, old.scope, fake_chain.CHAIN_ID) is None
    assert console_store.stored_events(main.engine, main.scope) > 0  # another family: kept
    abis = dict(fake_chain.ABIS, QuanteraAccessManager=[ROLE_GRANTED])  # one event less decoded
    narrower = EventIndex(
        type(source)(chain.w3, chain.source().record, abis, url), max_events=UNBOUNDED
    )
    assert narrower.scope != main.scope


def test_kept__an_index_made_for_a_page_opens_the_store_without_deadlock(tmp_path):
    """The funds page keeps its indexes with `keeper_store.kept`, which makes them under its lock;
    an index opens the console's store (`store_of`, under the same lock) as it is made: that must
    not deadlock (it did, and the served demo's /funds never answered)."""
    import threading

    from keepers.console.keeper_store import kept

    chain = FakeChain(13)
    chain.grow(5)
    source = chain.source(file_store(tmp_path))
    made: dict = {}

    def page() -> None:
        made["index"] = kept(source, "funds-index:test", lambda: EventIndex(source, family="funds"))

    worker = threading.Thread(target=page, daemon=True)
    worker.start()
    worker.join(60)
    assert "index" in made, "kept() deadlocked making an index that opens the store"
    made["index"].sync()
    assert made["index"].head == settled(chain)


def test_index_store__a_shorter_chain_behind_the_cursor__replaced_not_waited_for(tmp_path):
    """The second read's N1: a provider whose head is below the cursor is a lagging node only if
    it still has the newest checkpoint below its head; a chain that replaced the indexed one (a
    dev chain made anew, another chain writing the scope) does not, and its events are indexed
    instead of the index waiting, frozen, for a height it may never reach."""
    chain = FakeChain(14)
    chain.grow(60)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED)
    index.sync()
    chain.reorg(depth=20, blocks=6)  # 14 blocks shorter, its top blocks other ones
    index.sync()
    assert index.head == settled(chain)
    assert [key(e) for e in index.events()] == [key(e) for e in truth(chain)]


def test_index_store__scope_deleted_while_an_index_keeps_it__starts_again(tmp_path):
    """The second read's N2: a scope deleted as stale (forget_stale) while a page still keeps its
    index: the index's next sync makes the scope again and indexes the chain anew (it failed on
    every sync), and its copy reloads (the scope is another index now)."""
    chain = FakeChain(15)
    chain.grow(30)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED, family="funds")
    index.sync()
    later = int(__import__("time").time()) + 2 * 86_400
    gone = console_store.forget_stale(index.engine, fake_chain.CHAIN_ID, "funds", "none", later)
    assert gone == [index.scope]
    chain.grow(5)
    index.sync()
    assert [key(e) for e in index.events()] == [key(e) for e in truth(chain)]


def test_index_store__a_log_answered_twice__stored_once_its_key_open(tmp_path):
    """The second read's N4: a provider answering each log twice: each event is stored once, a
    grant is not closed by its own copy (the holder stays once the grant has left the history),
    and the history's count is right."""
    chain = FakeChain(16)
    chain.mine_event(ROLE_GRANTED, 1, HOLDERS[1])
    chain.mine_commits(20)
    chain.eth.twice = True
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=10)
    index.sync()
    assert (1, HOLDERS[1]) in holders(index)
    restarted = EventIndex(chain.source(url), max_events=10)
    restarted.sync()
    assert (1, HOLDERS[1]) in holders(restarted)
    chain.eth.twice = False
    shown, dropped = bounded(truth(chain), 10)
    assert [key(e) for e in restarted.events()] == [key(e) for e in shown]
    assert restarted.dropped == dropped


def test_index_store__reorg_100_deep_right_after_a_catch_up__no_rescan(tmp_path):
    """The second read's F2 remainder: right after a catch-up of 2,500 blocks (two windows), a
    reorganisation 100 blocks deep (within REORG_WINDOW) finds its ancestor among the last
    window's checkpoints: the chain is asked again from the first replaced block, not from the
    record's first block."""
    chain = FakeChain(17)
    chain.grow(2_500, most=1)
    url = file_store(tmp_path)
    index = EventIndex(chain.source(url), max_events=UNBOUNDED)
    index.sync()
    head = chain.eth.block_number  # the index took the blocks below it (CON-96)
    chain.reorg(depth=100, blocks=101)
    chain.eth.asked.clear()
    index.sync()
    assert chain.eth.asked and chain.eth.asked[0][0] == head - 99, chain.eth.asked[:3]
    assert [key(e) for e in index.events()] == [key(e) for e in truth(chain)]


def test_index__never_takes_the_chain_head__pages_read_a_block_the_chain_moved_past(tmp_path):
    """CON-96: the index stops at the block before the chain's head, so every page, export and
    GraphQL query (all read at `index.head`) reads a block that is no longer the head: a node may
    answer a read at its head from the block it is mining (helper-111: anvil gave block N + 1's
    interest under a page labelled N). Its events stop there too, so a page's parts agree; the
    head's events come with the next block. A chain of one block is read at block 0."""
    chain = FakeChain(2)
    chain.grow(40)
    index = EventIndex(chain.source(), max_events=UNBOUNDED)
    index.sync()
    head = chain.eth.block_number
    assert index.head == head - 1
    assert all(e.block_number < head for e in index.events())
    held = len(index.events())
    chain.grow(5)
    index.sync()
    assert index.head == head + 4 and len(index.events()) >= held
    assert [key(e) for e in index.events()] == [
        key(e) for e in truth(chain) if e.block_number <= head + 4
    ]
    assert settled_head(0) == 0 and settled_head(1) == 0
