"""The routes: each one validates through its schema, calls the pipeline in a
thread and converts the result. Errors are raised, never formatted here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse

from . import streaming, uploads
from .deps import ReadAccess, RuntimeDep, ServiceDep, WriteAccess, get_service
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .schemas import (
    MAX_OFFSET,
    AskRequest,
    AskResponse,
    DocumentList,
    DocumentOut,
    DocumentStored,
    ErrorResponse,
    Health,
    PassageOut,
    Ready,
    SearchRequest,
    SearchResponse,
    TextDocumentIn,
    Understood,
)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": _ERROR_TEXT[status]} for status in statuses}


_ERROR_TEXT = {
    400: "Bad input (empty or too long question, malformed filters or JSON).",
    401: "Missing or wrong API key.",
    404: "No such document.",
    413: "The upload exceeds a size limit (bytes, characters of text, PDF pages).",
    415: "Unsupported file type or content type.",
    422: "Invalid field, or a file that is corrupt, empty, too deeply nested or too slow to read.",
    503: "The index is not ready yet, or a store failed during a write (nothing was changed).",
    507: "No space left to store the document (nothing was changed).",
}

DocumentId = Annotated[str, Path(description="Document id.", examples=["news__musk-china-ai-cooperation-2023.txt"])]

_SSE_EXAMPLE = (
    'event: passages\ndata: {"passages": [...]}\n\n'
    'event: delta\ndata: {"index": 0, "text": "China is interested in a cooperative framework. [1]"}\n\n'
    'event: citations\ndata: {"citations": [...]}\n\n'
    'event: done\ndata: {"question": "...", "answer": "...", "abstained": false, ...}\n\n'
)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "additionalProperties": False,
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "A .txt, .md, .html or .pdf file."},
                        "metadata": {
                            "type": "object",
                            "not": {"required": ["id"]},
                            "description": "Optional JSON object of metadata; `id` cannot be set (it comes from the file name).",
                            "example": {"jurisdiction": "EU", "doc_type": "guidance"},
                        },
                    },
                },
                "encoding": {"metadata": {"contentType": "application/json"}},
            },
            "application/json": {"schema": TextDocumentIn.model_json_schema()},
        },
    }
}

qa = APIRouter(tags=["questions"], dependencies=[ReadAccess])
documents = APIRouter(prefix="/documents", tags=["documents"])
operations = APIRouter(tags=["operations"])


@qa.post(
    "/ask",
    response_model=AskResponse,
    summary="Answer a question with cited sentences",
    responses={
        200: {"content": {streaming.MEDIA_TYPE: {"example": _SSE_EXAMPLE}}, "description": "JSON, or events when streaming."},
        **_errors(400, 401, 422, 503),
    },
)
async def ask(body: AskRequest, request: Request, service: ServiceDep) -> Any:
    """Every sentence of the answer carries a marker [n]; citation n quotes the exact span it comes from.
    With `"mode": "generative"` (or `auto` with a model configured) a language model writes the answer and
    every sentence it writes is checked against the quotes it cites: the ones that fail come back under
    `dropped`, never in `answer`. With `"stream": true` or `Accept: text/event-stream` the answer arrives
    as server-sent events; generated sentences arrive as they pass the check."""
    filters = body.filters.as_dict() if body.filters else None
    if body.stream or streaming.wants_events(request.headers.get("accept")):
        return await streaming.ask_events(service, body.question, body.top_k, filters, body.mode)
    answer = await service.read(service.pipeline.ask, body.question, top_k=body.top_k, filters=filters, mode=body.mode)
    return AskResponse.from_answer(answer)


@qa.post("/search", response_model=SearchResponse, summary="Find passages", responses=_errors(400, 401, 422, 503))
async def search(body: SearchRequest, service: ServiceDep) -> SearchResponse:
    """Hybrid (dense + lexical) search, or one index alone (``mode``); each passage's text is the exact
    span [start:end] of its document."""
    filters = body.filters.as_dict() if body.filters else None
    passages = await service.read(service.pipeline.search, body.query, top_k=body.top_k, filters=filters, mode=body.mode)
    understood = await service.read(service.pipeline.understand, body.query)
    return SearchResponse(results=[PassageOut.from_passage(p) for p in passages], understood=Understood(**understood))


@documents.get("", response_model=DocumentList, summary="List documents", dependencies=[ReadAccess], responses=_errors(401, 422, 503))
async def list_documents(
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Documents to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
) -> DocumentList:
    total, page = await service.read(service.pipeline.list_documents, offset=offset, limit=limit)
    return DocumentList(total=total, offset=offset, limit=limit, documents=[DocumentOut.from_info(d) for d in page])


@documents.post(
    "",
    status_code=201,
    response_model=DocumentStored,
    summary="Add a document (file upload or JSON text)",
    dependencies=[WriteAccess],
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"model": DocumentStored, "description": "Same content as stored: nothing changed."}, **_errors(400, 401, 413, 415, 422, 503, 507)},
)
async def add_document(request: Request, response: Response, service: ServiceDep) -> DocumentStored:
    """A file (multipart field `file`: .txt, .md, .html or .pdf, with an optional `metadata` field holding a
    JSON object) or JSON `{title, text, metadata}`. 201 when added or updated; re-posting the same content is
    a no-op answered with 200 and status `unchanged`."""
    document = await uploads.document_from_request(request, service)
    status, info = await service.write(service.pipeline.add_document, document)
    if status == "unchanged":
        response.status_code = 200
    response.headers["Location"] = f"/documents/{info.id}"
    return DocumentStored(status=status, document=DocumentOut.from_info(info))


@documents.get("/{document_id}", response_model=DocumentOut, summary="One document", dependencies=[ReadAccess], responses=_errors(401, 404, 422, 503))
async def get_document(document_id: DocumentId, service: ServiceDep) -> DocumentOut:
    return DocumentOut.from_info(await service.read(service.pipeline.get_document, document_id))


@documents.get(
    "/{document_id}/text",
    response_class=PlainTextResponse,
    summary="The normalized text every offset refers to",
    dependencies=[ReadAccess],
    responses={200: {"content": {"text/plain": {"example": "Billionaire Elon Musk said on Wednesday..."}}}, **_errors(401, 404, 422, 503)},
)
async def get_text(document_id: DocumentId, service: ServiceDep) -> PlainTextResponse:
    return PlainTextResponse(await service.read(service.pipeline.get_text, document_id), media_type="text/plain; charset=utf-8")


@documents.delete("/{document_id}", status_code=204, summary="Delete a document", dependencies=[WriteAccess], responses=_errors(401, 404, 422, 503, 507))
async def delete_document(document_id: DocumentId, service: ServiceDep) -> Response:
    await service.write(service.pipeline.delete, document_id)
    return Response(status_code=204)


@operations.get("/health", response_model=Health, summary="The process is alive")
async def health() -> Health:
    return Health()


@operations.get("/ready", response_model=Ready, summary="The index is open", responses=_errors(503))
async def ready(runtime: RuntimeDep) -> Ready:
    service = get_service(runtime)  # raises the 503 while starting
    counts = await service.read(service.pipeline.counts)
    return Ready(documents=counts["documents"], chunks=counts["chunks"])


@operations.get(
    "/metrics",
    response_class=PlainTextResponse,
    summary="Prometheus metrics",
    dependencies=[ReadAccess],
    responses={200: {"content": {METRICS_CONTENT_TYPE: {"example": 'rag_http_requests_total{route="/ask",method="POST",status="200"} 3'}}}},
)
async def metrics(runtime: RuntimeDep) -> PlainTextResponse:
    gauges = {"rag_ready": ("1 when the index is open and answering.", float(runtime.ready))}
    if runtime.ready and runtime.service is not None:
        counts = await runtime.service.read(runtime.service.pipeline.counts)
        gauges["rag_documents"] = ("Documents stored.", counts.get("documents", 0))
        gauges["rag_chunks"] = ("Chunks stored.", counts.get("chunks", 0))
    return PlainTextResponse(runtime.metrics.render(gauges), media_type=METRICS_CONTENT_TYPE)
