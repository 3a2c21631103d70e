"""`quantera signal train|predict`: the strategy selector on real history (no chain access)."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from keepers.core.errors import QuanteraError
from keepers.core.jsonable import echo_json

RISKY, TBILL = ["QSPX", "QNDX", "QOIL"], "QTF"


def _market():
    from keepers.rebalancing.model import portfolio_limits
    from keepers.vault import history, load_portfolio

    portfolio = load_portfolio()
    return portfolio, history(portfolio), portfolio_limits(portfolio)


FIRST_DECISION_DAY = 252  # a year of history before the first decision (the features' window)


def _decision_day(days: pd.DatetimeIndex, as_of: str) -> int:
    """The position of `as_of` (YYYY-MM-DD) in the history: its day, or the trading day before it
    (a weekend or holiday). A day after the history's last, or before its first year, is refused:
    the history cannot say what happened then (an answer for its last day would be a lie)."""
    try:
        when = pd.Timestamp(as_of)
    except ValueError:
        raise QuanteraError(f"--date {as_of!r} is not a date (YYYY-MM-DD)") from None
    if when is pd.NaT or when.tzinfo is not None:
        raise QuanteraError(f"--date {as_of!r} is not a date (YYYY-MM-DD)")
    first, last = days[FIRST_DECISION_DAY].date(), days[-1].date()
    if when.normalize() > days[-1]:
        raise QuanteraError(f"--date {as_of}: after the history, which ends on {last}")
    day = int(days.searchsorted(when, side="right")) - 1
    if day < FIRST_DECISION_DAY:
        raise QuanteraError(f"--date {as_of}: before {first}, the first day with a year of history")
    return day


@click.group()
def signal() -> None:
    """Strategy selection: train the model on real history, predict today's strategy and weights."""


@signal.command("train")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to save the weights (default keepers/data/signal_model.npz).",
)
@click.option("--epochs", type=click.IntRange(1, 1_000), default=60, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def signal_train(out_path: Path | None, epochs: int, seed: int, as_json: bool) -> None:
    """Train on 1999-2010, stop early on 2011-2014, report out of sample on 2015-2018, save."""
    from keepers.rebalancing.model import DEFAULT_MODEL, backtest, build_dataset, fit_selector

    _, prices, limits = _market()
    dataset = build_dataset(prices, RISKY, TBILL, limits)
    selector = fit_selector(dataset, epochs=epochs, seed=seed)
    result = backtest(prices, dataset, selector, limits)
    selector.report["backtest"] = result
    path = out_path or DEFAULT_MODEL
    selector.save(path)
    data = {
        "version": selector.version,
        "data_hash": selector.network.meta["data_hash"],
        "saved_to": str(path),
        "evaluation": selector.report,
    }
    if as_json:
        echo_json(data)
        return
    report = selector.report
    click.echo(f"model {selector.version} saved to {path}")
    click.echo(
        f"out of sample ({report['test_samples']} decisions): "
        f"accuracy {report['test_accuracy']:.3f} "
        f"vs naive '{report['naive_baseline']}' {report['naive_accuracy']:.3f}; "
        f"low-confidence fallbacks {report['fallback_share_test']:.0%}"
    )
    for name in ("selector", "equal_weight"):
        m = result[name]
        click.echo(
            f"{name:13} return {m['annual_return']:.2%}/y  vol {m['annual_volatility']:.2%}  "
            f"Sharpe {m['sharpe']:.2f}  max drawdown {m['max_drawdown']:.2%}  ({result['period']})"
        )


@signal.command("predict")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Trained weights (default keepers/data/signal_model.npz; the rule-based fallback when "
    "that is missing). A path given must exist.",
)
@click.option(
    "--date",
    "as_of",
    default=None,
    help="Decision day (YYYY-MM-DD, default: the last day of history).",
)
@click.option("--json", "as_json", is_flag=True)
def signal_predict(model_path: Path | None, as_of: str | None, as_json: bool) -> None:
    """The strategy for a day and its target weights (rule-based fallback when the model is missing
    or unsure, and the reason)."""
    from keepers.rebalancing.features import build_features
    from keepers.rebalancing.model import DEFAULT_MODEL, TrainedSelector, predict, strategy_weights
    from keepers.rebalancing.strategies import STRATEGIES

    portfolio, prices, limits = _market()
    path = model_path or DEFAULT_MODEL
    selector = TrainedSelector.load(path) if path.is_file() else None
    day = len(prices) - 1 if as_of is None else _decision_day(prices.index, as_of)
    features = build_features(
        prices.iloc[: day + 1],
        RISKY,
        TBILL,
        fit_until=selector.network.meta["splits"]["train_until"] if selector else None,
    )
    result = predict(selector, features.iloc[[-1]])
    weights = strategy_weights(prices, day, limits)[STRATEGIES.index(result.strategy)]
    data = {
        "date": str(prices.index[day].date()),
        "strategy": result.strategy,
        "fallback": result.fallback,
        "reason": result.reason,
        "model_version": result.model_version,
        "probabilities": result.probabilities,
        "target_weights_bps": {
            a.symbol: int(round(w * 10_000)) for a, w in zip(portfolio.assets, weights)
        },
    }
    if as_json:
        echo_json(data)
        return
    source = (
        "rule-based fallback: " + result.reason
        if result.fallback
        else f"model {result.model_version}"
    )
    click.echo(f"{data['date']}: {result.strategy} ({source})")
    click.echo(
        "  " + "  ".join(f"{s} {w / 100:.1f}%" for s, w in data["target_weights_bps"].items())
    )
