"""POST /ask as server-sent events.

    event: passages   data: {"passages": [...]}
    event: delta      data: {"index": 0, "text": "First sentence of the answer. [1]"}   (one per sentence)
    event: citations  data: {"citations": [...]}
    event: done       data: {the full /ask JSON response}

The first event is computed before the response starts, so a bad question
still gets the JSON error shape and its status. An error after that is sent
as a last ``event: error`` with ``data: {"error": {"code", "message"}}``.
Each step of the library's (synchronous) generator runs in the read pool.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Generator
from typing import Any

from fastapi.responses import StreamingResponse

from rag.answering import AnswerEvent, CitationsEvent, DeltaEvent, DoneEvent, PassagesEvent

from . import errors
from .deps import Service
from .schemas import AskResponse, CitationOut, PassageOut

log = logging.getLogger("api")
MEDIA_TYPE = "text/event-stream"
_END = object()


def wants_events(accept: str | None) -> bool:
    return accept is not None and MEDIA_TYPE in accept.lower()


def format_event(event: str, data: Any) -> bytes:
    # json.dumps escapes newlines, so the data always fits on one line.
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def _payload(event: AnswerEvent) -> Any:
    if isinstance(event, PassagesEvent):
        return {"passages": [PassageOut.from_passage(p).model_dump(mode="json") for p in event.passages]}
    if isinstance(event, DeltaEvent):
        return {"index": event.index, "text": event.text}
    if isinstance(event, CitationsEvent):
        return {"citations": [CitationOut.from_citation(c).model_dump(mode="json") for c in event.citations]}
    return AskResponse.from_answer(event.answer).model_dump(mode="json")


async def ask_events(
    service: Service, question: str, top_k: int | None, filters: dict | None, mode: str | None = None
) -> StreamingResponse:
    events = service.pipeline.ask_stream(question, top_k=top_k, filters=filters, mode=mode)
    first = await service.read(next, events, _END)  # errors here still become JSON errors
    return StreamingResponse(
        _encode(service, events, first),
        media_type=MEDIA_TYPE,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _encode(service: Service, events: Generator[AnswerEvent, None, None], first: Any) -> AsyncIterator[bytes]:
    item = first
    try:
        while item is not _END:
            yield format_event(item.kind, _payload(item))
            if isinstance(item, DoneEvent):
                break
            item = await service.read(next, events, _END)
    except Exception as exc:
        status, code, message, _ = errors.describe(exc)
        if status >= 500:
            log.error("error while streaming an answer", exc_info=exc)
        yield format_event("error", errors.error_body(code, message))
    finally:
        # The generator is not running here: thread calls are not abandoned on cancellation.
        try:
            events.close()
        except Exception:  # pragma: no cover - closing must never mask the real outcome
            log.debug("closing the answer stream failed", exc_info=True)
