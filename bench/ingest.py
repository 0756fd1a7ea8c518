"""Ingest benchmark: the whole shared corpus from empty, and again unchanged.

Measures, side by side in one run, this service's ingest and the LangChain
tutorial pipeline (RecursiveCharacterTextSplitter 1000/200, the same model,
Chroma.from_documents): wall time, chunks per second and peak memory (each
pipeline runs in its own process so its peak RSS is its own), then the time
`rag ingest` takes on the unchanged corpus. Medians over --repeat runs.

    .venv/bin/python -m bench.ingest            # 3 rounds, several minutes
    .venv/bin/python -m bench.ingest --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import child_env, median, save, shared_corpus_or_exit, table

SERVICE = """
import json, sys, time
from pathlib import Path
from rag.config import Settings
from rag.pipeline import Pipeline
started = time.perf_counter()
report = Pipeline(Settings(data_dir=Path(sys.argv[2]))).ingest([Path(sys.argv[1])])
assert report.ok, report.failed
print(json.dumps({"chunks": report.chunks_embedded, "documents": len(report.added), "seconds": time.perf_counter() - started}))
"""

LANGCHAIN = """
import json, sys, time
from pathlib import Path
from eval.baselines import LangChainBaseline
started = time.perf_counter()
report = LangChainBaseline().build([Path(sys.argv[1])], Path(sys.argv[2]), reuse=False)
print(json.dumps({"chunks": report.chunks, "documents": report.documents, "seconds": time.perf_counter() - started}))
"""


def run_child(code: str, corpus: Path, folder: Path) -> dict:
    """Run one ingest in a fresh process; wall time and that process's peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(corpus), str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=child_env(RAG_DATA_DIR=str(folder)),
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"ingest failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall=wall, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def reingest_seconds(corpus: Path, folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "ingest", "--quiet", str(corpus)], check=True, capture_output=True,
        env=child_env(RAG_DATA_DIR=str(folder)),
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="full-ingest rounds (medians are reported)")
    args = parser.parse_args()
    corpus = shared_corpus_or_exit()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    service, langchain, reingest = [], [], []
    try:
        for round_ in range(args.repeat):
            order = [("service", SERVICE, service), ("langchain", LANGCHAIN, langchain)]
            if round_ % 2:  # alternate who goes first, so drift hits both alike
                order.reverse()
            for name, code, runs in order:
                folder = work / f"{name}-{round_}"
                runs.append(run_child(code, corpus, folder))
                print(f"round {round_ + 1}: {name:9s} {runs[-1]['wall']:7.1f} s  {runs[-1]['chunks']} chunks  "
                      f"peak {runs[-1]['peak_rss_mb']:.0f} MB", flush=True)
            reingest.extend(reingest_seconds(corpus, work / f"service-{round_}") for _ in range(3))
            shutil.rmtree(work / f"langchain-{round_}", ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def summary(runs: list[dict]) -> dict:
        wall = median([r["wall"] for r in runs])
        chunks = runs[0]["chunks"]
        return {"wall_s": wall, "chunks": chunks, "chunks_per_s": chunks / wall, "peak_rss_mb": median([r["peak_rss_mb"] for r in runs])}

    ours, theirs = summary(service), summary(langchain)
    again = median(reingest)
    rows = [
        ["full ingest, wall (s)", ours["wall_s"], theirs["wall_s"], ours["wall_s"] / theirs["wall_s"]],
        ["chunks", ours["chunks"], theirs["chunks"], ours["chunks"] / theirs["chunks"]],
        ["chunks per second", ours["chunks_per_s"], theirs["chunks_per_s"], ours["chunks_per_s"] / theirs["chunks_per_s"]],
        ["peak memory (MB)", ours["peak_rss_mb"], theirs["peak_rss_mb"], ours["peak_rss_mb"] / theirs["peak_rss_mb"]],
        ["re-ingest unchanged (s)", again, theirs["wall_s"], again / theirs["wall_s"]],
    ]
    print()
    print(f"corpus: {corpus} ({service[0]['documents']} documents); medians of {args.repeat} round(s)")
    print(table(["", "service", "langchain tutorial", "ratio"], rows))
    print("(the tutorial pipeline has no change detection: re-running it re-embeds everything)")
    print(f"targets: full ingest at most 0.5x the tutorial's wall time -> {ours['wall_s'] / theirs['wall_s']:.2f}x; "
          f"peak memory no higher than the tutorial's -> {ours['peak_rss_mb'] / theirs['peak_rss_mb']:.2f}x; "
          f"re-ingest under 3 s -> {again:.2f} s")
    path = save("ingest", {"service": ours, "langchain": theirs, "reingest_s": again, "rounds": args.repeat,
                           "runs": {"service": service, "langchain": langchain, "reingest": reingest}})
    print(f"written to {path}")


if __name__ == "__main__":
    main()
