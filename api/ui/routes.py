"""The page's views: ``/`` (ask), ``/ui/documents`` (library),
``/ui/documents/{id}`` (one document; ``#start-end`` highlights a span) and
``/ui/eval`` (the latest evaluation report). They are left out of the
OpenAPI description, which stays the description of the JSON API."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from rag.config import Settings

from .. import errors
from ..deps import RuntimeDep
from ..schemas import AskRequest, Filters
from . import reports

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_TYPES = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
ANSWER_MODES = ["auto", "extractive", "generative"]
# The views load nothing from elsewhere and run no inline script; the browser enforces both.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

templates = Jinja2Templates(directory=HERE / "templates")
# Changes whenever a static file does, so a browser never runs a stale script against a new page.
templates.env.globals["asset_version"] = hashlib.sha256(
    b"".join((STATIC_DIR / name).read_bytes() for name in sorted(STATIC_TYPES))
).hexdigest()[:12]

router = APIRouter(include_in_schema=False)


def page_config(settings: Settings) -> dict[str, Any]:
    """What the page may offer, as the server supports it: embedded in every view, so nothing waits for it."""
    model_configured = bool(getattr(settings, "llm_base_url", None))
    api_key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    return {
        "filters": sorted(Filters.model_fields),
        "answer_modes": ANSWER_MODES if model_configured and "mode" in AskRequest.model_fields else [],
        "writes_need_key": bool(api_key),
        "reads_need_key": bool(api_key) and settings.protect_reads,
        "max_upload_bytes": settings.max_upload_bytes,
    }


def _page(request: Request, runtime: RuntimeDep, template: str, **context: Any) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, {"config": page_config(runtime.settings), **context})
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@router.get("/", response_class=HTMLResponse)
def ask_view(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _page(request, runtime, "ask.html", page="ask", title="Ask")


@router.get("/ui/documents", response_class=HTMLResponse)
def library_view(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _page(request, runtime, "library.html", page="library", title="Documents")


@router.get("/ui/documents/{document_id}", response_class=HTMLResponse)
def document_view(document_id: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return _page(request, runtime, "document.html", page="document", title="Document", document_id=document_id)


@router.get("/ui/config")
def config(runtime: RuntimeDep) -> JSONResponse:
    """The same configuration the views embed, for scripts driving the page."""
    return JSONResponse(page_config(runtime.settings))


@router.get("/ui/eval", response_class=HTMLResponse)
def eval_view(request: Request, runtime: RuntimeDep, dataset: str | None = None) -> HTMLResponse:
    available = reports.datasets()
    chosen = dataset or (available[0] if available else None)
    report = reports.load(chosen) if chosen else None
    response = _page(
        request, runtime, "eval.html", page="eval", title="Evaluation",
        report=report, datasets=available, missing=dataset if report is None else None,
    )
    if dataset is not None and report is None:
        response.status_code = 404
    return response


@router.get("/ui/eval/{dataset}/{name}")
def eval_chart(dataset: str, name: str) -> FileResponse:
    path = reports.chart_path(dataset, name)
    if path is None:
        raise errors.ApiError(404, "not_found", f"no chart '{name}' in the '{dataset}' report")
    return FileResponse(path, media_type="image/png")


@router.get("/ui/static/{name}")
def static_file(name: str) -> FileResponse:
    if name not in STATIC_TYPES:
        raise errors.ApiError(404, "not_found", f"no static file '{name}'")
    return FileResponse(STATIC_DIR / name, media_type=STATIC_TYPES[name])
