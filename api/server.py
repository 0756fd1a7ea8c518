"""``rag serve``: the HTTP service under uvicorn, in one process or several.

``settings.workers`` processes (default: one per core) answer on one port.
With one, the vectors stay in Chroma's embedded client in the data folder
(unless ``settings.chroma_url`` names a server). With several, every worker
reaches the vectors through a Chroma server: the one at ``chroma_url``, or a
``chroma run`` over the data folder's ``chroma/`` that this command starts on
a free loopback port and stops when it ends (Ctrl-C included). The document
store (SQLite) is opened by every worker; writes take turns under its file
lock. The built-in corpus, when the index is empty, is ingested once, before
the workers start, in a process of its own (so this one never holds the model).

Within a worker, requests run in threads (``settings.threads`` for reads,
one for writes) and the model's numerical work releases the GIL.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from rag.config import Settings
from rag.embedding import set_model_threads
from rag.store.chroma_server import ChromaServer, end_with_parent, wait_for_chroma

from .app import create_app

__all__ = ["serve", "worker_app"]

log = logging.getLogger("api")

# What the parent hands every worker (a worker builds its settings from RAG_* variables).
_HANDED_DOWN = {"data_dir": "RAG_DATA_DIR", "corpus_dir": "RAG_CORPUS_DIR", "chroma_url": "RAG_CHROMA_URL"}


def _configure(settings: Settings) -> str:
    level = settings.log_level.lower()
    numeric = logging.DEBUG if level == "trace" else getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("api").setLevel(numeric)  # also when a caller configured logging first
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))  # the Chroma client logs every request
    # Requests already run in parallel threads (and each question's lexical search beside its
    # embedding); a model call that also spread over every core would make them compete for it.
    set_model_threads(settings.torch_threads or 1)
    return level


def serve(settings: Settings) -> None:
    """Serve the API on settings.host:settings.port until interrupted."""
    level = _configure(settings)
    workers = settings.worker_count()
    with _vector_server(settings, workers) as settings:
        if workers == 1:
            uvicorn.run(
                create_app(settings), host=settings.host, port=settings.port, log_level=level,
                proxy_headers=False, server_header=False,
            )
            return
        _ingest_once(settings)
        for field, variable in _HANDED_DOWN.items():
            os.environ[variable] = str(getattr(settings, field))
        log.info("starting %d workers on %s:%d", workers, settings.host, settings.port)
        uvicorn.run(
            "api.server:worker_app", factory=True, workers=workers, host=settings.host, port=settings.port,
            log_level=level, proxy_headers=False, server_header=False,
        )


@contextmanager
def _vector_server(settings: Settings, workers: int) -> Iterator[Settings]:
    """``settings`` with the Chroma server the workers share (started here when none is given)."""
    if settings.chroma_url:
        wait_for_chroma(settings.chroma_url, timeout=10)
        yield settings
        return
    if workers == 1:
        yield settings
        return
    data = settings.data_dir
    with ChromaServer(data / "chroma", data / "chroma-server.log") as server:
        log.info("Chroma server on %s (log: %s)", server.url, server.log_path)
        yield settings.model_copy(update={"chroma_url": server.url})
    log.info("Chroma server stopped")


def _ingest_once(settings: Settings) -> None:
    """Ingest the built-in corpus when the index is empty, in a child process, before any worker starts."""
    from rag.store.documents import DocumentStore

    store = DocumentStore(settings.data_dir / "documents.sqlite3")
    try:
        if store.counts()["documents"] > 0:
            return
    finally:
        store.close()
    if not settings.corpus_dir.is_dir():
        log.warning("the index is empty and there is no corpus at %s to ingest", settings.corpus_dir)
        return
    log.info("the index is empty: ingesting the built-in corpus from %s", settings.corpus_dir)
    child = multiprocessing.get_context("spawn").Process(target=_ingest_corpus, args=(settings,), name="rag-ingest")
    child.start()
    try:
        child.join()
    finally:
        if child.is_alive():  # interrupted: the ingest stops too (it resumes on the next start)
            child.terminate()
            child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the built-in corpus could not be ingested (exit status {child.exitcode})")


def _ingest_corpus(settings: Settings) -> None:
    from rag.pipeline import Pipeline

    end_with_parent()
    _configure(settings)
    with Pipeline(settings) as pipeline:
        report = pipeline.ensure_corpus()
    if report is not None:
        log.info("ingested %s: %d added, %d failed in %.1fs",
                 settings.corpus_dir, len(report.added), len(report.failed), report.seconds)
        for name, reason in report.failed:
            log.warning("not ingested: %s: %s", name, reason)


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn calls this in each), configured from RAG_* variables."""
    end_with_parent()  # a killed `rag serve` leaves no worker behind
    settings = Settings()
    _configure(settings)
    return create_app(settings, start_before_serving=True)  # connections go to the workers already ready
