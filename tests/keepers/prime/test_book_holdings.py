"""PrimeBook.holdings (the margin keeper's, the CLI's and the replay's read of a book), without a
chain: a stale feed stops a read only for an asset the account holds or owes (PRM-52)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from keepers.prime import book as book_module
from keepers.prime.book import Listing, PrimeBook


class StalePrice(Exception):
    """Stands for the OracleRouter's PriceUnavailable revert."""


def _book(listings: list[Listing]) -> PrimeBook:
    book = PrimeBook.__new__(PrimeBook)
    book.broker = SimpleNamespace(creditLineOf=lambda account: (10**24, 0, 0))
    book.oracle = object()
    book._listings = listings
    return book


@pytest.fixture
def listed():
    pool = SimpleNamespace(address="0xpool")
    return [
        Listing("0xusdc", "USDC", 6, 0, pool),
        Listing("0xqspx", "QSPX", 18, 10_000, None),
        Listing("0xqoil", "QOIL", 18, 15_000, None),
    ]


def _reads(balances, prices, debts):
    def read_views(calls):
        return [*balances, *prices, *debts]

    return read_views


def test_prm_52__holdings__a_stale_feed_of_an_asset_not_held_reads_as_zero(monkeypatch, listed):
    """PRM-52."""
    stale = StalePrice("QOIL: PriceUnavailable(Stale)")
    monkeypatch.setattr(
        book_module,
        "read_views",
        _reads([1_000 * 10**6, 10 * 10**18, 0], [10**18, 50 * 10**18, stale], [500 * 10**6]),
    )
    holdings = _book(listed).holdings("0xaccount")
    assert holdings["0xqoil"].price18 == 0 and holdings["0xqoil"].balance == 0
    assert holdings["0xqspx"].price18 == 50 * 10**18
    assert holdings["0xusdc"].debt == 500 * 10**6


def test_prm_52__holdings__a_stale_feed_of_a_held_asset_raises(monkeypatch, listed):
    """PRM-52: as the broker's own check would revert."""
    stale = StalePrice("QSPX: PriceUnavailable(Stale)")
    monkeypatch.setattr(
        book_module,
        "read_views",
        _reads([0, 10 * 10**18, 0], [10**18, stale, 90 * 10**18], [0]),
    )
    with pytest.raises(StalePrice):
        _book(listed).holdings("0xaccount")
