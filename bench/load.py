"""Load benchmark of the HTTP service: throughput, latency and memory of ``POST /ask``.

What it measures
    The service as a user sees it, over loopback: ``rag serve`` runs as its own
    process on the shared AI-policy corpus, and closed-loop clients (each sends a
    question, waits for the answer, sends the next) ask it realistic questions
    for a fixed time at each concurrency level, once per worker count (``rag serve
    --workers N``: one process, or N processes over a Chroma server), the servers
    one after the other. For every worker count and level it reports

        workers      processes answering (``rag serve --workers``)
        clients      concurrent closed-loop clients
        requests     requests completed in the measured window (warm-up excluded)
        q/s          requests / wall-clock seconds of the window
        p50, p95, p99  latency of successful requests, in ms (client side, full round trip)
        errors       non-200 answers and failed requests (timeouts, resets); must be 0
        peak RSS     largest resident set of the whole server (the `rag serve` process, its
                     workers and its Chroma server: VmRSS summed) during the level, in MB

    The questions are a fixed, evenly spread sample of about 30 from the corpus
    evaluation set (``eval/datasets/corpus_part_*.jsonl``: answerable and
    unanswerable ones alike), sent round-robin, so every run asks the same
    mix in the same order. Before the first level every question is asked once,
    unmeasured (a fresh server's first answers are slow while pages of its stores
    are read in and the model meets each input length for the first time), and
    each level starts with a few unmeasured seconds of load at its concurrency.
    With several workers the run first waits until every one answers /ready
    (polled over fresh connections, which the workers take in turn).

How to run it
    .venv/bin/python -m bench.load                     # 1 and 2 workers; 1 and 16 clients, 20 s each
    .venv/bin/python -m bench.load --quick             # smoke run: 1 and 4 clients, 5 s each
    .venv/bin/python -m bench.load --workers 4 --clients 1,2,4 --seconds 30
    .venv/bin/python -m bench.load --builtin --data-dir /tmp/loadtest   # the built-in corpus only

    The first run ingests the shared corpus (``RAG_SHARED_CORPUS``, by default
    ``../shared/corpus`` beside the checkout) into ``bench/results/data-corpus``
    with ``rag ingest``, which takes several minutes; later runs reuse it. Without
    the shared corpus the benchmark says so and exits 0 (``--builtin`` needs none:
    the server ingests the small built-in corpus itself). The table is printed and
    written as JSON to ``bench/results/load.json``; the server's log goes to
    ``bench/results/load-server.log``. Exit status 1 means some request failed.

Caveats
    The client runs on the same machine as the server and takes some of its CPU,
    so the figures are a floor for what the service does on its own; the run
    notes when the load average shows other processes competing for the CPU.
    The server logs at ``warning`` (no access log) unless ``RAG_LOG_LEVEL`` is set.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from api.process import ServerProcess, free_port, serve_command
from eval.metrics import percentile  # the one percentile definition (nearest rank)

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_DATA_DIR = RESULTS_DIR / "data-corpus"
DEFAULT_BUILTIN_DATA_DIR = RESULTS_DIR / "data-builtin"
DEFAULT_OUTPUT = RESULTS_DIR / "load.json"
SERVER_LOG = RESULTS_DIR / "load-server.log"

QUESTION_COUNT = 30
RSS_SAMPLE_SECONDS = 0.1

# --------------------------------------------------------------------------- setup


def pick_questions(count: int = QUESTION_COUNT) -> tuple[list[str], str]:
    """About ``count`` questions spread evenly over the corpus evaluation set, and where they came from."""
    from eval.datasets import load_dataset

    questions = [q.question for q in load_dataset("corpus")]
    step = max(1, len(questions) // count)
    return questions[::step][:count], f"eval dataset 'corpus' (every {step}th of {len(questions)})"


def prepare_shared(data_dir: Path, corpus: Path) -> None:
    """Ingest the shared corpus into ``data_dir`` (files already stored unchanged are skipped quickly)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rag.cli", "ingest", "-q", str(corpus)]
    print(f"data: ingesting {corpus} into {data_dir} (several minutes the first time) ...", flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, env=server_env(data_dir), cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"error: `rag ingest` failed with exit status {result.returncode}; see its output above")
    print(f"data: ingest done in {time.perf_counter() - started:.0f} s")


def server_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["RAG_DATA_DIR"] = str(data_dir)
    env.setdefault("RAG_LOG_LEVEL", "warning")
    return env


def rss_bytes(pid: int) -> int | None:
    """The resident set (VmRSS) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- the server


# --------------------------------------------------------------------------- load


@dataclass
class Sample:
    latency_ms: float
    status: int | None  # None: no response (timeout, connection error)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class LevelResult:
    workers: int
    clients: int
    requests: int
    seconds: float
    throughput_rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    max_ms: float | None
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float | None = None
    warmup_requests: int = 0
    warmup_errors: int = 0


async def run_clients(
    client: httpx.AsyncClient,
    questions: list[str],
    turn: itertools.count,
    clients: int,
    seconds: float,
    max_requests: int,
    top_k: int,
) -> tuple[list[Sample], float]:
    """Closed loop: ``clients`` tasks each send, wait, send again until the time or the request budget runs out.

    A request is started only before the deadline and within the budget; requests
    in flight at the deadline are allowed to finish (each is bounded by the
    client's timeout). Returns the samples and the wall-clock seconds taken.
    """
    samples: list[Sample] = []
    budget = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds

    async def one_client() -> None:
        while time.perf_counter() < deadline and next(budget) < max_requests:
            question = questions[next(turn) % len(questions)]
            sent = time.perf_counter()
            try:
                response = await client.post("/ask", json={"question": question, "top_k": top_k})
                await response.aread()
                sample = Sample((time.perf_counter() - sent) * 1000, response.status_code)
                if not sample.ok:
                    sample.error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                sample = Sample((time.perf_counter() - sent) * 1000, None, type(exc).__name__)
            samples.append(sample)

    await asyncio.gather(*(one_client() for _ in range(clients)))
    return samples, time.perf_counter() - started


async def prime(server: ServerProcess, questions: list[str], args: argparse.Namespace) -> tuple[int, float]:
    """Ask every question once, one at a time: the first requests of a fresh server are slow
    (pages of the stores read from disk, the model's first passes at each input length), and
    that start-up cost is not what the levels measure. Returns (failed requests, seconds)."""
    started = time.perf_counter()
    failed = 0
    timeout = httpx.Timeout(args.timeout, connect=10.0)
    async with httpx.AsyncClient(base_url=server.url, timeout=timeout, trust_env=False) as client:
        for question in questions:
            try:
                response = await client.post("/ask", json={"question": question, "top_k": args.top_k})
                failed += response.status_code != 200
            except httpx.HTTPError:
                failed += 1
    return failed, time.perf_counter() - started


def wait_all_workers(server: ServerProcess, workers: int, timeout: float) -> None:
    """With several workers /ready answers 200 once the first is ready: poll it over fresh connections
    (each taken by whichever worker accepts first) until 10 answers per worker in a row are 200."""
    if workers < 2:
        return
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while in_a_row < 10 * workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not every worker was ready after {timeout:.0f} s; see {server.log_path}")
        with httpx.Client(base_url=server.url, timeout=5.0, trust_env=False) as client:
            try:
                in_a_row = in_a_row + 1 if client.get("/ready").status_code == 200 else 0
            except httpx.HTTPError:
                in_a_row = 0
        if not in_a_row:
            time.sleep(0.2)


def tree_rss(pid: int) -> int | None:
    """VmRSS of a process and all its descendants (workers, the Chroma server), summed."""
    total = rss_bytes(pid)
    if total is None:
        return None
    for child in children(pid):
        total += tree_rss(child) or 0
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


async def sample_rss(pid: int, stop: asyncio.Event) -> int | None:
    """Largest VmRSS seen until ``stop`` is set."""
    peak: int | None = None
    while True:
        value = tree_rss(pid)
        if value is not None:
            peak = value if peak is None else max(peak, value)
        try:
            await asyncio.wait_for(stop.wait(), RSS_SAMPLE_SECONDS)
            return peak
        except TimeoutError:
            continue


async def run_level(
    server: ServerProcess, questions: list[str], turn: itertools.count, clients: int, args: argparse.Namespace,
    workers: int = 1,
) -> LevelResult:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(args.timeout, connect=10.0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout, trust_env=False) as client:
        stop = asyncio.Event()
        rss_task = asyncio.create_task(sample_rss(server.pid, stop))
        try:
            warmup, _ = await run_clients(client, questions, turn, clients, args.warmup, args.max_requests, args.top_k)
            samples, elapsed = await run_clients(
                client, questions, turn, clients, args.seconds, args.max_requests, args.top_k
            )
        finally:
            stop.set()
            peak = await rss_task
    latencies = sorted(s.latency_ms for s in samples if s.ok)
    failures = [s for s in samples if not s.ok]
    return LevelResult(
        workers=workers,
        clients=clients,
        requests=len(samples),
        seconds=round(elapsed, 3),
        throughput_rps=round(len(samples) / elapsed, 3) if elapsed > 0 else 0.0,
        p50_ms=_round(percentile(latencies, 50)),
        p95_ms=_round(percentile(latencies, 95)),
        p99_ms=_round(percentile(latencies, 99)),
        mean_ms=_round(sum(latencies) / len(latencies)) if latencies else None,
        max_ms=_round(latencies[-1]) if latencies else None,
        errors=len(failures),
        error_kinds=dict(Counter(s.error or "unknown" for s in failures)),
        peak_rss_mb=round(peak / 2**20, 1) if peak is not None else None,
        warmup_requests=len(warmup),
        warmup_errors=sum(not s.ok for s in warmup),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --------------------------------------------------------------------------- report


def format_table(levels: list[LevelResult]) -> str:
    header = ("workers", "clients", "requests", "q/s", "p50 ms", "p95 ms", "p99 ms", "errors", "peak RSS MB")
    rows = [header]
    for r in levels:
        rows.append(
            (
                str(r.workers),
                str(r.clients),
                str(r.requests),
                f"{r.throughput_rps:.2f}",
                "-" if r.p50_ms is None else f"{r.p50_ms:.0f}",
                "-" if r.p95_ms is None else f"{r.p95_ms:.0f}",
                "-" if r.p99_ms is None else f"{r.p99_ms:.0f}",
                str(r.errors),
                "-" if r.peak_rss_mb is None else f"{r.peak_rss_mb:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes numbers separated by commas, not {text!r}") from None
    if not levels or any(n < 1 for n in levels):
        raise argparse.ArgumentTypeError("needs at least one number, each 1 or more")
    return levels


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Load benchmark of POST /ask: throughput, p50/p99 latency, errors and server RSS per concurrency level.",
    )
    parser.add_argument("--clients", type=parse_levels, default=None, help="concurrency levels, e.g. 1,16 (default)")
    parser.add_argument(
        "--workers", type=parse_levels, default=[1, 2],
        help="worker counts, one server each, run one after the other (default 1,2: side by side)",
    )
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per level (default 20)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds before each level (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: levels 1,4 for 5 s each")
    parser.add_argument("--data-dir", type=Path, default=None, help=f"server data folder (default {DEFAULT_DATA_DIR.relative_to(ROOT)})")
    parser.add_argument(
        "--builtin",
        action="store_true",
        help="skip the shared corpus: serve the built-in corpus, which the server ingests into an empty "
        f"data folder (default data folder {DEFAULT_BUILTIN_DATA_DIR.relative_to(ROOT)})",
    )
    parser.add_argument("--top-k", type=int, default=8, help="top_k sent with every question (default 8)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before one request counts as failed (default 60)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="most requests per level, warm-up and measurement each")
    parser.add_argument("--ready-timeout", type=float, default=900.0, help="seconds to wait for /ready (default 900)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON report (default {DEFAULT_OUTPUT.relative_to(ROOT)})")
    return parser


async def serve_and_load(
    args: argparse.Namespace, data_dir: Path, workers: int, questions: list[str], source: str
) -> tuple[dict, list[LevelResult]]:
    """One server with ``workers`` processes: every level against it; (what the server was, the levels)."""
    port = free_port()
    log_path = SERVER_LOG.with_name(f"load-server-{workers}w.log")
    print(f"server: rag serve --workers {workers} on 127.0.0.1:{port}, data {data_dir}, log {log_path}", flush=True)
    command = serve_command(port) + ["--workers", str(workers)]
    server = ServerProcess(command, port, log_path, env=server_env(data_dir), cwd=ROOT)
    levels: list[LevelResult] = []
    ready: dict = {}
    idle_rss = None
    prime_failed, prime_seconds = 0, 0.0
    try:
        started = time.perf_counter()
        ready = await asyncio.to_thread(server.wait_ready, args.ready_timeout)
        await asyncio.to_thread(wait_all_workers, server, workers, args.ready_timeout)
        idle_rss = tree_rss(server.pid)
        print(
            f"server: ready in {time.perf_counter() - started:.1f} s with {ready.get('documents')} documents, "
            f"{ready.get('chunks')} chunks; RSS {idle_rss / 2**20 if idle_rss else 0:.0f} MB (all its processes)",
            flush=True,
        )
        print(f"load: {len(questions)} questions from {source}", flush=True)
        prime_failed, prime_seconds = await prime(server, questions, args)
        print(
            f"load: warm-up pass over every question in {prime_seconds:.1f} s"
            + (f", {prime_failed} FAILED" if prime_failed else ""),
            flush=True,
        )
        load_average = os.getloadavg()[0]
        if load_average > (os.cpu_count() or 1):
            print(
                f"note: load average {load_average:.1f} on {os.cpu_count()} CPUs: other processes compete "
                "for the CPU, so the figures are noisy",
                flush=True,
            )
        print(f"load: {args.warmup:g} s warm-up + {args.seconds:g} s measured per level", flush=True)
        turn = itertools.count()
        for clients in args.clients:
            result = await run_level(server, questions, turn, clients, args, workers)
            levels.append(result)
            print(
                f"  {workers} worker(s), {clients:>3} clients: {result.requests} requests, "
                f"{result.throughput_rps:.2f} q/s, p50 {result.p50_ms} ms, p95 {result.p95_ms} ms, "
                f"{result.errors} errors",
                flush=True,
            )
            if server.process.poll() is not None:
                print(f"server: exited during the run (status {server.process.returncode})", file=sys.stderr)
                break
    finally:
        status = server.stop()
        print(f"server: stopped (exit status {status})\n", flush=True)
    info = {
        "workers": workers,
        "documents": ready.get("documents"),
        "chunks": ready.get("chunks"),
        "idle_rss_mb": round(idle_rss / 2**20, 1) if idle_rss else None,
        "exit_status": status,
        "warmup_pass": {"requests": len(questions), "failed": prime_failed, "seconds": round(prime_seconds, 3)},
        "load_average_1min_before": round(os.getloadavg()[0], 2),
    }
    return info, levels


async def benchmark(args: argparse.Namespace, data_dir: Path, corpus_label: str) -> int:
    questions, source = pick_questions()
    servers: list[dict] = []
    levels: list[LevelResult] = []
    for workers in args.workers:
        info, done = await serve_and_load(args, data_dir, workers, questions, source)
        servers.append(info)
        levels.extend(done)

    report = {
        "benchmark": "load",
        "generated": now(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "corpus": corpus_label,
        "data_dir": str(data_dir),
        "servers": servers,
        "load": {
            "endpoint": "POST /ask",
            "top_k": args.top_k,
            "seconds_per_level": args.seconds,
            "warmup_seconds": args.warmup,
            "questions": len(questions),
            "question_source": source,
            "latency": "client-side round trip of successful requests, nearest-rank percentiles",
        },
        "levels": [asdict(level) for level in levels],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(format_table(levels))
    print(f"\nwritten to {args.output}")
    errors = sum(level.errors for level in levels)
    if errors:
        kinds: Counter[str] = Counter()
        for level in levels:
            kinds.update(level.error_kinds)
        print(f"FAILED: {errors} requests failed ({dict(kinds)})", file=sys.stderr)
        return 1
    prime_failed = sum(info["warmup_pass"]["failed"] for info in servers)
    if prime_failed:
        print(f"FAILED: {prime_failed} requests of the warm-up passes failed", file=sys.stderr)
        return 1
    if len(levels) < len(args.clients) * len(args.workers):
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.clients = args.clients or [1, 4]
        args.seconds = args.seconds if args.seconds is not None else 5.0
        args.warmup = args.warmup if args.warmup is not None else 1.0
    args.clients = args.clients or [1, 16]
    args.seconds = args.seconds if args.seconds is not None else 20.0
    args.warmup = args.warmup if args.warmup is not None else 3.0
    if args.seconds <= 0 or args.warmup < 0 or args.max_requests < 1 or args.timeout <= 0:
        raise SystemExit("error: --seconds and --timeout must be positive, --warmup not negative, --max-requests 1 or more")

    from rag.config import Settings

    if args.builtin:
        data_dir = (args.data_dir or DEFAULT_BUILTIN_DATA_DIR).expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        corpus_label = "built-in (ingested by the server into an empty data folder)"
        print(f"data: {data_dir} (built-in corpus; the shared corpus is not ingested)")
    else:
        corpus = Settings().shared_corpus.expanduser().resolve()
        if not corpus.is_dir():
            print(
                f"load benchmark skipped: the shared corpus is not at {corpus}. "
                "Set RAG_SHARED_CORPUS to the folder holding it, or run with --builtin to load-test the built-in corpus."
            )
            return 0
        data_dir = (args.data_dir or DEFAULT_DATA_DIR).expanduser().resolve()
        prepare_shared(data_dir, corpus)
        corpus_label = f"shared: {corpus}"
    try:
        return asyncio.run(benchmark(args, data_dir, corpus_label))
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
