"""Embedding benchmark: every backend (torch, onnx, onnx-int8) side by side in one run.

For each backend: the latency of one query embedding (a 16-token question, one
thread, as the server runs it), the throughput of chunk embedding (batches of 64
real chunks, every core, as ingest runs it), and retrieval quality on the
evaluation sets (recall@5 and MRR, in process, each backend in its own data
folder, so the corpus set ingests the shared corpus once per backend). Latency
and throughput rounds alternate between backends, so a busy machine slows them alike.

    .venv/bin/python -m bench.embedding                 # ~15 min on 2 idle cores (three corpus ingests)
    .venv/bin/python -m bench.embedding --no-quality    # speed only, a few minutes
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench.common import RESULTS, median, save, shared_corpus_or_exit, table
from eval.runner import RunOptions, corpus_for, run
from rag.chunking import chunk_document, embedding_text
from rag.config import Settings
from rag.embedding import BACKENDS, Embedder, set_model_threads
from rag.loading import discover, load_file
from rag.pipeline import Pipeline

QUERY = "What must deployers of a deep fake disclose under the AI Act?"  # 16 tokens with [CLS] and [SEP]
BATCH = 64


def sample_chunks(corpus: Path, count: int) -> list[str]:
    texts: list[str] = []
    for path, root in discover([corpus]):
        document = load_file(path, root)
        texts.extend(embedding_text(document.title, c) for c in chunk_document(document, Settings().chunking))
        if len(texts) >= count:
            break
    return texts[:count]


def speed(embedders: dict[str, Embedder], chunks: list[str], rounds: int) -> dict[str, dict[str, float]]:
    latency: dict[str, list[float]] = {name: [] for name in embedders}
    throughput: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(rounds):
        set_model_threads(1)
        for name, embedder in embedders.items():
            for _ in range(40):
                started = time.perf_counter()
                embedder.embed_documents([QUERY])  # not embed_query: its cache would answer
                latency[name].append((time.perf_counter() - started) * 1000)
        set_model_threads(os.cpu_count() or 1)
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.embed_documents(chunks)
            throughput[name].append(len(chunks) / (time.perf_counter() - started))
    return {name: {"query_p50_ms": median(latency[name]), "chunks_per_s": median(throughput[name])} for name in embedders}


def quality(backend: str, dataset: str) -> dict[str, float | None]:
    """Ingest on every core (as `rag ingest`), then the evaluation set on one model thread (as the server)."""
    settings = Settings(embedding_backend=backend, model_cache_dir=RESULTS / "models")
    data_dir = RESULTS / f"data-embedding-{backend}-{dataset}"
    set_model_threads(os.cpu_count() or 1)
    pipeline = Pipeline(settings.model_copy(update={"data_dir": data_dir}))
    report = pipeline.ingest([corpus_for(dataset, settings)])
    pipeline.close()
    set_model_threads(1)
    summary = run(RunOptions(dataset=dataset, baselines=False, progress=False, data_dir=data_dir), settings).summary
    return {
        "recall@5": summary["service"]["recall@5"], "mrr": summary["service"]["mrr"],
        "ingest_chunks_per_s": report.chunks_embedded / report.seconds if report.chunks_embedded else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternating speed rounds (medians are reported)")
    parser.add_argument("--no-quality", dest="quality", action="store_false", help="skip the evaluation sets")
    args = parser.parse_args()
    corpus = shared_corpus_or_exit()
    embedders = {b: Embedder(backend=b, batch_size=BATCH, cache_root=RESULTS / "models").load() for b in BACKENDS}
    tokens = len(embedders["torch"].tokenizer(QUERY)["input_ids"])
    chunks = sample_chunks(corpus, 2 * BATCH)
    mean_tokens = sum(len(embedders["torch"].tokenizer(c, truncation=True, max_length=256)["input_ids"]) for c in chunks) / len(chunks)
    print(f"query: {tokens} tokens; chunks: {len(chunks)} of {mean_tokens:.0f} tokens on average; {os.cpu_count()} cores")
    figures = speed(embedders, chunks, args.rounds)
    if args.quality:
        for backend in BACKENDS:
            for dataset in ("news", "corpus"):
                print(f"evaluating {backend} on {dataset}...", flush=True)
                for key, value in quality(backend, dataset).items():
                    figures[backend][f"{dataset} {key}"] = value
    headers = ["backend", "query p50 ms", "chunks/s"]
    if args.quality:
        headers += ["news recall@5", "news MRR", "corpus recall@5", "corpus MRR", "corpus ingest chunks/s"]
    rows = []
    for backend, f in figures.items():
        row: list[object] = [backend, f["query_p50_ms"], f["chunks_per_s"]]
        if args.quality:
            ingest = f["corpus ingest_chunks_per_s"]
            row += [f["news recall@5"], f["news mrr"], f["corpus recall@5"], f["corpus mrr"], "reused" if ingest is None else ingest]
        rows.append(row)
    print()
    print(table(headers, rows))
    if args.quality:
        torch_recall = figures["torch"]["corpus recall@5"]
        fit = [b for b in BACKENDS if torch_recall - figures[b]["corpus recall@5"] <= 0.01
               and figures["torch"]["news recall@5"] - figures[b]["news recall@5"] <= 0.01]
        fastest = min(fit, key=lambda b: figures[b]["query_p50_ms"])
        print(f"fastest backend within 0.01 recall@5 of torch on both sets: {fastest}")
    print(f"written to {save('embedding', figures)}")


if __name__ == "__main__":
    main()
