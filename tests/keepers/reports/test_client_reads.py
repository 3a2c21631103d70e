"""RPT-8 and RPT-6, the pure half of the client report's chain reads (keepers/reports/
client_chain.py): what was read becomes holdings, fees and income lines, and a benchmark. No
chain."""

import pytest

from keepers.reports import ReportError
from keepers.reports.client_chain import (
    FundRead,
    PositionRead,
    VaultRead,
    fees_and_income,
    fund_holdings,
    parse_benchmark,
    vault_holdings,
)

WAD = 10**18
USDC = ("0x" + "01" * 20, "USDC", 6, 3_000_000 * 10**6, WAD, 0)
QTF = ("0x" + "02" * 20, "QTF", 18, 900 * WAD, 101 * WAD, 1)
QOIL = ("0x" + "03" * 20, "QOIL", 18, 0, 0, 3)  # no feed, and none held


def vault(client_shares, positions=(USDC, QTF, QOIL)):
    read = tuple(PositionRead(*p) for p in positions)
    name, supply = "Quantera Income Fund", 3_000 * WAD
    return VaultRead("0x" + "aa" * 20, name, read, supply, 18, client_shares, 10)


FUND = FundRead(
    instrument_id=1,
    kind="money_market_fund",
    symbol="QMMF",
    shares=2_500 * WAD,
    share_decimals=18,
    nav18=WAD + WAD // 100,  # $1.01
    asset_symbol="USDC",
    asset_decimals=6,
    fees_paid=(("redemption", 1_250_000, 2), ("subscription", 500 * 10**6, 1)),
    management_bps=100,
    income=(12 * WAD + WAD // 2, WAD),
)


def test_rpt_6__vault_holdings__the_clients_share_of_each_position_at_its_price():
    classes = {"USDC": "cash_stablecoin", "QTF": "tbill"}
    rows = vault_holdings(vault(1_000 * WAD), classes)  # a third of the vault
    assert [(h.symbol, h.asset_class, h.quantity, h.price_usd) for h in rows] == [
        ("USDC", "cash_stablecoin", 1_000_000.0, 1.0),
        ("QTF", "tbill", 300.0, 101.0),
        ("QOIL", "other", 0.0, 0.0),
    ]
    whole = vault_holdings(vault(None), classes)
    assert [h.quantity for h in whole] == [3_000_000.0, 900.0, 0.0]


def test_rpt_6__vault_holdings__a_held_asset_without_a_usable_price__one_clear_error():
    stale = ("0x" + "03" * 20, "QOIL", 18, 5 * WAD, 70 * WAD, 6)
    with pytest.raises(ReportError, match=r"no price for QOIL \(0x0303.*\): stale"):
        vault_holdings(vault(None, (USDC, stale)), {})


def test_rpt_8__fund_shares_fees_and_income__lines_as_read():
    [holding] = fund_holdings([FUND])
    assert (holding.symbol, holding.asset_class, holding.quantity) == (
        "QMMF",
        "money_market_fund",
        2_500.0,
    )
    assert holding.price_usd == pytest.approx(1.01, rel=1e-15)
    lines = [(f.item, f.amount, f.unit, f.detail) for f in fees_and_income(vault(WAD), [FUND])]
    dealing = "on every deposit and redemption, kept by the fund for the remaining holders"
    management = "a year of the fund's value, accrued in new shares owed to the fee recipient"
    assert lines == [
        ("Quantera Income Fund: dealing fee", 10, "bps", dealing),
        ("QMMF: redemption fees paid", 1.25, "USDC", "2 charges"),
        ("QMMF: subscription fees paid", 500.0, "USDC", "1 charge"),
        ("QMMF: management fee", 100, "bps", management),
        ("QMMF: income paid", 12.5, "QMMF shares", "worth 12.62 at the last NAV"),
        ("QMMF: income pending", 1.0, "QMMF shares", "worth 1.01 at the last NAV"),
    ]
    # A share class without income accounts, and no vault: its fees only.
    plain = FundRead(**{**FUND.__dict__, "income": None, "fees_paid": ()})
    assert [f.item for f in fees_and_income(None, [plain])] == ["QMMF: management fee"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("QSPX=60,QTF=30", "summing to 100"),
        ("QSPX=sixty,QTF=40", "'QSPX=sixty' is not SYMBOL=PERCENT"),
        ("", "summing to 100"),
        ("QSPX=120,QTF=-20", "summing to 100"),
    ],
)
def test_rpt_6__benchmark_option__percent_weights_or_one_clear_error(text, message):
    assert parse_benchmark("QSPX=60, QTF=40") == {"QSPX": 0.6, "QTF": 0.4}
    with pytest.raises(ReportError, match=message):
        parse_benchmark(text)
