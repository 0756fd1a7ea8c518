"""Fixtures for the HTTP tests: the real app under uvicorn on a free loopback port.

One main server (built-in corpus, auth off) is shared by the whole session;
tests that need other settings start their own, reusing its pipeline where the
settings allow, so the embedding model is loaded as few times as possible.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from rag.config import Settings
from rag.contract import PipelineProtocol
from tests import helpers
from tests.helpers import make_pdf

MAIN_UPLOAD_LIMIT = 1_500_000
STARTUP_TIMEOUT = 240.0


class LiveServer:
    """create_app(settings, pipeline) served by uvicorn in a background thread."""

    def __init__(self, settings: Settings, pipeline: PipelineProtocol | None = None) -> None:
        self.settings = settings
        self.app = create_app(settings, pipeline)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def pipeline(self) -> PipelineProtocol:
        return self.app.state.runtime.pipeline

    def start(self, wait_ready: bool = True) -> LiveServer:
        self._thread.start()
        return self.wait(ready=wait_ready)

    def wait(self, ready: bool = True) -> LiveServer:
        """Until /ready (or only /health) answers 200."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        path = "/ready" if ready else "/health"
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if not self._thread.is_alive():
                    raise RuntimeError("the server thread died during startup")
                try:
                    response = client.get(path)
                    if response.status_code == 200:
                        return self
                    failure = self.app.state.runtime.failure
                    if failure is not None:
                        raise RuntimeError(f"the server failed to start: {failure!r}")
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise TimeoutError(f"{self.url}{path} not ready after {STARTUP_TIMEOUT}s")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=120)
        self._sock.close()
        assert not self._thread.is_alive(), "the server did not stop"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 120), **kwargs)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a test server: the built-in corpus, four threads, quiet logs."""
    return helpers.make_settings(data_dir, **{"threads": 4, "log_level": "warning", **overrides})


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., LiveServer]]:
    """Start a LiveServer; every one still running is stopped at the end of the session."""
    running: list[LiveServer] = []

    def start(settings: Settings, pipeline: PipelineProtocol | None = None, wait_ready: bool = True) -> LiveServer:
        server = LiveServer(settings, pipeline)
        running.append(server)
        return server.start(wait_ready=wait_ready)

    yield start
    for server in reversed(running):
        if server._thread.is_alive():
            server.stop()


@pytest.fixture(scope="session")
def server(start_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """The main server: the built-in corpus, no API key, a small upload limit."""
    data_dir = tmp_path_factory.mktemp("main-data")
    return start_server(make_settings(data_dir, max_upload_bytes=MAIN_UPLOAD_LIMIT))


@pytest.fixture()
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


# ---------------------------------------------------------------- checks


class CitationChecker:
    """Asserts that every quote and passage is exactly its document's text[start:end]."""

    def __init__(self) -> None:
        self._texts: dict[tuple[str, str], str] = {}

    def text(self, client: httpx.Client, document_id: str, headers: dict | None = None) -> str:
        key = (str(client.base_url), document_id)
        if key not in self._texts:
            response = client.get(f"/documents/{document_id}/text", headers=headers)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            self._texts[key] = response.text
        return self._texts[key]

    def forget(self, document_id: str) -> None:
        for key in [k for k in self._texts if k[1] == document_id]:
            del self._texts[key]

    def passages(self, client: httpx.Client, passages: list[dict], headers: dict | None = None) -> None:
        for p in passages:
            assert 0 <= p["start"] < p["end"], p
            assert self.text(client, p["document_id"], headers)[p["start"]:p["end"]] == p["text"], p

    def answer(self, client: httpx.Client, answer: dict, headers: dict | None = None) -> None:
        """Check an /ask response (or a `done` event): citations, passages and [n] markers."""
        numbers = [c["n"] for c in answer["citations"]]
        assert len(numbers) == len(set(numbers)), numbers
        for c in answer["citations"]:
            assert 0 <= c["start"] < c["end"], c
            assert self.text(client, c["document_id"], headers)[c["start"]:c["end"]] == c["quote"], c
        self.passages(client, answer["passages"], headers)
        markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])}
        assert markers <= set(numbers), (markers, numbers)
        if not answer["abstained"]:
            assert answer["citations"], answer
            assert markers, answer["answer"]


@pytest.fixture(scope="session")
def check() -> CitationChecker:
    return CitationChecker()


def assert_error(response: httpx.Response, status: int, code: str | tuple[str, ...] | None = None) -> dict:
    """The one error shape, with the expected status (and code)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    if code is not None:
        codes = (code,) if isinstance(code, str) else code
        assert body["error"]["code"] in codes, body
    assert "Traceback" not in response.text
    return body["error"]


@pytest.fixture(scope="session")
def expect_error() -> Callable[..., dict]:
    return assert_error


# ---------------------------------------------------------------- generated files


def policy_pages(topic: str, pages: int, lines_per_page: int = 50) -> list[list[str]]:
    """Distinct, question-answerable text about a made-up policy topic."""
    out = []
    for page in range(1, pages + 1):
        lines = [f"Part {page}: obligations on {topic}."]
        for line in range(1, lines_per_page):
            lines.append(
                f"Rule {page}.{line}. Operators of {topic} systems in district {page} must file audit report "
                f"number {page * 100 + line} with the regional registry within {line % 30 + 1} days."
            )
        out.append(lines)
    return out


@pytest.fixture(scope="session")
def pdf_maker() -> Callable[..., bytes]:
    return make_pdf


@pytest.fixture(scope="session")
def policy_text() -> Callable[..., list[list[str]]]:
    return policy_pages


@pytest.fixture(scope="session")
def settings_for() -> Callable[..., Settings]:
    return make_settings
