"""Calibrate the abstention threshold on the evaluation sets.

For every question the service computes an evidence confidence (see
``rag.answering.Evidence``); it abstains below a threshold. Held-out questions
(``Question.heldout``) are left out, so that ``rag eval`` can report on
questions the threshold was not chosen on. This sweeps the threshold and picks the one that abstains on the most unanswerable questions
while still answering at least 90% of the answerable ones overall and 85% in
each set (a user is better served by an answer with checkable citations than
by a refusal, on a small corpus as on a large one):

    .venv/bin/python -m eval.calibrate            # prints the sweep and the choice

The chosen value is what ``rag.pipeline.DEFAULT_ABSTAIN_THRESHOLD`` holds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.datasets import load_dataset


def sweep(points: list[tuple[float, bool]], thresholds: list[float]) -> list[dict]:
    """For each threshold: abstention precision/recall on unanswerable questions,
    false-abstention rate on answerable ones, and balanced accuracy."""
    rows = []
    for t in thresholds:
        abstain = [(conf < t, answerable) for conf, answerable in points]
        tp = sum(1 for a, ok in abstain if a and not ok)
        fp = sum(1 for a, ok in abstain if a and ok)
        unanswerable = sum(1 for _, ok in points if not ok)
        answerable = len(points) - unanswerable
        recall = tp / unanswerable if unanswerable else 0.0
        false_rate = fp / answerable if answerable else 0.0
        rows.append({
            "threshold": round(t, 3),
            "abstain_precision": tp / (tp + fp) if tp + fp else 0.0,
            "abstain_recall": recall,
            "false_abstention_rate": false_rate,
            "balanced_accuracy": (recall + (1 - false_rate)) / 2,
        })
    return rows


MAX_FALSE_ABSTENTION = 0.10
MAX_FALSE_ABSTENTION_PER_SET = 0.15


def choose(rows: list[dict], per_set: dict[str, list[dict]] | None = None) -> dict:
    """The threshold with the best abstention recall among those that wrongly abstain on at
    most 10% of all answerable questions and 15% of each set's (ties: the lower threshold)."""
    per_set = per_set or {}
    allowed = [
        row for i, row in enumerate(rows)
        if row["false_abstention_rate"] <= MAX_FALSE_ABSTENTION
        and all(set_rows[i]["false_abstention_rate"] <= MAX_FALSE_ABSTENTION_PER_SET for set_rows in per_set.values())
    ] or rows[:1]
    best = max(row["abstain_recall"] for row in allowed)
    return next(row for row in allowed if row["abstain_recall"] == best)


def main(argv: list[str] | None = None) -> int:
    from rag.config import Settings
    from rag.pipeline import Pipeline

    parser = argparse.ArgumentParser(description="Calibrate the abstention threshold on the evaluation sets.")
    parser.add_argument("--data-dir", type=Path, help="data folder holding (or to hold) the shared corpus index")
    parser.add_argument("--news-data-dir", type=Path, help="data folder holding (or to hold) the built-in corpus index")
    parser.add_argument("--out", type=Path, default=Path("eval/reports/calibration.json"))
    args = parser.parse_args(argv)
    settings = Settings()
    points = []
    by_set: dict[str, list[tuple[float, bool]]] = {}
    # each set over its own corpus: the threshold must hold for a small corpus and a large one
    for dataset, corpus, folder in (
        ("corpus", settings.shared_corpus, args.data_dir or Path(settings.data_dir) / "eval" / "corpus"),
        ("news", settings.corpus_dir, args.news_data_dir or Path(settings.data_dir) / "eval" / "news"),
    ):
        pipeline = Pipeline(settings.model_copy(update={"data_dir": folder}))
        pipeline.ingest([corpus], progress=True)
        for question in load_dataset(dataset):
            if question.heldout:
                continue
            answer = pipeline.ask(question.question)
            points.append((answer.confidence, question.answerable))
            by_set.setdefault(dataset, []).append(points[-1])
    thresholds = [x / 200 for x in range(30, 152)]
    rows = sweep(points, thresholds)
    per_set = {name: sweep(set_points, thresholds) for name, set_points in by_set.items()}
    chosen = choose(rows, per_set)
    chosen["per_set"] = {name: set_rows[rows.index(chosen)] for name, set_rows in per_set.items()}
    for row in rows[::3]:
        print("  ".join(f"{k}={v:.3f}" for k, v in row.items()))
    print(f"chosen: {json.dumps(chosen)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"chosen": chosen, "sweep": rows, "points": points}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
