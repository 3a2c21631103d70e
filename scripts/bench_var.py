"""`make bench` (`.venv/bin/python scripts/bench_var.py`; no chain needed): Monte Carlo
VaR and ES of 20 assets over 1,000,000 Student-t scenarios, side by side in one run.

Four candidates, run in turns (one of each, five times, every turn with its own seed) so that a
change in the machine's load reaches all of them alike:

- `ours_portfolio`: `keepers.risk.models.monte_carlo_var`, the default portfolio path (one
  Student-t draw per scenario: a linear portfolio of multivariate-t returns is itself a t);
- `ours_asset_level`: the same function with `asset_level=True` (every asset's scenario built,
  as component ES and non-linear holdings need);
- `plain_numpy`: the few lines a risk analyst would write (below, written out on purpose);
- `floor_20m_normals`: drawing the 20,000,000 standard normals alone.

Medians and maxima go to benchmarks/timings.json (`risk.mc_var_es_20_assets_1m.*`), with each
candidate's largest relative error against the exact Student-t VaR and ES over the five seeds.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import click
import numpy as np
from scipy import stats

from keepers.core.benchmarking import merge_json, timed
from keepers.risk.models import monte_carlo_var

TIMINGS_FILE = Path("benchmarks") / "timings.json"
PREFIX = "risk.mc_var_es_20_assets_1m."
RUNS = 5
ASSETS, SCENARIOS, ALPHA, DOF = 20, 1_000_000, 0.99, 5.0


def bench_portfolio() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The portfolio scripts/bench.py measures: 20 correlated assets, equal weights, zero mean."""
    factors = np.random.default_rng(42).normal(size=(ASSETS, ASSETS))
    cov = (factors @ factors.T / ASSETS + np.eye(ASSETS)) * 1e-4
    return np.zeros(ASSETS), cov, np.full(ASSETS, 1 / ASSETS)


def plain_numpy_var_es(mean, cov, weights, alpha, scenarios, dof, seed) -> tuple[float, float]:
    """Multivariate Student-t scenarios scaled to covariance `cov`, as `monte_carlo_var` defines
    them: Cholesky, normals, chi-square mixing; then the quantile and the mean beyond it."""
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(cov)
    z = rng.standard_normal((scenarios, len(mean)))
    chi2 = rng.chisquare(dof, scenarios)
    returns = mean + (z @ chol.T) * (np.sqrt((dof - 2) / dof) / np.sqrt(chi2 / dof))[:, None]
    losses = -(returns @ weights)
    var = np.quantile(losses, alpha)
    return float(var), float(losses[losses >= var].mean())


def exact_var_es(mean, cov, weights, alpha, dof) -> tuple[float, float]:
    """The linear portfolio's exact Student-t VaR and ES
    (tests/keepers/risk/test_risk_models.py)."""
    s = np.sqrt(weights @ cov @ weights * (dof - 2) / dof)
    q = stats.t.ppf(alpha, dof)
    tail_mean = stats.t.pdf(q, dof) * (dof + q**2) / ((dof - 1) * (1 - alpha))
    return float(s * q - mean @ weights), float(s * tail_mean - mean @ weights)


def floor_normals(seed: int) -> None:
    """The draws alone: 20,000,000 standard normals (allocated, filled, freed)."""
    np.random.default_rng(seed).standard_normal((SCENARIOS, ASSETS))


def measure() -> tuple[dict[str, dict], tuple[float, float]]:
    mean, cov, weights = bench_portfolio()

    def ours(seed: int, asset_level: bool) -> tuple[float, float]:
        result = monte_carlo_var(
            mean,
            cov,
            weights,
            ALPHA,
            scenarios=SCENARIOS,
            dof=DOF,
            seed=seed,
            asset_level=asset_level,
        )
        return result.var, result.es

    candidates = {
        "ours_portfolio": lambda seed: ours(seed, asset_level=False),
        "ours_asset_level": lambda seed: ours(seed, asset_level=True),
        "plain_numpy": lambda seed: plain_numpy_var_es(
            mean, cov, weights, ALPHA, SCENARIOS, DOF, seed
        ),
        "floor_20m_normals": floor_normals,
    }
    seconds: dict[str, list[float]] = {name: [] for name in candidates}
    answers: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    for seed in range(RUNS):
        for name, run in candidates.items():
            answer = []
            # timed() runs the lambda before the loop moves on: no late binding (B023) to fear.
            seconds[name].append(timed(lambda: answer.append(run(seed)), 1)["median_s"])  # noqa: B023
            if answer[0] is not None:
                answers[name].append(answer[0])
    exact_var, exact_es = exact_var_es(mean, cov, weights, ALPHA, DOF)
    timings = {}
    for name, samples in seconds.items():
        entry = {
            "median_s": round(statistics.median(samples), 5),
            "max_s": round(max(samples), 5),
            "runs": RUNS,
        }
        if answers[name]:
            entry["max_rel_error_var"] = round(
                max(abs(var / exact_var - 1) for var, _ in answers[name]), 5
            )
            entry["max_rel_error_es"] = round(
                max(abs(es / exact_es - 1) for _, es in answers[name]), 5
            )
        timings[PREFIX + name] = entry
    return timings, (exact_var, exact_es)


@click.command()
def cli() -> None:
    """Time Monte Carlo VaR + ES (ours, the plain numpy version, the draw floor) into
    timings.json."""
    timings, (exact_var, exact_es) = measure()
    merge_json(TIMINGS_FILE, timings)
    click.echo(f"exact 99% VaR {exact_var:.6f}, ES {exact_es:.6f} (fractions of value)")
    plain = timings[PREFIX + "plain_numpy"]["median_s"]
    for name, t in timings.items():
        errors = (
            f", max error VaR {t['max_rel_error_var']:.2%} ES {t['max_rel_error_es']:.2%}"
            if "max_rel_error_var" in t
            else ""
        )
        click.echo(
            f"{name:52} median {t['median_s']:.3f} s (plain / this {plain / t['median_s']:5.1f}x), "
            f"max {t['max_s']:.3f} s{errors}"
        )
    click.echo(f"written to {TIMINGS_FILE}")


if __name__ == "__main__":
    cli()
