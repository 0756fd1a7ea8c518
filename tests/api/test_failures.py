"""Startup and unexpected failures, with stand-in pipelines so they can be provoked:
503 while the index opens, and a generic 500 (no details, no trace) when the
library fails in a way nobody foresaw."""

from __future__ import annotations

import logging
import sqlite3
import threading

import pytest

from rag import errors as rag_errors
from rag.answering import PassagesEvent

SECRET = "secret-internal-detail-/var/lib/db"


class SlowPipeline:
    """Counts block until released, as opening a large index would."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def open(self) -> SlowPipeline:
        return self

    def counts(self) -> dict:
        self.release.wait(60)
        return {"documents": 1, "chunks": 1}

    def search(self, query, top_k=None, filters=None, mode="hybrid"):
        return []

    def list_documents(self, offset=0, limit=50):
        return 0, []


class BrokenPipeline:
    def open(self) -> BrokenPipeline:
        return self

    def counts(self) -> dict:
        return {"documents": 1, "chunks": 1}

    def search(self, query, top_k=None, filters=None, mode="hybrid"):
        if query == "boom":
            raise RuntimeError(SECRET)
        return []

    def ask(self, question, top_k=None, filters=None, mode=None):
        raise KeyError(SECRET)

    def ask_stream(self, question, top_k=None, filters=None, mode=None):
        yield PassagesEvent([])
        raise ValueError(SECRET)

    def get_document(self, document_id):
        raise rag_errors.ModelUnavailable("the embedding model could not be loaded")


class MismatchedPipeline:
    def counts(self) -> dict:
        raise rag_errors.IndexMismatch("the index was built with another embedding model; re-ingest")


def test_not_ready_while_starting(start_server, settings_for, tmp_path, expect_error):
    pipeline = SlowPipeline()
    server = start_server(settings_for(tmp_path), pipeline=pipeline, wait_ready=False)
    with server.client() as c:
        assert c.get("/health").json() == {"status": "ok"}
        error = expect_error(c.get("/ready"), 503, "not_ready")
        assert "starting" in error["message"]
        expect_error(c.post("/ask", json={"question": "What is AI?"}), 503, "not_ready")
        expect_error(c.get("/documents"), 503, "not_ready")
        assert "rag_ready 0" in c.get("/metrics").text
        pipeline.release.set()
        server.wait(ready=True)
        assert c.get("/ready").json() == {"status": "ready", "documents": 1, "chunks": 1}
        assert c.get("/documents").json()["total"] == 0
    server.stop()


def test_index_that_cannot_open(start_server, settings_for, tmp_path, expect_error):
    server = start_server(settings_for(tmp_path), pipeline=MismatchedPipeline(), wait_ready=False)
    with pytest.raises(RuntimeError, match="IndexMismatch"):
        server.wait(ready=True)
    with server.client() as c:
        error = expect_error(c.get("/ready"), 503, "index_mismatch")
        assert "re-ingest" in error["message"]
        expect_error(c.post("/ask", json={"question": "What is AI?"}), 503, "index_mismatch")
        assert c.get("/health").status_code == 200
    server.stop()


def test_unexpected_errors_are_generic_500(start_server, settings_for, tmp_path, expect_error):
    server = start_server(settings_for(tmp_path), pipeline=BrokenPipeline())
    with server.client() as c:
        for response in (c.post("/ask", json={"question": "What is AI?"}), c.post("/search", json={"query": "boom"})):
            error = expect_error(response, 500, "internal_error")
            assert SECRET not in response.text
        # Known library errors keep their own status and message.
        error = expect_error(c.get("/documents/x"), 503, "model_unavailable")
        assert "embedding model" in error["message"]
        # A failure after the stream started ends it with an error event.
        with c.stream("POST", "/ask", json={"question": "What is AI?", "stream": True}) as response:
            body = response.read().decode()
        assert response.status_code == 200
        assert "event: passages" in body and "event: error" in body and "internal_error" in body
        assert SECRET not in body
        metrics = c.get("/metrics").text
        assert 'rag_http_requests_total{route="/ask",method="POST",status="500"} 1' in metrics
        assert c.get("/health").status_code == 200  # still serving
    server.stop()


def test_storage_failure_on_upload_is_a_logged_5xx_and_changes_nothing(server, client, monkeypatch, caplog, expect_error):
    """The real server and pipeline; only the SQLite write is made to fail, as a full disk would."""
    store = server.pipeline.store
    before = client.get("/ready").json()

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "replace_document", disk_full)
    body = {"title": "Storage failure probe", "text": "The orchard board shall publish its pruning schedule every spring."}
    with caplog.at_level(logging.ERROR):
        error = expect_error(client.post("/documents", json=body), 500, "storage_error")
    assert "could not be stored" in error["message"] and "disk is full" not in error["message"]
    assert any("disk is full" in (r.exc_text or "") or "disk is full" in str(r.exc_info) for r in caplog.records)
    monkeypatch.undo()
    assert client.get("/ready").json() == before
    titles = [d["title"] for d in client.get("/documents", params={"limit": 200}).json()["documents"]]
    assert body["title"] not in titles
    stored = client.post("/documents", json=body)  # the same upload succeeds once the store works again
    assert stored.status_code == 201, stored.text
    client.delete(f"/documents/{stored.json()['document']['id']}")
