"""Browser tests of the web page: Debian's chromium, driven by Playwright, against a real `rag serve`.

The browser is the system one (/usr/bin/chromium, installed by `make test`); no browser build is
ever downloaded. Without it the tests skip, saying so. Screenshots of every view go to the
pytest temporary folder, or to $UI_SCREENSHOT_DIR when set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.process import ServerProcess, free_port, serve_command
from rag.config import PROJECT_ROOT

CHROMIUM = Path(os.environ.get("UI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 240.0
UPLOAD_LIMIT = 2_000_000
WIDE = {"width": 1280, "height": 860}


class UiServer:
    """`rag serve` in a process of its own over a temporary data folder, ready to answer."""

    def __init__(self, folder: Path, corpus_dir: Path, **env: str) -> None:
        port = free_port()
        environment = {
            **os.environ,
            "RAG_DATA_DIR": str(folder / "data"),
            "RAG_CORPUS_DIR": str(corpus_dir),
            "RAG_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
            "RAG_LOG_LEVEL": "warning",
            **env,
        }
        self.process = ServerProcess(serve_command(port), port, folder / "serve.log", env=environment, cwd=PROJECT_ROOT)
        self.url = self.process.url
        self.upload_limit = UPLOAD_LIMIT
        try:
            self.process.wait_ready(STARTUP_TIMEOUT)
        except BaseException:
            self.process.stop()
            raise

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=120, **kwargs)


@pytest.fixture(scope="session")
def start_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., UiServer]]:
    started: list[UiServer] = []

    def start(corpus_dir: Path = PROJECT_ROOT / "corpus", **env: str) -> UiServer:
        server = UiServer(tmp_path_factory.mktemp("ui-server"), corpus_dir, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.stop()


@pytest.fixture(scope="session")
def server(start_serve: Callable[..., UiServer]) -> UiServer:
    """The built-in corpus, no API key."""
    return start_serve()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM}: install Debian's chromium (`make test` does) to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """open_page(url, viewport=WIDE) -> a Playwright page. The test fails if the page throws a script
    error, breaks its content security policy, or requests anything from another origin."""
    contexts: list[Any] = []
    problems: list[str] = []

    def watch_console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    def watch_request(request: Any, origin: str) -> None:
        if not request.url.startswith((origin, "about:", "data:")):
            problems.append(f"request to another origin: {request.url}")

    def open_(url: str, viewport: dict[str, int] = WIDE) -> Any:
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        origin = "/".join(url.split("/")[:3]) if url.startswith("http") else "http://127.0.0.1:"
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", watch_console)
        page.on("request", lambda request: watch_request(request, origin))
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("UI_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("ui-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
