"""RSK-7..RSK-9, RSK-11, RSK-12: risk models against closed forms, Monte Carlo against the exact
Student-t VaR and ES, real-history backtests, and the `quantera risk` CLI's answers and errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from keepers.cli import cli, main
from keepers.risk import models
from keepers.risk.models import RiskInputError
from keepers.risk.stress import load_scenarios, stress_losses


@pytest.fixture(scope="module")
def equity_returns() -> pd.DataFrame:
    from arch.data import nasdaq, sp500

    prices = pd.DataFrame({"spx": sp500.load()["Adj Close"], "ndx": nasdaq.load()["Adj Close"]})
    return prices.pct_change().dropna()


def test_normal_var_es__closed_forms():
    result = models.normal_var_es(0.0, 0.01, 0.99)
    assert result.var == pytest.approx(2.326348 * 0.01, rel=1e-6)
    # 2.665 sigma
    assert result.es == pytest.approx(0.01 * stats.norm.pdf(2.326348) / 0.01, rel=1e-5)
    ten_day = models.normal_var_es(0.0, 0.01, 0.99, horizon_days=10)
    assert ten_day.var == pytest.approx(result.var * np.sqrt(10))


def test_parametric_var__gaussian_sample__matches_closed_form_of_its_moments():
    rng = np.random.default_rng(3)
    r = rng.normal(0.0002, 0.01, size=(5_000, 2))
    w = np.array([0.5, 0.5])
    result = models.parametric_var(r, w, 0.95)
    p = r @ w
    assert result.var == pytest.approx(1.644854 * p.std(ddof=1) - p.mean(), rel=1e-4)


def test_monte_carlo__normal_limit__converges_to_the_closed_form():
    cov = np.array([[1e-4, 3e-5], [3e-5, 4e-4]])
    w = np.array([0.7, 0.3])
    sigma = float(np.sqrt(w @ cov @ w))
    exact = models.normal_var_es(0.0, sigma, 0.99)
    errors = []
    for scenarios in (20_000, 400_000):
        mc = models.monte_carlo_var(
            np.zeros(2), cov, w, 0.99, scenarios=scenarios, dof=1_000.0, seed=11
        )
        errors.append(abs(mc.var - exact.var) / exact.var)
        assert mc.es > mc.var
    assert errors[1] < 0.01 and errors[1] < errors[0] + 0.005


def test_monte_carlo__student_t__fatter_tail_than_normal_same_variance_and_seeded():
    cov = np.eye(3) * 1e-4
    w = np.full(3, 1 / 3)
    t5 = models.monte_carlo_var(np.zeros(3), cov, w, 0.99, scenarios=200_000, dof=4.0, seed=5)
    again = models.monte_carlo_var(np.zeros(3), cov, w, 0.99, scenarios=200_000, dof=4.0, seed=5)
    normal = models.normal_var_es(0.0, float(np.sqrt(w @ cov @ w)), 0.99)
    assert t5 == again
    assert t5.es > normal.es * 1.05


# Monte Carlo against the exact Student-t (RSK-11, RSK-12). Three assets, means included so the
# location is checked as well as the scale.
T_COV = np.array([[4.0e-4, 1.0e-4, 5.0e-5], [1.0e-4, 2.25e-4, 3.0e-5], [5.0e-5, 3.0e-5, 1.0e-4]])
T_MEAN = np.array([5e-4, 2e-4, 1e-4])
T_WEIGHTS = np.array([0.5, 0.3, 0.2])
# At 1,000,000 scenarios the Monte Carlo standard error is about 0.3% of the VaR and 0.35% of the ES
# (measured over 100 seeds of each path, dof 4 and 5); 1.5% is about five standard errors.
MC_TOLERANCE = 0.015


def exact_student_t_var_es(mean, cov, weights, alpha, dof, horizon_days=1) -> tuple[float, float]:
    """A linear portfolio of multivariate Student-t returns scaled to covariance `cov` is
    w'mu + s T with T standard Student-t(dof) and s = sqrt(w' cov w (dof - 2) / dof):
    VaR = s q - w'mu, ES = s f(q) (dof + q^2) / ((dof - 1)(1 - alpha)) - w'mu, q = t.ppf(alpha),
    f the t density; both times sqrt(horizon_days)."""
    s = np.sqrt(weights @ cov @ weights * (dof - 2) / dof)
    q = stats.t.ppf(alpha, dof)
    tail_mean = stats.t.pdf(q, dof) * (dof + q**2) / ((dof - 1) * (1 - alpha))
    mean_p, h = mean @ weights, np.sqrt(horizon_days)
    return (s * q - mean_p) * h, (s * tail_mean - mean_p) * h


@pytest.mark.parametrize("asset_level", [False, True], ids=["portfolio_path", "asset_level_path"])
@pytest.mark.parametrize("dof, alpha, horizon_days", [(5.0, 0.99, 1), (4.0, 0.975, 10)])
def test_monte_carlo_var__linear_portfolio__matches_exact_student_t_var_and_es(
    asset_level, dof, alpha, horizon_days
):
    exact_var, exact_es = exact_student_t_var_es(T_MEAN, T_COV, T_WEIGHTS, alpha, dof, horizon_days)
    mc = models.monte_carlo_var(
        T_MEAN,
        T_COV,
        T_WEIGHTS,
        alpha,
        horizon_days,
        scenarios=1_000_000,
        dof=dof,
        seed=3,
        asset_level=asset_level,
    )
    assert mc.var == pytest.approx(exact_var, rel=MC_TOLERANCE)
    assert mc.es == pytest.approx(exact_es, rel=MC_TOLERANCE)
    assert (mc.method, mc.alpha, mc.horizon_days) == ("monte-carlo", alpha, horizon_days)


@pytest.mark.parametrize("asset_level", [False, True], ids=["portfolio_path", "asset_level_path"])
def test_monte_carlo_var__same_seed__same_result__other_seed__other_sample(asset_level):
    def run(seed):
        return models.monte_carlo_var(
            T_MEAN, T_COV, T_WEIGHTS, 0.99, scenarios=20_000, seed=seed, asset_level=asset_level
        )

    assert run(7) == run(7)
    assert run(7).var != run(8).var


def test_student_t_scenarios__covariance_not_inflated__block_size_free__what_asset_path_evaluates(
    monkeypatch,
):
    x = models.student_t_scenarios(T_MEAN, T_COV, scenarios=400_000, dof=5.0, seed=4)
    assert x.shape == (400_000, 3)
    # Scaled to covariance T_COV, not T_COV * dof / (dof - 2) = 1.67 T_COV (the raw t's), with its
    # correlations.
    sample_cov, sd = np.cov(x, rowvar=False), np.sqrt(np.diag(T_COV))
    np.testing.assert_allclose(np.diag(sample_cov), np.diag(T_COV), rtol=0.03)
    np.testing.assert_allclose(sample_cov / np.outer(sd, sd), T_COV / np.outer(sd, sd), atol=0.01)
    np.testing.assert_allclose(x.mean(axis=0), T_MEAN, atol=1e-4)
    monkeypatch.setattr(models, "SCENARIO_BLOCK_VALUES", 3 * 1_000)
    np.testing.assert_allclose(
        models.student_t_scenarios(T_MEAN, T_COV, 400_000, 5.0, seed=4), x, rtol=1e-12
    )
    # The asset-level path evaluates those scenarios: np.quantile (linear) and the mean beyond it.
    losses = -(x @ T_WEIGHTS)
    var = np.quantile(losses, 0.99)
    mc = models.monte_carlo_var(
        T_MEAN, T_COV, T_WEIGHTS, 0.99, scenarios=400_000, dof=5.0, seed=4, asset_level=True
    )
    assert mc.var == pytest.approx(var, rel=1e-9)
    assert mc.es == pytest.approx(losses[losses >= var].mean(), rel=1e-9)


def test_monte_carlo_component_es__elliptical__covariance_shares_of_the_exact_es():
    """For an elliptical distribution with zero mean, E[X | w'X] is linear in w'X, so asset i's
    share of the ES is w_i (cov w)_i / w' cov w."""
    alpha, dof = 0.975, 5.0
    components = models.monte_carlo_component_es(
        np.zeros(3), T_COV, T_WEIGHTS, alpha, scenarios=1_000_000, dof=dof, seed=2
    )
    asset_level = models.monte_carlo_var(
        np.zeros(3), T_COV, T_WEIGHTS, alpha, scenarios=1_000_000, dof=dof, seed=2, asset_level=True
    )
    assert components.sum() == pytest.approx(asset_level.es, rel=1e-9)
    _, exact_es = exact_student_t_var_es(np.zeros(3), T_COV, T_WEIGHTS, alpha, dof)
    shares = T_WEIGHTS * (T_COV @ T_WEIGHTS) / (T_WEIGHTS @ T_COV @ T_WEIGHTS)
    np.testing.assert_allclose(components, shares * exact_es, rtol=2 * MC_TOLERANCE)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"dof": 2.0}, "dof must be finite and above 2"),
        ({"dof": float("nan")}, "dof must be finite and above 2"),
        ({"scenarios": 999}, "need a whole number of at least 1,000 scenarios, got 999"),
        ({"scenarios": 1e6}, "need a whole number of at least 1,000 scenarios, got 1000000.0"),
        ({"cov": np.diag([1e-4, -1e-4, 1e-4])}, "covariance is not positive definite"),
        ({"cov": T_COV + np.triu(np.full((3, 3), 1e-5), 1)}, "covariance is not symmetric"),
        ({"cov": np.eye(2) * 1e-4}, "covariance must be 3x3, got (2, 2)"),
        (
            {"cov": np.where(np.eye(3) > 0, np.nan, T_COV)},
            "covariance contains NaN or infinite values",
        ),
        ({"mean": np.array([0.0, np.inf, 0.0])}, "mean contains NaN or infinite values"),
        ({"weights": np.array([0.5, 0.3, 0.1])}, "weights sum to 0.900000, not 1"),
        ({"alpha": 1.0}, "alpha must be in (0.5, 1)"),
        ({"horizon_days": 0}, "horizon_days must be a whole number of at least 1, got 0"),
    ],
)
@pytest.mark.parametrize("asset_level", [False, True], ids=["portfolio_path", "asset_level_path"])
def test_monte_carlo_var__bad_input__one_risk_input_error(change, message, asset_level):
    args = {
        "mean": T_MEAN,
        "cov": T_COV,
        "weights": T_WEIGHTS,
        "alpha": 0.99,
        "horizon_days": 1,
        "scenarios": 10_000,
        "dof": 5.0,
        "seed": 0,
    } | change
    with pytest.raises(RiskInputError) as raised:
        models.monte_carlo_var(**args, asset_level=asset_level)
    assert message in str(raised.value)


def test_cornish_fisher__no_skew_no_kurtosis__equals_normal():
    rng = np.random.default_rng(8)
    r = rng.normal(0, 0.01, size=(200_000, 1))
    cf = models.cornish_fisher_var(r, np.array([1.0]), 0.99)
    normal = models.parametric_var(r, np.array([1.0]), 0.99)
    assert cf.var == pytest.approx(normal.var, rel=0.02)


def test_ewma_volatility__matches_the_recursion():
    rng = np.random.default_rng(2)
    r = rng.normal(0, 0.01, size=(300, 1))
    var = r[:20].var()
    for x in r[:, 0]:
        var = 0.94 * var + 0.06 * x * x
    assert models.ewma_volatility(r)[0] == pytest.approx(np.sqrt(var), rel=1e-9)


def test_garch__sp500__persistent_volatility_and_plausible_forecast(equity_returns):
    fit = models.garch_volatility(equity_returns[["spx"]].to_numpy()[-2_000:])
    assert 0.9 < fit.persistence < 1.0
    assert 0.002 < fit.next_day_volatility < 0.05
    assert fit.nu is not None and fit.nu > 2


@pytest.mark.parametrize("daily_sd", [1e-4, 2e-5])
def test_garch__money_market_scale__forecast_in_the_series_units(daily_sd):
    """RSK-8: a T-bill or money-market fund moves about 0.01% a day. Fitted unscaled (percent
    returns, variance 1e-4) the optimiser forecast 2,000 times the true volatility; arch's rescaling
    keeps the forecast within the series' own scale and raises no DataScaleWarning."""
    import warnings

    from arch.utility.exceptions import DataScaleWarning

    returns = np.random.default_rng(1).standard_t(5, 1_500) * daily_sd / np.sqrt(5 / 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataScaleWarning)
        fit = models.garch_volatility(returns[:, None])
    assert 0.5 * daily_sd < fit.next_day_volatility < 2 * daily_sd
    assert 0 < fit.omega < daily_sd**2


def test_kupiec__known_values():
    result = models.kupiec_pof(exceptions=10, observations=1_000, alpha=0.99)
    assert result.lr_statistic == pytest.approx(0.0, abs=1e-9) and not result.reject_at_5pct
    result = models.kupiec_pof(exceptions=25, observations=1_000, alpha=0.99)
    assert result.reject_at_5pct and result.p_value < 1e-4


def test_backtest__real_history__historical_var_exception_rate_near_one_pct(equity_returns):
    portfolio = equity_returns.to_numpy() @ np.array([0.6, 0.4])
    forecasts, result = models.rolling_var_backtest(portfolio, 0.99, window=500)
    assert forecasts.shape[0] == result.observations == portfolio.size - 500
    assert 0.005 < result.observed_rate < 0.03


def test_performance_measures__closed_forms():
    r = np.array([0.01, -0.02, 0.015, 0.0, -0.01])
    wealth = np.cumprod(1 + r)
    expected_dd = max(
        1 - w / p for w, p in zip(wealth, np.maximum.accumulate(np.r_[1.0, wealth])[1:])
    )
    assert models.max_drawdown(r) == pytest.approx(expected_dd)
    assert models.sharpe_ratio(r) == pytest.approx(np.sqrt(252) * r.mean() / r.std(ddof=1))
    assert models.beta(2 * r, r) == pytest.approx(2.0)
    # downside dev sqrt(5e-4/5)
    assert models.sortino_ratio(r) == pytest.approx(np.sqrt(252) * r.mean() / 0.01)


def test_stress__scenario_file__sources_and_linear_losses():
    scenario_set = load_scenarios()
    assert {"credit_crisis_2008", "covid_march_2020", "rates_up_200bp", "stablecoin_depeg"} <= {
        s.name for s in scenario_set.scenarios
    }
    assert all(s.sources for s in scenario_set.scenarios)
    losses = stress_losses(np.array([0.5, 0.5]), ["cash_stablecoin", "equity"], scenario_set)
    assert losses["stablecoin_depeg"] == pytest.approx(0.5 * 0.13 + 0.5 * 0.02)


@pytest.fixture
def files(tmp_path, equity_returns):
    returns = tmp_path / "returns.csv"
    equity_returns.iloc[-1_000:].rename_axis("date").to_csv(returns)
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"spx": 0.6, "ndx": 0.4}))
    return returns, weights


@pytest.mark.parametrize("method", ["historical", "parametric", "cornish-fisher", "monte-carlo"])
def test_cli_var__each_method__json_result(files, method):
    returns, weights = files
    out = CliRunner().invoke(
        cli,
        [
            "risk",
            "var",
            "--returns",
            str(returns),
            "--weights",
            str(weights),
            "--method",
            method,
            "--scenarios",
            "20000",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["method"] == method and 0 < data["var"] < data["es"] < 0.2


def test_cli_var__bad_files__one_line_error_nonzero(tmp_path, files, capsys):
    returns, weights = files
    nan_returns = tmp_path / "nan.csv"
    nan_returns.write_text(
        "date,spx,ndx\n2020-01-01,0.01,0.02\n2020-01-02,,0.01\n2020-01-03,0.0,0.0\n"
    )
    bad_weights = tmp_path / "bad.json"
    bad_weights.write_text(json.dumps({"spx": 0.6, "ndx": 0.3}))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"spx": 0.6, "btc": 0.4}))
    cases = [
        ([str(nan_returns), str(weights)], "missing value (NaN) in column 'spx', data row 2"),
        ([str(returns), str(bad_weights)], "weights sum to 0.900000, not 1"),
        ([str(returns), str(unknown)], "weights name assets missing from the returns: btc"),
    ]
    for (r, w), message in cases:
        assert main(["risk", "var", "--returns", r, "--weights", w]) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_stress_and_backtest__json(tmp_path, files):
    returns, weights = files
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"spx": "equity", "ndx": "equity"}))
    out = CliRunner().invoke(
        cli, ["risk", "stress", "--weights", str(weights), "--classes", str(classes), "--json"]
    )
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["worst"] == "credit_crisis_2008"
    out = CliRunner().invoke(
        cli, ["risk", "backtest", "--returns", str(returns), "--weights", str(weights), "--json"]
    )
    data = json.loads(out.output)
    assert data["observations"] == 750 and "p_value" in data


def _strict(text: str):
    """JSON as any parser but Python's reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_sec_91__returns_csv_with_an_extra_field_per_row__refused_not_read_shifted(
    tmp_path, files, capsys
):
    """SEC-91: a returns CSV whose rows carry one field more than the header (pandas took the
    first as an index and read every value one column off: VaR -0.025, exit 0) is refused in one
    line naming the line, by the one strict CSV reader (keepers.core.tables) every command uses;
    the weights CSV too."""
    _, weights = files
    shifted = tmp_path / "shifted.csv"
    rows = [f"2020-01-{d:02d},0.01,-0.02,0.5" for d in range(1, 29)]
    shifted.write_text("date,spx,ndx\n" + "\n".join(rows) + "\n")
    assert main(["risk", "var", "--returns", str(shifted), "--weights", str(weights)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {shifted}: line 2 has 4 fields, the header has 3\n"
    assert main(["analytics", "metrics", "--returns", str(shifted)]) == 1
    assert "line 2 has 4 fields, the header has 3" in capsys.readouterr().err
    wide = tmp_path / "weights.csv"
    wide.write_text("asset,weight\nspx,0.6,x\nndx,0.4,y\n")
    returns, _ = files
    assert main(["risk", "var", "--returns", str(returns), "--weights", str(wide)]) == 1
    assert capsys.readouterr().err == f"error: {wide}: line 2 has 3 fields, the header has 2\n"


def test_sec_92__json_output__strict_json_nan_as_null(tmp_path, capsys):
    """SEC-92: `--json` prints strict JSON: a figure with no finite value (Cornish-Fisher's ES of
    returns with no dispersion: NaN) is null, never `NaN`, which is not JSON."""
    constant = tmp_path / "constant.csv"
    constant.write_text(
        "date,a,b\n" + "".join(f"2020-01-{d:02d},0.01,0.01\n" for d in range(1, 29))
    )
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"a": 0.5, "b": 0.5}))
    args = ["risk", "var", "--returns", str(constant), "--weights", str(weights)]
    assert main([*args, "--method", "cornish-fisher", "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    assert _strict(out)["es"] is None


def test_sec_93__boolean_weights__refused_not_read_as_one_and_zero(tmp_path, files, capsys):
    """SEC-93: weights `true`/`false` (JSON) or `True`/`False` (CSV) are not numbers: refused in
    one line, not taken as 1 and 0 (they summed to 1, exit 0); NaN and infinity too."""
    returns, _ = files
    as_json = tmp_path / "bool.json"
    as_json.write_text('{"spx": true, "ndx": false}')
    as_csv = tmp_path / "bool.csv"
    as_csv.write_text("asset,weight\nspx,True\nndx,False\n")
    infinite = tmp_path / "inf.csv"
    infinite.write_text("asset,weight\nspx,inf\nndx,-inf\n")
    cases = [
        (as_json, f"error: {as_json}: weight of 'spx': true is not a number\n"),
        (as_csv, f"error: {as_csv}: weight of 'spx': 'True' is not a number\n"),
        (infinite, f"error: {infinite}: weight of 'spx': 'inf' is not a finite number\n"),
    ]
    for path, message in cases:
        assert main(["risk", "var", "--returns", str(returns), "--weights", str(path)]) == 1
        assert capsys.readouterr().err == message
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"spx": "equity", "ndx": "equity"}))
    assert main(["risk", "stress", "--weights", str(as_json), "--classes", str(classes)]) == 1
    assert "true is not a number" in capsys.readouterr().err


def test_issue_33__negative_weight__refused_unless_shorts_are_asked_for(tmp_path, files, capsys):
    """`risk var` with a -0.5 weight was accepted silently. A short is refused in one line that
    says shorts are not allowed and how to measure one; with --allow-short it is measured, and
    the answer names the short assets (JSON `short`)."""
    returns, _ = files
    long_short = tmp_path / "long_short.json"
    long_short.write_text(json.dumps({"spx": 1.5, "ndx": -0.5}))
    args = ["risk", "var", "--returns", str(returns), "--weights", str(long_short)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "weight of 'ndx' is -0.5" in err
    assert "short positions are not allowed" in err and "--allow-short" in err
    assert main([*args, "--allow-short", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["short"] == ["ndx"] and data["var"] > 0
    long_only = tmp_path / "long.json"
    long_only.write_text(json.dumps({"spx": 0.6, "ndx": 0.4}))
    assert main([*args[:-1], str(long_only), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["short"] == []
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"spx": "equity", "ndx": "equity"}))
    stress = ["risk", "stress", "--weights", str(long_short), "--classes", str(classes)]
    assert main(stress) == 1 and "short positions" in capsys.readouterr().err
    assert main([*stress, "--allow-short", "--json"]) == 0
