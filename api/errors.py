"""Every failure leaves the service in one shape, decided here and nowhere else:

    {"error": {"code": "document_not_found", "message": "no document with id 'x'"}}

Library errors (``rag.errors``) map to statuses through ``STATUS_BY_ERROR``;
request validation, malformed JSON, unknown routes and unexpected exceptions
are turned into the same shape. A response never carries a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import errors as rag_errors

log = logging.getLogger("api")

# Library error class -> HTTP status. Looked up along the class's MRO, so a
# subclass added later inherits its parent's status.
STATUS_BY_ERROR: dict[type[rag_errors.RagError], int] = {
    rag_errors.InvalidInput: 400,
    rag_errors.DocumentNotFound: 404,
    rag_errors.DocumentTooLarge: 413,
    rag_errors.UnsupportedFormat: 415,
    rag_errors.EmptyDocument: 422,
    rag_errors.CorruptDocument: 422,
    rag_errors.IndexMismatch: 503,
    rag_errors.ModelUnavailable: 503,
    rag_errors.FileUnreadable: 404,
    rag_errors.StorageError: 500,
    rag_errors.RagError: 500,
}

# Codes for statuses raised by the framework itself (unknown route, wrong method...).
CODE_BY_STATUS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "not_ready",
}

GENERIC_500 = "internal server error; the incident was logged"


class ApiError(StarletteHTTPException):
    """An error raised by the HTTP layer itself, with its status and code.

    It subclasses the framework's HTTPException so it also passes unchanged
    through the framework's own body reading (the body-size limit raises it
    from inside ``receive``).
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def too_large(limit: int, what: str = "the request body") -> ApiError:
    return ApiError(413, "too_large", f"{what} exceeds the limit of {limit} bytes")


def not_ready(message: str = "the index is still opening; retry shortly") -> ApiError:
    return ApiError(503, "not_ready", message, headers={"Retry-After": "2"})


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def status_of(exc: rag_errors.RagError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def describe(exc: BaseException) -> tuple[int, str, str, Mapping[str, str] | None]:
    """(status, code, message, headers) for any exception: the one mapping."""
    if isinstance(exc, ApiError):
        return exc.status, exc.code, exc.message, exc.headers
    if isinstance(exc, rag_errors.RagError):
        return status_of(exc), exc.code, exc.message, None
    if isinstance(exc, RequestValidationError):
        return _describe_validation(exc)
    if isinstance(exc, StarletteHTTPException):
        code = CODE_BY_STATUS.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route"
        return exc.status_code, code, message, dict(exc.headers or {}) or None
    return 500, "internal_error", GENERIC_500, None


def response_for(exc: BaseException) -> JSONResponse:
    status, code, message, headers = describe(exc)
    if status >= 500 and not isinstance(exc, (ApiError, rag_errors.RagError)):
        log.error("unexpected error", exc_info=exc)
    elif status >= 500 and status != 503:  # a failure of ours, not a service still opening
        log.error("%s: %s", code, message, exc_info=exc)
    return error_response(status, code, message, headers)


def _describe_validation(exc: RequestValidationError) -> tuple[int, str, str, None]:
    problems = list(exc.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        detail = next(p for p in problems if p.get("type") == "json_invalid")
        reason = (detail.get("ctx") or {}).get("error") or "invalid JSON"
        return 400, "malformed_json", f"the request body is not valid JSON ({reason})", None
    parts = [f"{_field_name(p.get('loc', ()))}: {p.get('msg', 'invalid value')}" for p in problems[:5]]
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return 422, "validation_error", "; ".join(parts) + more, None


def _field_name(loc: tuple | list) -> str:
    """("body", "filters", "date_from") -> "filters.date_from"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    return response_for(exc)


def install(app: FastAPI) -> None:
    """Route every error the framework sees through ``response_for``.

    Exceptions that no handler claims are caught by ``api.observe`` (the
    outermost middleware), which also answers with ``response_for``.
    """
    for exc_class in (ApiError, rag_errors.RagError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(exc_class, _handle)
