"""Sanctions list parsing and screening; screening decisions stored once."""

import pytest

from keepers.compliance import store as compliance_store
from keepers.compliance.screening import load_sanctions, parse_sdn_csv, screen
from keepers.core.errors import QuanteraError

LISTED = "0xdD2FD4581271e230360230F9337D5c0430Bf44C0"


def test_sample_list__evm_addresses_from_remarks__indexed_case_insensitively():
    sanctions = load_sanctions()
    assert len(sanctions.version) == 64
    entry = sanctions.match(LISTED.lower())
    assert (entry.ent_num, entry.program, entry.currency) == (90001, "CYBER2", "ETH")
    # the BTC/TRX addresses and the entry without one are skipped
    assert len(sanctions.by_address) == 3


def test_screen__duplicates_and_clean_wallets__each_match_once_in_order():
    sanctions = load_sanctions()
    clean = "0x" + "12" * 20
    matches = screen(
        [clean, LISTED, LISTED.lower(), "0x7F367cC41522cE07553e823bf3be79A889DEbe1B"], sanctions
    )
    assert [(m.wallet, m.entry.ent_num) for m in matches] == [
        (LISTED, 90001),
        ("0x7F367cC41522cE07553e823bf3be79A889DEbe1B", 90002),
    ]


@pytest.mark.parametrize(
    "text,message", [('1,"x"\n', "columns"), ("x," + '"-0-",' * 11 + "\n", "ent_num")]
)
def test_parse__malformed_rows__one_clear_error(text, message):
    with pytest.raises(QuanteraError, match=message):
        parse_sdn_csv(text)


def test_load__missing_file__clear_error(tmp_path):
    with pytest.raises(QuanteraError, match="cannot read sanctions list"):
        load_sanctions(str(tmp_path / "nope.csv"))


def test_decisions__recorded_twice__kept_once_then_completed(engine):
    row = {
        "chain_id": 1,
        "wallet": LISTED,
        "ent_num": 90001,
        "entry_name": "x",
        "program": "CYBER2",
        "list_source": "sample",
        "list_version": "v",
        "decided_at": 5,
        "block_number": 3,
        "action": "freeze",
        "status": "pending",
        "tx_hash": None,
    }
    assert compliance_store.record_decision(engine, row) is True
    assert compliance_store.record_decision(engine, row) is False
    [pending] = compliance_store.decisions(engine, 1, "pending")
    compliance_store.complete_decision(engine, pending.id, "frozen", "0xabc")
    assert compliance_store.decisions(engine, 1, "pending") == []
    assert compliance_store.decisions(engine, 1)[0].tx_hash == "0xabc"


def test_known_wallets__added_twice__new_ones_only(engine):
    assert compliance_store.add_known_wallets(engine, 1, {LISTED: (3, "registry")}) == [LISTED]
    assert compliance_store.add_known_wallets(
        engine, 1, {LISTED: (4, "transfer"), "0x" + "1" * 40: (4, "transfer")}
    ) == ["0x" + "1" * 40]
    assert sorted(compliance_store.known_wallets(engine, 1)) == sorted([LISTED, "0x" + "1" * 40])
