"""Calibrate the content-word coverage a generated sentence needs (``rag.generation.verify``).

    python -m eval.calibrate_coverage [--dataset news --dataset corpus]

Each answerable question's reference answer is a paraphrase of its gold quotes,
written the way a good model should write: checked against those quotes, it is
a sentence that should be kept. Checked against the gold quotes of another
question about the same document (same vocabulary, other facts), it should be
dropped. The script prints, for each threshold, the share of reference
sentences kept (wanted) and of mismatched ones kept (unwanted), and the
threshold that keeps the most wanted sentences while keeping at most 2 % of
the unwanted ones: the value of ``DEFAULT_MIN_COVERAGE``.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from eval.datasets import load_dataset
from rag.generation.verify import coverage, split_sentences

THRESHOLDS = [round(0.2 + 0.05 * i, 2) for i in range(15)]
UNWANTED_KEPT = 0.02


def pairs(datasets: list[str]) -> tuple[list[float], list[float]]:
    """(coverage of reference sentences against their own quotes, against another question's quotes)."""
    questions = [q for name in datasets for q in load_dataset(name) if q.answerable and q.reference_answer and q.evidence]
    by_document: dict[str, list] = defaultdict(list)
    for q in questions:
        by_document[q.evidence[0].document_id].append(q)
    wanted: list[float] = []
    unwanted: list[float] = []
    for q in questions:
        own = "\n".join(e.quote for e in q.evidence)
        others = [o for o in by_document[q.evidence[0].document_id] if o.id != q.id]
        other = "\n".join(e.quote for e in others[0].evidence) if others else None
        for sentence in split_sentences(q.reference_answer or ""):
            wanted.append(coverage(sentence, own))
            if other is not None:
                unwanted.append(coverage(sentence, other))
    return wanted, unwanted


def sweep(wanted: list[float], unwanted: list[float]) -> list[tuple[float, float, float]]:
    """(threshold, share of wanted kept, share of unwanted kept) for each threshold."""
    return [
        (t, sum(c >= t for c in wanted) / len(wanted), sum(c >= t for c in unwanted) / max(len(unwanted), 1))
        for t in THRESHOLDS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate_coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", help="dataset name or path (repeatable; default: news and corpus)")
    args = parser.parse_args(argv)
    wanted, unwanted = pairs(args.dataset or ["news", "corpus"])
    print(f"{len(wanted)} reference sentences, {len(unwanted)} mismatched")
    print("threshold  wanted kept  unwanted kept")
    rows = sweep(wanted, unwanted)
    for t, good, bad in rows:
        print(f"{t:9.2f}  {good:11.1%}  {bad:13.1%}")
    best = min((t for t, _, bad in rows if bad <= UNWANTED_KEPT), default=None)
    print(f"lowest threshold keeping at most {UNWANTED_KEPT:.0%} of mismatched sentences: {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
