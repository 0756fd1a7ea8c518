"""`rag serve` in a process of its own, for tests that kill it or limit it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx

from rag.config import PROJECT_ROOT

STARTUP_TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        corpus_dir: Path,
        *,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        variables = {
            **os.environ,
            "RAG_DATA_DIR": str(data_dir),
            "RAG_CORPUS_DIR": str(corpus_dir),
            "RAG_HOST": "127.0.0.1",
            "RAG_PORT": str(self.port),
            "RAG_LOG_LEVEL": "warning",
            **(env or {}),
        }
        code = "from api.server import serve; from rag.config import Settings; serve(Settings())"
        # Output goes nowhere: a file would count against a file size limit set on the server.
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], env=variables, cwd=PROJECT_ROOT,
            stdout=None if os.environ.get("RAG_TEST_SERVER_OUTPUT") else subprocess.DEVNULL, stderr=None if os.environ.get("RAG_TEST_SERVER_OUTPUT") else subprocess.DEVNULL, preexec_fn=preexec_fn,
        )

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> "ServerProcess":
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with status {self.process.returncode} before it was ready")
                try:
                    if client.get("/ready").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise TimeoutError(f"{self.url} not ready after {timeout:.0f}s")

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 120), **kwargs)

    def stop(self) -> int:
        """Ctrl-C (graceful shutdown), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
