"""The OpenAPI document, written to describe what this server enforces under its settings.

FastAPI's generated document is adjusted in three ways:

* security is declared per operation: writes need the key when the server has
  one, reads only when it also protects reads; with no key nothing is secured
  (and no 401 is documented);
* every error response is JSON (``api.errors`` answers every failure with the
  one error shape), also on routes whose success is plain text;
* bounds that come from the settings (the longest question) are written into
  the request schemas.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from rag.config import Settings

from .deps import require_read_key, require_write_key

SCHEME = "api_key"
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
# Request schemas whose text fields are bounded by max_question_chars.
QUESTION_FIELDS = {"AskRequest": "question", "SearchRequest": "query"}


def install(app: FastAPI, settings: Settings, routers: tuple[APIRouter, ...]) -> None:
    """Serve the adjusted document for the operations of ``routers`` (the ones the app includes)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, settings, routers)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI, settings: Settings, routers: tuple[APIRouter, ...]) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    secured = _secured_operations(routers, settings)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            if (path, method) in secured:
                operation["security"] = [{SCHEME: []}]
                responses.setdefault("401", {"description": "Missing or wrong API key."})
            else:
                operation.pop("security", None)
                responses.pop("401", None)
            for status, response in responses.items():
                if int(status) >= 400:
                    response["content"] = {"application/json": {"schema": ERROR_SCHEMA}}
    schemas = document.get("components", {}).get("schemas", {})
    for model, field in QUESTION_FIELDS.items():
        schemas[model]["properties"][field]["maxLength"] = settings.max_question_chars
    if not secured:
        document.get("components", {}).pop("securitySchemes", None)
    return document


def _secured_operations(routers: tuple[APIRouter, ...], settings: Settings) -> set[tuple[str, str]]:
    """(path, lower-case method) of every operation that needs the key under these settings."""
    has_key = settings.api_key is not None and bool(settings.api_key.get_secret_value())
    if not has_key:
        return set()
    guards = {require_write_key} | ({require_read_key} if settings.protect_reads else set())
    secured = set()
    for router in routers:
        for route in router.routes:
            dependencies = [*router.dependencies, *getattr(route, "dependencies", ())]
            if isinstance(route, APIRoute) and any(d.dependency in guards for d in dependencies):
                secured |= {(route.path_format, method.lower()) for method in route.methods or ()}
    return secured
