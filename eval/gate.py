"""Regression gate: compare an evaluation summary with stored thresholds.

``eval/thresholds.json`` maps a dataset key (``news``, ``corpus``,
``corpus-fast``...; see ``eval.runner.gate_key``) to ``{metric: threshold}``.
A threshold is a minimum, except for the metrics in ``LOWER_IS_BETTER``
(error and false-abstention rates, latencies), where it is a maximum. Metric
names are those of ``summary["service"]``; ``baseline.<name>.<metric>`` reads
a baseline's score instead. Keys starting with ``_`` are comments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

THRESHOLDS_PATH = Path(__file__).resolve().parent / "thresholds.json"
LOWER_IS_BETTER = frozenset({"error_rate", "false_abstention_rate"})


class Failure(NamedTuple):
    """One missed threshold; ``value`` is None when the summary lacks the metric."""

    metric: str
    value: float | None
    threshold: float

    @property
    def is_maximum(self) -> bool:
        return lower_is_better(self.metric)

    def __str__(self) -> str:
        shown = "missing" if self.value is None else f"{self.value:.4g}"
        relation = "above the maximum" if self.is_maximum else "below the minimum"
        return f"{self.metric} = {shown}, {relation} {self.threshold:.4g}"


def lower_is_better(metric: str) -> bool:
    """True for metrics whose threshold is a maximum (rates of errors, latencies)."""
    name = metric.rsplit(".", 1)[-1]
    return name in LOWER_IS_BETTER or name.endswith("_ms")


def load_thresholds(path: Path | str = THRESHOLDS_PATH) -> dict[str, dict[str, float]]:
    """All stored thresholds, by dataset key (comment keys dropped)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        key: {m: float(v) for m, v in table.items() if not m.startswith("_")}
        for key, table in data.items()
        if not key.startswith("_") and isinstance(table, dict)
    }


def metric_value(summary: Mapping[str, Any], metric: str) -> float | None:
    """The summary's value of ``metric`` (service metrics, or ``baseline.<name>.<metric>``)."""
    if metric.startswith("baseline."):
        _, name, inner = metric.split(".", 2)
        value = summary.get("baselines", {}).get(name, {}).get(inner)
    else:
        value = summary.get("service", {}).get(metric)
    return None if value is None else float(value)


def check(summary: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[Failure]:
    """Every threshold the summary misses (a missing metric misses its threshold)."""
    failures: list[Failure] = []
    for metric, threshold in thresholds.items():
        value = metric_value(summary, metric)
        if value is None:
            failures.append(Failure(metric, None, threshold))
        elif lower_is_better(metric):
            if value > threshold + 1e-12:
                failures.append(Failure(metric, value, threshold))
        elif value < threshold - 1e-12:
            failures.append(Failure(metric, value, threshold))
    return failures


def gate(summary: Mapping[str, Any], key: str | None = None, path: Path | str = THRESHOLDS_PATH) -> list[Failure] | None:
    """Failures of ``summary`` against the thresholds stored for ``key`` (default ``summary["key"]``).

    ``None`` when no thresholds are stored for that key.
    """
    table = load_thresholds(path).get(key or str(summary.get("key") or summary.get("dataset")))
    return None if table is None else check(summary, table)
