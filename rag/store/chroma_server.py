"""A Chroma server for the processes that share one vector index.

    with ChromaServer(data_dir / "chroma", log_path) as server:
        server.url   # http://127.0.0.1:PORT, answering

``chroma run`` (the command of the installed chromadb package) on a free
loopback port, over the same folder the embedded client uses, so one data
folder serves either way. It runs in a session of its own (a Ctrl-C in the
terminal reaches the workers first; the server stops after them) and, on
Linux, is told to end with the process that started it, also when that one is
killed. ``wait_for_chroma`` checks any server's heartbeat.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from ..errors import ChromaUnavailable

__all__ = ["ChromaServer", "ChromaUnavailable", "end_with_parent", "wait_for_chroma"]

HEARTBEAT = "/api/v2/heartbeat"
START_TIMEOUT_S = 60.0  # a cold start of `chroma run` takes 1-3 s; a large index loads lazily


def wait_for_chroma(url: str, timeout: float = START_TIMEOUT_S, process: subprocess.Popen | None = None,
                    log_path: Path | None = None) -> None:
    """Return once ``url`` answers its heartbeat; raise ``ChromaUnavailable`` when it does not
    within ``timeout`` seconds (or when ``process``, the server, exits first)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if process is not None and process.poll() is not None:
            raise ChromaUnavailable(
                f"the Chroma server exited with status {process.returncode} before it answered"
                + (f"; see {log_path}:\n{_tail(log_path)}" if log_path else "")
            )
        try:
            with urllib.request.urlopen(url.rstrip("/") + HEARTBEAT, timeout=2) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
        if time.monotonic() > deadline:
            where = f"; see {log_path}" if log_path else ""
            raise ChromaUnavailable(f"the Chroma server at {url} did not answer within {timeout:.0f} s ({last}){where}")
        time.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def end_with_parent() -> None:
    """In a child process: on Linux, receive SIGTERM when the process that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def chroma_command() -> list[str]:
    """`chroma` of the running interpreter's environment (its entry point, whatever PATH says)."""
    script = "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; sys.exit(app())"
    return [sys.executable, "-c", script]


class ChromaServer:
    def __init__(self, path: Path, log_path: Path, host: str = "127.0.0.1", port: int | None = None):
        self.path = Path(path)
        self.log_path = Path(log_path)
        self.host = host
        self.port = port or _free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = START_TIMEOUT_S) -> ChromaServer:
        self.path.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [*chroma_command(), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=end_with_parent,
            )
        try:
            wait_for_chroma(self.url, timeout, self.process, self.log_path)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, grace: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
