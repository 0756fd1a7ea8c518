"""The contract the HTTP API, the evaluation and the CLI rely on.

``rag.pipeline.Pipeline`` implements it; code above the core (``api/``,
``eval/``) types against ``PipelineProtocol`` so that a test double or another
implementation fits the same slot.

Offsets are character offsets into the normalized document text
(``get_text``); every ``Passage.text`` and ``Citation.quote`` equals
``get_text(document_id)[start:end]``. Bad input (an empty or over-long
question, a malformed filter, an unknown mode) raises
``rag.errors.InvalidInput``; a missing document ``DocumentNotFound``.

filters: ``{"document_ids": [...], "jurisdiction": str | [str], "doc_type": str | [str],
"date_from": "YYYY-MM-DD", "date_to": "YYYY-MM-DD", "<any metadata key>": value | [values]}``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .answering import AnswerEvent
from .indexing import IngestReport
from .retrieval import MODES as SEARCH_MODES
from .types import AddStatus, Answer, Document, DocumentInfo, Passage

__all__ = ["PipelineProtocol", "SEARCH_MODES"]


@runtime_checkable
class PipelineProtocol(Protocol):
    def open(self) -> Any:
        """Open every store and load the model now (instead of on first need)."""
        ...

    def close(self) -> None: ...

    def counts(self) -> dict[str, int]:
        """``{"documents": n, "chunks": n}``."""
        ...

    def ingest(self, paths: list[Path], metadata: dict | None = None, progress: bool = False) -> IngestReport: ...

    def add_document(self, document: Document) -> tuple[AddStatus, DocumentInfo]:
        """Status "added", "updated" or "unchanged" (same sha256: nothing is written)."""
        ...

    def delete(self, document_id: str) -> None: ...

    def list_documents(self, offset: int = 0, limit: int = 50) -> tuple[int, list[DocumentInfo]]:
        """(total, one page ordered by id)."""
        ...

    def get_document(self, document_id: str) -> DocumentInfo: ...

    def get_text(self, document_id: str) -> str: ...

    def search(
        self, query: str, top_k: int | None = None, filters: dict | None = None, mode: str = "hybrid"
    ) -> list[Passage]:
        """``mode``: one of ``SEARCH_MODES``."""
        ...

    def ask(self, question: str, top_k: int | None = None, filters: dict | None = None, mode: str | None = None) -> Answer:
        """``mode``: which answerer (None: ``settings.answering.mode``)."""
        ...

    def understand(self, question: str) -> dict[str, Any]:
        """What a question names: ``{documents, jurisdictions, provisions, not_in_corpus}``."""
        ...

    def ask_stream(
        self, question: str, top_k: int | None = None, filters: dict | None = None, mode: str | None = None
    ) -> Generator[AnswerEvent, None, None]:
        """``PassagesEvent``, ``DeltaEvent``s, ``CitationsEvent``, ``DoneEvent``; bad input raises
        before the generator is returned."""
        ...
