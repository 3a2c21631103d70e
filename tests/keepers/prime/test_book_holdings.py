"""PrimeBook.holdings (the margin keeper's, the CLI's and the replay's read of a book), without a
chain: a stale feed stops a read only for an asset the account owes; a held one reads as 0, as
the broker values it (PRM-52, SEC-153)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from keepers.core.reads import ReadFailure
from keepers.prime.book import Listing, PrimeBook
from keepers.prime.margin import collateral_order


class StalePrice(Exception):
    """Stands for the OracleRouter's PriceUnavailable revert."""


def _book(listings: list[Listing], reads=None) -> PrimeBook:
    """A book over `reads` (its view's read protocol) with these listings."""
    book = PrimeBook.__new__(PrimeBook)
    book.view = SimpleNamespace(reads=reads)
    book.broker = SimpleNamespace()
    book.margin = SimpleNamespace(creditLineOf=lambda account, block_id="latest": (10**24, 0, 0))
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


def _reads(balances, prices, debts, assigned=None, carried=None):
    """The batched reads' answers in the book's order: balances, prices, the pools' debts, the
    broker's assigned debts and their carried parts (none unless given)."""

    def answer(value):
        if isinstance(value, Exception):  # a reverted call, as ApeReads gives it
            failure = ReadFailure(f"price: {value}")
            failure.error, failure.reason = value, str(value)
            return failure
        return value

    class Reads:
        def views(self, calls, block="latest", blocks=None, allow_failure=False):
            assert allow_failure  # a stale price is an answer here, not the read's failure
            zeros = [0] * len(debts)
            answers = [*balances, *prices, *debts, *(assigned or zeros), *(carried or zeros)]
            return [answer(value) for value in answers]

    return Reads


def test_prm_52__holdings__a_stale_feed_of_an_asset_not_held_reads_as_zero(listed):
    """PRM-52."""
    stale = StalePrice("QOIL: PriceUnavailable(Stale)")
    reads = _reads([1_000 * 10**6, 10 * 10**18, 0], [10**18, 50 * 10**18, stale], [500 * 10**6])()
    holdings = _book(listed, reads).holdings("0xaccount")
    assert holdings["0xqoil"].price18 == 0 and holdings["0xqoil"].balance == 0
    assert holdings["0xqspx"].price18 == 50 * 10**18
    assert holdings["0xusdc"].debt == 500 * 10**6


def test_prm_52__holdings__a_stale_feed_of_a_held_asset_reads_as_zero(listed):
    """PRM-52, SEC-153: the broker values a holding without a usable price at 0 (and refuses to
    seize it), so does the book; the keeper does not name it (`collateral_order`)."""
    stale = StalePrice("QSPX: PriceUnavailable(Stale)")
    reads = _reads([0, 10 * 10**18, 0], [10**18, stale, 90 * 10**18], [0])()
    holdings = _book(listed, reads).holdings("0xaccount")
    assert holdings["0xqspx"].balance == 10 * 10**18 and holdings["0xqspx"].price18 == 0
    assert collateral_order(holdings) == []


def test_prm_52__holdings__a_stale_feed_of_an_owed_asset_raises(listed):
    """PRM-52: as the broker's own check reverts for a debt it cannot value."""
    stale = StalePrice("USDC: PriceUnavailable(Stale)")
    reads = _reads([0, 10 * 10**18, 0], [stale, 50 * 10**18, 90 * 10**18], [500 * 10**6])()
    with pytest.raises(StalePrice):
        _book(listed, reads).holdings("0xaccount")


def test_sec_196__holdings__an_assigned_debt_is_debt__the_part_recorded(listed):
    """SEC-190: a debt the broker wrote off beside a matured note's claim and assigned to it is
    still the account's debt (the broker's health counts it): the book adds `assignedDebtOf` to
    the pool's `debtOf` and records the part (`Holding.assigned`, its pool's carry in
    `Holding.carried`); a stale feed of an asset owed
    only that way raises, as the broker's check reverts."""
    reads = _reads(
        [0, 0, 0],
        [10**18, 50 * 10**18, 90 * 10**18],
        [500 * 10**6],
        [33_750 * 10**6],
        [23_554 * 10**6],
    )()
    usdc = _book(listed, reads).holdings("0xaccount")["0xusdc"]
    assert (usdc.debt, usdc.assigned) == (34_250 * 10**6, 33_750 * 10**6)
    # The part its pool carries (`carriedDebtOf`, SEC-234): the keeper recovers carries first.
    assert usdc.carried == 23_554 * 10**6
    stale = StalePrice("USDC: PriceUnavailable(Stale)")
    reads = _reads([0, 0, 0], [stale, 50 * 10**18, 90 * 10**18], [0], [33_750 * 10**6])()
    with pytest.raises(StalePrice):
        _book(listed, reads).holdings("0xaccount")
