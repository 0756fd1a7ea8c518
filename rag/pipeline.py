"""The one object that the CLI, the HTTP API and the evaluation build from settings.

    pipeline = Pipeline(Settings())
    pipeline.ingest([Path("corpus")])             # -> IngestReport
    pipeline.search("high-risk obligations")     # -> list[Passage]
    pipeline.ask("What does Article 50 require?") # -> Answer

Heavy parts (the embedding model, Chroma) open lazily, on first need: listing
documents or re-ingesting an unchanged corpus never loads the model.
Every method is safe to call from several threads; writes are serialized.

Interface (the contract api/, eval/ and the CLI rely on):

    from rag.config import Settings   # pydantic-settings, env prefix RAG_. Fields: data_dir (Path), corpus_dir (Path, the built-in corpus/),
                                      # shared_corpus (Path, default ../shared/corpus; env RAG_SHARED_CORPUS), embedding_model, search_top_k=10,
                                      # ask_top_k=8, max_question_chars=1000, api_key (SecretStr | None), protect_reads (bool),
                                      # max_upload_bytes (25 MB), host="127.0.0.1", port=8000, threads=4, log_level
    from rag.pipeline import Pipeline, IngestReport, DocumentInfo
    from rag.types import Document, Passage, Citation, Answer   # plain dataclasses, see rag/types.py
    from rag import errors   # RagError (has .code and .message) and subclasses: InvalidInput, DocumentNotFound,
                             # UnsupportedFormat, EmptyDocument, CorruptDocument, DocumentTooLarge, IndexMismatch, ModelUnavailable
    from rag.loading import load_bytes, load_text, document_id

    p = Pipeline(settings)        # opens SQLite/Chroma lazily under settings.data_dir; loads the model on first need; thread-safe
    p.close()
    p.ingest(paths: list[Path], metadata: dict | None = None, progress: bool = False) -> IngestReport
        # IngestReport: added/updated/unchanged: list[str] of ids; failed: list[(name, reason)]; chunks_embedded: int; seconds: float
    p.add_document(doc: Document) -> tuple[str, DocumentInfo]   # status "added" | "updated" | "unchanged" (same sha256: no-op)
    p.delete(document_id: str) -> None                           # raises DocumentNotFound
    p.list_documents(offset: int = 0, limit: int = 50) -> tuple[int, list[DocumentInfo]]   # (total, page)
    p.get_document(document_id) -> DocumentInfo                  # raises DocumentNotFound
        # DocumentInfo: id, title, source, sha256, metadata: dict, chunk_count, char_count, page_count, ingested_at (ISO str)
    p.get_text(document_id) -> str                               # the normalized text that every offset refers to
    p.counts() -> dict                                           # {"documents": int, "chunks": int}
    p.search(query: str, top_k: int | None = None, filters: dict | None = None, mode: str = "hybrid") -> list[Passage]
        # mode: "hybrid" | "dense" | "bm25". Passage: document_id, title, section (str|None), page (int|None), start, end, text, score, ...
        # with text == p.get_text(document_id)[start:end]
    p.ask(question: str, top_k: int | None = None, filters: dict | None = None) -> Answer
        # Answer: question, answer (str with [n] markers), abstained (bool), citations: list[Citation], passages: list[Passage], timings_ms: dict
        # Citation: n, document_id, title, section, page, start, end, quote, score; quote == document text[start:end]
    p.ask_stream(question, top_k=None, filters=None) -> Iterator[tuple[str, object]]
        # yields ("passages", list[Passage]), then ("delta", str) once per answer sentence (text with its [n] marker),
        # then ("citations", list[Citation]), then ("done", Answer)
    # filters: {"document_ids": [...], "jurisdiction": str | [str], "doc_type": str | [str], "date_from": "YYYY-MM-DD",
    #           "date_to": "YYYY-MM-DD", "<any metadata key>": value | [values]}; malformed filters raise errors.InvalidInput.
    # Questions that are empty, whitespace-only or longer than settings.max_question_chars raise errors.InvalidInput.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from .answering import NOT_FOUND, candidates, compose, evidence, select, term_weights
from .config import Settings
from .embedding import Embedder
from .errors import DocumentNotFound, IndexMismatch, InvalidInput
from .indexing import Indexer, IngestReport
from .retrieval import Retriever, asks_about_requirements
from .abstention import LOW_EVIDENCE
from .grounding import Grounding, Reply
from .status import DocumentStatus, StatusBook, resolve_status_filters
from .store.documents import DocumentStore, base_form, query_terms
from .store.vectors import VectorIndex
from .types import Answer, Citation, Document, Passage

log = logging.getLogger(__name__)

# Calibrated on the evaluation sets (see eval/ and the README): answers whose
# evidence confidence falls below this abstain.
DEFAULT_ABSTAIN_THRESHOLD = 0.515
VALUE_SENTENCES = 5  # the best sentences that must hold the kind of value a question asks for

__all__ = ["Pipeline", "IngestReport", "DocumentInfo"]


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
    status: DocumentStatus | None = None  # status and dates, from the catalogue and the corpus text


class Pipeline:
    def __init__(self, settings: Settings | None = None, *, allow_index_mismatch: bool = False):
        self.settings = settings or Settings()
        self.data_dir = Path(self.settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = DocumentStore(self.data_dir / "documents.sqlite3")
        self.embedder = Embedder(self.settings.embedding_model, self.settings.embed_batch_size)
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        self.indexer = Indexer(self.store, self._vector_index, self.embedder, self.settings.chunk_max_chars)
        self.retriever = Retriever(self.store, self._vector_index, self.embedder, self.settings.candidates)
        self.index_name = self.settings.index_name()
        self._check_index(allow_index_mismatch)
        self.status = StatusBook(self.store)

    # ------------------------------------------------------------ opening

    def _check_index(self, allow_mismatch: bool) -> None:
        built_with = self.store.get_meta("index_name")
        if built_with is None or self.store.counts()["documents"] == 0:
            self.store.set_meta("index_name", self.index_name)
        elif built_with != self.index_name and not allow_mismatch:
            raise IndexMismatch(
                f"the index in {self.data_dir} was built with other settings ({built_with}); "
                f"these settings need {self.index_name}. Run `rag reindex` to rebuild it, "
                "or point RAG_DATA_DIR elsewhere."
            )

    def _vector_index(self) -> VectorIndex:
        if self._vectors is None:
            with self._vectors_lock:
                if self._vectors is None:
                    self._vectors = VectorIndex(self.data_dir / "chroma", self.index_name)
                    self.indexer.recover()
        return self._vectors

    def open(self) -> "Pipeline":
        """Open everything now (the server does this at start, not on the first request)."""
        self._vector_index()
        self.embedder.model  # noqa: B018 - loads the model
        return self

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------ writing

    def ingest(self, paths: list[Path], metadata: dict | None = None, progress: bool = False) -> IngestReport:
        report = self.indexer.ingest_paths([Path(p) for p in paths], metadata, progress)
        self.status.refresh()  # a revocation stated in a new document marks an older one
        return report

    def ensure_corpus(self, progress: bool = False) -> IngestReport | None:
        """Ingest the built-in corpus when the index holds no documents."""
        if self.store.counts()["documents"] > 0:
            return None
        return self.ingest([self.settings.corpus_dir], progress=progress)

    def add_document(self, document: Document) -> tuple[str, DocumentInfo]:
        status = self.indexer.add_document(document)
        self.status.refresh()
        return status, self.get_document(document.id)

    def delete(self, document_id: str) -> None:
        if not self.indexer.delete(document_id):
            raise DocumentNotFound(document_id)
        self.status.refresh()

    def reindex(self, progress: bool = False) -> IngestReport:
        report = self.indexer.rebuild(progress)
        self.store.set_meta("index_name", self.index_name)
        self.status.refresh()
        return report

    # ------------------------------------------------------------ reading

    def list_documents(self, offset: int = 0, limit: int = 50) -> tuple[int, list[DocumentInfo]]:
        if offset < 0 or limit < 1:
            raise InvalidInput("offset must be >= 0 and limit >= 1")
        total, rows = self.store.document_rows(offset, limit)
        statuses = self.status.all()
        return total, [_info(r, statuses.get(r["id"])) for r in rows]

    def get_document(self, document_id: str) -> DocumentInfo:
        row = self.store.document_row(document_id)
        if row is None:
            raise DocumentNotFound(document_id)
        return _info(row, self.status.get(document_id))

    def statuses(self) -> dict[str, DocumentStatus]:
        """The status and dates of every stored document (see ``rag.status``)."""
        return self.status.all()

    def _with_status(self, items: list, statuses: dict[str, DocumentStatus]) -> list:
        """Passages or citations carrying their document's status and date."""
        out = []
        for item in items:
            known = statuses.get(item.document_id)
            out.append(replace(item, status=known.status, date=known.date) if known else item)
        return out

    def get_text(self, document_id: str) -> str:
        text = self.store.text_of(document_id)
        if text is None:
            raise DocumentNotFound(document_id)
        return text

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    # ------------------------------------------------------------ questions

    def _validate(self, text: Any, what: str) -> str:
        if not isinstance(text, str):
            raise InvalidInput(f"the {what} must be a string")
        text = text.strip()
        if not text:
            raise InvalidInput(f"the {what} is empty")
        if len(text) > self.settings.max_question_chars:
            raise InvalidInput(
                f"the {what} is {len(text)} characters long; the limit is {self.settings.max_question_chars}"
            )
        return text

    @staticmethod
    def _top_k(top_k: Any, default: int, limit: int = 100) -> int:
        if top_k is None:
            return default
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= limit:
            raise InvalidInput(f"top_k must be a whole number from 1 to {limit}")
        return top_k

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many chunks hold each term, reading "china's" as "china" where the exact form is absent."""
        frequencies = self.store.document_frequencies(terms)
        bases = {t: base_form(t) for t in terms if frequencies[t] == 0 and base_form(t) != t}
        if bases:
            base_frequencies = self.store.document_frequencies(sorted(set(bases.values())))
            for term, base in bases.items():
                frequencies[term] = base_frequencies[base]
        return frequencies

    def search(self, query: str, top_k: int | None = None, filters: dict | None = None, mode: str = "hybrid") -> list[Passage]:
        query = self._validate(query, "query")
        top_k = self._top_k(top_k, self.settings.search_top_k)
        statuses = self.status.all()
        ranked, _ = self.retriever.rank(query, resolve_status_filters(filters, statuses), mode)
        passages, _ = self.retriever.passages(query, ranked, top_k, policy_aware=mode == "hybrid", with_vectors=False)
        return self._with_status(passages, statuses)

    def ask(self, question: str, top_k: int | None = None, filters: dict | None = None) -> Answer:
        answer = None
        for event, payload in self.ask_stream(question, top_k, filters):
            if event == "done":
                answer = payload
        assert answer is not None
        return answer

    def ask_stream(self, question: str, top_k: int | None = None, filters: dict | None = None) -> Iterator[tuple[str, Any]]:
        question = self._validate(question, "question")
        top_k = self._top_k(top_k, self.settings.ask_top_k, 50)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        embed_ms: list[float] = []

        def embed(text: str):
            begun = time.perf_counter()
            vector = self.embedder.embed_query(text)
            embed_ms.append(_ms(begun))
            return vector

        facts = self.status.refresh()
        understood = facts.lexicon.understand(question)
        ranked, vector = self.retriever.rank(question, resolve_status_filters(filters, facts.statuses), embed=embed)
        passages, chunks = self.retriever.passages(question, ranked, top_k)
        passages = self._with_status(passages, facts.statuses)
        timings["embed_ms"] = embed_ms[0]
        timings["retrieve_ms"] = round(_ms(started) - embed_ms[0], 2)  # both searches, fusion, passages
        yield "passages", passages
        mark = time.perf_counter()
        terms = query_terms(question)
        frequencies = self._frequencies(terms)
        unseen = {t for t in terms if frequencies[t] == 0 and self.embedder.is_uncommon_word(base_form(t))}
        # an everyday word this corpus happens not to use ("took") can match nothing: it carries no weight
        terms = [t for t in terms if frequencies[t] > 0 or t in unseen]
        weights = term_weights(terms, frequencies, self.store.counts()["chunks"])
        cands = candidates(vector, passages, chunks, weights, asks_about_requirements(question))
        confidence = evidence(cands, weights, unseen).confidence()
        threshold = self.settings.abstain_threshold or DEFAULT_ABSTAIN_THRESHOLD
        grounding = Grounding(self.store, facts)
        reply = grounding.status_reply(question, understood)
        reason = None
        if reply is None:
            best = [c.text for c in sorted(cands, key=lambda c: c.score, reverse=True)[:VALUE_SENTENCES]]
            refusal = grounding.refusal(question, understood, passages, best)
            citations: list[Citation] = []
            if refusal is None and cands and confidence >= threshold:
                parts, citations = compose(select(cands, self.settings.answer_max_sentences), self.retriever.document_text)
            if refusal is not None:
                reply, reason = Reply([refusal.message], []), refusal.reason
            elif not citations:
                reply, reason = Reply([NOT_FOUND], []), LOW_EVIDENCE
            else:
                reply = grounding.finish(question, understood, parts, self._with_status(citations, facts.statuses))
        for part in reply.parts:
            yield "delta", part
        timings["answer_ms"] = _ms(mark)
        timings["total_ms"] = _ms(started)
        yield "citations", reply.citations
        yield "done", Answer(
            question=question,
            answer=" ".join(reply.parts),
            abstained=reason is not None,
            citations=reply.citations,
            passages=passages,
            timings_ms=timings,
            confidence=round(confidence, 4),
            warnings=reply.warnings,
            flags=reply.flags,
            abstain_reason=reason,
            understood=understood.to_dict(),
        )

    def understand(self, question: str) -> dict[str, Any]:
        """What a question names: documents, jurisdictions, provisions (see ``rag.understanding``)."""
        return self.status.refresh().lexicon.understand(self._validate(question, "question")).to_dict()


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def _info(row, status: DocumentStatus | None = None) -> DocumentInfo:
    pages = json.loads(row["pages"])
    metadata = json.loads(row["metadata"])
    return DocumentInfo(
        id=row["id"],
        title=row["title"],
        source=row["source"],
        sha256=row["sha256"],
        metadata=metadata,
        chunk_count=int(row["chunk_count"]),
        char_count=int(row["char_count"]),
        page_count=len({p[0] for p in pages}) or int(metadata.get("page_count", 0) or 0),
        ingested_at=row["ingested_at"],
        status=status,
    )
