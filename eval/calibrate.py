"""Calibrate the abstention threshold on the evaluation sets.

For every question the service computes an evidence confidence (see
``rag.answering.Evidence``); it abstains below a threshold. Held-out questions
(``Question.heldout``) are left out, so that ``rag eval`` can report on
questions the threshold was not chosen on. This sweeps the threshold and picks the one that abstains on the most unanswerable questions
while still answering at least 96% of the answerable ones overall and 90% in
each set (a user is better served by an answer with checkable citations than
by a refusal, on a small corpus as on a large one):

    .venv/bin/python -m eval.calibrate            # prints the sweep and the choice

The chosen value is the default of ``answering.abstain_threshold`` (rag/config.py).

Any other setting is swept by its dotted name: for each value the questions are
answered again and the abstention threshold re-chosen, so values compare at
their best threshold (a chunking value gets an index of its own):

    .venv/bin/python -m eval.calibrate --sweep answering.unseen_penalty=0.3,0.5,0.7
    .venv/bin/python -m eval.calibrate --sweep retrieval.rrf_k=30,60,90
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import ValidationError

from eval.datasets import load_dataset
from rag.config import Settings, settings_hash, with_setting


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


MAX_FALSE_ABSTENTION = 0.04
MAX_FALSE_ABSTENTION_PER_SET = 0.10


def choose(rows: list[dict], per_set: dict[str, list[dict]] | None = None) -> dict:
    """The threshold with the best abstention recall among those that wrongly abstain on at
    most 4% of all answerable questions and 10% of each set's (ties: the lower threshold)."""
    per_set = per_set or {}
    allowed = [
        row for i, row in enumerate(rows)
        if row["false_abstention_rate"] <= MAX_FALSE_ABSTENTION
        and all(set_rows[i]["false_abstention_rate"] <= MAX_FALSE_ABSTENTION_PER_SET for set_rows in per_set.values())
    ] or rows[:1]
    best = max(row["abstain_recall"] for row in allowed)
    return next(row for row in allowed if row["abstain_recall"] == best)


def confidences(settings: Settings, data_dirs: dict[str, Path]) -> dict[str, list[tuple[float, bool]]]:
    """(confidence, answerable) of every question of each set, answered over the set's own corpus."""
    from rag.pipeline import Pipeline

    by_set: dict[str, list[tuple[float, bool]]] = {}
    # each set over its own corpus: the threshold must hold for a small corpus and a large one
    for dataset, corpus in (("corpus", settings.shared_corpus), ("news", settings.corpus_dir)):
        folder = data_dirs[dataset]
        if settings.index_name() != Settings().index_name():  # vectors built under other chunking never mix
            folder = folder.with_name(f"{folder.name}-{settings.index_name()}")
        with Pipeline(settings.model_copy(update={"data_dir": folder})) as pipeline:
            pipeline.ingest([corpus], progress=True)
            by_set[dataset] = [
                (pipeline.ask(q.question).confidence, q.answerable) for q in load_dataset(dataset) if not q.heldout
            ]
    return by_set


def calibrate(by_set: dict[str, list[tuple[float, bool]]]) -> tuple[dict, list[dict]]:
    """The chosen threshold row (with each set's row beside it) and the whole sweep."""
    points = [point for set_points in by_set.values() for point in set_points]
    rows = sweep(points, THRESHOLDS)
    per_set = {name: sweep(set_points, THRESHOLDS) for name, set_points in by_set.items()}
    chosen = dict(choose(rows, per_set))  # a copy: the sweep rows stay flat
    chosen["per_set"] = {name: set_rows[rows.index(choose(rows, per_set))] for name, set_rows in per_set.items()}
    return chosen, rows


THRESHOLDS = [x / 200 for x in range(30, 152)]


def parse_sweep(text: str) -> tuple[str, list[str]]:
    name, sep, values = text.partition("=")
    if not sep or not name or not values:
        raise argparse.ArgumentTypeError(f"--sweep takes NAME=V1,V2,..., not {text!r}")
    return name.strip(), [v.strip() for v in values.split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Calibrate the abstention threshold, or sweep any setting.")
    parser.add_argument("--data-dir", type=Path, help="data folder holding (or to hold) the shared corpus index")
    parser.add_argument("--news-data-dir", type=Path, help="data folder holding (or to hold) the built-in corpus index")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default eval/reports/calibration.json)")
    parser.add_argument(
        "--sweep", type=parse_sweep, metavar="NAME=V1,V2", help="a setting by dotted name and the values to try"
    )
    args = parser.parse_args(argv)
    settings = Settings()
    data_dirs = {
        "corpus": args.data_dir or Path(settings.data_dir) / "eval" / "corpus",
        "news": args.news_data_dir or Path(settings.data_dir) / "eval" / "news",
    }
    if args.sweep:
        name, values = args.sweep
        try:
            variants = [(value, with_setting(settings, name, value)) for value in values]
        except (ValueError, ValidationError) as exc:
            parser.error(f"--sweep {name}: {exc}")
        results = []
        for value, variant in variants:
            chosen, _ = calibrate(confidences(variant, data_dirs))
            results.append({"value": value, "settings_hash": settings_hash(variant), "best_threshold": chosen})
            print(f"{name}={value}: {json.dumps(chosen)}")
        out = args.out or Path(f"eval/reports/sweep-{name}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"setting": name, "results": results}, indent=1))
        return 0
    by_set = confidences(settings, data_dirs)
    chosen, rows = calibrate(by_set)
    for row in rows[::3]:
        print("  ".join(f"{k}={v:.3f}" for k, v in row.items()))
    print(f"chosen: {json.dumps(chosen)}")
    out = args.out or Path("eval/reports/calibration.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    points = [point for set_points in by_set.values() for point in set_points]
    out.write_text(json.dumps({"chosen": chosen, "sweep": rows, "points": points, "settings_hash": settings_hash(settings)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
