"""`serve(settings)` in a process of its own, configured from RAG_* variables."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from rag.config import PROJECT_ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_uvicorn_from_settings(tmp_path):
    port = _free_port()
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
    process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        ready = None
        with httpx.Client(base_url=url, timeout=5) as c:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    ready = c.get("/ready")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            assert ready is not None and ready.status_code == 200, process.stdout.read().decode() if process.poll() is not None else ready
            assert ready.json() == {"status": "ready", "documents": 0, "chunks": 0}
            assert c.post("/documents", json={"title": "t", "text": "Some text."}).status_code == 401
            assert c.get("/documents").json()["total"] == 0
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, process.stdout.read().decode()
