"""`quantera risk ...`: VaR, stress and backtests on operators' files (no chain access)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from rich.table import Table

from keepers.core.jsonable import echo_json
from keepers.core.terminal import print_table
from keepers.risk import models
from keepers.risk.inputs import load_mapping, load_returns, load_weights
from keepers.risk.models import RiskInputError
from keepers.risk.stress import DEFAULT_SCENARIOS, load_scenarios, stress_losses

METHODS = ("historical", "parametric", "cornish-fisher", "monte-carlo")
existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)


allow_short_option = click.option(
    "--allow-short",
    is_flag=True,
    help="Accept negative weights (short positions); without it a negative weight is an error.",
)


def _emit(data: dict, as_json: bool, table: Table) -> None:
    if as_json:
        echo_json(data)
    else:
        print_table(table)


@click.group()
def risk() -> None:
    """Portfolio risk from return histories: VaR/ES, stress scenarios, VaR backtests."""


@risk.command("var")
@click.option(
    "--returns",
    "returns_file",
    type=existing_file,
    required=True,
    help="CSV of daily returns, one column per asset (first column may be the date).",
)
@click.option(
    "--weights",
    "weights_file",
    type=existing_file,
    required=True,
    help="Weights by asset: JSON object or CSV with columns asset,weight; must sum to 1.",
)
@click.option("--method", type=click.Choice(METHODS), default="historical", show_default=True)
@click.option(
    "--alpha",
    type=click.FloatRange(0.5, 1.0, min_open=True, max_open=True),
    default=0.99,
    show_default=True,
    help="Confidence level.",
)
@click.option(
    "--horizon-days",
    type=click.IntRange(1, 250),
    default=1,
    show_default=True,
    help="Horizon; above one day VaR scales with the square root of time.",
)
@click.option(
    "--scenarios",
    type=click.IntRange(1_000, 10_000_000),
    default=100_000,
    show_default=True,
    help="Monte Carlo scenarios.",
)
@click.option(
    "--dof",
    type=click.FloatRange(2.0, 1_000.0, min_open=True),
    default=5.0,
    show_default=True,
    help="Monte Carlo Student-t degrees of freedom.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Monte Carlo generator seed.",
)
@allow_short_option
@click.option("--json", "as_json", is_flag=True)
def risk_var(
    returns_file: Path,
    weights_file: Path,
    method: str,
    alpha: float,
    horizon_days: int,
    scenarios: int,
    dof: float,
    seed: int,
    allow_short: bool,
    as_json: bool,
) -> None:
    """Value at Risk and Expected Shortfall of a portfolio, as fractions of its value."""
    returns = load_returns(returns_file)
    by_asset = load_weights(weights_file, list(returns.columns), allow_short)
    weights = by_asset.to_numpy()
    r = returns.to_numpy()
    if method == "historical":
        result = models.historical_var(r, weights, alpha, horizon_days)
    elif method == "parametric":
        result = models.parametric_var(r, weights, alpha, horizon_days)
    elif method == "cornish-fisher":
        result = models.cornish_fisher_var(r, weights, alpha, horizon_days)
    else:
        result = models.monte_carlo_var(
            r.mean(axis=0),
            np.atleast_2d(np.cov(r, rowvar=False)),
            weights,
            alpha,
            horizon_days,
            scenarios,
            dof,
            seed,
        )
    data = {
        "method": result.method,
        "alpha": alpha,
        "horizon_days": horizon_days,
        "var": result.var,
        "es": result.es,
        "observations": int(r.shape[0]),
        "assets": list(returns.columns),
        "short": [str(a) for a in by_asset.index[by_asset < 0]],
    }
    if method == "monte-carlo":
        data.update(scenarios=scenarios, dof=dof, seed=seed)
    table = Table(
        title=f"{result.method} VaR, {alpha:.1%}, {horizon_days} day(s), {r.shape[0]} observations"
        + (f", short {', '.join(data['short'])}" if data["short"] else "")
    )
    table.add_column("measure")
    table.add_column("loss (% of value)", justify="right")
    table.add_row("VaR", f"{result.var:.4%}")
    table.add_row("ES", f"{result.es:.4%}")
    _emit(data, as_json, table)


@risk.command("stress")
@click.option(
    "--weights",
    "weights_file",
    type=existing_file,
    required=True,
    help="Weights by asset (JSON object or CSV asset,weight); must sum to 1.",
)
@click.option(
    "--classes",
    "classes_file",
    type=existing_file,
    required=True,
    help="Asset class by asset (JSON object or CSV asset,class); classes as in the scenario file.",
)
@click.option(
    "--scenarios", "scenario_file", type=existing_file, default=DEFAULT_SCENARIOS, show_default=True
)
@allow_short_option
@click.option("--json", "as_json", is_flag=True)
def risk_stress(
    weights_file: Path, classes_file: Path, scenario_file: Path, allow_short: bool, as_json: bool
) -> None:
    """Portfolio loss in each stress scenario (with its sources)."""
    weights = load_weights(weights_file, allow_short=allow_short)
    classes = load_mapping(classes_file, "class")
    missing = sorted(set(weights.index) - set(classes))
    if missing:
        raise RiskInputError(f"{classes_file}: no asset class for {', '.join(missing)}")
    scenario_set = load_scenarios(scenario_file)
    losses = stress_losses(
        weights.to_numpy(), [str(classes[a]) for a in weights.index], scenario_set
    )
    data = {
        "losses": losses,
        "worst": max(losses, key=losses.get),
        "sources": {s.name: s.sources for s in scenario_set.scenarios},
    }
    table = Table(title="stress scenarios")
    table.add_column("scenario")
    table.add_column("loss (% of value)", justify="right")
    for name, loss in losses.items():
        table.add_row(name, f"{loss:.2%}")
    _emit(data, as_json, table)


@risk.command("backtest")
@click.option("--returns", "returns_file", type=existing_file, required=True)
@click.option("--weights", "weights_file", type=existing_file, required=True)
@click.option(
    "--alpha",
    type=click.FloatRange(0.5, 1.0, min_open=True, max_open=True),
    default=0.99,
    show_default=True,
)
@click.option(
    "--window",
    type=click.IntRange(50, 5_000),
    default=250,
    show_default=True,
    help="Trailing days behind each one-day VaR forecast.",
)
@click.option(
    "--method",
    type=click.Choice(("historical", "parametric")),
    default="historical",
    show_default=True,
)
@allow_short_option
@click.option("--json", "as_json", is_flag=True)
def risk_backtest(
    returns_file: Path,
    weights_file: Path,
    alpha: float,
    window: int,
    method: str,
    allow_short: bool,
    as_json: bool,
) -> None:
    """Rolling one-day VaR backtest with the Kupiec proportion-of-failures test."""
    returns = load_returns(returns_file)
    weights = load_weights(weights_file, list(returns.columns), allow_short).to_numpy()
    _, result = models.rolling_var_backtest(returns.to_numpy() @ weights, alpha, window, method)
    data = {
        "method": method,
        "alpha": alpha,
        "window": window,
        "observations": result.observations,
        "exceptions": result.exceptions,
        "expected_rate": result.expected_rate,
        "observed_rate": result.observed_rate,
        "lr_statistic": result.lr_statistic,
        "p_value": result.p_value,
        "reject_at_5pct": result.reject_at_5pct,
    }
    table = Table(title=f"Kupiec POF backtest, {method} VaR {alpha:.1%}, {window}-day window")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "observations",
        "exceptions",
        "expected_rate",
        "observed_rate",
        "lr_statistic",
        "p_value",
        "reject_at_5pct",
    ):
        value = data[key]
        table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
    _emit(data, as_json, table)
