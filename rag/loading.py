"""Files in, ``Document`` out: one small function per format.

The text is normalized once here, by ``rag.normalize`` (characters, page
markers into the page map, HTML and Markdown remnants, hyphenation,
punctuation); every offset anywhere in the service refers to that normalized
text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from .config import Settings
from .errors import CorruptDocument, DocumentTooLarge, EmptyDocument, ExtractionLimit, UnsupportedFormat
from .normalize import normalize, normalize_characters
from .types import Document, PageSpan

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
CATALOG_NAME = "catalog.json"
META_SUFFIX = ".meta.json"
_ID_SAFE = re.compile(r"[^A-Za-z0-9._-]")


# ---------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """What reading one document may cost: the settings max_document_chars, max_pdf_pages,
    max_html_depth and max_extract_seconds."""

    max_chars: int
    max_pdf_pages: int
    max_html_depth: int
    max_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(*(getattr(settings, name) for name in _LIMIT_SETTINGS))

    def clock(self, name: str) -> _Clock:
        return _Clock(name, self.max_seconds)

    def check_chars(self, text: str, name: str) -> None:
        if len(text) > self.max_chars:
            raise DocumentTooLarge(
                f"{name}: {len(text):,} characters of text; the limit is {self.max_chars:,} (max_document_chars)"
            )


@dataclass
class _Clock:
    """The extraction deadline of one document, checked between steps."""

    name: str
    seconds: float
    started: float = field(default_factory=time.monotonic)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise ExtractionLimit(
                f"{self.name}: extracting the text took longer than {self.seconds:g} s (max_extract_seconds)"
            )


_LIMIT_SETTINGS = ("max_document_chars", "max_pdf_pages", "max_html_depth", "max_extract_seconds")
DEFAULT_LIMITS = Limits(*(Settings.model_fields[name].default for name in _LIMIT_SETTINGS))


# ---------------------------------------------------------------- identities


def document_id(relative_path: str) -> str:
    """A stable, URL-safe id for a path relative to the corpus root.

    ``eu/ai-act.txt`` becomes ``eu__ai-act.txt``. Paths whose spelling would
    not survive that mapping unchanged (other characters, or ``__`` of their
    own) get a short hash of the original path, so two paths never share an id.
    """
    rel = relative_path.replace("\\", "/").strip("/")
    joined = rel.replace("/", "__")
    safe = _ID_SAFE.sub("-", joined).lstrip(".-") or "document"
    lossy = safe != joined or "__" in rel.replace("/", "")
    if lossy or len(safe) > 180:
        digest = hashlib.sha256(rel.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe[:160]}-{digest}"
    return safe


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- normalization (see rag.normalize)


def _strip_outer_blank_lines(text: str) -> str:
    return text.strip("\n ").rstrip()


# ---------------------------------------------------------------- formats


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _decode(data: bytes, name: str) -> str:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorruptDocument(f"{name}: not valid UTF-16 text ({exc.reason} at byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CorruptDocument(f"{name}: not valid UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
        raise CorruptDocument(f"{name}: not a text file (undecodable bytes)")
    return text


def _reject_binary(data: bytes, name: str) -> None:
    if b"\x00" in data[:8192] and not data.startswith(_UTF16_BOMS):
        raise CorruptDocument(f"{name}: binary content in a text file")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _plain_metadata(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain_metadata(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_metadata(v) for v in value]
    return value


def parse_markdown(raw: str, name: str) -> tuple[str, list[PageSpan], dict[str, Any], str | None]:
    """Returns (body, its page map, front matter, first heading)."""
    text = normalize_characters(raw)
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            log.warning("%s: front matter is not valid YAML (%s); kept as text", name, exc)
            loaded = None
        if isinstance(loaded, dict):
            meta = _plain_metadata(loaded)
            text = text[match.end():]
    body = normalize(text)
    heading = _MD_HEADING.search(body.text)
    return body.text, body.pages, meta, heading.group(1).strip() if heading else None


def parse_plain_text(raw: str) -> tuple[str, list[PageSpan], str | None]:
    """Returns (body, its page map, a title when the first line looks like one)."""
    body = normalize(raw)
    first, _, rest = body.text.partition("\n")
    first = first.strip()
    looks_like_title = 0 < len(first) <= 150 and not first.endswith((".", ",", ";", ":")) and rest.startswith("\n")
    return body.text, body.pages, first if looks_like_title else None


_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "iframe", "button")
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "li", "ul", "ol", "table", "tr", "blockquote", "pre",
    "dl", "dt", "dd", "figure", "figcaption", "address", "hr",
)


def parse_html(raw: bytes | str, name: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup

    clock = limits.clock(name)
    try:
        soup = BeautifulSoup(raw, "lxml")
    except Exception as exc:  # lxml raises several types on garbage
        raise CorruptDocument(f"{name}: cannot parse HTML ({exc})") from None
    depth = _nesting_depth(soup)
    if depth > limits.max_html_depth:
        raise ExtractionLimit(f"{name}: elements nest {depth} deep; the limit is {limits.max_html_depth} (max_html_depth)")
    clock.check()
    for tag in soup(list(_DROP_TAGS)):
        tag.decompose()
    for tag in soup.find_all(role=["navigation", "banner", "contentinfo"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    body = soup.body or soup
    for tag in body.find_all(["br"]):
        tag.replace_with("\n")
    for tag in body.find_all(list(_BLOCK_TAGS)):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    clock.check()
    first_heading = None
    for level in range(1, 7):
        clock.check()
        for tag in body.find_all(f"h{level}"):
            label = " ".join(tag.get_text(" ", strip=True).split())
            if level == 1 and first_heading is None and label:
                first_heading = label
            tag.replace_with(f"\n\n{'#' * level} {label}\n\n" if label else "")
    clock.check()
    text = normalize(body.get_text(), markers=False, markup=False).text
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return _strip_outer_blank_lines(text), title or first_heading


def _nesting_depth(root: Any) -> int:
    """How deep elements nest below ``root`` (without recursion: the depth may be huge)."""
    from bs4 import Tag

    deepest = 0
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return deepest


def parse_pdf(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[PageSpan], dict[str, Any]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    clock = limits.clock(name)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise CorruptDocument(f"{name}: the PDF is encrypted") from None
        if len(reader.pages) > limits.max_pdf_pages:
            raise DocumentTooLarge(f"{name}: {len(reader.pages):,} pages; the limit is {limits.max_pdf_pages:,} (max_pdf_pages)")
        pages = []
        for page in reader.pages:
            clock.check()
            pages.append(page.extract_text() or "")
        info: Mapping[str, Any] = reader.metadata or {}
    except (CorruptDocument, DocumentTooLarge, ExtractionLimit):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, IndexError, AttributeError) as exc:
        raise CorruptDocument(f"{name}: not a readable PDF ({exc})") from None
    parts: list[str] = []
    spans: list[PageSpan] = []
    offset = 0
    for number, page_text in enumerate(pages, start=1):
        cleaned = normalize_characters(page_text).strip()
        if not cleaned:
            continue
        if parts:
            parts.append("\n\n")
            offset += 2
        spans.append(PageSpan(page=number, start=offset, end=offset + len(cleaned)))
        parts.append(cleaned)
        offset += len(cleaned)
    meta: dict[str, Any] = {}
    title = info.get("/Title")
    if isinstance(title, str) and title.strip():
        meta["pdf_title"] = title.strip()
    meta["page_count"] = len(pages)
    body = normalize("".join(parts), pages=spans, markers=False, markup=False)
    return body.text, body.pages, meta


# ---------------------------------------------------------------- metadata sidecars


def find_corpus_root(path: Path) -> Path:
    """The nearest folder at or above ``path`` holding a catalog.json; else the folder itself."""
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if (folder / CATALOG_NAME).is_file():
            return folder
    return start


def read_catalog(root: Path) -> dict[str, dict[str, Any]]:
    """Per-file metadata from ``root/catalog.json``, keyed by relative POSIX path."""
    path = root / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s: ignored, not valid JSON (%s)", path, exc)
        return {}
    entries = data.get("documents", data) if isinstance(data, dict) else {}
    return {str(k).strip("/"): v for k, v in entries.items() if isinstance(v, dict)}


def read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + META_SUFFIX)
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s: ignored, not valid JSON (%s)", sidecar, exc)
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------- entry points


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.endswith(META_SUFFIX)


def discover(paths: Iterable[Path]) -> list[tuple[Path, Path]]:
    """Expand files and folders into (file, corpus root) pairs, sorted, hidden files skipped.

    Unsupported files inside folders are skipped silently (catalogues, images...);
    a file named explicitly is kept so its error can be reported.
    """
    found: dict[Path, Path] = {}
    for given in paths:
        given = Path(given).expanduser()
        if given.is_dir():
            root = find_corpus_root(given)
            for path in sorted(given.rglob("*")):
                rel_parts = path.relative_to(given).parts
                if path.is_file() and is_supported(path) and not any(p.startswith(".") for p in rel_parts):
                    found.setdefault(path.resolve(), root.resolve())
        else:
            found.setdefault(given.resolve() if given.exists() else given, find_corpus_root(given).resolve())
    return list(found.items())


def load_file(path: Path, root: Path | None = None, metadata: dict[str, Any] | None = None) -> Document:
    """Load one file. ``root`` is the corpus root its id is relative to."""
    path = Path(path)
    root = Path(root) if root is not None else find_corpus_root(path)
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    if not path.is_file():
        raise UnsupportedFormat(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptDocument(f"{path}: cannot read ({exc.strerror})") from None
    file_meta = dict(read_catalog(root).get(rel, {}))
    file_meta.update(read_sidecar(path))
    file_meta.update(metadata or {})
    return load_bytes(data, name=path.name, relative_path=rel, metadata=file_meta)


def load_bytes(
    data: bytes,
    *,
    name: str,
    relative_path: str | None = None,
    metadata: dict[str, Any] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """Load a document from its bytes; ``name`` decides the format by its suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormat(
            f"{name}: unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )
    if not data.strip():
        raise EmptyDocument(f"{name}: the file is empty")
    metadata = dict(metadata or {})
    pages: list[PageSpan] = []
    fallback_title: str | None = None
    front: dict[str, Any] = {}
    if suffix == ".pdf":
        if not data.lstrip().startswith(b"%PDF"):
            raise CorruptDocument(f"{name}: not a PDF file (no %PDF header)")
        text, pages, front = parse_pdf(data, name, limits)
        fallback_title = front.pop("pdf_title", None)
    elif suffix in (".html", ".htm"):
        _reject_binary(data, name)
        text, fallback_title = parse_html(data, name, limits)
    elif suffix in (".md", ".markdown"):
        _reject_binary(data, name)
        text, pages, front, fallback_title = parse_markdown(_decode(data, name), name)
    else:
        _reject_binary(data, name)
        text, pages, fallback_title = parse_plain_text(_decode(data, name))
    if not text.strip():
        raise EmptyDocument(f"{name}: no text could be extracted" + (" (a scanned PDF has no text layer)" if suffix == ".pdf" else ""))
    limits.check_chars(text, name)
    merged = {**front, **metadata}
    title = (
        _str(metadata.get("title"))
        or _str(front.get("title"))
        or fallback_title
        or Path(name).stem.replace("_", " ").replace("-", " ")
    )
    merged.pop("title", None)
    rel = relative_path or name
    return Document(
        id=_str(metadata.get("id")) or document_id(rel),
        title=title,
        text=text,
        sha256=sha256_bytes(data),
        source=rel,
        metadata={k: v for k, v in merged.items() if k != "id"},
        pages=pages,
    )


def load_text(
    text: str,
    *,
    title: str,
    metadata: dict[str, Any] | None = None,
    document_id_: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Document:
    """A document given as text (for example over HTTP); its id comes from its title unless given."""
    normalized = normalize(text)
    body = normalized.text
    if not body.strip():
        raise EmptyDocument("the text is empty")
    limits.check_chars(body, "the text")
    if not title or not title.strip():
        raise EmptyDocument("the title is empty")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "document"
    meta = dict(metadata or {})
    meta.pop("title", None)
    return Document(
        id=document_id_ or document_id(f"text/{slug}"),
        title=title.strip(),
        text=body,
        sha256=sha256_bytes(body.encode("utf-8")),
        source=f"text:{slug}",
        metadata=meta,
        pages=normalized.pages,
    )


def renormalize(document: Document) -> Document:
    """A stored document under the current normalization rules (``rag reindex``): its text
    normalized again as its format's loader would, its page map carried along. Normalized
    text is a fixed point, so a document stored under the current rules comes back unchanged."""
    suffix = Path(document.source).suffix.lower()
    from_pdf = suffix == ".pdf"
    markup = suffix not in (".html", ".htm", ".pdf")
    body = normalize(document.text, pages=document.pages, markers=not from_pdf, markup=markup)
    if body.text == document.text:
        return document
    return replace(document, text=body.text, pages=body.pages)


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
