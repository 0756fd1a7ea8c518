"""How the stores grow with the corpus: the shared corpus ingested 1x, 2x, 4x.

What it measures
    The shared corpus (or ``--sample`` of its documents) is copied under new names (``copy-0/``, ``copy-1/``, ...,
    titles marked with the copy number, catalogue entries carried over) and
    ingested into one data folder step by step: copy 0, then copy 1 (2x), then
    copies 2 and 3 (4x). After each step it records

        documents, chunks          rows in the document store
        SQLite MB, Chroma MB       the two stores on disk (documents.sqlite3 with its WAL; chroma/)
        ingest s                   wall time of the `rag ingest` runs so far (summed)
        ingest peak RSS MB         the largest resident set of one `rag ingest` process
        ask p50, p95 ms            a fresh process opens the folder and answers 30 questions
                                   twice (the first pass unmeasured), one at a time, in process
        serving RSS MB             that process's resident set after the questions

    and fits the figures that grow with the corpus (chunks, sizes, ingest time,
    serving RSS) linearly in the number of documents (least squares) to
    extrapolate to ``--target`` documents (default 100,000); peak ingest memory
    and question latency are reported as measured.

How to run it
    .venv/bin/python -m bench.scale                      # 1x, 2x, 4x into bench/results/data-scale
    .venv/bin/python -m bench.scale --copies 1,2 --data-dir /tmp/scale
    .venv/bin/python -m bench.scale --sample 6          # the unit: 6 of the corpus's documents

    Writes bench/results/scale.json and prints the table. The ingest of 4x the
    corpus takes about four times the single ingest (minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import RESULTS, child_env, save, shared_corpus_or_exit, table
from eval.metrics import percentile

DEFAULT_DATA = RESULTS / "data-scale"


def pick(corpus: Path, sample: int | None) -> dict[str, dict]:
    """The catalogue entries of the unit copied: every document, or ``sample`` spread evenly over them."""
    catalog = json.loads((corpus / "catalog.json").read_text(encoding="utf-8"))
    entries = {rel: meta for rel, meta in sorted(catalog.get("documents", catalog).items())
               if isinstance(meta, dict) and (corpus / rel).is_file()}
    if sample is None or sample >= len(entries):
        return entries
    names = list(entries)
    step = len(names) / sample
    return {names[int(i * step)]: entries[names[int(i * step)]] for i in range(sample)}


def make_copies(corpus: Path, unit: dict[str, dict], root: Path, copies: int) -> None:
    """``root/copy-i/...`` for i < copies, each a copy of the unit's files under new names, and one catalogue."""
    merged: dict[str, dict] = {}
    for i in range(copies):
        for rel, meta in unit.items():
            target = root / f"copy-{i}" / rel
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / rel, target)
            entry = {k: v for k, v in meta.items() if k != "id"}
            if i and entry.get("title"):
                entry["title"] = f"{entry['title']} (copy {i})"
            merged[f"copy-{i}/{rel}"] = entry
    (root / "catalog.json").write_text(json.dumps({"documents": merged}, indent=1), encoding="utf-8")


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``command``; (seconds, peak RSS in MB of that process)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"error: {' '.join(command)} failed with exit status {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def store_figures(data: Path) -> dict[str, float]:
    import sqlite3

    db = sqlite3.connect(data / "documents.sqlite3")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL's size says when it was last checkpointed
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    finally:
        db.close()
    sqlite_mb = sum(p.stat().st_size for p in data.glob("documents.sqlite3*") if p.is_file()) / 2**20
    return {"documents": documents, "chunks": chunks, "sqlite_mb": round(sqlite_mb, 1),
            "chroma_mb": round(folder_mb(data / "chroma"), 1)}


def ask_child(data: Path) -> None:
    """In a fresh process: answer the questions twice, print p50/p95 of the second pass and the RSS."""
    from bench.load import pick_questions, rss_bytes
    from rag.config import Settings
    from rag.pipeline import Pipeline

    questions, _ = pick_questions()
    with Pipeline(Settings(data_dir=data)) as pipeline:
        pipeline.open()
        for question in questions:
            pipeline.ask(question)
        times = []
        for question in questions:
            started = time.perf_counter()
            pipeline.ask(question)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        rss = rss_bytes(os.getpid()) or 0
    print(json.dumps({"ask_p50_ms": round(percentile(times, 50), 1), "ask_p95_ms": round(percentile(times, 95), 1),
                      "serving_rss_mb": round(rss / 2**20, 1)}))


def fit(xs: list[float], ys: list[float], at: float) -> float:
    """The least-squares line through (xs, ys), read at ``at``."""
    if len(set(xs)) < 2:
        return float("nan")
    slope, intercept = statistics.linear_regression(xs, ys)
    return slope * at + intercept


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest the shared corpus 1x, 2x, 4x; extrapolate the stores' growth.")
    parser.add_argument("--copies", default="1,2,4", help="corpus multiples, ascending (default 1,2,4)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="scratch folder (emptied first)")
    parser.add_argument("--sample", type=int, help="copy this many documents of the corpus, spread evenly (default: all)")
    parser.add_argument("--target", type=int, default=100_000, help="documents to extrapolate to (default 100000)")
    parser.add_argument("--ask", type=Path, help=argparse.SUPPRESS)  # the question-answering child
    args = parser.parse_args(argv)
    if args.ask:
        ask_child(args.ask)
        return 0
    steps = sorted({int(c) for c in args.copies.split(",")})
    corpus = shared_corpus_or_exit()
    scratch = args.data_dir.expanduser().resolve()
    if scratch.exists():
        shutil.rmtree(scratch)
    copies, data = scratch / "corpus", scratch / "data"
    copies.mkdir(parents=True)
    unit = pick(corpus, args.sample)
    env = child_env(RAG_DATA_DIR=str(data))
    env.pop("RAG_CHROMA_URL", None)
    rows: list[dict] = []
    ingest_seconds = 0.0
    for step in steps:
        make_copies(corpus, unit, copies, step)
        print(f"{step}x: ingesting ...", flush=True)
        seconds, peak = run_measured([sys.executable, "-m", "rag.cli", "ingest", "-q", str(copies)], env)
        ingest_seconds += seconds
        figures = store_figures(data)
        asked = subprocess.run([sys.executable, "-m", "bench.scale", "--ask", str(data)], env=env,
                               capture_output=True, text=True, check=True)
        row = {"copies": step, **figures, "ingest_s": round(ingest_seconds, 1), "ingest_peak_rss_mb": round(peak, 1),
               **json.loads(asked.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print(f"{step}x: {row}", flush=True)
    # What grows with the corpus is fitted; peak ingest memory (set by the batch, not the corpus) and
    # question latency (noise at these sizes) are reported as measured, not extrapolated.
    keys = ["chunks", "sqlite_mb", "chroma_mb", "ingest_s", "serving_rss_mb"]
    xs = [float(r["documents"]) for r in rows]
    projected = {"copies": "fit", "documents": args.target,
                 **{k: round(fit(xs, [float(r[k]) for r in rows], args.target), 1) for k in keys}}
    headers = ["copies", "documents", *keys, "ingest_peak_rss_mb", "ask_p50_ms", "ask_p95_ms"]
    print()
    print(table(headers, [[r.get(h, "-") for h in headers] for r in [*rows, projected]]))
    path = save("scale", {"benchmark": "scale", "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "cpus": os.cpu_count(), "corpus": str(corpus), "unit": sorted(unit), "rows": rows, "projected": projected,
                          "fit": "least squares, linear in the number of documents"})
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
