"""The margin keeper's figures in the keepers' Prometheus metrics (keepers/core/metrics.py defines
them; this module knows the shape of `MarginKeeper.cycle`'s result)."""

from __future__ import annotations

from keepers.core import metrics


def export_metrics(result: dict, keeper: str = "prime") -> None:
    """The margin keeper's figures after a cycle (`MarginKeeper.cycle`'s result)."""
    if result.get("skipped"):
        return
    metrics.MARGIN_CALLS_OPEN.labels(keeper).set(result.get("calls_open", 0))
    metrics.BELOW_MAINTENANCE.labels(keeper).set(result.get("below_maintenance", 0))
    metrics.LIQUIDATABLE.labels(keeper).set(result.get("liquidatable", 0))
    for outcome, count in (
        ("confirmed", result.get("confirmed", 0)),
        ("reverted", result.get("reverted", 0)),
    ):
        if count:
            metrics.LIQUIDATIONS.labels(keeper, outcome).inc(count)
    for outcome in result.get("outcomes", {}).values():
        action = (outcome.get("liquidation") or {}).get("action")
        if action == "liquidated":
            metrics.LIQUIDATIONS.labels(keeper, "sent").inc()
        elif action == "failed":
            metrics.LIQUIDATIONS.labels(keeper, "refused").inc()
