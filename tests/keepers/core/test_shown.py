"""keepers.core.shown: what a person reads for a command's figures (issue 33 §2), each kind."""

from __future__ import annotations

from decimal import Decimal

from keepers.core.shown import (
    ADDRESS,
    BPS_KIND,
    DURATION,
    TIME,
    USD,
    USD18,
    Amount,
    Price,
    grouped,
    money,
    record_names,
    shown,
)

VAULT = "0x" + "Ab" * 20


def test_money__cents_grouped_signed_exact():
    assert money(1_234_567 * 10**16) == "$12,345.67"
    assert money(-12 * 10**18) == "-$12.00"
    assert money("1234.5", 0) == "$1,234.50"
    assert money(Decimal("0.015"), 0) == "$0.02" and money("2.345", 0) == "$2.34"  # half to even
    assert money(0) == "$0.00" and money(Decimal("0.004"), 0) == "<$0.01"  # not zero: said so
    assert money(-4 * 10**15) == "-<$0.01"
    assert money(100_004 * 10**15, exact=True) == "$100.004"
    assert money(100 * 10**18, exact=True) == "$100.00"
    assert shown(10**36, USD18) == "$1,000,000,000,000,000,000.00"


def test_amounts_prices_and_grouping__exact_with_their_unit():
    assert shown(str(250_000 * 10**18 + 5), Amount(18, "QSPX")) == "250,000.000000000000000005 QSPX"
    assert shown(1_500_000, Amount(6, "USDC")) == "1.5 USDC"
    assert shown(str(10**18 + 10**12), Price("QMMF")) == "$1.000001 per QMMF"
    assert grouped("1234567.25") == "1,234,567.25" and shown("99.5", USD) == "$99.50"


def test_times_durations_bps__never_a_bare_number():
    assert shown(1_830_211_200, TIME) == "2027-12-31T00:00:00Z"
    assert shown(0, TIME) == "never"
    assert shown(10**20, TIME).endswith("(beyond year 9999)")
    assert shown(3 * 86_400 + 3_600, DURATION) == "3 d 1 h"
    assert shown(125, BPS_KIND) == "1.25% (125 bps)"
    assert shown(15_000, BPS_KIND) == "150% (15,000 bps)"
    assert shown(None, BPS_KIND) == "—"


def test_addresses__named_from_the_record__contracts_and_address_book():
    class Record:
        contracts = {"FundVault": VAULT, "OracleRouter": "0x" + "01" * 20}
        accounts = {"0x" + "02" * 20: "Harbor pension plan"}

    names = record_names(Record())
    assert shown(VAULT, ADDRESS, names) == f"{VAULT} (FundVault)"
    assert shown("0x" + "02" * 20, ADDRESS, names) == "0x" + "02" * 20 + " (Harbor pension plan)"
    assert shown("0x" + "03" * 20, ADDRESS, names) == "0x" + "03" * 20
    assert shown([1, 2], None) == "[1, 2]" and shown("active", None) == "active"


def test_chain_text__shown_literally__never_markup_or_terminal_codes(capsys):
    """helper-86 M1: a token's symbol is the issuer's text: rich markup in it (`[/x]`, `[conceal]`)
    neither fails the table nor styles it, and escape codes are written out, not obeyed."""
    from keepers.core.shown import shown_table
    from keepers.core.terminal import print_table

    symbol = "USD[/x]C[conceal]\x1b[2J"
    kinds = {"free_cash": Amount(6, symbol)}
    table = shown_table(f"fund {symbol}", {"free_cash": 1_500_000}, kinds)
    print_table(table)
    out = capsys.readouterr().out
    assert "1.5 USD[/x]C[conceal]\\x1b[2J" in out and "\x1b" not in out
    assert "fund USD[/x]C[conceal]\\x1b[2J" in out
