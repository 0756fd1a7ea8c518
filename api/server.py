"""``rag serve``: the HTTP service under uvicorn.

One process, on purpose: Chroma's embedded (persistent) client is
single-process, so several uvicorn workers on one data folder would each hold
their own view of the vector store and lose or corrupt each other's writes.
The service is concurrent within its process instead: the pipeline's calls run
in threads (``settings.threads`` for reads, one for writes), and the model's
numerical work releases the GIL.
"""

from __future__ import annotations

import logging

import uvicorn

from rag.config import Settings
from rag.embedding import set_model_threads

from .app import create_app


def serve(settings: Settings) -> None:
    """Serve the API on settings.host:settings.port until interrupted."""
    level = settings.log_level.lower()
    numeric = logging.DEBUG if level == "trace" else getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("api").setLevel(numeric)  # also when a caller configured logging first
    # Requests already run in parallel threads (and each question's lexical search beside its
    # embedding); a model call that also spread over every core would make them compete for it.
    set_model_threads(settings.torch_threads or 1)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=level,
        workers=1,  # see the module docstring: never more than one process
        proxy_headers=False,
        server_header=False,
    )
