"""``rag eval``: run a dataset through the service, write a report, optionally gate on thresholds.

    rag eval [--dataset NAME|PATH] [--url URL] [--out DIR] [--limit N] [--subset fast]
             [--no-baselines] [--gate] [--mode generative [--llm-url URL --llm-model NAME]]

The ``rag`` command calls :func:`add_arguments` on its ``eval`` sub-parser and
:func:`run` with the parsed arguments; ``python -m eval.cli`` does the same alone.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.report import fmt
from rag.cli import add_model_options, with_model_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``rag eval`` to ``parser``."""
    parser.add_argument("--dataset", default="news",
                        help="dataset name under eval/datasets (news, corpus) or a .jsonl path (default: news)")
    parser.add_argument("--url", help="evaluate a running server at this URL instead of an in-process pipeline")
    parser.add_argument("--out", type=Path, help="report folder (default: eval/reports/<dataset>/ here)")
    parser.add_argument("--limit", type=int, metavar="N", help="evaluate a deterministic sample of N questions "
                        "that keeps every category")
    parser.add_argument("--subset", choices=["fast"], help="fast: a few questions of each category")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false",
                        help="skip the BM25, dense and LangChain baselines")
    parser.add_argument("--gate", action="store_true",
                        help="exit 1 when a metric misses its threshold in eval/thresholds.json")
    parser.add_argument("--thresholds", type=Path, help="thresholds file for --gate (default: eval/thresholds.json)")
    parser.add_argument("--corpus", type=Path, help="corpus folder to ingest (default: chosen by the dataset)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--mode", dest="answer_mode", choices=["auto", "extractive", "generative"],
                        help="answer mode asked of the service (default: the service's own, auto)")
    add_model_options(parser)
    parser.add_argument("--in-force", dest="in_force", action="store_true",
                        help="ask and search only documents in force (filter in_force: true)")
    parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help="ask and search as the documents stood on this date")


def run(args: argparse.Namespace) -> int:
    """Run the evaluation described by ``args``; returns the exit code (1 when the gate fails)."""
    from eval.gate import THRESHOLDS_PATH, gate
    from eval.report import write_report
    from eval.runner import RunOptions, dataset_label
    from eval.runner import run as run_eval

    if args.limit is not None and args.limit < 1:
        print("rag eval: --limit must be at least 1", file=sys.stderr)
        return 2
    options = RunOptions(
        dataset=args.dataset, url=args.url, limit=args.limit, subset=args.subset, baselines=args.baselines,
        corpus=args.corpus, progress=not args.quiet, answer_mode=args.answer_mode,
        filters={k: v for k, v in (("in_force", True if args.in_force else None), ("as_of", args.as_of)) if v} or None,
    )
    try:
        from rag.config import Settings

        # `rag --data-dir DIR eval`: the evaluation's stores go to DIR/eval/<dataset>.
        overrides = {"data_dir": args.data_dir} if getattr(args, "data_dir", None) else {}
        settings = with_model_options(Settings(**overrides), args)
        outcome = run_eval(options, settings)
    except FileNotFoundError as exc:
        print(f"rag eval: {exc}", file=sys.stderr)
        return 2
    out = args.out or Path("eval") / "reports" / dataset_label(args.dataset)
    paths = write_report(outcome.results, outcome.summary, out, outcome.notes)
    print_summary(outcome.summary)
    for note in outcome.notes:
        print(f"note: {note}")
    print(f"report: {paths['report']}")
    if not args.gate:
        return 0
    key = outcome.summary["key"]
    failures = gate(outcome.summary, key, args.thresholds or THRESHOLDS_PATH)
    if failures is None:
        print(f"gate: no thresholds stored for {key!r}; nothing to check")
        return 0
    for failure in failures:
        print(f"gate FAILED: {failure}")
    print(f"gate: {'FAILED' if failures else 'passed'} ({key})")
    return 1 if failures else 0


def print_summary(summary: dict) -> None:
    """A few headline figures for the terminal."""
    service = summary.get("service", {})
    print(f"{summary.get('dataset')}: {summary.get('questions')} questions, {summary.get('errors', 0)} errors")
    keys = ("recall@5", "mrr", "citation_validity", "citation_precision", "direct_answer_accuracy", "f1", "abstention_recall",
            "false_abstention_rate", "latency_p50_ms", "latency_p95_ms")
    print("  service:   " + "  ".join(f"{k}={fmt(service.get(k), k.endswith('_ms'))}" for k in keys))
    generation = summary.get("generation")
    if generation:
        drops = ", ".join(f"{reason} {share:.0%}" for reason, share in generation["drop_share"].items()) or "none"
        print(f"  generated: kept={fmt(generation['kept_share'])}  dropped: {drops}  "
              f"fallback_rate={fmt(generation['fallback_rate'])}  answer_chars={generation['answer_chars_mean']:.0f}  "
              f"model_p50_ms={fmt(generation.get('model_p50_ms'), True)}")
    for name, scores in summary.get("baselines", {}).items():
        print(f"  {name + ':':<10} " + "  ".join(f"{k}={fmt(scores.get(k))}" for k in ("recall@5", "mrr", "ndcg@10")))
    heldout = (summary.get("abstention_by_split") or {}).get("heldout")
    if heldout and heldout.get("questions"):
        held = ("caught_rate", "false_abstention_rate", "abstention_precision", "abstention_recall")
        print(f"  held out ({heldout['questions']} questions): " + "  ".join(f"{k}={fmt(heldout.get(k))}" for k in held))


def main(argv: list[str] | None = None) -> int:
    """``python -m eval.cli``: the same as ``rag eval``, with rag's ``--data-dir`` option."""
    parser = argparse.ArgumentParser(prog="rag eval", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="where the stores live; the evaluation uses DIR/eval/<dataset>")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
