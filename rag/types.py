"""The small typed values that flow through the service.

Offsets are always character offsets into ``Document.text`` (the normalized
text), end exclusive, so ``document.text[start:end]`` is the span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .status import DocumentStatus

# What storing a document did: a new id, new content under a known id, or the same content again (a no-op).
AddStatus = Literal["added", "updated", "unchanged"]


@dataclass(frozen=True)
class PageSpan:
    """Characters ``start:end`` of the document text come from page ``page`` (1-based)."""

    page: int
    start: int
    end: int


@dataclass(frozen=True)
class Heading:
    """A structural boundary found in the text: a heading, article, section, annex, recital..."""

    start: int
    level: int
    label: str
    kind: str  # heading | chapter | section | article | annex | recital | paragraph | part


@dataclass
class Document:
    id: str
    title: str
    text: str
    sha256: str
    source: str  # path relative to the ingested root, or an upload name
    metadata: dict[str, Any] = field(default_factory=dict)
    pages: list[PageSpan] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        return page_at(self.pages, offset)


def page_at(pages: list[PageSpan], offset: int) -> int | None:
    for span in pages:
        if span.start <= offset < span.end:
            return span.page
    if pages and offset >= pages[-1].end:
        return pages[-1].page
    return None


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    section: str | None = None  # the finest section path holding the sentence
    page: int | None = None


@dataclass(frozen=True)
class Chunk:
    id: str
    document_id: str
    ordinal: int
    start: int
    end: int
    text: str
    section: str | None
    page: int | None
    kind: str  # operative | recital | annex | preamble | body
    sentences: tuple[Sentence, ...] = ()
    # Indexed with the chunk, never part of its text (offsets stay exact): see rag.chunking.
    defines: str | None = None  # the term a definition chunk defines
    refers_to: tuple[str, ...] = ()  # "Label Title" of the provisions of the same document its text refers to

    @property
    def context(self) -> str:
        """What the lexical index holds for the chunk besides its text and section path."""
        return "; ".join(([f"definition of {self.defines}"] if self.defines else []) + list(self.refers_to))


@dataclass(frozen=True)
class Passage:
    """A retrieved span of a document."""

    document_id: str
    title: str
    section: str | None
    page: int | None
    start: int
    end: int
    text: str
    score: float
    chunk_ids: tuple[str, ...] = ()
    kind: str = "body"
    status: str | None = None  # the document's status (in force, revoked, ...), see rag.status
    date: str | None = None  # the document's date, ISO


@dataclass(frozen=True)
class Citation:
    n: int
    document_id: str
    title: str
    section: str | None
    page: int | None
    start: int
    end: int
    quote: str
    score: float
    status: str | None = None  # the cited document's status (in force, revoked, ...), see rag.status
    date: str | None = None  # the cited document's date, ISO


@dataclass(frozen=True)
class DroppedSentence:
    """A generated sentence that failed verification, and why (see rag/generation/verify.py)."""

    text: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class DirectAnswer:
    """The one value a question asks for (a date, an amount, a number, a named body), as one
    citation's quote writes it."""

    text: str
    citation: Citation


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage]
    timings_ms: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.0  # the evidence score the abstention decision compared with its threshold
    mode: str = "extractive"  # what produced the answer: extractive | generative
    dropped: list[DroppedSentence] = field(default_factory=list)
    fallback_reason: str | None = None  # why a generated answer was asked for and the extractive one returned
    warnings: list[str] = field(default_factory=list)  # e.g. a cited document has been revoked
    flags: list[str] = field(default_factory=list)  # e.g. premise_not_supported
    notes: list[str] = field(default_factory=list)  # the service's own sentences about the evidence: not quoted, so uncited
    abstain_reason: str | None = None  # why the service refused, when it did
    understood: dict[str, Any] = field(default_factory=dict)  # what the question names, see rag.understanding
    direct_answer: DirectAnswer | None = None  # the value asked for, when one cited span states exactly one


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document without its text."""

    id: str
    title: str
    source: str
    sha256: str
    metadata: dict[str, Any]
    chunk_count: int
    char_count: int
    page_count: int
    ingested_at: str  # ISO 8601, UTC
    status: DocumentStatus | None = None  # status and dates, from the catalogue and the corpus text
