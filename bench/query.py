"""Query benchmark: latency of search and ask on a warm index of the whole
shared corpus, beside the LangChain tutorial pipeline's similarity_search,
measured in the same process, question by question, in one run.

    .venv/bin/python -m bench.query              # builds the indexes on first run
    .venv/bin/python -m bench.query --questions 60

The indexes are kept under bench/results/ so later runs start warm.
"""

from __future__ import annotations

import argparse
import time

from bench.common import RESULTS, percentile, save, shared_corpus_or_exit, table
from eval.baselines import LangChainBaseline
from eval.datasets import load_dataset
from rag.config import Settings
from rag.embedding import set_model_threads
from rag.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=120, help="questions timed (from the corpus evaluation set)")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked")
    args = parser.parse_args()
    corpus = shared_corpus_or_exit()
    set_model_threads(1)  # as `rag serve`, `rag ask` and `rag search` run; the baseline gets the same

    pipeline = Pipeline(Settings(data_dir=RESULTS / "data-corpus"))
    report = pipeline.ingest([corpus], progress=True)
    print(f"service index: {pipeline.counts()} ({len(report.added)} newly added)")
    baseline = LangChainBaseline()
    built = baseline.build([corpus], RESULTS / "langchain-corpus")
    print(f"langchain index: {built.chunks} chunks ({'reused' if built.reused else 'built'})")

    questions = [q.question for q in load_dataset("corpus")][: args.questions]
    for q in questions[:10]:  # warm-up: model, caches, first-query costs
        pipeline.ask(q)
        pipeline.search(q)
        baseline.search(q, k=10)

    timings: dict[str, list[float]] = {"search": [], "ask": [], "langchain similarity_search": []}
    for _ in range(args.rounds):
        for q in questions:
            for name, call in (
                ("search", lambda q=q: pipeline.search(q, top_k=10)),
                ("ask", lambda q=q: pipeline.ask(q, top_k=8)),
                ("langchain similarity_search", lambda q=q: baseline.search(q, k=10)),
            ):
                started = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - started) * 1000)

    reference = percentile(timings["langchain similarity_search"], 50)
    rows = [
        [name, len(values), percentile(values, 50), percentile(values, 95), percentile(values, 50) / reference]
        for name, values in timings.items()
    ]
    print()
    print(f"{len(questions)} questions x {args.rounds} rounds, warm index of {pipeline.counts()['chunks']} chunks")
    print(table(["operation", "calls", "p50 ms", "p95 ms", "p50 vs langchain"], rows))
    print(f"targets: ask p50 under 60 ms -> {percentile(timings['ask'], 50):.1f} ms; "
          f"search p50 under 30 ms -> {percentile(timings['search'], 50):.1f} ms")
    path = save("query", {name: {"p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95), "calls": len(v)} for name, v in timings.items()})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
