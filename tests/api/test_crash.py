"""SIGKILL a real server at random moments while it stores documents.

Twenty rounds on one data folder, a fixed seed. In each round a client adds,
replaces and deletes small documents one request at a time until the server is
killed; then the folder is opened (as a restart would) and checked: SQLite and
Chroma agree, every document is whole, every acknowledged write is there, and
the one request in flight at the kill is either fully done or not at all.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from rag.config import Settings
from rag.consistency import store_problems
from rag.pipeline import Pipeline
from tests.helpers import serve

SEED = 1130
ROUNDS = 20
TITLES = 12  # few titles: many writes replace or delete an existing document


def _text(rng: random.Random, round_: int, n: int) -> str:
    topic = rng.choice(["drones", "tidal turbines", "face recognition", "chatbots", "credit scoring"])
    return " ".join(
        f"Rule {round_}.{n}.{i}: providers of {topic} keep audit log {rng.randrange(10**6)} for {i + 1} years."
        for i in range(rng.randrange(5, 60))
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stored(data: Path) -> dict[str, str]:
    """Open the folder as a restart would; check the stores agree; id -> sha256 of every document."""
    pipeline = Pipeline(Settings(data_dir=data))
    try:
        assert store_problems(pipeline) == []
        return {row["id"]: row["sha256"] for row in pipeline.store.document_rows()[1]}
    finally:
        pipeline.close()


class Writer(threading.Thread):
    """Sends writes one at a time until the server dies; remembers what was acknowledged."""

    def __init__(self, url: str, rng: random.Random, round_: int) -> None:
        super().__init__(daemon=True)
        self.url, self.rng, self.round = url, rng, round_
        self.acknowledged: list[tuple[str, str | None]] = []  # (id, sha256 or None when deleted)
        self.in_flight: tuple[str, str | None] | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            for n in range(10_000):
                title = f"Crash note {self.rng.randrange(TITLES)}"
                doc_id = "text__" + title.lower().replace(" ", "-")
                try:
                    if self.rng.random() < 0.2:
                        self.in_flight = (doc_id, None)
                        response = client.delete(f"/documents/{doc_id}")
                        ok = response.status_code in (204, 404)
                    else:
                        text = _text(self.rng, self.round, n)
                        self.in_flight = (doc_id, _sha(text))
                        response = client.post("/documents", json={"title": title, "text": text})
                        ok = response.status_code in (200, 201)
                except httpx.TransportError:
                    return  # killed: the request in flight may or may not have landed
                assert ok, response.text
                self.acknowledged.append(self.in_flight)
                self.in_flight = None


@pytest.mark.slow
def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path):
    rng = random.Random(SEED)
    data, empty = tmp_path / "data", tmp_path / "corpus"
    empty.mkdir()
    expected: dict[str, str] = {}
    killed_in_flight = 0
    for round_ in range(ROUNDS):
        server = serve(data, empty, tmp_path / f"round-{round_}.log")
        writer = Writer(server.url, random.Random(rng.random()), round_)
        writer.start()
        time.sleep(rng.uniform(0.05, 2.0))
        server.process.kill()
        server.process.wait()
        server.stop()  # closes its log
        writer.join(timeout=60)
        assert not writer.is_alive()
        for doc_id, sha in writer.acknowledged:
            if sha is None:
                expected.pop(doc_id, None)
            else:
                expected[doc_id] = sha
        stored = _stored(data)
        if writer.in_flight is not None:
            doc_id, sha = writer.in_flight
            killed_in_flight += 1
            assert stored.get(doc_id) in (expected.get(doc_id), sha), f"round {round_}: {doc_id} is neither old nor new"
            if doc_id in stored:
                expected[doc_id] = stored[doc_id]
            else:
                expected.pop(doc_id, None)
        assert stored == expected, f"round {round_}: acknowledged writes and the stores differ"
    assert killed_in_flight >= ROUNDS // 2, "too few kills landed during a request"
