"""Wire schemas of the HTTP API.

They are kept apart from the library's dataclasses (``rag.types``,
``rag.types.DocumentInfo``) so the library can change without changing
the public contract; the ``from_*`` constructors are the only bridge.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from rag.serialize import answer_json, citation_json, passage_json
from rag.types import Answer, Citation, Passage

# ---------------------------------------------------------------- requests

_QUESTION_EXAMPLE = "What did Musk say about China and AI regulation?"
# Text that is not blank: the pipeline strips questions and texts and refuses what is left empty.
NOT_BLANK = r"\S"
# The pipeline's date filter: a year, a year and month, or a full date.
DATE_PREFIX = r"^\d{4}(-\d{2}(-\d{2})?)?$"
# Largest page offset: beyond any real collection, small enough for every store.
MAX_OFFSET = 1_000_000_000

FilterScalar = str | int | float | bool
OneOrMore = Annotated[list[str], Field(min_length=1)]


def _whole_number(value: Any) -> Any:
    """A JSON integer (16 or 16.0) or null, never a string or a boolean read as one."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError("must be a whole number")
    return value


class Filters(BaseModel):
    """Restrict retrieval to some documents. Keys combine with AND; a list means any of its values.

    Any other key is matched against the document metadata (for example
    ``{"publisher": "Reuters"}``).
    """

    model_config = ConfigDict(
        extra="allow",
        regex_engine="python-re",  # patterns read as the pipeline's own (Python) expressions do
        json_schema_extra={"examples": [{"doc_type": "news", "date_from": "2023-01-01"}]},
    )
    # Any other key: a value, or a non-empty list of values.
    __pydantic_extra__: dict[str, FilterScalar | Annotated[list[FilterScalar], Field(min_length=1)] | None]

    document_ids: list[str] | None = Field(
        default=None, description="Only these documents.", examples=[["news__musk-china-ai-cooperation-2023.txt"]]
    )
    jurisdiction: str | OneOrMore | None = Field(default=None, description="Jurisdiction code(s).", examples=["EU", ["EU", "US"]])
    doc_type: str | OneOrMore | None = Field(default=None, description="Document type(s).", examples=["news"])
    date_from: str | None = Field(
        default=None, pattern=DATE_PREFIX, description="Earliest document date: YYYY, YYYY-MM or YYYY-MM-DD.", examples=["2023-01-01"]
    )
    date_to: str | None = Field(
        default=None, pattern=DATE_PREFIX, description="Latest document date: YYYY, YYYY-MM or YYYY-MM-DD.", examples=["2025-12-31"]
    )
    in_force: StrictBool | None = Field(
        default=None,
        description="true: only documents current on as_of (default today), never a revoked, superseded or "
        "not-yet-applicable document or a proposal; false: only those.",
        examples=[True],
    )
    as_of: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD: leave out documents dated after it, or revoked or superseded on or before it.",
        examples=["2024-06-01"],
    )

    def as_dict(self) -> dict[str, Any] | None:
        values = self.model_dump(exclude_none=True)
        return values or None

    @field_validator("as_of")
    @classmethod
    def _calendar_day(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.date.fromisoformat(value)  # a ValueError names the bad month or day
        return value


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": _QUESTION_EXAMPLE, "top_k": 8}]},
    )

    question: str = Field(
        description="A question in plain English; not blank, at most the server's max_question_chars characters.",
        examples=[_QUESTION_EXAMPLE],
        json_schema_extra={"minLength": 1, "pattern": NOT_BLANK},
    )
    top_k: int | None = Field(
        default=None, ge=1, le=50, description="Passages the answer is drawn from (default: the server's ask_top_k, 8).", examples=[8]
    )
    filters: Filters | None = Field(default=None, description="Restrict the documents searched.")
    _whole_top_k = field_validator("top_k", mode="before")(_whole_number)
    stream: StrictBool = Field(
        default=False,
        description="Answer with server-sent events (passages, one delta per sentence, citations, done) "
        "instead of one JSON object. `Accept: text/event-stream` does the same.",
    )
    mode: Literal["auto", "extractive", "generative"] | None = Field(
        default=None,
        description="extractive: quoted sentences; generative: prose written by the configured language model, "
        "every sentence verified against the quotes it cites (the extractive answer when no model is configured "
        "or nothing passes, with `fallback_reason`); auto: generative when a model is configured. "
        "Default: the server's answering.mode (auto).",
    )


class SearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "international cooperation on AI governance", "top_k": 5}]},
    )

    query: str = Field(
        description="Words or a question; not blank, at most the server's max_question_chars characters.",
        examples=["AI regulation framework"],
        json_schema_extra={"minLength": 1, "pattern": NOT_BLANK},
    )
    top_k: int | None = Field(
        default=None, ge=1, le=100, description="Passages returned (default: the server's search_top_k, 10).", examples=[10]
    )
    filters: Filters | None = Field(default=None, description="Restrict the documents searched.")
    mode: Literal["hybrid", "dense", "bm25"] = Field(
        default="hybrid",
        description="hybrid: dense and BM25 fused (what answers use); dense or bm25: one index alone, as a baseline.",
    )
    _whole_top_k = field_validator("top_k", mode="before")(_whole_number)


class TextDocumentIn(BaseModel):
    """A document sent as text; its id is derived from its title."""

    model_config = ConfigDict(
        extra="forbid",
        regex_engine="python-re",
        json_schema_extra={
            "examples": [
                {
                    "title": "Internal note on model evaluations",
                    "text": "Every model is evaluated before release. The results are published.",
                    "metadata": {"doc_type": "note", "date": "2025-03-01"},
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=500, pattern=NOT_BLANK, description="Title of the document; not blank.")
    text: str = Field(min_length=1, pattern=NOT_BLANK, description="The full text; not blank.")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Any JSON metadata (jurisdiction, doc_type, date...).")


# ---------------------------------------------------------------- responses

_STATUS_TEXT = "The document's status: in force, revoked, superseded, not yet applicable, non-binding or proposal."


class PassageOut(BaseModel):
    """A retrieved span: ``text`` is exactly ``GET /documents/{document_id}/text``[start:end]."""

    document_id: str = Field(examples=["news__musk-china-ai-cooperation-2023.txt"])
    title: str = Field(examples=["Musk says China is interested in a cooperative international framework on AI"])
    section: str | None = Field(default=None, description="Heading, article or section the span lies in.")
    page: int | None = Field(default=None, description="1-based page of a paged source (PDF), else null.")
    start: int = Field(ge=0, description="Character offset into the document text (inclusive).")
    end: int = Field(ge=0, description="Character offset into the document text (exclusive).")
    text: str
    score: float = Field(description="Retrieval score; higher is better.")
    status: str | None = Field(default=None, description=_STATUS_TEXT, examples=["in force"])
    date: str | None = Field(default=None, description="The document's date, YYYY-MM-DD.", examples=["2024-06-13"])

    @classmethod
    def from_passage(cls, p: Passage) -> PassageOut:
        return cls.model_validate(passage_json(p))


class CitationOut(BaseModel):
    """The source of the answer sentences marked ``[n]``: ``quote`` is exactly the document text[start:end]."""

    n: int = Field(ge=1, description="The marker number used in the answer.")
    document_id: str = Field(examples=["news__musk-china-ai-cooperation-2023.txt"])
    title: str
    section: str | None = None
    page: int | None = None
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    quote: str
    score: float
    status: str | None = Field(default=None, description=_STATUS_TEXT, examples=["in force"])
    date: str | None = Field(default=None, description="The cited document's date, YYYY-MM-DD.")

    @classmethod
    def from_citation(cls, c: Citation) -> CitationOut:
        return cls.model_validate(citation_json(c))


class DroppedOut(BaseModel):
    """A generated sentence that failed verification; it is not part of the answer."""

    text: str
    reason: str = Field(
        description="no_citation, citation_out_of_range, unsupported_reference, unsupported_date, unsupported_number, "
        "unsupported_name, unsupported_negation, low_coverage or incomplete."
    )
    detail: str = Field(default="", description="What was missing, for people.")


class Understood(BaseModel):
    """What the question names, as the service understood it."""

    documents: list[dict[str, str]] = Field(
        default_factory=list, description="Stored documents the question names: {document_id, name}."
    )
    jurisdictions: list[str] = Field(default_factory=list, description="Jurisdiction codes named, e.g. eu, us-co.")
    provisions: list[dict[str, str]] = Field(
        default_factory=list, description="Provisions cited: {kind, ref, text}, e.g. article 99(3)."
    )
    not_in_corpus: list[str] = Field(default_factory=list, description="Named instruments or jurisdictions the corpus lacks.")


class DirectAnswerOut(BaseModel):
    """The one value the question asks for, as the document writes it, and the citation stating it."""

    text: str = Field(description="The date, amount, number or named body, exactly as in the cited quote.",
                      examples=["2 August 2026"])
    citation: CitationOut = Field(description="One of the answer's citations: its quote holds `text` once.")


class AskResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": _QUESTION_EXAMPLE,
                    "answer": "\"China is definitely interested in working in a cooperative international "
                    "framework for AI regulation,\" Musk said. [1]",
                    "abstained": False,
                    "citations": [
                        {
                            "n": 1,
                            "document_id": "news__musk-china-ai-cooperation-2023.txt",
                            "title": "Musk says China is interested in a cooperative international framework on AI",
                            "section": None,
                            "page": None,
                            "start": 323,
                            "end": 437,
                            "quote": "\"China is definitely interested in working in a cooperative international "
                            "framework for AI regulation,\" Musk said.",
                            "score": 0.71,
                        }
                    ],
                    "passages": [],
                    "timings_ms": {"embed_ms": 12.5, "retrieve_ms": 31.2, "answer_ms": 4.0, "total_ms": 47.7},
                }
            ]
        }
    )

    question: str
    answer: str = Field(description="The answer; every sentence ends with its citation markers [n].")
    abstained: bool = Field(description="True when the documents do not support an answer.")
    mode: Literal["extractive", "generative"] = Field(
        default="extractive", description="What produced the answer: quoted sentences, or verified generated ones."
    )
    citations: list[CitationOut]
    passages: list[PassageOut] = Field(description="The passages the answer was drawn from.")
    dropped: list[DroppedOut] = Field(
        default_factory=list, description="Generated sentences that failed verification (never part of `answer`)."
    )
    fallback_reason: str | None = Field(
        default=None,
        description="Set when a generated answer was asked for and the extractive one is returned instead: "
        "no_model_configured, weak_evidence, model_timeout, model_unreachable, model_error, model_not_installed, "
        "empty_reply, model_declined or nothing_verified.",
    )
    timings_ms: dict[str, float] = Field(
        default_factory=dict,
        description="Time spent per stage, in milliseconds (with a model: model_first_token_ms and model_ms).",
    )
    abstain_reason: str | None = Field(
        default=None, description="Why it refused: not_in_corpus, no_such_provision or low_evidence."
    )
    warnings: list[str] = Field(default_factory=list, description="For instance: a cited document has been revoked.")
    flags: list[str] = Field(default_factory=list, description="value_not_found: no quote holds the date, amount or number asked for; "
                             "premise_not_supported: the named documents never "
                             "mention what the question assumes; the answer quotes what they do say.")
    notes: list[str] = Field(
        default_factory=list,
        description="Sentences of `answer` that the service wrote about the evidence (such as a value the quotes "
        "do not state); they quote nothing, so they carry no marker.",
    )
    understood: Understood = Field(default_factory=Understood, description="What the question names.")
    direct_answer: DirectAnswerOut | None = Field(
        default=None,
        description="Set when the question asks when, how much, how many, which threshold or who, and one cited "
        "span states exactly one such value; null otherwise.",
    )

    @classmethod
    def from_answer(cls, a: Answer) -> AskResponse:
        return cls.model_validate(answer_json(a))


class SearchResponse(BaseModel):
    results: list[PassageOut]
    understood: Understood = Field(default_factory=Understood, description="What the query names.")


class DocumentOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "uploads__ai-act-summary.pdf",
                    "title": "AI Act summary",
                    "source": "uploads/ai-act-summary.pdf",
                    "sha256": "9f2c0e5d6a3b4c1d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
                    "metadata": {"jurisdiction": "EU", "doc_type": "summary"},
                    "chunk_count": 12,
                    "char_count": 10342,
                    "page_count": 4,
                    "ingested_at": "2025-06-01T12:00:00+00:00",
                }
            ]
        }
    )

    id: str = Field(description="URL-safe id (letters, digits, '-', '_', '.').")
    title: str
    source: str = Field(description="Path relative to the ingested corpus, or uploads/<name> for uploads.")
    sha256: str = Field(description="SHA-256 of the original bytes (text documents: of the normalized text).")
    metadata: dict[str, Any]
    chunk_count: int
    char_count: int = Field(description="Length of the normalized text that offsets refer to.")
    page_count: int
    ingested_at: str = Field(description="ISO 8601 time of the last change.")
    status: str | None = Field(default=None, description=_STATUS_TEXT, examples=["in force"])
    status_basis: str | None = Field(default=None, description="Where the status comes from: catalogue (or upload "
                                     "metadata), text (another stored document states it), document type.")
    date: str | None = Field(default=None, description="Signature, adoption or publication date, YYYY-MM-DD.")
    effective_from: str | None = None
    applies_from: str | None = Field(default=None, description="When it applies as a whole, as its text states.")
    revoked_on: str | None = None
    revoked_by: str | None = None
    superseded_by: str | None = None
    status_evidence: list[dict[str, Any]] = Field(
        default_factory=list, description="Sentences of stored documents revoking or superseding it (exact citations)."
    )
    applications: list[dict[str, Any]] = Field(
        default_factory=list, description="Dates from which it or parts of it apply, each with its sentence."
    )

    @classmethod
    def from_info(cls, info: Any) -> DocumentOut:
        status = info.status.to_dict() if info.status is not None else {}
        return cls(
            id=info.id, title=info.title, source=info.source, sha256=info.sha256, metadata=dict(info.metadata or {}),
            chunk_count=info.chunk_count, char_count=info.char_count, page_count=info.page_count,
            ingested_at=str(info.ingested_at), **status,
        )


class DocumentList(BaseModel):
    total: int = Field(description="Documents stored in all.")
    offset: int
    limit: int
    documents: list[DocumentOut]


class DocumentStored(BaseModel):
    status: Literal["added", "updated", "unchanged"] = Field(
        description="added: new id; updated: same id, new content; unchanged: same content again (no-op)."
    )
    document: DocumentOut


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    documents: int
    chunks: int


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code.", examples=["document_not_found"])
    message: str = Field(description="What went wrong, for people.", examples=["no document with id 'x'"])


class ErrorResponse(BaseModel):
    """The one shape of every failure."""

    error: ErrorDetail
