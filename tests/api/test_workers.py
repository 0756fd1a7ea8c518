"""`rag serve --workers 2`: two real uvicorn workers over a real `chroma run` server.

A request is sent to one chosen worker by stopping the other (SIGSTOP) while
the connection opens; the connection then stays with the worker it reached.
Writes through one worker are seen by the other; concurrent writes through
both land whole; a worker killed mid-ingest leaves the stores consistent; the
server, its Chroma server and its workers all end with Ctrl-C, and with a
SIGKILL of the parent.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from api.process import ServerProcess, free_port, serve_command
from bench.load import children as _children
from rag.consistency import store_problems
from rag.pipeline import Pipeline
from tests.helpers import BUILTIN_CORPUS, make_settings

pytestmark = pytest.mark.slow


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _signal(pid: int, sig: int) -> None:
    """Signal ``pid`` unless it has gone (a worker just killed may still be listed)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_state(pid: int, stopped: bool) -> None:
    """Wait until ``pid`` is stopped (or running again); a process that has gone takes no connection."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("Z", "X") or (state == "T") == stopped:
            return
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} did not {'stop' if stopped else 'resume'}")


class Workers:
    def __init__(self, server: ServerProcess, data: Path):
        self.server, self.data = server, data

    @property
    def pids(self) -> list[int]:
        return sorted(p for p in _children(self.server.pid) if "spawn_main" in _cmdline(p) and _alive(p))

    @property
    def chroma_url(self) -> str:
        found = re.search(r"Chroma server on (http://\S+)", self.server.log_path.read_text())
        assert found, self.server.log_tail()
        return found.group(1)

    @contextmanager
    def client(self, worker: int, timeout: float = 120) -> Iterator[httpx.Client]:
        """A client whose connection reached ``worker`` (the others stopped while it opened)."""
        others = [p for p in self.pids if p != worker]
        with httpx.Client(base_url=self.server.url, timeout=timeout) as client:
            for pid in others:
                _signal(pid, signal.SIGSTOP)
                _wait_state(pid, True)
            try:
                assert client.get("/ready").status_code == 200
            finally:
                for pid in others:
                    _signal(pid, signal.SIGCONT)
            yield client

    def ready_lines(self) -> int:
        return self.server.log_path.read_text().count("api: ready:")


def _stored(workers: Workers) -> Pipeline:
    return Pipeline(make_settings(workers.data, chroma_url=workers.chroma_url))


def _document(title: str, sentences: int = 12) -> dict[str, str]:
    word = title.split()[0].lower()
    text = " ".join(
        f"Every {word} operator must file inspection report number {i} with the national {word} authority."
        for i in range(sentences)
    )
    return {"title": title, "text": text}


@pytest.fixture(scope="module")
def workers(tmp_path_factory) -> Iterator[Workers]:
    tmp = tmp_path_factory.mktemp("workers")
    data = tmp / "data"
    port = free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(BUILTIN_CORPUS), "RAG_LOG_LEVEL": "info", "RAG_THREADS": "2"}
    env.pop("RAG_CHROMA_URL", None)
    server = ServerProcess(serve_command(port, "--data-dir", str(data)) + ["--workers", "2"], port,
                           tmp / "serve.log", env=env)
    try:
        server.wait_ready(timeout=180)
        deadline = time.monotonic() + 120
        while server.log_path.read_text().count("api: ready:") < 2:  # both workers, not just the first
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        yield Workers(server, data)
    finally:
        server.stop(grace=60)


def test_the_corpus_is_ingested_once_and_a_write_through_one_worker_is_seen_by_the_other(workers):
    log = workers.server.log_path.read_text()
    assert log.count("the index is empty: ingesting") == 1, log
    first, second = workers.pids
    assert len(workers.pids) == 2
    with workers.client(second) as c:  # the second worker has counted and cached before the write
        before = c.get("/documents").json()["total"]
        assert c.post("/ask", json={"question": "What must a zeppelin operator file?"}).status_code == 200
    with workers.client(first) as c:
        response = c.post("/documents", json=_document("Zeppelin inspection rules"))
        assert response.status_code == 201, response.text
        doc_id = response.json()["document"]["id"]
    with workers.client(second) as c:
        assert c.get("/documents").json()["total"] == before + 1
        answer = c.post("/ask", json={"question": "What must a zeppelin operator file?"}).json()
        assert answer["citations"] and answer["citations"][0]["document_id"] == doc_id
        text = c.get(f"/documents/{doc_id}/text").text
        assert all(text[x["start"]:x["end"]] == x["quote"] for x in answer["citations"])
        assert c.delete(f"/documents/{doc_id}").status_code == 204
    with workers.client(first) as c:
        assert c.get(f"/documents/{doc_id}").status_code == 404
        assert c.get("/documents").json()["total"] == before
        answer = c.post("/ask", json={"question": "What must a zeppelin operator file?"}).json()
        assert all(x["document_id"] != doc_id for x in answer["citations"] + answer["passages"])


def test_concurrent_ingests_through_both_workers_land_whole(workers):
    first, second = workers.pids
    results: dict[str, httpx.Response] = {}
    titles = {first: "Glacier sensor rules", second: "Tidal turbine rules"}
    with workers.client(first) as a, workers.client(second) as b:
        def post(client: httpx.Client, title: str) -> None:
            results[title] = client.post("/documents", json=_document(title, sentences=150))

        threads = [threading.Thread(target=post, args=(c, titles[p])) for c, p in ((a, first), (b, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert {t: r.status_code for t, r in results.items()} == {t: 201 for t in titles.values()}
    ids = [r.json()["document"]["id"] for r in results.values()]
    for pid in (first, second):
        with workers.client(pid) as c:
            for doc_id in ids:
                assert c.get(f"/documents/{doc_id}").json()["chunk_count"] >= 10
            answer = c.post("/ask", json={"question": "What must a tidal operator file?"}).json()
            assert answer["citations"] and answer["citations"][0]["title"] == "Tidal turbine rules"
    with _stored(workers) as pipeline:
        assert store_problems(pipeline) == []
        assert {d.id for d in pipeline.list_documents(limit=100)[1]} >= set(ids)


def _post_or_die(client: httpx.Client, document: dict[str, str], outcome: dict[str, object]) -> None:
    try:
        outcome["status"] = client.post("/documents", json=document).status_code
    except httpx.TransportError:
        outcome["status"] = "killed"


def test_a_worker_killed_mid_ingest_leaves_the_stores_consistent(workers):
    for round_, delay in enumerate((0.4, 1.2)):
        victim, survivor = workers.pids
        ready = workers.ready_lines()
        title = f"Airship rules {round_}"
        outcome: dict[str, object] = {}
        with workers.client(victim) as c:
            thread = threading.Thread(target=_post_or_die, args=(c, _document(title, sentences=400), outcome))
            thread.start()
            time.sleep(delay)
            os.kill(victim, signal.SIGKILL)
            thread.join(timeout=60)
        with workers.client(survivor) as c:  # a write through the survivor settles any interrupted one
            assert c.post("/documents", json=_document(f"Kite rules {round_}")).status_code == 201
            stored = c.get("/documents", params={"limit": 100}).json()["documents"]
        with _stored(workers) as pipeline:
            assert store_problems(pipeline) == [], f"round {round_}"
        mine = [d for d in stored if d["title"] == title]
        assert outcome["status"] in (201, "killed")
        if outcome["status"] == 201:
            assert mine and mine[0]["chunk_count"] > 0
        deadline = time.monotonic() + 120
        while workers.ready_lines() <= ready or len(workers.pids) < 2:  # uvicorn started a new one, ready
            assert time.monotonic() < deadline, workers.server.log_tail()
            time.sleep(0.2)


def test_ctrl_c_and_a_killed_parent_leave_no_process_behind(workers, tmp_path):
    family = [*workers.pids, *(p for p in _children(workers.server.pid) if "chromadb" in _cmdline(p))]
    assert len(family) == 3
    assert workers.server.stop(grace=60) == 0
    assert not any(_alive(p) for p in family), [(p, _cmdline(p)) for p in family if _alive(p)]

    port = free_port()
    env = {**os.environ, "RAG_CORPUS_DIR": str(tmp_path), "RAG_LOG_LEVEL": "info"}
    server = ServerProcess(serve_command(port, "--data-dir", str(workers.data)) + ["--workers", "2"], port,
                           tmp_path / "serve.log", env=env)
    try:
        deadline = time.monotonic() + 60
        family: list[int] = []
        while len(family) < 3:  # the Chroma server and both workers started (ready or not)
            assert time.monotonic() < deadline and server.process.poll() is None, server.log_tail()
            time.sleep(0.1)
            family = [p for p in _children(server.pid) if "spawn_main" in _cmdline(p) or "chromadb" in _cmdline(p)]
        server.process.kill()
        server.process.wait()
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in family):
            assert time.monotonic() < deadline, [(p, _cmdline(p)) for p in family if _alive(p)]
            time.sleep(0.1)
    finally:
        server.stop()
