"""RBL-3: the signal model (issue 6, part 7): features, the numpy network, strategies within the
risk limits, time-split training with an honest out-of-sample report, saved versions, the
fallback."""

import json

import numpy as np
import pandas as pd
import pytest

from keepers.cli import main
from keepers.rebalancing.features import Standardiser, build_features
from keepers.rebalancing.model import (
    CONFIDENCE_FLOOR,
    RULE_BASED,
    SPLITS,
    TrainedSelector,
    backtest,
    build_dataset,
    fit_selector,
    portfolio_limits,
    predict,
    split,
)
from keepers.rebalancing.network import Network, train
from keepers.rebalancing.strategies import STRATEGIES, target_weights
from keepers.vault import history, load_portfolio

RISKY, TBILL = ["QSPX", "QNDX", "QOIL"], "QTF"


@pytest.fixture(scope="module")
def market():
    portfolio = load_portfolio()
    return portfolio, history(portfolio), portfolio_limits(portfolio)


@pytest.fixture(scope="module")
def dataset(market):
    _, prices, limits = market
    return build_dataset(prices, RISKY, TBILL, limits)


@pytest.fixture(scope="module")
def selector(dataset):
    return fit_selector(dataset, epochs=30)


def test_features__at_least_twenty_and_never_nan_after_standardising(market):
    _, prices, _ = market
    features = build_features(prices, RISKY, TBILL, fit_until=SPLITS[0])
    assert features.shape[1] >= 20
    train = features.loc[: SPLITS[0]].iloc[300:]
    damaged = features.copy()
    rng = np.random.default_rng(1)
    damaged = damaged.mask(rng.random(damaged.shape) < 0.1)  # 10% of values missing at random
    standardiser = Standardiser.fit(train)
    x = standardiser.transform(damaged)
    assert np.isfinite(x).all() and np.abs(x).max() <= 5.0
    assert np.abs(standardiser.transform(train).mean(axis=0)).max() < 0.5  # training rows centred


def test_network__backprop_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    net = Network.initialise(4, 3, hidden=(5, 4, 3), seed=2)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    _, grads_w, _ = net.gradients(x, y)
    for layer in (0, 3):
        i, j = 1, 2
        original = net.weights[layer][i, j]
        net.weights[layer][i, j] = original + 1e-6
        up = net.gradients(x, y)[0]
        net.weights[layer][i, j] = original - 1e-6
        down = net.gradients(x, y)[0]
        net.weights[layer][i, j] = original
        assert grads_w[layer][i, j] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-8)


def test_network__adam_with_dropout_learns_a_separable_problem():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 6))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    net = Network.initialise(6, 3, seed=4)
    fit = train(net, x[:400], y[:400], x[400:], y[400:], epochs=80, dropout=0.2, rate=3e-3)
    accuracy = (net.predict_proba(x[400:]).argmax(axis=1) == y[400:]).mean()
    assert accuracy > 0.9 and fit["best_val_loss"] < 0.4
    assert [w.shape[1] for w in net.weights[:-1]] == [128, 64, 32]


def test_strategies__weights_respect_every_limit(market):
    portfolio, prices, limits = market
    returns = np.diff(np.log(prices.to_numpy()), axis=0)
    rng = np.random.default_rng(5)
    for _ in range(40):
        start = int(rng.integers(300, len(returns) - 70))
        momentum = rng.normal(size=returns.shape[1])
        for strategy in STRATEGIES:
            w = target_weights(strategy, returns[start : start + 63], limits, momentum)
            assert w.sum() == pytest.approx(1.0) and (w >= -1e-12).all()
            assert (w <= limits.max_weight + 1e-9).all()
            for cls, cap in limits.class_cap.items():
                assert w[limits.asset_class == cls].sum() <= cap + 1e-9
            assert w[limits.liquid].sum() >= limits.min_liquid - 1e-9


def test_training__split_by_time_with_embargo_and_honest_report(dataset, selector):
    masks = split(dataset)
    train_dates, val_dates, test_dates = (
        dataset.dates[masks[k]] for k in ("train", "validation", "test")
    )
    assert train_dates.max() < val_dates.min() and val_dates.max() < test_dates.min()
    assert (
        not (masks["train"] & masks["validation"]).any()
        and not (masks["validation"] & masks["test"]).any()
    )
    assert (train_dates + pd.tseries.offsets.BDay(21)).max() <= pd.Timestamp(SPLITS[0])
    report = selector.report
    assert report["test_samples"] == masks["test"].sum() > 100
    assert 0.0 <= report["test_accuracy"] <= 1.0 and report["naive_baseline"] in STRATEGIES
    assert set(report["mean_21d_return_test"]) == {"selector", *STRATEGIES}


def test_save_load__same_predictions_version_and_data_hash(selector, dataset, tmp_path):
    path = tmp_path / "model.npz"
    selector.save(path)
    loaded = TrainedSelector.load(path)
    x = selector.standardiser.transform(dataset.features)
    np.testing.assert_allclose(
        loaded.network.predict_proba(loaded.standardiser.transform(dataset.features)),
        selector.network.predict_proba(x),
    )
    assert loaded.version == selector.version and loaded.version.endswith(
        selector.network.meta["data_hash"][:10]
    )
    assert loaded.network.meta["features"] == list(dataset.features.columns)


def test_predict__no_model_or_low_confidence__rule_based_and_says_why(selector, dataset):
    row = dataset.features.iloc[[-1]]
    assert (
        predict(None, row).strategy == RULE_BASED
        and predict(None, row).reason == "no trained model"
    )
    unsure = TrainedSelector(
        Network(
            [w * 0 for w in selector.network.weights],
            [b * 0 for b in selector.network.biases],
            dict(selector.network.meta),
        ),
        selector.standardiser,
    )
    signal = predict(unsure, row)  # all-zero network: uniform 25% < floor
    assert (
        signal.fallback and signal.strategy == RULE_BASED and str(CONFIDENCE_FLOOR) in signal.reason
    )


def test_backtest__metrics_for_selector_and_equal_weight(market, dataset, selector):
    _, prices, limits = market
    result = backtest(prices, dataset, selector, limits)
    for name in ("selector", "equal_weight"):
        m = result[name]
        assert np.isfinite(
            [m["annual_return"], m["annual_volatility"], m["sharpe"], m["max_drawdown"]]
        ).all()
        assert 0 <= m["max_drawdown"] < 1 and m["annual_volatility"] > 0
    assert result["period"].startswith("2015")


def test_cli__train_and_predict_json_and_one_line_errors(tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["signal", "train", "--out", str(model), "--epochs", "5", "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["version"].startswith("selector-") and model.is_file()
    assert main(["signal", "predict", "--model", str(model), "--date", "2016-06-24", "--json"]) == 0
    predicted = json.loads(capsys.readouterr().out)
    assert predicted["model_version"] == trained["version"] and sum(
        predicted["target_weights_bps"].values()
    ) in (9_999, 10_000, 10_001)
    assert main(["signal", "predict", "--date", "not-a-day"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --date 'not-a-day' is not a date") and err.count("\n") == 1


def test_sec_94__predict_a_date_outside_the_history__refused_one_line(capsys):
    """SEC-94: `signal predict --date` after the history's last day (it answered for 2018-12-31,
    exit 0) or before its first year is refused in one line naming the history's bounds; a
    weekend inside it still answers for the trading day before."""
    assert main(["signal", "predict", "--date", "2099-01-01", "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: --date 2099-01-01: after the history, which ends on 2018-12-31\n"
    assert main(["signal", "predict", "--date", "1999-02-01"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --date 1999-02-01: before ") and err.count("\n") == 1
    assert main(["signal", "predict", "--date", "2016-06-25", "--json"]) == 0  # a Saturday
    assert json.loads(capsys.readouterr().out)["date"] == "2016-06-24"


def test_sec_95__predict_with_a_missing_model_file__refused_not_the_fallback(tmp_path, capsys):
    """SEC-95: `signal predict --model PATH` naming no file is refused (usage error, exit 2, one
    line), never answered silently by the rule-based fallback."""
    missing = tmp_path / "nonexistent.npz"
    assert main(["signal", "predict", "--model", str(missing), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "'--model'" in captured.err and "does not exist" in captured.err
