"""Turning a POST /documents request into a ``rag.types.Document``.

Two bodies are accepted: ``multipart/form-data`` with a ``file`` field (and an
optional ``metadata`` field holding a JSON object), or ``application/json``
``{"title", "text", "metadata"}``.

The name of an uploaded file is only ever used as a label: it is reduced to a
safe base name (no folders, no ``..``, no control characters), the document
id is ``document_id("uploads/" + safe_name)``, and the text is stored by the
pipeline. Nothing is written to disk under a name a client chose.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from rag.loading import Limits, load_bytes, load_text
from rag.types import Document

from . import errors
from .deps import Service
from .schemas import TextDocumentIn

METADATA_MAX_BYTES = 64 * 1024
# Room for the multipart framing and the metadata field around the file itself.
MULTIPART_OVERHEAD = 2 * METADATA_MAX_BYTES
_READ_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_text_document = TypeAdapter(TextDocumentIn)


def body_limit(max_upload_bytes: int) -> int:
    """Largest POST /documents body: the file limit plus framing."""
    return max_upload_bytes + MULTIPART_OVERHEAD


def safe_file_name(raw: str | None) -> str:
    """``../../evil.txt`` -> ``evil.txt``; ``C:\\x\\a b.pdf`` -> ``a-b.pdf``; never empty, never a path."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    name = _UNSAFE.sub("-", name)
    name = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", name)).strip(".-_")
    suffix = PurePosixPath(name).suffix if "." in name else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    if len(suffix) > 12:
        stem, suffix = name, ""
    stem = stem[: 120].strip(".-_") or "upload"
    return stem + suffix.lower()


async def document_from_request(request: Request, service: Service) -> Document:
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime == "multipart/form-data":
        return await _from_form(request, service)
    if mime == "application/json" or mime.endswith("+json"):
        return await _from_json(request, service)
    raise errors.ApiError(
        415,
        "unsupported_media_type",
        "send multipart/form-data with a 'file' field, or application/json with {title, text, metadata}",
    )


async def _from_form(request: Request, service: Service) -> Document:
    limit = service.settings.max_upload_bytes
    async with request.form(max_files=1, max_fields=4, max_part_size=METADATA_MAX_BYTES) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise errors.ApiError(422, "validation_error", "file: a file is required (multipart field 'file')")
        metadata = _metadata_field(form.get("metadata"))
        data = await _read_bounded(upload, limit)
        name = safe_file_name(upload.filename)
    limits = Limits.from_settings(service.settings)
    return await service.write(load_bytes, data, name=name, relative_path=f"uploads/{name}", metadata=metadata, limits=limits)


async def _from_json(request: Request, service: Service) -> Document:
    try:
        body = _text_document.validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    limit = service.settings.max_upload_bytes
    if len(body.text.encode("utf-8")) > limit:
        raise errors.too_large(limit, "the text")
    limits = Limits.from_settings(service.settings)
    return await service.write(load_text, body.text, title=body.title, metadata=body.metadata, limits=limits)


async def _read_bounded(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(_READ_CHUNK):
        data += chunk
        if len(data) > limit:
            raise errors.too_large(limit, "the file")
    return bytes(data)


def _metadata_field(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if not isinstance(value, str):
        raise errors.ApiError(400, "invalid_input", "metadata: must be a form field holding a JSON object, not a file")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise errors.ApiError(400, "malformed_json", f"metadata: not valid JSON ({exc.msg})") from None
    if not isinstance(parsed, dict):
        raise errors.ApiError(400, "invalid_input", "metadata: must be a JSON object")
    if "id" in parsed:
        raise errors.ApiError(400, "invalid_input", "metadata: 'id' cannot be set; the id comes from the file name")
    return parsed
