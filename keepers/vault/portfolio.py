"""The fund's portfolio definition (keepers/data/portfolio.yaml) and the real daily price history
its assets follow in demos and backtests, built from the `arch` package's data sets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from keepers.core.errors import QuanteraError

DEFAULT_PORTFOLIO = Path(__file__).resolve().parent.parent / "data" / "portfolio.yaml"
CLASSES = (
    "cash_stablecoin",
    "tbill",
    "treasury_note",
    "ig_credit",
    "hy_credit",
    "equity",
    "commodity",
    "other",
)
SERIES = ("constant", "tbill", "sp500", "nasdaq", "wti")
LIMIT_FIELDS = (
    "minLiquidBps",
    "maxVar95Bps",
    "maxVar99Bps",
    "maxEsBps",
    "maxStressLossBps",
    "maxDrawdownBps",
    "hardDrawdownBps",
    "maxModelAge",
    "maxPriceAge",
    "minUpdateDelay",
    "maxVolChangeBps",
    "maxCorrelationChange",
    "maxStressChangeBps",
    "boundWindowHours",
    "maxClassWeightBps",
)


# The vault's bounds on its trade limits (PortfolioVault.MAX_TRADE_SLIPPAGE_BPS, MIN_ and
# MAX_LOSS_REFILL_PERIOD).
MAX_TRADE_SLIPPAGE_BPS = 1_000
MIN_LOSS_REFILL_PERIOD, MAX_LOSS_REFILL_PERIOD = 3_600, 365 * 86_400


class PortfolioError(QuanteraError, ValueError):
    """A portfolio definition the vault, the risk engine or the rebalancer cannot use."""


@dataclass(frozen=True)
class PortfolioAsset:
    symbol: str
    name: str
    asset_class: str
    liquid: bool
    max_weight_bps: int
    series: str
    token: str | None

    @property
    def class_index(self) -> int:
        return CLASSES.index(self.asset_class)


@dataclass(frozen=True)
class Portfolio:
    name: str
    symbol: str
    assets: list[PortfolioAsset]
    limits: dict
    rebalancing: dict | None = None
    dealing_fee_bps: int = 0
    trade_limits: dict | None = None

    def strategy_tuple(self) -> tuple:
        """The AutoRebalancer's StrategyConfig for this portfolio (the `rebalancing` section)."""
        if not self.rebalancing:
            raise PortfolioError("portfolio has no `rebalancing` section")
        r = self.rebalancing
        minimum = [int(r["min_cash_bps"])] + [0] * (len(self.assets) - 1)
        maximum = [a.max_weight_bps for a in self.assets]
        return (
            minimum,
            maximum,
            int(r["drift_threshold_bps"]),
            int(r["max_trade_bps"]),
            int(r["max_slippage_bps"]),
            int(r["signer_threshold"]),
            int(r["cooldown"]),
            int(r["loss_refill_period"]),
            int(r["max_base_fee_gwei"]) * 10**9,
            int(r["loss_budget_usd"]) * 10**18,
            int(r.get("max_snapshot_age", 0)),
        )

    def trade_limits_tuple(self) -> tuple[int, int, int] | None:
        """The vault's `setTradeLimits` arguments (the `trade_limits` section; None without one):
        (maxSlippageBps, lossBudget in 18-decimal USD, lossRefillPeriod in seconds)."""
        if not self.trade_limits:
            return None
        t = self.trade_limits
        return (
            int(t["max_slippage_bps"]),
            int(t["loss_budget_usd"]) * 10**18,
            int(t["loss_refill_period"]),
        )

    def limits_tuple(self) -> tuple:
        return tuple(self.limits[f] for f in LIMIT_FIELDS)

    def asset_risk(self) -> list[tuple[int, int, bool]]:
        return [(a.max_weight_bps, a.class_index, a.liquid) for a in self.assets]


def load_portfolio(path: Path = DEFAULT_PORTFOLIO) -> Portfolio:
    data = yaml.safe_load(path.read_text())
    for key in ("name", "symbol"):
        # YAML reads an unquoted ON, yes or 1 as a boolean or a number (helper-110).
        if not isinstance(data.get(key), str) or not data[key]:
            raise PortfolioError(
                f"{path}: {key} {data.get(key)!r} is not text: give the shares' {key} as a "
                "quoted string"
            )
    assets = []
    for entry in data["assets"]:
        asset = PortfolioAsset(
            entry["symbol"],
            entry.get("name", entry["symbol"]),
            entry["class"],
            bool(entry["liquid"]),
            int(entry["max_weight_bps"]),
            entry["series"],
            entry.get("token"),
        )
        if asset.asset_class not in CLASSES:
            raise PortfolioError(f"{path}: {asset.symbol}: unknown class {asset.asset_class!r}")
        if asset.series not in SERIES:
            raise PortfolioError(
                f"{path}: {asset.symbol}: unknown series {asset.series!r} (one of {SERIES})"
            )
        assets.append(asset)
    missing = [f for f in LIMIT_FIELDS if f not in data["limits"]]
    if missing:
        raise PortfolioError(f"{path}: limits missing {', '.join(missing)}")
    fee = int(data.get("dealing_fee_bps", 0))
    if not 0 <= fee <= 200:
        raise PortfolioError(
            f"{path}: dealing_fee_bps {fee} outside 0..200 (the vault's MAX_DEALING_FEE_BPS)"
        )
    trade_limits = data.get("trade_limits")
    if trade_limits is not None:
        slippage, period = (
            int(trade_limits["max_slippage_bps"]),
            int(trade_limits["loss_refill_period"]),
        )
        if not 0 <= slippage <= MAX_TRADE_SLIPPAGE_BPS:
            raise PortfolioError(
                f"{path}: trade_limits.max_slippage_bps {slippage} outside"
                f" 0..{MAX_TRADE_SLIPPAGE_BPS} (the vault's MAX_TRADE_SLIPPAGE_BPS)"
            )
        if not MIN_LOSS_REFILL_PERIOD <= period <= MAX_LOSS_REFILL_PERIOD:
            raise PortfolioError(
                f"{path}: trade_limits.loss_refill_period {period} outside"
                f" {MIN_LOSS_REFILL_PERIOD}..{MAX_LOSS_REFILL_PERIOD} s (the vault's bounds)"
            )
    return Portfolio(
        data["name"],
        data["symbol"],
        assets,
        data["limits"],
        data.get("rebalancing"),
        fee,
        trade_limits,
    )


def history(portfolio: Portfolio) -> pd.DataFrame:
    """Daily prices (USD) per asset on S&P 500 trading days, 1999-2018, from arch.data: the
    S&P 500 and Nasdaq closes (dividend-adjusted), WTI spot (FRED), and a T-bill fund accruing
    the Fama-French monthly risk-free rate; the stablecoin at 1."""
    from arch.data import frenchdata, nasdaq, sp500, wti

    spx = sp500.load()["Adj Close"]
    index = spx.index
    rf = frenchdata.load()["RF"] / 100
    # frenchdata's index encodes YYYYMM in nanoseconds since the epoch.
    months = pd.PeriodIndex(
        [pd.Period(f"{int(v) // 100}-{int(v) % 100:02d}", "M") for v in rf.index.asi8], freq="M"
    )
    rf_by_month = pd.Series(rf.to_numpy(), index=months)
    day_months = index.to_period("M")
    days_in_month = pd.Series(1, index=index).groupby(day_months).transform("count").to_numpy()
    monthly = rf_by_month.reindex(day_months).ffill().to_numpy()
    tbill = 100 * np.cumprod((1 + monthly) ** (1 / days_in_month))
    series = {
        "constant": pd.Series(1.0, index=index),
        "tbill": pd.Series(tbill, index=index),
        "sp500": spx,
        "nasdaq": nasdaq.load()["Adj Close"].reindex(index).ffill(),
        "wti": wti.load()["DCOILWTICO"].reindex(index).ffill(),
    }
    return pd.DataFrame({a.symbol: series[a.series] for a in portfolio.assets}).dropna()
