"""The 2008 stress replay's pure parts (issue 19 item 9; scripts/prime_stress.py runs it on chain):
the price path, the seeded institutional books, the Morpho Blue baseline on the same path, and the
report. No chain access.

Price path (arch.data, S&P 500 trading days), one series per collateral asset:
- USDC: 1 (the stablecoin; also the borrowed asset).
- QTB, a T-bill fund: accrues Kenneth French's one-month T-bill rate (`frenchdata` RF, monthly,
  compounded over the month's trading days) — `keepers.vault.history`'s `tbill` series.
- QCORP, an investment-grade credit fund: Moody's Baa yield (`default`'s BAA, monthly, linearly
  interpolated over the trading days between month starts) as a bond fund of `CREDIT_DURATION`
  years' duration: it earns the yield day by day and moves by -duration x the yield's change.
  2008: Baa 6.54% in January, 8.88% in October, 9.21% in November.
- QSPX, an S&P 500 fund: the S&P 500's dividend-adjusted close (`sp500`'s Adj Close).

Books: `generate_books` draws institutions of four kinds (pension/insurer, credit fund, equity
long-only fund, multi-asset fund), each a Dirichlet mix of the four assets around its kind's
weights, a lognormal size, and a target ratio drawn just above the 150% initial margin (the
excess exponential with mean `EXCESS_MEAN`): the USDC borrowed is what takes the account's
haircut collateral to that ratio at the opening prices (keepers.prime.model).

Morpho baseline: the same books under Morpho Blue's rules, one market per collateral asset with
a USDC loan, the LLTV of its asset class (`MORPHO_LLTV`, from Morpho's enabled set: every starting
book must be allowed, and is, since the broker's 150% on haircut collateral is stricter), its
liquidation incentive LIF = min(1.15, 1/(1 - 0.3 (1 - LLTV))), no margin call and no grace, bad
debt realised at once and socialised on that market's suppliers. A book's posted USDC nets its
debt (one does not borrow USDC against USDC on Morpho); the rest of the debt is split over its
markets in proportion to their borrowing power (value x LLTV), so each position starts at the
same fraction of its LLTV. Computed in Python (`keepers.prime.morpho_model.replay_morpho_path`,
checked against the deployed Morpho to the unit by tests/contracts/prime/test_morpho_baseline.py)
on the same daily closes, without interest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from keepers.prime import model

ASSETS = ("USDC", "QTB", "QCORP", "QSPX")
DECIMALS = {"USDC": 6, "QTB": 18, "QCORP": 18, "QSPX": 18}
# Risk weights (bps): cash 0%, T-bills 20%, IG corporates and equities 100% (haircut 8% of it).
RISK_WEIGHT_BPS = {"USDC": 0, "QTB": 2_000, "QCORP": 10_000, "QSPX": 10_000}
# The IG credit fund's modified duration (years): a Baa index of 5-10 year bonds.
CREDIT_DURATION = 6.5
INITIAL_BPS = 15_000
EXCESS_MEAN = 0.20  # mean of the target ratio's excess over initial margin (fraction of it)
MAX_TARGET_BPS = 40_000
# Morpho Blue LLTVs per collateral (from its enabled set: 62.5, 77, 86, 91.5, 94.5, 96.5, 98 %).
MORPHO_LLTV = {"QTB": 0.945, "QCORP": 0.86, "QSPX": 0.77}
# Institution kinds: Dirichlet concentration per asset (USDC, QTB, QCORP, QSPX) and the share
# of the book drawn of each kind.
KINDS: dict[str, tuple[tuple[float, float, float, float], float]] = {
    "pension or insurer": ((1.0, 6.0, 4.0, 2.0), 0.25),
    "credit fund": ((0.5, 2.0, 8.0, 1.0), 0.25),
    "equity fund": ((0.5, 0.5, 0.5, 8.0), 0.30),
    "multi-asset fund": ((1.0, 3.0, 3.0, 4.0), 0.20),
}
SIZE_MEDIAN_USD = 5_000_000
SIZE_SIGMA = 0.8


# ---------------------------------------------------------------------- prices


def credit_fund_prices(dates: pd.DatetimeIndex) -> pd.Series:
    """QCORP on `dates` (see the module notice): 100 at the first date."""
    from arch.data import default

    baa = default.load()["BAA"] / 100
    monthly = baa[baa.index <= dates[-1] + pd.offsets.MonthBegin(1)]
    daily = monthly.reindex(monthly.index.union(dates)).interpolate("time").reindex(dates)
    y = daily.to_numpy()
    dt = np.diff(dates.asi8) / (365.25 * 86_400 * 10**9)
    log_return = y[:-1] * dt - CREDIT_DURATION * np.diff(y)
    return pd.Series(100 * np.exp(np.concatenate([[0.0], np.cumsum(log_return)])), index=dates)


def stress_prices(start: str, end: str) -> pd.DataFrame:
    """USD closes of the four assets from `start` to `end` (inclusive, trading days)."""
    from keepers.vault import history, load_portfolio

    base = history(load_portfolio())
    window = base.loc[start:end]
    if len(window) < 2:
        raise ValueError(f"no history between {start} and {end} (1999-2018 trading days)")
    # The credit path starts a year before, so its first value is not an edge of the window.
    dates = base.loc[pd.Timestamp(start) - pd.Timedelta(days=366) : end].index
    credit = credit_fund_prices(dates).reindex(window.index)
    return pd.DataFrame(
        {
            "USDC": 1.0,
            "QTB": window["QTF"],
            "QCORP": credit,
            "QSPX": window["QSPX"],
        },
        index=window.index,
    )


def feed_answer(usd: float) -> int:
    """A price as the 8-decimal feed answer the price keeper reports."""
    return int(round(usd * 10**8))


def price18(usd: float) -> int:
    """The OracleRouter's price of an 8-decimal feed answer (18 decimals)."""
    return feed_answer(usd) * 10**10


# ---------------------------------------------------------------------- books


@dataclass(frozen=True)
class Book:
    """One institution's account: what it posts (token units) and borrows (USDC units)."""

    name: str
    kind: str
    posted: dict[str, int]
    borrowed: int
    target_ratio_bps: int
    spread_bps: int


def _holdings(posted: Mapping[str, int], prices: Mapping[str, float], debt: int = 0) -> list:
    out = [
        model.Holding(posted.get(s, 0), 0, price18(prices[s]), DECIMALS[s], RISK_WEIGHT_BPS[s])
        for s in ASSETS
    ]
    if debt:
        out.append(model.Holding(0, debt, price18(prices["USDC"]), 6, 0))
    return out


def generate_books(n: int, seed: int, opening: Mapping[str, float]) -> list[Book]:
    """`n` institutional books at the `opening` prices (USD per token), seeded."""
    if n < 1:
        raise ValueError("at least one account")
    rng = np.random.default_rng(seed)
    names = list(KINDS)
    shares = np.array([KINDS[k][1] for k in names])
    books = []
    for i in range(n):
        kind = names[int(rng.choice(len(names), p=shares / shares.sum()))]
        weights = rng.dirichlet(KINDS[kind][0])
        size_usd = SIZE_MEDIAN_USD * float(np.exp(rng.normal(0.0, SIZE_SIGMA)))
        posted = {}
        for symbol, w in zip(ASSETS, weights, strict=True):
            whole = size_usd * float(w) / opening[symbol]
            units = int(whole * 10 ** DECIMALS[symbol])
            if units >= 10 ** DECIMALS[symbol]:  # at least one whole token
                posted[symbol] = units
        excess = min(float(rng.exponential(EXCESS_MEAN)), MAX_TARGET_BPS / INITIAL_BPS - 1)
        target = max(INITIAL_BPS + 50, int(INITIAL_BPS * (1 + excess)))
        adjusted = model.figures(_holdings(posted, opening)).adjusted_collateral_usd
        borrowed = adjusted * 10_000 // target // 10**12
        spread = int(rng.choice([25, 50, 75, 100, 150]))
        books.append(Book(f"{kind} {i + 1:02d}", kind, posted, borrowed, target, spread))
    return books


# ---------------------------------------------------------------------- the Morpho baseline


@dataclass
class MorphoSide:
    """The books replayed under Morpho's rules (see the module notice)."""

    lltv: dict[str, float]
    liquidations: int = 0  # liquidations (account x market x day)
    accounts_liquidated: int = 0
    first_liquidation_day: dict[str, str] = field(default_factory=dict)  # book -> day
    repaid_usd: float = 0.0
    bad_debt_by_market: dict[str, float] = field(default_factory=dict)
    borrowed_usd: float = 0.0  # net of posted cash
    remaining_usd: float = 0.0
    borrowed_by_day: dict[str, float] = field(default_factory=dict)

    @property
    def bad_debt_usd(self) -> float:
        return float(sum(self.bad_debt_by_market.values()))


def morpho_baseline(
    books: Sequence[Book], prices: pd.DataFrame, lltv: Mapping[str, float] = MORPHO_LLTV
) -> MorphoSide:
    """`books` opened at `prices`' first row, replayed on the rest under Morpho's rules."""
    from keepers.prime import replay_morpho_path

    opening, path = prices.iloc[0], prices.iloc[1:]
    markets = [s for s in ASSETS if s != "USDC"]
    side = MorphoSide(dict(lltv))
    collateral = {s: np.zeros(len(books)) for s in markets}
    debt = {s: np.zeros(len(books)) for s in markets}
    for i, book in enumerate(books):
        net = max(0.0, book.borrowed / 1e6 - book.posted.get("USDC", 0) / 1e6)
        amounts = {s: book.posted.get(s, 0) / 10 ** DECIMALS[s] for s in markets}
        power = {s: amounts[s] * float(opening[s]) * lltv[s] for s in markets}
        total = sum(power.values())
        if net > total:
            raise ValueError(f"{book.name} is not allowed on Morpho at the chosen LLTVs")
        for s in markets:
            collateral[s][i] = amounts[s]
            debt[s][i] = net * power[s] / total if total else 0.0
        side.borrowed_usd += net
    days = [str(d.date()) for d in path.index]
    remaining = np.zeros(len(days))
    liquidated_any = np.zeros(len(books), dtype=bool)
    first = np.full(len(books), len(days))
    for s in markets:
        run = replay_morpho_path(collateral[s], debt[s], path[s].to_numpy(), lltv[s])
        side.liquidations += int(run.liquidations.sum())
        side.repaid_usd += float(run.repaid.sum())
        side.bad_debt_by_market[s] = run.total_bad_debt
        for k, step in enumerate(run.steps):
            remaining[k] += float(step.borrowed_after.sum())
            hit = step.liquidated & (first > k)
            first[hit] = k
            liquidated_any |= step.liquidated
    side.accounts_liquidated = int(liquidated_any.sum())
    side.first_liquidation_day = {
        books[i].name: days[int(first[i])] for i in range(len(books)) if first[i] < len(days)
    }
    side.remaining_usd = float(remaining[-1])
    side.borrowed_by_day = {d: round(float(v), 2) for d, v in zip(days, remaining, strict=True)}
    return side


# ---------------------------------------------------------------------- the report


def stress_headline(report: Mapping) -> list[tuple[str, str, str]]:
    """The stress report's headline rows: (figure, Quantera, Morpho Blue's rules)."""
    q, m = report["quantera"], report["morpho_blue"]
    worst = q["worst_account"]
    return [
        ("accounts", str(report["accounts"]), str(report["accounts"])),
        ("borrowed (USD)", f"{q['borrowed_usd']:,.0f}", f"{m['borrowed_usd']:,.0f} (net of cash)"),
        ("margin calls", str(q["margin_calls"]), "none (no call in Morpho)"),
        ("accounts liquidated", str(q["accounts_liquidated"]), str(m["accounts_liquidated"])),
        ("liquidations", str(q["liquidations"]), str(m["liquidations"])),
        (
            "median days from call to liquidation",
            str(q["days_from_call_to_liquidation"]["median_calendar"]),
            "0 (no grace)",
        ),
        (
            "debt repaid by liquidations (USD)",
            f"{q['repaid_by_liquidations_usd']:,.0f}",
            f"{m['repaid_usd']:,.0f}",
        ),
        (
            "bad debt (USD)",
            f"{sum(q['bad_debt_by_pool_usd'].values()):,.0f}",
            f"{m['bad_debt_usd']:,.0f}",
        ),
        (
            "worst account",
            f"{worst['name']} ({worst['min_ratio_bps'] / 100:.1f}%)",
            str(m["worst_account"] or "-"),
        ),
        ("peak pool utilisation", f"{max(q['utilisation_bps_by_day'].values()) / 100:.1f}%", "-"),
    ]
