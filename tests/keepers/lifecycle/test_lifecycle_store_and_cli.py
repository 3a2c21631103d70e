"""LCY-45 and LCY-46: the NAV agent's records in the keeper store (a strike or a declaration in
flight is never replaced: a restart finds it instead of sending another) and `quantera instrument|
fund`'s bad input (one line, exit 1, no traceback, nothing sent: checked before connecting)."""

import json

import pytest

from keepers.cli import main
from keepers.lifecycle import store as lifecycle_store

VAULT, TOKEN = "0x" + "0f" * 20, "0x" + "1e" * 20


def strike_row(status, **overrides):
    row = dict(
        chain_id=1337,
        vault=VAULT,
        instrument_id=1,
        period=3,
        cutoff=1_000,
        status=status,
        nav18="1000000000000000000",
        answer="100000000",
        inputs={"signer": None},
        computed_at=1_001,
        block_number=10,
        nonce=None,
        raw_tx=None,
        tx_hash=None,
        strike_block=None,
        note=None,
    )
    row.update(overrides)
    return row


def declaration_row(status, **overrides):
    row = dict(
        chain_id=1337,
        token=TOKEN,
        instrument_id=1,
        number=2,
        start=100,
        end=86_500,
        supply=str(10**24),
        shares=str(10**19),
        status=status,
        inputs={},
        block_number=10,
        nonce=None,
        raw_tx=None,
        tx_hash=None,
        note=None,
    )
    row.update(overrides)
    return row


@pytest.mark.parametrize("in_flight", ["pending", "sent", "confirmed"])
def test_record_nav_strike__row_in_flight_or_confirmed__never_replaced(engine, in_flight):
    assert lifecycle_store.record_nav_strike(
        engine, strike_row(in_flight, tx_hash="0x" + "aa" * 32)
    )
    assert not lifecycle_store.record_nav_strike(engine, strike_row("pending", nav18="2"))
    row = lifecycle_store.nav_strike(engine, 1337, VAULT, 3)
    assert (row.status, row.nav18, row.tx_hash) == (
        in_flight,
        "1000000000000000000",
        "0x" + "aa" * 32,
    )


@pytest.mark.parametrize("idle", ["held", "failed", "unsent", "reorged"])
def test_record_nav_strike__nothing_in_flight__a_new_attempt_replaces_it(engine, idle):
    assert lifecycle_store.record_nav_strike(engine, strike_row(idle, note="why"))
    assert lifecycle_store.record_nav_strike(engine, strike_row("pending", nav18="2"))
    [row] = lifecycle_store.nav_strikes(engine, 1337, VAULT)
    assert (row.status, row.nav18, row.note) == ("pending", "2", None)


def test_income_declarations__one_row_per_number__in_flight_kept__idle_replaced(engine):
    assert lifecycle_store.record_income_declaration(
        engine, declaration_row("sent", tx_hash="0x01")
    )
    assert not lifecycle_store.record_income_declaration(
        engine, declaration_row("pending", shares="7")
    )
    assert lifecycle_store.record_income_declaration(
        engine, declaration_row("held", number=3, note="bound")
    )
    assert lifecycle_store.record_income_declaration(engine, declaration_row("pending", number=3))
    lifecycle_store.update_income_declaration(engine, 1337, TOKEN, 2, status="confirmed")
    rows = lifecycle_store.income_declarations(engine, 1337, TOKEN)
    assert [(r.number, r.status, r.shares) for r in rows] == [
        (2, "confirmed", str(10**19)),
        (3, "pending", str(10**19)),
    ]
    with pytest.raises(LookupError, match="no declaration 9"):
        lifecycle_store.update_income_declaration(engine, 1337, TOKEN, 9, status="failed")


NETWORK = ["--network", "ethereum:local:http://127.0.0.1:9"]  # nothing listens: never reached


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["instrument", "register", "--terms", "missing.yaml", *NETWORK, "--account", "TEST::1"],
            "error: missing.yaml: no such file",
        ),
        (
            ["instrument", "schedule", "1", *NETWORK, "--as-of", "15/01/2026"],
            "error: --as-of '15/01/2026' is not a date (YYYY-MM-DD)",
        ),
        (["fund", "position", "0x1234", *NETWORK], "error: '0x1234' is not an address"),
        (["fund", "history", "0x" + "zz" * 20, *NETWORK], "is not an address"),
        (
            ["fund", "strike", *NETWORK],
            "error: --account is required to strike (or give --dry-run)",
        ),
        (
            ["fund", "declare", *NETWORK, "--json"],
            "error: --account is required to declare (or give --dry-run)",
        ),
        (["fund", "subscribe", *NETWORK], "error: Missing option '--amount'."),
    ],
)
def test_cli__bad_input__one_line_error_exit_nonzero_nothing_sent(
    args, message, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code = main(args)
    err = capsys.readouterr().err
    assert code in (1, 2) and err.count("\n") == 1 and "Traceback" not in err
    assert message in err


def test_cli__bad_terms_file__the_field_named_before_connecting(capsys, tmp_path):
    from test_coupons_and_terms import GOOD

    path = tmp_path / "terms.json"
    path.write_text(json.dumps({**GOOD, "isin": "US912810TM08"}))
    code = main(["instrument", "register", "--terms", str(path), *NETWORK, "--account", "TEST::1"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: {path}: isin: 'US912810TM08' is not a valid ISIN")


def test_cli__help__instrument_and_fund_commands(capsys):
    assert main(["fund", "--help"]) == 0
    out = capsys.readouterr().out
    for command in (
        "subscribe",
        "redeem",
        "cancel",
        "strike",
        "declare",
        "claim",
        "position",
        "history",
    ):
        assert command in out
    assert main(["instrument", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(c in out for c in ("register", "show", "schedule"))
