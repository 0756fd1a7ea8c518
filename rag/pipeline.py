"""The one object that the CLI, the HTTP API and the evaluation build from settings.

    pipeline = Pipeline(Settings())
    pipeline.ingest([Path("corpus")])             # -> IngestReport
    pipeline.search("high-risk obligations")     # -> list[Passage]
    pipeline.ask("What does Article 50 require?") # -> Answer

Heavy parts (the embedding model, Chroma) open lazily, on first need: listing
documents or re-ingesting an unchanged corpus never loads the model.
Every method is safe to call from several threads; writes are serialized.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .config import Settings
from .errors import DocumentNotFound, IndexMismatch, InvalidInput, RagError
from .types import Answer, Document, Passage


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file or id, reason)
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    title: str
    source: str
    sha256: str
    metadata: dict[str, Any]
    chunk_count: int
    char_count: int
    page_count: int
    ingested_at: str
