"""The evaluation reports shown by the page: ``eval/reports/<dataset>/report.md``
and the PNG charts beside it, as written by ``rag eval``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from rag.config import PROJECT_ROOT

REPORTS_DIR = PROJECT_ROOT / "eval" / "reports"
REPORT_FILE = "report.md"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Raw HTML in a report is shown as text, never interpreted.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Report:
    dataset: str
    html: str


def datasets(root: Path = REPORTS_DIR) -> list[str]:
    """Datasets that have a report, the most recently written first."""
    if not root.is_dir():
        return []
    found = [d for d in root.iterdir() if d.is_dir() and _SAFE_NAME.match(d.name) and (d / REPORT_FILE).is_file()]
    found.sort(key=lambda d: (d / REPORT_FILE).stat().st_mtime, reverse=True)
    return [d.name for d in found]


def load(dataset: str, root: Path = REPORTS_DIR) -> Report | None:
    """The report of one dataset, its chart links pointing at ``chart_url``; None when there is none."""
    if not _SAFE_NAME.match(dataset):
        return None
    path = root / dataset / REPORT_FILE
    if not path.is_file():
        return None
    tokens = _markdown.parse(path.read_text(encoding="utf-8"))
    _point_images_at_charts(tokens, dataset)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return Report(dataset=dataset, html=html)


def chart_path(dataset: str, name: str, root: Path = REPORTS_DIR) -> Path | None:
    """The PNG file ``name`` of a dataset's report, or None (never a path outside the reports)."""
    if not (_SAFE_NAME.match(dataset) and _SAFE_NAME.match(name) and name.endswith(".png")):
        return None
    path = root / dataset / name
    return path if path.is_file() else None


def chart_url(dataset: str, name: str) -> str:
    return f"/ui/eval/{dataset}/{name}"


def _point_images_at_charts(tokens: list[Token], dataset: str) -> None:
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                source = str(child.attrGet("src") or "")
                if _SAFE_NAME.match(source):  # a file beside the report
                    child.attrSet("src", chart_url(dataset, source))
                child.attrSet("loading", "lazy")
