"""Retrieval on the corpus set with and without steering: recall@5 and MRR of ``/search`` on the
answerable questions, calibration and held-out parts apart, and the multi-document ones.

    python -m bench.steering --data-dir /tmp/eval-data [retrieval.steering=false ...]

``--data-dir`` is a folder where the shared corpus is (or will be) ingested (``rag eval`` keeps
one at DIR/eval/corpus); each further argument sets one tuning value, as ``rag eval`` settings do.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

from bench.common import shared_corpus_or_exit
from eval.baselines import passage_dict
from eval.datasets import load_dataset
from eval.runner import gold_for, score_passages
from rag.config import Settings, with_setting
from rag.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("settings", nargs="*", help="tuning values such as retrieval.section_gap=0")
    args = parser.parse_args()
    corpus = shared_corpus_or_exit()
    settings = Settings(data_dir=args.data_dir)
    for item in args.settings:
        name, _, value = item.partition("=")
        settings = with_setting(settings, name, value)
    scores: dict[str, list[float]] = defaultdict(list)
    with Pipeline(settings) as pipeline:
        pipeline.ingest([corpus])
        for question in load_dataset("corpus"):
            gold, _ = gold_for(question, pipeline.store.text_of)
            if not question.answerable or not gold:
                continue
            found = [passage_dict(p) for p in pipeline.search(question.question, top_k=10)]
            scored = score_passages(found, gold, 10)
            groups = ["held out" if question.heldout else "calibration"]
            if question.category == "multi_document":
                groups.append("multi-document")
            for group in groups:
                scores[f"{group} recall@5"].append(scored["recall@5"] or 0.0)
                scores[f"{group} mrr"].append(scored["mrr"] or 0.0)
    for key in sorted(scores):
        print(f"{key:28s} {statistics.mean(scores[key]):.3f}  (n={len(scores[key])})")


if __name__ == "__main__":
    main()
