"""The strategy selector: data set from real history, time-split training, out-of-sample report,
saved weights with version and data hash, and the prediction with its rule-based fallback.

Labels: on each decision day, the strategy (of `strategies.STRATEGIES`) whose weights, computed from
the data up to that day, earn the most over the next 21 trading days. The model learns P(best
strategy | features). Samples whose forward window crosses a split boundary are dropped (embargo).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from keepers.rebalancing.features import Standardiser, build_features
from keepers.rebalancing.network import Network, train
from keepers.rebalancing.strategies import (
    LOOKBACK_DAYS,
    STRATEGIES,
    Limits,
    project,
    target_weights,
)

HORIZON_DAYS = 21
DECISION_STEP_DAYS = 5
WARMUP_DAYS = 252
SPLITS = ("2010-12-31", "2014-12-31")  # train until, validation until; test after
CONFIDENCE_FLOOR = 0.40  # below it the keeper uses the rule-based strategy
RULE_BASED = "risk_parity"
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "data" / "signal_model.npz"


@dataclass
class Dataset:
    dates: pd.DatetimeIndex
    features: pd.DataFrame  # raw features on decision days
    labels: np.ndarray  # index into STRATEGIES
    forward: np.ndarray  # (samples, strategies) forward returns, for reports
    all_features: pd.DataFrame  # every trading day (the backtest decides on any day)


def portfolio_limits(portfolio) -> Limits:
    """The RiskEngine limits of keepers/data/portfolio.yaml as fractions."""
    caps = np.array([a.max_weight_bps for a in portfolio.assets]) / 10_000
    classes = np.array([a.class_index for a in portfolio.assets])
    class_caps = {i: c / 10_000 for i, c in enumerate(portfolio.limits["maxClassWeightBps"]) if c}
    liquid = np.array([a.liquid for a in portfolio.assets])
    return Limits(caps, classes, class_caps, liquid, portfolio.limits["minLiquidBps"] / 10_000)


def strategy_weights(prices: pd.DataFrame, day: int, limits: Limits) -> np.ndarray:
    """(strategies, assets) target weights from the data up to row `day` (inclusive)."""
    window = prices.iloc[day - LOOKBACK_DAYS : day + 1].to_numpy(dtype=float)
    returns = np.diff(np.log(window), axis=0)
    momentum = np.log(prices.iloc[day - 21].to_numpy() / prices.iloc[day - 252].to_numpy())
    return np.array([target_weights(s, returns, limits, momentum) for s in STRATEGIES])


def build_dataset(
    prices: pd.DataFrame, risky: list[str], tbill: str, limits: Limits, fit_until: str = SPLITS[0]
) -> Dataset:
    features = build_features(prices, risky, tbill, fit_until=fit_until)
    days = list(range(WARMUP_DAYS, len(prices) - HORIZON_DAYS, DECISION_STEP_DAYS))
    values = prices.to_numpy(dtype=float)
    forward = np.array(
        [
            strategy_weights(prices, d, limits) @ (values[d + HORIZON_DAYS] / values[d] - 1)
            for d in days
        ]
    )
    return Dataset(
        prices.index[days], features.iloc[days], forward.argmax(axis=1), forward, features
    )


def split(dataset: Dataset, splits: tuple[str, str] = SPLITS) -> dict[str, np.ndarray]:
    """Row masks by time with an embargo: a sample's 21-day forward window stays inside its
    split."""
    dates = dataset.dates
    ends = dates + pd.tseries.offsets.BDay(HORIZON_DAYS)
    train_end, val_end = (pd.Timestamp(s) for s in splits)
    return {
        "train": np.asarray(ends <= train_end),
        "validation": np.asarray((dates > train_end) & (ends <= val_end)),
        "test": np.asarray(dates > val_end),
    }


def data_hash(x: np.ndarray, y: np.ndarray) -> str:
    return hashlib.sha256(
        np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()
    ).hexdigest()


@dataclass
class TrainedSelector:
    network: Network
    standardiser: Standardiser
    report: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.network.meta["version"]

    def save(self, path: Path) -> None:
        self.network.meta["standardiser"] = {
            "columns": list(self.standardiser.columns),
            "median": self.standardiser.median.tolist(),
            "mean": self.standardiser.mean.tolist(),
            "scale": self.standardiser.scale.tolist(),
        }
        self.network.meta["report"] = self.report
        path.parent.mkdir(parents=True, exist_ok=True)
        self.network.save(path)

    @classmethod
    def load(cls, path: Path) -> TrainedSelector:
        network = Network.load(path)
        s = network.meta["standardiser"]
        standardiser = Standardiser(
            tuple(s["columns"]), np.array(s["median"]), np.array(s["mean"]), np.array(s["scale"])
        )
        return cls(network, standardiser, network.meta.get("report", {}))


def fit_selector(
    dataset: Dataset, epochs: int = 60, seed: int = 0, hidden: tuple[int, ...] | None = None
) -> TrainedSelector:
    masks = split(dataset)
    standardiser = Standardiser.fit(dataset.features[masks["train"]])
    x = standardiser.transform(dataset.features)
    y = dataset.labels
    kwargs = {} if hidden is None else {"hidden": hidden}
    network = Network.initialise(x.shape[1], len(STRATEGIES), seed=seed, **kwargs)
    fit = train(
        network,
        x[masks["train"]],
        y[masks["train"]],
        x[masks["validation"]],
        y[masks["validation"]],
        epochs=epochs,
        seed=seed,
    )
    digest = data_hash(
        x[masks["train"] | masks["validation"]], y[masks["train"] | masks["validation"]]
    )
    network.meta = {
        "version": f"selector-{datetime.now(UTC):%Y%m%d}-{digest[:10]}",
        "data_hash": digest,
        "features": list(standardiser.columns),
        "strategies": list(STRATEGIES),
        "splits": {"train_until": SPLITS[0], "validation_until": SPLITS[1]},
        "training": fit,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    selector = TrainedSelector(network, standardiser)
    selector.report = evaluate(selector, dataset, masks)
    return selector


def evaluate(selector: TrainedSelector, dataset: Dataset, masks: dict[str, np.ndarray]) -> dict:
    """Out-of-sample (test split) accuracy against the naive baseline (the training set's most
    frequent label), and what picking the predicted strategy earned against each fixed strategy."""
    x = selector.standardiser.transform(dataset.features)
    probs = selector.network.predict_proba(x)
    test, train_rows = masks["test"], masks["train"]
    majority = int(np.bincount(dataset.labels[train_rows], minlength=len(STRATEGIES)).argmax())
    chosen = choose(probs)
    picked = dataset.forward[np.arange(len(chosen)), chosen]
    return {
        "test_samples": int(test.sum()),
        "test_accuracy": float((probs[test].argmax(axis=1) == dataset.labels[test]).mean()),
        "naive_baseline": STRATEGIES[majority],
        "naive_accuracy": float((dataset.labels[test] == majority).mean()),
        "label_shares_train": {
            s: float(np.mean(dataset.labels[train_rows] == i)) for i, s in enumerate(STRATEGIES)
        },
        "fallback_share_test": float(np.mean(probs[test].max(axis=1) < CONFIDENCE_FLOOR)),
        "mean_21d_return_test": {
            "selector": float(picked[test].mean()),
            **{s: float(dataset.forward[test, i].mean()) for i, s in enumerate(STRATEGIES)},
        },
    }


def choose(probs: np.ndarray) -> np.ndarray:
    """The predicted strategy, or the rule-based one where the model's confidence is below the
    floor."""
    picks = probs.argmax(axis=1)
    return np.where(probs.max(axis=1) < CONFIDENCE_FLOOR, STRATEGIES.index(RULE_BASED), picks)


@dataclass(frozen=True)
class Signal:
    strategy: str
    probabilities: dict[str, float]
    fallback: bool
    reason: str
    model_version: str | None


def predict(selector: TrainedSelector | None, features_row: pd.DataFrame) -> Signal:
    """Today's strategy. No model, or a confidence below the floor: the rule-based strategy, said
    so."""
    if selector is None:
        return Signal(RULE_BASED, {}, True, "no trained model", None)
    probs = selector.network.predict_proba(selector.standardiser.transform(features_row))[0]
    best = int(probs.argmax())
    as_dict = {s: float(p) for s, p in zip(STRATEGIES, probs)}
    if probs[best] < CONFIDENCE_FLOOR:
        return Signal(
            RULE_BASED,
            as_dict,
            True,
            f"confidence {probs[best]:.2f} below {CONFIDENCE_FLOOR}",
            selector.version,
        )
    return Signal(STRATEGIES[best], as_dict, False, "model", selector.version)


def backtest(
    prices: pd.DataFrame,
    dataset: Dataset,
    selector: TrainedSelector,
    limits: Limits,
    start: str = SPLITS[1],
) -> dict:
    """Rebalance every 21 trading days from `start`: the selector's strategy (with fallback) against
    an equal-weight portfolio projected onto the same limits; weights drift between rebalances."""
    values = prices.to_numpy(dtype=float)
    daily = values[1:] / values[:-1] - 1
    first = int(np.searchsorted(prices.index, pd.Timestamp(start), side="right"))
    x = selector.standardiser.transform(dataset.all_features)
    probs_by_day = selector.network.predict_proba(x)
    equal = project(np.full(values.shape[1], 1.0 / values.shape[1]), limits)
    paths = {"selector": [], "equal_weight": []}
    for day in range(first, len(values) - 1, HORIZON_DAYS):
        weights = {
            "selector": strategy_weights(prices, day, limits)[choose(probs_by_day[[day]])[0]],
            "equal_weight": equal,
        }
        for name, w in weights.items():
            w = w.copy()
            for d in range(day, min(day + HORIZON_DAYS, len(daily))):
                r = float(w @ daily[d])
                paths[name].append(r)
                w = w * (1 + daily[d]) / (1 + r)
    rf = float(np.mean(daily[first:, 1]))  # the T-bill fund's daily return over the test period
    return {name: metrics(np.array(path), rf) for name, path in paths.items()} | {
        "period": f"{prices.index[first].date()}..{prices.index[-1].date()}"
    }


def metrics(returns: np.ndarray, daily_rf: float) -> dict:
    nav = np.cumprod(1 + returns)
    years = len(returns) / 252
    excess = returns - daily_rf
    return {
        "annual_return": float(nav[-1] ** (1 / years) - 1),
        "annual_volatility": float(returns.std() * np.sqrt(252)),
        "sharpe": float(excess.mean() / excess.std() * np.sqrt(252)) if excess.std() > 0 else 0.0,
        "max_drawdown": float((1 - nav / np.maximum.accumulate(nav)).max()),
    }


def report_json(selector: TrainedSelector, backtest_result: dict) -> str:
    return json.dumps(
        {
            "version": selector.version,
            "data_hash": selector.network.meta["data_hash"],
            "evaluation": selector.report,
            "backtest": backtest_result,
        },
        indent=2,
        sort_keys=True,
    )
