"""`serve(settings)` in a process of its own, configured from RAG_* variables."""

from __future__ import annotations

import os
import sys

import httpx

from api.process import ServerProcess, free_port
from rag.config import PROJECT_ROOT


def test_serve_runs_uvicorn_from_settings(tmp_path):
    port = free_port()
    empty_corpus = tmp_path / "corpus"
    empty_corpus.mkdir()
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path / "data"),
        "RAG_CORPUS_DIR": str(empty_corpus),
        "RAG_HOST": "127.0.0.1",
        "RAG_PORT": str(port),
        "RAG_API_KEY": "serve-key",
        "RAG_LOG_LEVEL": "warning",
    }
    code = "from api.server import serve; from rag.config import Settings; serve(Settings())"
    server = ServerProcess([sys.executable, "-c", code], port, tmp_path / "serve.log", env=env, cwd=PROJECT_ROOT)
    try:
        assert server.wait_ready(120) == {"status": "ready", "documents": 0, "chunks": 0}
        with httpx.Client(base_url=server.url, timeout=5) as c:
            assert c.post("/documents", json={"title": "t", "text": "Some text."}).status_code == 401
            assert c.get("/documents").json()["total"] == 0
    finally:
        status = server.stop(grace=60)
    assert status == 0, server.log_tail()
