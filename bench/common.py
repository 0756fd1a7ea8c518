"""Helpers shared by the benchmarks: where the corpus is, quiet timing, tables."""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

from eval.metrics import percentile  # the one percentile definition (nearest rank) every report uses
from rag.config import PROJECT_ROOT, Settings

__all__ = ["RESULTS", "percentile", "median", "table", "save", "child_env", "shared_corpus_or_exit"]

RESULTS = PROJECT_ROOT / "bench" / "results"


def shared_corpus_or_exit() -> Path:
    corpus = Settings().shared_corpus
    if not (corpus / "catalog.json").is_file():
        print(f"the shared corpus is not at {corpus}; set RAG_SHARED_CORPUS to its folder to run this benchmark")
        sys.exit(0)
    return corpus


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def child_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env
