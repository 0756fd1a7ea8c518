"""Two small ASGI middlewares.

``Observe`` (outermost) times every request for the metrics and turns any
exception nobody handled into the generic 500 of ``api.errors``: the error is
logged once, the client never sees a trace.

``BodyLimit`` bounds request bodies: a declared Content-Length over the limit
is refused before a byte of the body is read, and bodies sent without one
(chunked) are counted as they arrive and refused as soon as they pass it.
The limit is raised from inside ``receive``, so it reaches the error handlers
from whichever code was reading the body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors
from .metrics import Metrics

log = logging.getLogger("api")


class Observe:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_observed(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        except Exception as exc:  # the last line of defence: nothing else caught it
            if response_started:
                log.error("error after the response started", exc_info=exc)
                raise
            await errors.response_for(exc)(scope, receive, send_observed)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(label, scope.get("method", ""), status, time.perf_counter() - started)


class BodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[Scope], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise errors.too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise errors.too_large(limit)
            return message

        await self.app(scope, receive_limited, send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
