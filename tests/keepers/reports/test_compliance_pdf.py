"""RPT-5: the compliance report's rows (keepers/compliance/report.py, as its CSV and JSON have them)
rendered to PDF: every transaction, freeze and holder row is in the PDF's text (extracted with
pypdf), with the period, the scope and the total supply; a long report spans pages with its
header on each; the widest cells fit their columns. Pure, no chain."""

import io

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from keepers.compliance.report import build_report
from keepers.reports import DataStamp, render_compliance
from keepers.reports.compliance_pdf import (
    FONT_SIZE,
    FREEZE_WIDTHS,
    MONO_SIZE,
    TRANSACTION_WIDTHS,
    amount,
)
from keepers.reports.pdf import PADDING, utc
from pdf_text import flat, pdf_pages

ZERO = "0x" + "00" * 20
NAMES = {840: "United States", 276: "Germany"}
TOKEN = "0x" + "ab" * 20
STAMP = DataStamp("ethereum:local", 5_000, 1_700_005_000)
WALLETS = [f"0x{i:040x}" for i in range(1, 31)]


def ev(event, block, **args):
    """An event as the report reads it: one a block, a second apart, a full-length hash."""
    at = {"block": block, "timestamp": 1_700_000_000 + block, "log_index": 0}
    return {"event": event, "tx": f"0x{block:064x}", **at} | args


def events(transfers: int) -> list[dict]:
    """30 investors in three jurisdictions (one, 826, unnamed), `transfers` transfers among them
    after a mint to each, a freeze, a forced transfer and a burn."""
    rows = []
    for i, wallet in enumerate(WALLETS):
        identity = f"0x{i + 1000:040x}"
        rows.append(ev("IdentityRegistered", 1, investorAddress=wallet, identity=identity))
        profile = {"country": (840, 276, 826)[i % 3]}
        rows.append(ev("InvestorProfileSet", 1, identity=identity, next=profile))
    for i, wallet in enumerate(WALLETS):
        rows.append(ev("Transfer", 2 + i, **{"from": ZERO, "to": wallet, "value": 10**24 + i}))
    block = 100
    for n in range(transfers):
        sender, recipient = WALLETS[n % 30], WALLETS[(n * 7 + 3) % 30]
        rows.append(ev("Transfer", block, **{"from": sender, "to": recipient, "value": 10**18 + n}))
        block += 1
    rows.append(ev("AddressFrozen", block, userAddress=WALLETS[4], isFrozen=True, owner=WALLETS[5]))
    forced = {"from": WALLETS[4], "to": WALLETS[6], "amount": 7}
    rows.append(ev("ForcedTransfer", block + 1, agent=WALLETS[5], **forced))
    rows.append(ev("Transfer", block + 1, **{"from": WALLETS[4], "to": WALLETS[6], "value": 7}))
    rows.append(ev("Transfer", block + 2, **{"from": WALLETS[9], "to": ZERO, "value": 5}))
    return rows


def rendered(report) -> list[str]:
    buffer = io.BytesIO()
    render_compliance(report.to_json(), STAMP, buffer, NAMES)
    return pdf_pages(buffer.getvalue())


@pytest.fixture(scope="module")
def report():
    report = build_report(events(40), 1_700_000_000, 1_700_004_000)
    report.token = TOKEN
    return report


@pytest.fixture(scope="module")
def pages(report):
    return rendered(report)


def label(code, names=NAMES):
    return "-" if code is None else f"{code} {names[code]}" if code in names else str(code)


def test_rpt_5__compliance_pdf__every_row_as_the_report_has_it(report, pages):
    text = flat(pages)
    assert len(report.transactions) == 30 + 40 + 2 and len(report.freezes) == 1
    for t in report.transactions:
        row = (
            f"{t['block']} {utc(t['timestamp'])[:-4]} {t['type']} {t['from']} {t['to']} "
            f"{amount(t['amount'])} {label(t['from_country'])} {label(t['to_country'])} {t['tx']}"
        )
        assert row in text, row
    [freeze] = report.freezes
    row = (
        f"{freeze['block']} {utc(freeze['timestamp'])[:-4]} AddressFrozen yes {freeze['wallet']} "
        f"{freeze['by']} {label(freeze['country'])} {freeze['tx']}"
    )
    assert row in text, row
    assert [h["country"] for h in report.holders] == [276, 826, 840]
    for h in report.holders:
        assert f"{label(h['country'])} {h['holders']} {amount(h['balance'])}" in text
    assert sum(h["balance"] for h in report.holders) == report.total_supply
    assert f"total supply at period end: {amount(report.total_supply)} (token base units)" in text
    assert "Transactions: 72; freeze events: 1;" in text
    assert f"Period: {utc(1_700_000_000)} to {utc(1_700_004_000)} (inclusive); scope: all" in text
    assert "Data: ethereum:local, block 5000 at " in text
    assert f"Token: {TOKEN}." in text
    # The forced transfer and the burn keep their classification.
    assert [t["type"] for t in report.transactions[-2:]] == ["forced-transfer", "burn"]


def test_rpt_5__compliance_pdf__one_jurisdiction__scope_stated_rows_filtered():
    report = build_report(events(10), 1_700_000_000, 1_700_004_000, jurisdiction=276)
    text = flat(rendered(report))
    assert "scope: jurisdiction 276 Germany" in text
    assert [h["country"] for h in report.holders] == [276]
    others = [w for i, w in enumerate(WALLETS) if i % 3 != 1]
    shown = {t["to"] for t in report.transactions} | {t["from"] for t in report.transactions}
    shown |= {f["wallet"] for f in report.freezes} | {f["by"] for f in report.freezes}
    # A transfer shows only when one side is in Germany; a wallet with no German counterparty
    # never appears.
    assert all(t["from_country"] == 276 or t["to_country"] == 276 for t in report.transactions)
    for wallet in set(others) - shown:
        assert wallet not in text


def test_rpt_5__compliance_pdf__long_report__pages_numbered_header_on_each(tmp_path):
    report = build_report(events(600), 1_700_000_000, 1_700_004_000)
    pages = rendered(report)
    assert len(pages) >= 10
    for number, page in enumerate(pages, start=1):
        assert f"Page {number}" in page and "Data: ethereum:local, block 5000" in page
    transaction_pages = [p for p in pages if "0x" + f"{150:064x}" in p or "mint" in p]
    assert all("block" in p and "time (UTC)" in p for p in transaction_pages)
    text = flat(pages)
    assert all(t["tx"] in text for t in report.transactions)


def test_rpt_5__compliance_pdf__widest_cells_fit_their_columns():
    """An address, a transaction hash (Courier) and a 10^27 amount fit the columns they sit in."""

    def fits(text, font, size, width_mm):
        return stringWidth(text, font, size) + 2 * PADDING <= width_mm * mm

    address, tx = "0x" + "ff" * 20, "0x" + "ff" * 32
    big = amount(10**27 - 1)
    assert fits(address, "Courier", MONO_SIZE, TRANSACTION_WIDTHS[3])
    assert fits(tx, "Courier", MONO_SIZE, TRANSACTION_WIDTHS[6])
    assert fits(big, "Helvetica", FONT_SIZE, TRANSACTION_WIDTHS[4])
    assert fits(address, "Courier", MONO_SIZE, FREEZE_WIDTHS[3])
    assert fits(tx, "Courier", MONO_SIZE, FREEZE_WIDTHS[6])
    assert fits(big, "Helvetica", FONT_SIZE, FREEZE_WIDTHS[4])
    assert fits("SanctionsFreeze", "Helvetica", FONT_SIZE, FREEZE_WIDTHS[2])
    # The longest name of keepers/data/jurisdictions.yaml.
    for widths in (TRANSACTION_WIDTHS[5], FREEZE_WIDTHS[5]):
        assert fits("784 United Arab Emirates", "Helvetica", FONT_SIZE, widths)
    # A4 landscape less the margins holds each table.
    assert sum(FREEZE_WIDTHS) <= 297 - 30 and sum(TRANSACTION_WIDTHS) <= 297 - 30


def test_rpt_5__compliance_pdf__whole_units_with_the_symbol_and_named_addresses():
    """Issue 33 §2: with the token's symbol and decimals read, the PDF shows amounts in whole units
    with the symbol (exact: no digit dropped) where it showed base units, says so, and lists the
    addresses the deployment record names; the report's JSON and CSV keep base units."""
    report = build_report(events(3), 1_700_000_000, 1_700_004_000)
    report.token, report.token_symbol, report.token_decimals = TOKEN, "QSPX", 18
    report.names = {WALLETS[5]: "FundDesk"}
    text = flat(rendered(report))
    assert "amounts in whole QSPX (18 decimals; the CSV files keep base units)" in text
    first = report.transactions[0]
    assert first["amount"] == 10**24  # base units in the report's rows
    assert f"{first['to']} 1,000,000 QSPX" in text
    assert "1,000,000.000000000000000001 QSPX" in text  # 10**24 + 1: exact
    assert "0.000000000000000007 QSPX" in text  # the forced transfer: 7 base units
    supply = amount(report.total_supply, 18, "QSPX")
    assert f"total supply at period end: {supply}." in text and "(token base units)" not in text
    assert "Named addresses" in text and f"{WALLETS[5]} FundDesk" in text


def test_rpt_5__compliance_pdf__the_widest_whole_unit_amount_fits():
    """The longest amount in whole units (just under 10**27 base units of an 18-decimal token,
    every fraction digit kept) fits the amount columns."""
    widest = amount(10**27 - 1, 18, "QSPX")
    assert widest == "999,999,999.999999999999999999 QSPX"
    width = stringWidth(widest, "Helvetica", FONT_SIZE) + 2 * PADDING
    assert width <= TRANSACTION_WIDTHS[4] * mm and width <= FREEZE_WIDTHS[4] * mm
