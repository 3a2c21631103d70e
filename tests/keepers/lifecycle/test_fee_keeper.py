"""LCY-58 and LCY-59, the parts without a chain: when the fee keeper collects (something due, a
recipient, the interval since the vault's last collection), in which order and how many a cycle,
its records in the keeper store (numbered per vault, never a second beside one in flight), the
NAV's shares outstanding counting the fee shares owed (LCY-41), and `quantera fund fees|
fees-collect`'s bad input (one line, exit 1, before connecting)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keepers.cli import main
from keepers.core.errors import QuanteraError
from keepers.core.units import WAD
from keepers.lifecycle import Flow, Holdings, compute_nav, french_rf
from keepers.lifecycle import store as lifecycle_store
from keepers.lifecycle.fees import (
    DEFAULT_COLLECT_INTERVAL_SECONDS,
    MAX_COLLECTIONS_PER_CYCLE,
    FeesDue,
    collect_interval_seconds,
    collection_order,
    hold_reason,
)

VAULT, OTHER = "0x" + "0f" * 20, "0x" + "1f" * 20
RECIPIENT = "0x" + "fe" * 20
ZERO = "0x" + "00" * 20
USDC = 10**6
DAY = 86_400


def due(**overrides):
    values = dict(
        at=1_000_000,
        owed_shares=0,
        held_assets=0,
        accruing_shares=0,
        accrued_at=900_000,
        recipient=RECIPIENT,
    )
    values.update(overrides)
    return FeesDue(**values)


# ------------------------------------------------------------------ LCY-58: when and in which order


def test_hold_reason__nothing_due_no_recipient_or_collected_recently__held_with_why():
    assert hold_reason(due(), None, DAY) == "nothing due"
    assert hold_reason(due(accruing_shares=1, recipient=ZERO), None, DAY) == (
        "the fee schedule names no recipient"
    )
    owed = due(owed_shares=5)
    assert hold_reason(owed, None, DAY) is None  # never collected: due at once
    assert hold_reason(owed, owed.at - DAY, DAY) is None  # exactly the interval: due
    reason = hold_reason(owed, owed.at - DAY + 1, DAY)
    assert reason == f"collected at {owed.at - DAY + 1}, less than {DAY} s before {owed.at}"
    # Assets held alone are due; the shares due include the management fee still accruing.
    assert hold_reason(due(held_assets=1), None, DAY) is None
    assert due(owed_shares=3, accruing_shares=4).shares == 7
    with pytest.raises(ValueError, match="owed_shares"):
        due(owed_shares=-1)


@given(
    st.lists(
        st.one_of(st.none(), st.integers(0, 10**9)),
        min_size=0,
        max_size=3 * MAX_COLLECTIONS_PER_CYCLE,
    )
)
def test_collection_order__never_collected_first_then_least_recently_collected(times):
    vaults = [f"0x{i:040x}" for i in range(len(times))]
    order = collection_order(zip(vaults, times, strict=True))
    assert sorted(order) == sorted(vaults)  # each once
    keys = [-1 if times[vaults.index(v)] is None else times[vaults.index(v)] for v in order]
    assert keys == sorted(keys)
    # Ties keep the registry's order.
    for a, b in zip(order, order[1:], strict=False):
        if keys[order.index(a)] == keys[order.index(b)]:
            assert vaults.index(a) < vaults.index(b)


def test_collect_interval__default_environment_and_bad_values__one_clear_error(monkeypatch):
    monkeypatch.delenv("QUANTERA_FEE_COLLECT_INTERVAL", raising=False)
    assert collect_interval_seconds() == DEFAULT_COLLECT_INTERVAL_SECONDS == DAY
    monkeypatch.setenv("QUANTERA_FEE_COLLECT_INTERVAL", "3600")
    assert collect_interval_seconds() == 3_600
    assert collect_interval_seconds("0") == 0
    with pytest.raises(QuanteraError, match="'soon' is not a whole number of seconds"):
        collect_interval_seconds("soon")
    with pytest.raises(QuanteraError, match="-5 is negative"):
        collect_interval_seconds("-5")


# ------------------------------------------------------------------ LCY-58: the keeper store


def collection_row(vault=VAULT, **overrides):
    row = dict(
        chain_id=1337,
        vault=vault,
        instrument_id=1,
        status="pending",
        recipient=RECIPIENT,
        due_shares="10",
        due_assets="0",
        inputs={"signer": None},
        decided_at=1_000,
        block_number=10,
    )
    row.update(overrides)
    return row


@pytest.mark.parametrize("in_flight", ["pending", "sent"])
def test_record_fee_collection__numbered_per_vault__never_beside_one_in_flight(engine, in_flight):
    assert lifecycle_store.record_fee_collection(engine, collection_row()) == 1
    lifecycle_store.update_fee_collection(engine, 1337, VAULT, 1, status=in_flight)
    # One of the vault's collections may still land: no second one is recorded beside it.
    assert lifecycle_store.record_fee_collection(engine, collection_row()) is None
    # Another vault numbers its own.
    assert lifecycle_store.record_fee_collection(engine, collection_row(OTHER)) == 1
    lifecycle_store.update_fee_collection(engine, 1337, VAULT, 1, status="confirmed", shares="10")
    assert lifecycle_store.record_fee_collection(engine, collection_row()) == 2
    lifecycle_store.update_fee_collection(engine, 1337, VAULT, 2, status="failed", note="reverted")
    # Failed and confirmed collections stay as they were; the next one takes the next number.
    assert lifecycle_store.record_fee_collection(engine, collection_row()) == 3
    rows = lifecycle_store.fee_collections(engine, 1337, VAULT)
    assert [(r.number, r.status) for r in rows] == [(1, "confirmed"), (2, "failed"), (3, "pending")]
    pending = lifecycle_store.fee_collections(engine, 1337, status="pending")
    assert [(r.vault, r.number) for r in pending] == [(VAULT, 3), (OTHER, 1)]
    with pytest.raises(LookupError, match="no fee collection 9"):
        lifecycle_store.update_fee_collection(engine, 1337, VAULT, 9, status="sent")


# ------------------------------------------------------------------ LCY-41: fee shares outstanding


def test_compute_nav__fee_shares_owed__counted_in_shares_outstanding_once():
    rf = french_rf(shift_days=0)
    read = dict(
        valued_at=1_225_497_600,  # 2008-11-01
        free_cash=1_000_000 * USDC,
        asset_price18=WAD,
        asset_decimals=6,
        share_supply=990_000 * WAD,
        share_decimals=18,
    )
    # 10,000 shares struck; the claim paid 9,950 to the investor and 50 (its subscription fee)
    # to the shares owed, which also hold 20 shares of management fee: 70 owed.
    flows = [
        Flow("struck", 1, shares=10_000 * WAD),
        Flow("claimed", 2, shares=9_950 * WAD),
        Flow("fee_held", 2, shares=50 * WAD),
    ]
    nav = compute_nav(Holdings(**read, fee_shares=70 * WAD), flows, rf)
    # 990,000 minted + 70 owed + 0 unclaimed: the fee's 50 shares counted once.
    assert nav.shares_outstanding == 990_070 * WAD
    assert nav.nav18 == 1_000_000 * WAD * WAD // (990_070 * WAD)
    # Without the fee shares the NAV would be higher: the recipient's claim ignored.
    assert compute_nav(Holdings(**read), flows, rf).nav18 > nav.nav18
    with pytest.raises(ValueError, match="fee_shares"):
        Holdings(**read, fee_shares=-1)


# ------------------------------------------------------------------ LCY-59: bad input, one line


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["fund", "fees-collect", "--min-interval", "soon"],
            "error: collect interval 'soon' is not a whole number of seconds",
        ),
        (
            ["fund", "fees-collect", "--min-interval", "-1"],
            "error: collect interval -1 is negative",
        ),
    ],
)
def test_cli__fees_collect_bad_interval__one_line_before_connecting(capsys, args, line):
    # The network is not reachable: the error comes before any connection is tried.
    network = ["--network", "ethereum:local:http://127.0.0.1:9", "--account", "TEST::0"]
    assert main([*args, *network]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip() == line and "Traceback" not in captured.err
