"""Query benchmark: latency of search and ask on a warm index of the whole
shared corpus, beside the LangChain tutorial pipeline's similarity_search,
measured in the same process, question by question, in one run.

`ask` is timed three ways over the same stores: as configured (default backend,
caches on), with the caches off (RAG_QUERY_CACHE_SIZE=0) and on torch with the
caches off (how every question was answered before the ONNX backend and the
caches). The first round asks every question for the first time; later rounds
repeat them, which the query-vector cache answers without the model.

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

    settings = Settings(data_dir=RESULTS / "data-corpus")
    pipeline = Pipeline(settings)
    report = pipeline.ingest([corpus], progress=True)
    uncached = Pipeline(settings.model_copy(update={"query_cache_size": 0}))
    before = Pipeline(settings.model_copy(update={"query_cache_size": 0, "embedding_backend": "torch"}))
    print(f"service index: {pipeline.counts()} ({len(report.added)} newly added)")
    baseline = LangChainBaseline()
    built = baseline.build([corpus], RESULTS / "langchain-corpus")
    print(f"langchain index: {built.chunks} chunks ({'reused' if built.reused else 'built'})")

    questions = [q.question for q in load_dataset("corpus")][: args.questions]
    for q in load_dataset("news")[:10]:  # warm-up (other questions than those timed): models, first-query costs
        for warm in (pipeline, uncached, before):
            warm.ask(q.question)
        pipeline.search(q.question)
        baseline.search(q.question, k=10)

    backend = settings.embedding_backend
    calls = {
        f"ask ({backend}, caches)": lambda q: pipeline.ask(q, top_k=8),
        "search (no caches)": lambda q: uncached.search(q, top_k=10),  # not the cached pipeline: it would embed q first
        f"ask ({backend}, no caches)": lambda q: uncached.ask(q, top_k=8),
        "ask (torch, no caches: before)": lambda q: before.ask(q, top_k=8),
        "langchain similarity_search": lambda q: baseline.search(q, k=10),
    }
    timings: dict[str, list[float]] = {name: [] for name in calls}
    first_round: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(args.rounds):
        for q in questions:
            for name, call in calls.items():
                started = time.perf_counter()
                call(q)
                timings[name].append((time.perf_counter() - started) * 1000)
                if round_ == 0:
                    first_round[name].append(timings[name][-1])

    reference = percentile(timings["langchain similarity_search"], 50)
    rows = [
        [name, len(values), percentile(first_round[name], 50), percentile(values, 50), percentile(values, 95),
         percentile(values, 50) / reference]
        for name, values in timings.items()
    ]
    print()
    print(f"{len(questions)} questions x {args.rounds} rounds, warm index of {pipeline.counts()['chunks']} chunks")
    print(table(["operation", "calls", "p50 ms, first round", "p50 ms", "p95 ms", "p50 vs langchain"], rows))
    ask = percentile(timings[f"ask ({backend}, caches)"], 50)
    print(f"targets: ask p50 under 15 ms -> {ask:.1f} ms; search p50 under 30 ms -> {percentile(timings['search (no caches)'], 50):.1f} ms")
    path = save("query", {
        name: {"p50_ms": percentile(v, 50), "p50_first_round_ms": percentile(first_round[name], 50),
               "p95_ms": percentile(v, 95), "calls": len(v)}
        for name, v in timings.items()
    })
    print(f"written to {path}")


if __name__ == "__main__":
    main()
