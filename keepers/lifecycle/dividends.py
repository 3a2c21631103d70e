"""The money-market fund's daily dividend, paid in new shares (BUIDL / BENJI): how many shares a
declaration of `IIncomeShareToken.declareIncome(number, shares)` carries. Pure: no chain access
(the NAV agent keeper, keepers/lifecycle/declaring.py, reads the inputs and sends the result).

The model. The fund holds one-month T-bills (keepers/lifecycle/nav.py), so a share earns the
short rate: one unit held over [start, end) grows by `G(start, end)` (keepers/lifecycle/rates.py:
French's monthly RF spread geometrically over the month's days, pro rata in seconds). A
declaration over the accrual window [start, end) pays every share outstanding at the token its
income as new shares, net of the fund's fee:

    shares = floor(supply x (G(start, end) - 1) x (1 - fee_bps / 10,000))

rounded down once (never more than earned). `supply` is the token's `totalSupply()`: every share
held, escrowed for a pending redemption (the escrow earns it: the vault holds those shares) and
declared before and not yet paid into a balance (declared income earns too, so daily dividends
compound as the rate does). Shares struck for a subscription and not yet claimed are not minted,
so they earn from their claim on.

The windows. Declaration `n` accrues from where declaration `n - 1` stopped (its `end`) to the
head's time, so consecutive windows neither overlap nor leave a gap; the first accrues one day
back (`FIRST_WINDOW_SECONDS`). A declaration is due once per UTC day: when the head's UTC date is
after the window start's and the token's minimum interval has passed since the last declaration.

The token's bounds (`IIncomeShareToken`): a declaration is at least 1 share unit and at most
`MAX_DECLARATION_BPS` of the supply. A computed dividend above the bound is held, never cut (a cut
would lose the rest of the window's income for good): someone must look at why (a rate series
gone wrong, a window of weeks). Zero shares (a tiny supply, a zero rate) is "nothing to declare":
the window stays open and the next day's declaration carries it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from keepers.core.units import BPS
from keepers.lifecycle.rates import DAY_SECONDS, PRECISION, MonthlyRates

FIRST_WINDOW_SECONDS = DAY_SECONDS  # the first declaration's accrual: one day back


@dataclass(frozen=True)
class Dividend:
    """Declaration `number`'s shares over [start, end) on `supply`, and why it is held (None: it
    may be declared)."""

    number: int
    start: int
    end: int
    supply: int
    growth: Decimal
    fee_bps: int
    shares: int
    max_shares: int
    hold: str | None

    @property
    def annualised_yield(self) -> Decimal:
        """The net yield of the window, simple annual (365 days), as a fraction (0: no window)."""
        seconds = self.end - self.start
        if seconds <= 0 or self.supply == 0:
            return Decimal(0)
        with localcontext() as context:
            context.prec = PRECISION
            return Decimal(self.shares) / self.supply * 365 * DAY_SECONDS / seconds

    def as_record(self) -> dict:
        """JSON-safe (amounts as strings: they exceed 64 bits)."""
        return {
            "number": self.number,
            "start": self.start,
            "end": self.end,
            "supply": str(self.supply),
            "growth": str(self.growth),
            "fee_bps": self.fee_bps,
            "shares": str(self.shares),
            "max_shares": str(self.max_shares),
            "annualised_yield": str(self.annualised_yield),
            "hold": self.hold,
        }


def utc_date(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


def window_start(declarations: int, last_declared_at: int, last_end: int | None, now: int) -> int:
    """Where the next declaration's window starts: the previous declaration's `end` when the
    keeper recorded it (`last_end`), else its on-chain time; one day back for the first."""
    if declarations == 0:
        return now - FIRST_WINDOW_SECONDS
    return last_end if last_end is not None else last_declared_at


def is_due(start: int, last_declared_at: int, min_interval: int, now: int) -> bool:
    """Once per UTC day: the head's UTC date is after the window start's, and the token's minimum
    interval has passed since the last declaration (0: none yet)."""
    if now <= start:
        return False
    if last_declared_at and now < last_declared_at + min_interval:
        return False
    return utc_date(now) > utc_date(start)


def compute_dividend(
    number: int,
    supply: int,
    start: int,
    end: int,
    rates: MonthlyRates,
    *,
    fee_bps: int = 0,
    max_declaration_bps: int,
) -> Dividend:
    """Declaration `number`'s new shares over [start, end) (see the module notice)."""
    if number < 1:
        raise ValueError(f"declarations are numbered from 1, not {number}")
    if supply < 0:
        raise ValueError(f"supply {supply} is negative")
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    if not 0 <= fee_bps < BPS:
        raise ValueError(f"fee_bps {fee_bps} outside 0..{BPS - 1}")
    if not 0 <= max_declaration_bps <= BPS:
        raise ValueError(f"max_declaration_bps {max_declaration_bps} outside 0..{BPS}")
    growth = rates.growth(start, end)
    with localcontext() as context:
        context.prec = PRECISION
        exact = supply * (growth - 1) * (BPS - fee_bps) / BPS
        shares = max(int(exact.to_integral_value(ROUND_FLOOR)), 0)
    max_shares = supply * max_declaration_bps // BPS
    hold = None
    if shares == 0:
        hold = f"nothing to declare: supply {supply} earns under one unit over the window"
    elif shares > max_shares:
        hold = (
            f"dividend {shares} above the token's bound {max_shares} "
            f"({max_declaration_bps} bps of supply {supply})"
        )
    return Dividend(number, start, end, supply, growth, fee_bps, shares, max_shares, hold)
