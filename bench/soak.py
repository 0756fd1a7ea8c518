"""Mixed soak of the HTTP service: questions, searches and writes together, then a consistency check.

What it does
    ``rag serve`` runs as its own process on loopback, on a scratch data folder
    holding the built-in corpus. ``--clients`` closed-loop clients (default 32)
    send for ``--seconds`` (default 60) a fixed-seed mix of

        ask       POST /ask            a question about the corpus or the soak's documents
        search    POST /search         a query
        upload    POST /documents      a new version of one of a few soak documents
        reupload  POST /documents      the same content again (answered 200 unchanged)
        delete    DELETE /documents/x  one of the soak documents (404 when already gone)

    and reports per operation: requests, errors, expected 404s (deletes of a
    document another client deleted first), p50 and p99 latency in ms (the
    nearest-rank percentile of ``eval.metrics``); the server's resident memory (VmRSS of it, its workers and its Chroma server)
    after an unmeasured warm-up of the same mix (``--warmup`` seconds) and at
    the end; and, after the server has stopped, whether the stores agree
    (``rag.consistency.store_problems``: every listed document whole, Chroma's
    ids equal the store's chunk ids).

How to run it
    .venv/bin/python -m bench.soak                         # 32 clients, 60 s
    .venv/bin/python -m bench.soak --clients 8 --seconds 20 --warmup 5

    The table is printed and written to ``bench/results/soak.json``. Exit status
    1 when a request failed, memory grew by 10 % or more, or the stores disagree.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from api.process import ServerProcess, free_port, serve_command
from bench.common import percentile, save, table
from bench.load import ROOT, server_env, tree_rss

SEED = 7
WEIGHTS = {"ask": 30, "search": 30, "upload": 15, "reupload": 15, "delete": 10}
DOCUMENTS = 16  # soak documents the writes share, so they collide
QUESTIONS = [
    "What did Musk say about China and AI regulation?",
    "Who called for global cooperation on AI governance?",
    "Which operators must keep an audit log?",
    "How long must providers keep inspection records?",
    "What must tidal turbine operators file?",
]
QUERIES = ["international cooperation on AI", "audit log retention", "inspection records harbour office", "regulation"]
RSS_GROWTH_LIMIT = 0.10


def soak_text(n: int, version: int) -> str:
    return " ".join(
        f"Clause {n}.{i}: operators of fleet {n} keep audit log version {version} for {i % 9 + 1} years "
        f"and file inspection record {i} with the harbour office."
        for i in range(25)
    )


class Client:
    def __init__(self, http: httpx.AsyncClient, rng: random.Random, samples: dict[str, list[float]], tally: dict) -> None:
        self.http, self.rng, self.samples, self.tally = http, rng, samples, tally
        self.sent: dict[int, str] = {}  # soak document -> last text this client sent

    async def step(self) -> None:
        op = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        n = self.rng.randrange(DOCUMENTS)
        if op == "reupload":
            if not self.sent:
                op = "upload"
            else:
                n = self.rng.choice(sorted(self.sent))
        started = time.perf_counter()
        try:
            status = await self._send(op, n)
        except httpx.HTTPError as exc:
            self.tally[op]["errors"] += 1
            self.tally[op]["kinds"][type(exc).__name__] += 1
            return
        self.samples[op].append((time.perf_counter() - started) * 1000)
        expected = {"ask": {200}, "search": {200}, "upload": {200, 201}, "reupload": {200, 201}, "delete": {204}}[op]
        if status in expected:
            return
        if op == "delete" and status == 404:
            self.tally[op]["expected_404"] += 1
        else:
            self.tally[op]["errors"] += 1
            self.tally[op]["kinds"][str(status)] += 1

    async def _send(self, op: str, n: int) -> int:
        if op == "ask":
            response = await self.http.post("/ask", json={"question": self.rng.choice(QUESTIONS)})
        elif op == "search":
            response = await self.http.post("/search", json={"query": self.rng.choice(QUERIES)})
        elif op == "delete":
            response = await self.http.delete(f"/documents/text__soak-document-{n}")
        else:
            text = self.sent[n] if op == "reupload" else soak_text(n, self.rng.randrange(10**6))
            self.sent[n] = text
            response = await self.http.post("/documents", json={"title": f"Soak document {n}", "text": text})
        return response.status_code


async def soak(url: str, clients: int, seconds: float, seed: int) -> tuple[dict[str, list[float]], dict]:
    samples: dict[str, list[float]] = defaultdict(list)
    tally: dict = defaultdict(lambda: {"errors": 0, "expected_404": 0, "kinds": defaultdict(int)})
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits, trust_env=False) as http:

        async def run(index: int) -> None:
            client = Client(http, random.Random(seed * 1000 + index), samples, tally)
            while time.monotonic() < deadline:
                await client.step()

        await asyncio.gather(*(run(i) for i in range(clients)))
    return samples, tally


def check_stores(data_dir: Path) -> list[str]:
    from rag.config import Settings
    from rag.consistency import store_problems
    from rag.pipeline import Pipeline

    pipeline = Pipeline(Settings(data_dir=data_dir))
    try:
        return store_problems(pipeline)
    finally:
        pipeline.close()




def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent closed-loop clients (default 32)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the soak (default 60)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds of the same mix before measuring (default 15)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        data_dir = Path(scratch) / "data"
        port = free_port()
        server = ServerProcess(serve_command(port), port, Path(scratch) / "server.log", env=server_env(data_dir), cwd=ROOT)
        try:
            server.wait_ready(timeout=600)
            asyncio.run(soak(server.url, args.clients, args.warmup, args.seed + 1))  # unmeasured
            rss_start = tree_rss(server.pid) or 0  # the server with its workers
            samples, tally = asyncio.run(soak(server.url, args.clients, args.seconds, args.seed))
            rss_end = tree_rss(server.pid) or 0
        finally:
            server.stop()
        problems = check_stores(data_dir)

    rows, report = [], {"clients": args.clients, "seconds": args.seconds, "seed": args.seed, "operations": {}}
    for op in WEIGHTS:
        values = samples.get(op, [])
        counts = tally[op]
        entry = {
            "requests": len(values),
            "errors": counts["errors"],
            "error_kinds": dict(counts["kinds"]),
            "expected_404": counts["expected_404"],
            "p50_ms": _round(percentile(values, 50)),
            "p99_ms": _round(percentile(values, 99)),
        }
        report["operations"][op] = entry
        rows.append([op, entry["requests"], entry["errors"], entry["expected_404"], entry["p50_ms"], entry["p99_ms"]])
    errors = sum(t["errors"] for t in tally.values())
    growth = (rss_end - rss_start) / rss_start if rss_start else float("nan")
    report.update(
        errors=errors, rss_start_mb=round(rss_start / 2**20), rss_end_mb=round(rss_end / 2**20),
        rss_growth=round(growth, 4), store_problems=problems,
    )
    print(table(["operation", "requests", "errors", "expected 404", "p50 ms", "p99 ms"], rows))
    print(f"server RSS: {report['rss_start_mb']} MB after warm-up, {report['rss_end_mb']} MB at the end ({growth:+.1%})")
    print("stores: consistent" if not problems else "stores: " + "; ".join(problems))
    print(f"written to {save('soak', report)}")
    return 0 if errors == 0 and growth < RSS_GROWTH_LIMIT and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
