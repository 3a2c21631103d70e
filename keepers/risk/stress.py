"""Stress scenarios from keepers/data/stress_scenarios.yaml: per-asset-class losses with sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from keepers.risk.models import RiskInputError

DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "stress_scenarios.yaml"


@dataclass(frozen=True)
class Scenario:
    name: str
    window: str
    losses_pct: dict[str, float]
    sources: list[str]


@dataclass(frozen=True)
class ScenarioSet:
    asset_classes: list[str]
    scenarios: list[Scenario]

    def loss_matrix_bps(self, classes: list[str]) -> np.ndarray:
        """Loss in basis points of position value, scenario x asset, for assets of these classes."""
        unknown = sorted(set(classes) - set(self.asset_classes))
        if unknown:
            raise RiskInputError(
                f"unknown asset class(es) {', '.join(unknown)}; "
                f"known: {', '.join(self.asset_classes)}"
            )
        return np.array([[s.losses_pct[c] * 100 for c in classes] for s in self.scenarios])


def load_scenarios(path: Path = DEFAULT_SCENARIOS) -> ScenarioSet:
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as err:
        raise RiskInputError(f"{path}: no such file") from err
    except yaml.YAMLError as err:
        raise RiskInputError(f"{path}: invalid YAML ({err})") from err
    classes = list(data.get("asset_classes") or [])
    scenarios = []
    for i, entry in enumerate(data.get("scenarios") or []):
        name = entry.get("name") or f"#{i + 1}"
        losses = entry.get("losses_pct") or {}
        if set(losses) != set(classes):
            raise RiskInputError(
                f"{path}: scenario {name} must give a loss for every asset class {classes}"
            )
        if not entry.get("sources"):
            raise RiskInputError(f"{path}: scenario {name} has no source")
        scenarios.append(
            Scenario(
                name,
                str(entry.get("window", "")),
                {k: float(v) for k, v in losses.items()},
                list(entry["sources"]),
            )
        )
    if not scenarios:
        raise RiskInputError(f"{path}: no scenarios")
    return ScenarioSet(classes, scenarios)


def stress_losses(
    weights: np.ndarray, classes: list[str], scenario_set: ScenarioSet
) -> dict[str, float]:
    """Portfolio loss (fraction of value, positive = loss) per scenario."""
    matrix = scenario_set.loss_matrix_bps(classes) / 10_000
    return {
        s.name: float(loss)
        for s, loss in zip(scenario_set.scenarios, matrix @ np.asarray(weights, dtype=float))
    }
