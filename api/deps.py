"""What routes receive through ``Annotated`` dependencies: the service (the
pipeline built once in the lifespan, plus the thread pools its calls run in)
and the API-key checks."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rag.config import Settings
from rag.contract import PipelineProtocol

from . import errors
from .metrics import Metrics

T = TypeVar("T")


class Service:
    """The pipeline, and the two thread pools its synchronous calls run in.

    Reads (ask, search, listing) share ``settings.threads`` threads. Writes
    (parsing and ingesting uploads, deletes) have a pool of their own with a
    single thread: the library serializes writes anyway, and this way a burst
    of large uploads can never take the threads that answer questions.
    """

    def __init__(self, pipeline: PipelineProtocol, settings: Settings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self._reads = anyio.CapacityLimiter(settings.threads)
        self._writes = anyio.CapacityLimiter(1)

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=self._reads)

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=self._writes)


@dataclass
class Runtime:
    """Per-app state: set up by ``create_app``, filled in by the lifespan."""

    settings: Settings
    metrics: Metrics
    pipeline: PipelineProtocol | None = None
    owns_pipeline: bool = True
    start_before_serving: bool = False  # one of several workers: ready before the first connection
    service: Service | None = None
    phase: str = "starting"
    failure: BaseException | None = None

    @property
    def ready(self) -> bool:
        return self.service is not None and self.failure is None


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_service(runtime: RuntimeDep) -> Service:
    if runtime.failure is not None:
        status, code, message, _ = errors.describe(runtime.failure)
        raise errors.ApiError(503, code, f"the index could not be opened: {message}")
    if runtime.service is None:
        raise errors.not_ready(f"the service is starting ({runtime.phase}); retry shortly")
    return runtime.service


ServiceDep = Annotated[Service, Depends(get_service)]

# ---------------------------------------------------------------- API key

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="api_key",
    description="`Authorization: Bearer <key>`; needed for writes when the server has an API key, "
    "and for reads too when it also protects reads.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _check_key(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    expected = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not expected:
        return
    if credentials is None:
        raise errors.unauthorized("this request needs an API key: send `Authorization: Bearer <key>`")
    if not hmac.compare_digest(credentials.credentials.encode("utf-8"), expected.encode("utf-8")):
        raise errors.unauthorized("the API key is not valid")


def require_write_key(runtime: RuntimeDep, credentials: Credentials) -> None:
    _check_key(runtime.settings, credentials)


def require_read_key(runtime: RuntimeDep, credentials: Credentials) -> None:
    if runtime.settings.protect_reads:
        _check_key(runtime.settings, credentials)


WriteAccess = Depends(require_write_key)
ReadAccess = Depends(require_read_key)
