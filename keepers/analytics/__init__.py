"""Analytics domain (pure, no chain access): performance and risk metrics of return series
(`metrics`: return, CAGR, volatility, Sharpe, Sortino, maximum drawdown and its duration, rolling
windows, alpha and beta against a benchmark, with empyrical-reloaded), Brinson-Fachler attribution
per segment and period, linked over periods by Carino's method (`attribution`), the Fama-French
three-factor decomposition with the factors of arch.data (`factors`), a portfolio's whole
analysis in one call (`analysis`) and the errors they raise (`errors`).

The console, the CLI and the demo report import the names below from `keepers.analytics` only
(loaded on first use: empyrical and pandas are imported then, not when the CLI starts)."""

from typing import TYPE_CHECKING

from keepers.core.exports import lazy_exports

if TYPE_CHECKING:
    from keepers.analytics.analysis import Analysis, full_analysis, portfolio_returns
    from keepers.analytics.attribution import (
        Attribution,
        LinkedAttribution,
        brinson_fachler,
        from_holdings,
    )
    from keepers.analytics.errors import AnalyticsError
    from keepers.analytics.factors import (
        FACTORS,
        FactorFit,
        factor_regression,
        fama_french_decomposition,
        fama_french_monthly,
        monthly_returns,
    )
    from keepers.analytics.metrics import (
        TRADING_DAYS,
        Drawdowns,
        Metrics,
        Rolling,
        drawdowns,
        performance,
        rolling,
    )

_MODULES = {
    "errors": ("AnalyticsError",),
    # Standard metrics (empyrical-reloaded), drawdown durations and rolling windows (vectorised).
    "metrics": (
        "TRADING_DAYS",
        "Drawdowns",
        "Metrics",
        "Rolling",
        "drawdowns",
        "performance",
        "rolling",
    ),
    # Brinson-Fachler per segment and period, Carino-linked.
    "attribution": ("Attribution", "LinkedAttribution", "brinson_fachler", "from_holdings"),
    # A portfolio's whole analysis in one call (what the console and the benchmark run).
    "analysis": ("Analysis", "full_analysis", "portfolio_returns"),
    # Fama-French three factors from arch.data, one least-squares solve for every asset.
    "factors": (
        "FACTORS",
        "FactorFit",
        "factor_regression",
        "fama_french_decomposition",
        "fama_french_monthly",
        "monthly_returns",
    ),
}
_PUBLIC = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_PUBLIC)
__getattr__ = lazy_exports(__name__, _PUBLIC)
