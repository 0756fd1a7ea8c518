"""The one object that the CLI, the HTTP API and the evaluation build from settings.

    pipeline = Pipeline(Settings())
    pipeline.ingest([Path("corpus")])             # -> IngestReport
    pipeline.search("high-risk obligations")     # -> list[Passage]
    pipeline.ask("What does Article 50 require?") # -> Answer

Heavy parts (the embedding model, Chroma) open lazily, on first need: listing
documents or re-ingesting an unchanged corpus never loads the model.
Every method is safe to call from several threads; writes are serialized, also
across processes sharing the data folder (``DocumentStore.write_lock``).
The pipeline owns its thread pool (``settings.threads`` threads for the
lexical search that runs beside the query embedding), its caches and its
connections: use it as a context manager, or call ``close()``.

The typed contract that the HTTP API and the evaluation rely on is
``rag.contract.PipelineProtocol``; this class implements it. Answering is its
own component (``rag.answering``): the pipeline validates, retrieves, then
hands the passages to the answerer the ``mode`` names.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from .answering import (
    Answerer,
    AnswerEvent,
    CitationsEvent,
    DeltaEvent,
    DoneEvent,
    ExtractiveAnswerer,
    PassagesEvent,
    Retrieval,
    answer_of,
)
from .answering.comparison import ComparisonAnswerer, NamesAsideAnswerer
from .answering.provision import Cited, ProvisionAnswerer, asks_only_for
from .config import Settings
from .embedding import Embedder
from .errors import DocumentNotFound, IndexMismatch, InvalidInput
from .generation import GenerativeAnswerer, ModelWriter
from .grounding import Grounding
from .indexing import Indexer, IngestReport
from .loading import Limits
from .retrieval import Retriever
from .scopes import ProvisionTitles, asked_part_first
from .status import DocumentStatus, Facts, StatusBook, resolve_status_filters
from .status_answers import Order, asks_about_status, status_evidence
from .steering import Steer, names_used, plan, without_names
from .store.documents import DocumentStore
from .store.vectors import VectorIndex
from .types import AddStatus, Answer, Document, DocumentInfo, Passage
from .understanding import Understood

log = logging.getLogger(__name__)

__all__ = ["Pipeline", "IngestReport", "DocumentInfo"]


class Pipeline:
    """Implements ``rag.contract.PipelineProtocol``."""

    def __init__(self, settings: Settings | None = None, *, allow_index_mismatch: bool = False):
        self.settings = settings or Settings()
        self.data_dir = Path(self.settings.data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = DocumentStore(self.data_dir / "documents.sqlite3", memo=self.settings.query_cache_size > 0)
        self.embedder = Embedder(
            self.settings.embedding_model,
            self.settings.embed_batch_size,
            backend=self.settings.embedding_backend,
            device=self.settings.embedding_device,
            cache_root=self.settings.model_cache(),
            query_cache_size=self.settings.query_cache_size,
        )
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=self.settings.threads, thread_name_prefix="rag-search")
        extractive = ExtractiveAnswerer(self.store, self.embedder.is_uncommon_word, self.settings.answering)
        generative = GenerativeAnswerer(extractive, ModelWriter.from_settings(self.settings.llm))
        self.extractive = extractive
        self.answerers: dict[str, Answerer] = {extractive.name: extractive, generative.name: generative}
        self.indexer = Indexer(
            self.store, self._vector_index, self.embedder, self.settings.chunking, extractive.is_answer_sentence,
            Limits.from_settings(self.settings),
        )
        self.retriever = Retriever(
            self.store, self._vector_index, self.embedder, self.settings.retrieval, self._executor
        )
        self.index_name = self.settings.index_name()
        try:
            self._check_index(allow_index_mismatch)
        except BaseException:
            self.close()
            raise
        self.status = StatusBook(self.store)
        self.provision_titles = ProvisionTitles(self.store)

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
                    self._vectors = VectorIndex(self.data_dir / "chroma", self.index_name, self.settings.chroma_url)
                    self.store.on_change(self._vectors.forget_count)  # another process wrote
                    self.indexer.recover()
        return self._vectors

    def open(self) -> Pipeline:
        """Open everything now (the server does this at start, not on the first request)."""
        self._vector_index()
        self.embedder.load()
        return self

    def close(self) -> None:
        """Stop the thread pool and close every connection the pipeline opened."""
        self._executor.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------ writing

    def ingest(self, paths: list[Path], metadata: dict | None = None, progress: bool = False) -> IngestReport:
        report = self.indexer.ingest_paths([Path(p) for p in paths], metadata, progress)
        self.status.refresh()  # a revocation stated in a new document marks an older one
        return report

    def ensure_corpus(self, progress: bool = False) -> IngestReport | None:
        """Ingest the built-in corpus when the index holds no documents (checked and done
        under the write lock: of several processes starting together, one ingests)."""
        with self.store.write_lock:
            if self.counts()["documents"] > 0:
                return None
            report = self.indexer.ingest_paths([self.settings.corpus_dir], None, progress)
        self.status.refresh()  # after the lock: a refresh may itself write (see StatusBook)
        return report

    def add_document(self, document: Document) -> tuple[AddStatus, DocumentInfo]:
        status = self.indexer.add_document(document)
        self.status.refresh()
        return status, self.get_document(document.id)

    def delete(self, document_id: str) -> None:
        if not self.indexer.delete(document_id):
            raise DocumentNotFound(document_id)
        self.status.refresh()

    def reindex(self, progress: bool = False) -> IngestReport:
        with self.store.write_lock:  # the whole rebuild: no other process writes meanwhile
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

    def understand(self, question: str) -> dict[str, Any]:
        """What a question names: documents, jurisdictions, provisions (see ``rag.understanding``)."""
        return self.status.refresh().lexicon.understand(self._validate(question, "question")).to_dict()

    def get_text(self, document_id: str) -> str:
        text = self.store.text_of(document_id)
        if text is None:
            raise DocumentNotFound(document_id)
        return text

    def counts(self) -> dict[str, int]:
        self.store.sync()
        return self.store.counts()

    # ------------------------------------------------------------ questions

    def _validate(self, text: Any, what: str) -> str:
        if not isinstance(text, str):
            raise InvalidInput(f"the {what} must be a string")
        if len(text) > self.settings.max_question_chars:
            raise InvalidInput(
                f"the {what} is {len(text)} characters long; the limit is {self.settings.max_question_chars}"
            )
        text = text.strip()
        if not text:
            raise InvalidInput(f"the {what} is empty")
        return text

    @staticmethod
    def _top_k(top_k: Any, default: int, limit: int = 100) -> int:
        if top_k is None:
            return default
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= limit:
            raise InvalidInput(f"top_k must be a whole number from 1 to {limit}")
        return top_k

    def search(self, query: str, top_k: int | None = None, filters: dict | None = None, mode: str = "hybrid") -> list[Passage]:
        query = self._validate(query, "query")
        top_k = self._top_k(top_k, self.settings.search_top_k)
        facts = self.status.refresh()
        statuses = facts.statuses
        resolved = resolve_status_filters(filters, statuses)
        steer = self.steer(query, facts.lexicon.understand(query), facts, resolved) if mode == "hybrid" else None
        ranked, _ = self.retriever.rank(query, resolved, mode, steer=steer)
        passages, _ = self.retriever.passages(query, ranked, top_k, policy_aware=mode == "hybrid", with_vectors=False,
                                              sides=steer.sides if steer is not None else ())
        return with_status(passages, statuses)

    def steer(self, question: str, understood: Understood, facts: Facts, filters: dict | None) -> Steer | None:
        """How what the question names steers its search (None: steering is off)."""
        if not self.settings.retrieval.steering:
            return None
        documents = {d: {**meta, "title": facts.titles.get(d, d)} for d, meta in self.store.metadata_index()}
        allowed = self.retriever.allowed_documents(filters)
        named = [facts.statuses[d] for d in understood.document_ids if d in facts.statuses]
        spans = [(e.document_id, e.start, e.end)
                 for e in status_evidence(asks_about_status(question), named, self.application_order(question, understood))]
        return plan(understood, question, documents, self.retriever.sections, allowed,
                    filter_one=self.settings.retrieval.one_instrument_filter, spans=spans)

    def answer_mode(self, mode: str | None) -> Answerer:
        """The answerer ``mode`` names (None: ``settings.answering.mode``; auto: generative when a
        language model is configured, else extractive)."""
        name = mode or self.settings.answering.mode
        if name == "auto":
            name = "generative" if self.settings.llm.configured else "extractive"
        answerer = self.answerers.get(name) if isinstance(name, str) else None
        if answerer is None:
            raise InvalidInput(f"mode must be one of auto, {', '.join(sorted(self.answerers))}, not {name!r}")
        return answerer

    def ask(self, question: str, top_k: int | None = None, filters: dict | None = None, mode: str | None = None) -> Answer:
        return answer_of(self.ask_stream(question, top_k, filters, mode))

    def ask_stream(
        self, question: str, top_k: int | None = None, filters: dict | None = None, mode: str | None = None
    ) -> Generator[AnswerEvent, None, None]:
        """``PassagesEvent``, then the answerer's ``DeltaEvent``s and ``CitationsEvent``, then
        ``DoneEvent`` with the whole answer and its timings. Bad input raises before the first event."""
        question = self._validate(question, "question")
        top_k = self._top_k(top_k, self.settings.ask_top_k, 50)
        answerer = self.answer_mode(mode)
        return self._answer_events(question, top_k, filters, answerer)

    def _answer_events(
        self, question: str, top_k: int, filters: dict | None, answerer: Answerer
    ) -> Generator[AnswerEvent, None, None]:
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
        resolved = resolve_status_filters(filters, facts.statuses)
        steer = self.steer(question, understood, facts, resolved) if self.settings.retrieval.steer_answers else None
        ranked, vector = self.retriever.rank(question, resolved, embed=embed, steer=steer)
        passages, chunks = self.retriever.passages(question, ranked, top_k, sides=steer.sides if steer is not None else ())
        passages = with_status(passages, facts.statuses)
        assert vector is not None  # hybrid ranking always embeds the question
        timings["embed_ms"] = round(sum(embed_ms), 2)
        timings["retrieve_ms"] = round(_ms(started) - sum(embed_ms), 2)  # both searches, fusion, passages
        yield PassagesEvent(passages)
        mark = time.perf_counter()
        grounding = Grounding(self.store, facts, self.application_order(question, understood))
        decided = grounding.before(question, understood, passages)  # status questions, named things the corpus lacks
        if decided is None:
            retrieved = Retrieval(passages, chunks, vector, self.retriever.document_text)
            if steer is not None and steer.sides and answerer is self.extractive:
                answerer = ComparisonAnswerer(self.extractive, steer.sides, steer.query)
            elif steer is not None and steer.provisions and answerer is self.extractive:
                cited = self._cited(steer)
                answerer = ProvisionAnswerer(self.extractive, cited, asks_only_for(question, names_used(understood), cited))
            elif steer is not None and steer.scored_as and answerer is self.extractive and self.settings.answering.names_aside:
                answerer = NamesAsideAnswerer(self.extractive, steer.scored_as)
            drafted_parts: list[str] = []
            for event in answerer.stream(question, retrieved):
                if isinstance(event, DeltaEvent):
                    drafted_parts.append(event.text)
                elif isinstance(event, DoneEvent):
                    drafted = replace(event.answer, citations=with_status(event.answer.citations, facts.statuses))
            decided = grounding.after(question, understood, drafted, drafted_parts)
        answer, parts = decided
        for index, part in enumerate(parts):
            yield DeltaEvent(index, part)
        yield CitationsEvent(answer.citations)
        timings["answer_ms"] = _ms(mark)
        timings["total_ms"] = _ms(started)
        yield DoneEvent(replace(answer, timings_ms={**answer.timings_ms, **timings}, understood=understood.to_dict()))


    def application_order(self, question: str, understood: Understood) -> Order:
        """How a timing answer to ``question`` orders a document's application dates (``rag.scopes``),
        read without the names of the instruments it asks about."""
        asked = without_names(question, understood)
        return lambda status: asked_part_first(asked, status, self.provision_titles.of(status.document_id))

    def _cited(self, steer: Steer) -> list[Cited]:
        """The provisions steering located for the question, with their chunks (the cited paragraph's first)."""
        cited = []
        for document_id, provision in steer.provisions:
            exact, rest = self.retriever.sections.chunks_of(document_id, provision)
            paragraph = re.search(r"\((\d+)\)", provision.ref)
            cited.append(Cited(document_id, provision.text, paragraph.group(1) if paragraph else None, tuple(exact + rest)))
        return cited


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def with_status(items: list, statuses: dict[str, DocumentStatus]) -> list:
    """Passages or citations carrying their document's status and date."""
    out = []
    for item in items:
        known = statuses.get(item.document_id)
        out.append(replace(item, status=known.status, date=known.date) if known else item)
    return out


def _info(row: sqlite3.Row, status: DocumentStatus | None = None) -> DocumentInfo:
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
