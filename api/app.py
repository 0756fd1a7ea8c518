"""The FastAPI application.

    from api.app import create_app
    app = create_app()            # settings from RAG_* environment variables

The pipeline (embedding model, SQLite and Chroma stores) is built once, in the
lifespan, never per request. Startup runs in the background so the process
answers /health at once and /ready with 503 until the index is open: it opens
the existing index, ingests ``settings.corpus_dir`` if the index holds no
documents (how ``rag serve`` serves the built-in corpus on a fresh machine),
and warms the model so the first question is not slow. (As one of several workers,
the app does all that before it takes its first connection: see ``create_app``.)

Within a process, concurrency comes from threads (see ``api.deps.Service``);
``rag serve --workers N`` runs N processes of this app over one Chroma server
and one document store (see ``api.server``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI
from starlette.types import Scope

from rag.config import Settings
from rag.contract import PipelineProtocol

from . import contract, errors, uploads
from .deps import Runtime, Service
from .metrics import Metrics
from .middleware import BodyLimit, Observe
from .routes import documents, operations, qa
from .ui import router as web_page

log = logging.getLogger("api")

# Bodies of requests other than uploads (questions, searches) are small.
JSON_BODY_LIMIT = 1024 * 1024

DESCRIPTION = """
Ask plain-English questions about AI policy and get **extractive answers**: every
sentence of an answer is quoted from a document and carries a marker `[n]`; citation
`n` gives the document id and the exact character span (`start`, `end`) of the
quote, so `GET /documents/{id}/text`[start:end] is the quote, character for character.

* **questions**: `POST /ask` (JSON, or server-sent events with `"stream": true`),
  `POST /search` for the passages alone.
* **documents**: list, read, add (file upload or JSON text) and delete documents.
  Writes need `Authorization: Bearer <key>` when the server has an API key.
* **operations**: liveness, readiness and Prometheus metrics.

Every error has one shape: `{"error": {"code": "...", "message": "..."}}`.
"""

TAGS = [
    {"name": "questions", "description": "Answers with character-exact citations, and passage search."},
    {"name": "documents", "description": "The documents answers are drawn from."},
    {"name": "operations", "description": "Health, readiness and metrics."},
]


def create_app(
    settings: Settings | None = None, pipeline: PipelineProtocol | None = None, *, start_before_serving: bool = False
) -> FastAPI:
    """Build the app. A ``pipeline`` passed in is used as is and left open at shutdown.
    ``start_before_serving``: open the index (and ingest, and load the model) before the
    process takes its first connection, as one of several workers on a port does: the
    connections go to the workers that are ready instead of meeting a 503 here."""
    settings = settings or Settings()
    runtime = Runtime(settings=settings, metrics=Metrics(), pipeline=pipeline, owns_pipeline=pipeline is None)
    runtime.start_before_serving = start_before_serving
    app = FastAPI(
        title="Policy RAG",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    errors.install(app)
    routers = (qa, documents, operations)
    for router in (*routers, web_page):
        app.include_router(router)
    contract.install(app, settings, routers)
    upload_limit = uploads.body_limit(settings.max_upload_bytes)

    def limit_for(scope: Scope) -> int:
        return upload_limit if scope.get("path", "").rstrip("/") == "/documents" else JSON_BODY_LIMIT

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(Observe, metrics=runtime.metrics)  # added last: outermost
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    if runtime.start_before_serving:
        await _start(runtime)
        if runtime.failure is not None:
            raise RuntimeError(f"the index could not be opened: {runtime.failure}")
        try:
            yield
        finally:
            if runtime.owns_pipeline and runtime.pipeline is not None:
                await anyio.to_thread.run_sync(runtime.pipeline.close)
        return
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_start, runtime)
        try:
            yield
        finally:
            # Startup work runs in a thread that cannot be interrupted: let it finish, then close.
            if runtime.service is None and runtime.failure is None:
                log.info("waiting for startup to finish before shutting down")
    if runtime.owns_pipeline and runtime.pipeline is not None:
        await anyio.to_thread.run_sync(runtime.pipeline.close)


async def _start(runtime: Runtime) -> None:
    settings = runtime.settings
    try:
        log.info("opening the index in %s", settings.data_dir)
        if runtime.pipeline is None:
            runtime.phase = "opening the index"
            runtime.pipeline = await anyio.to_thread.run_sync(_build_pipeline, settings)
        pipeline = runtime.pipeline
        counts = await anyio.to_thread.run_sync(pipeline.counts)
        if counts.get("documents", 0) == 0:
            log.info("the index is empty: ingesting the built-in corpus")
            runtime.phase = f"ingesting the built-in corpus from {settings.corpus_dir}"
            await anyio.to_thread.run_sync(_ingest_corpus, pipeline, settings)
        runtime.phase = "loading the model"
        await anyio.to_thread.run_sync(_warm_up, pipeline)
        runtime.service = Service(pipeline, settings)
        runtime.phase = "ready"
        log.info("ready: %s", await anyio.to_thread.run_sync(pipeline.counts))
    except Exception as exc:
        runtime.failure = exc
        runtime.phase = "failed"
        log.error("the index could not be opened", exc_info=exc)


def _build_pipeline(settings: Settings) -> PipelineProtocol:
    from rag.pipeline import Pipeline

    return Pipeline(settings)


def _ingest_corpus(pipeline: PipelineProtocol, settings: Settings) -> None:
    if not settings.corpus_dir.is_dir():
        log.warning("the index is empty and there is no corpus at %s to ingest", settings.corpus_dir)
        return
    report = pipeline.ingest([settings.corpus_dir])
    log.info(
        "ingested %s: %d added, %d failed in %.1fs",
        settings.corpus_dir, len(report.added), len(report.failed), report.seconds,
    )
    for name, reason in report.failed:
        log.warning("not ingested: %s: %s", name, reason)


def _warm_up(pipeline: PipelineProtocol) -> None:
    """Open the vector store and load the embedding model before the first request."""
    pipeline.open()
