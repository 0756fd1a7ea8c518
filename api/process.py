"""The service in a child process: `rag serve` started, awaited and stopped as a user would.

Shared by the tests that need a separate server process and by the load
benchmark. The child runs in a session of its own (Ctrl-C in the parent does
not reach it) and writes its output to a log file.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = ["ServerProcess", "free_port", "serve_command"]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(port: int, *options: str) -> list[str]:
    """`rag serve` on 127.0.0.1:port with this interpreter (``options`` go before ``serve``, e.g. --data-dir)."""
    return [sys.executable, "-m", "rag.cli", *options, "serve", "--host", "127.0.0.1", "--port", str(port)]


class ServerProcess:
    def __init__(
        self,
        command: list[str],
        port: int,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            env=None if env is None else dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 180.0) -> dict[str, Any]:
        """Poll /ready until it answers 200 (its JSON); fail early, with the log's end, if the process exits."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=5.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the server exited with status {self.process.returncode} before it was ready; "
                        f"last lines of {self.log_path}:\n{self.log_tail()}"
                    )
                try:
                    response = client.get("/ready")
                    if response.status_code == 200:
                        return dict(response.json())
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise TimeoutError(f"the server was not ready after {timeout:.0f} s; see {self.log_path}")

    def stop(self, grace: float = 30.0) -> int | None:
        """Interrupt it as Ctrl-C would (a graceful shutdown), then escalate if it hangs; its exit status."""
        try:
            for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
                if self.process.poll() is not None:
                    break
                self.process.send_signal(sig)
                try:
                    self.process.wait(timeout=wait)
                except subprocess.TimeoutExpired:
                    print(f"server: still running {wait:.0f} s after {sig.name}", file=sys.stderr)
            return self.process.poll()
        finally:
            self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
