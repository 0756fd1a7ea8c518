"""Writing documents into the three stores, all or nothing.

Order of a write, so that a crash at any point leaves every document either
whole in all three stores or absent from all of them (or at its previous
version, for a replacement):

1. the journal records every vector id the write may touch (new and old);
2. the new chunk vectors are added to Chroma (under new ids: a chunk id
   carries the document's hash, so the old version stays intact);
3. one SQLite transaction replaces the document, its chunks and its lexical
   entries: this is the commit point;
4. the old version's vectors are deleted from Chroma;
5. the journal entry is closed.

``recover()`` (run whenever the stores open for writing) replays open journal
entries: any journaled vector id that SQLite does not hold is deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from tqdm.auto import tqdm

from .chunking import chunk_document, embedding_text
from .config import ChunkingSettings
from .embedding import Embedder
from .errors import FileUnreadable, RagError, storage_failure
from .loading import DEFAULT_LIMITS, Limits, discover, load_bytes, read_catalog, read_sidecar, renormalize
from .store.documents import DocumentStore
from .store.vectors import VectorIndex
from .types import AddStatus, Chunk, Document

log = logging.getLogger(__name__)

EMBED_GROUP = 256  # chunks embedded per group (with their sentences), then written


@dataclass
class Prepared:
    document: Document
    chunks: list[Chunk]
    given_metadata_sha: str
    status: Literal["added", "updated"]


@dataclass
class IngestReport:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    failed: list[tuple[str, str]]
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def metadata_sha(given: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(given, sort_keys=True, default=str).encode()).hexdigest()


class Indexer:
    """Writes documents. ``chunking`` decides the chunks; ``is_answer_sentence`` which
    sentences get a sentence vector (the ones an answer may quote)."""

    def __init__(
        self,
        store: DocumentStore,
        vectors: Callable[[], VectorIndex],
        embedder: Embedder,
        chunking: ChunkingSettings,
        is_answer_sentence: Callable[[str], bool],
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self._vectors = vectors
        self.embedder = embedder
        self.chunking = chunking
        self.is_answer_sentence = is_answer_sentence
        self.limits = limits

    @property
    def vectors(self) -> VectorIndex:
        return self._vectors()

    # ------------------------------------------------------------ recovery

    def recover(self) -> int:
        """Bring Chroma back in line with SQLite after an interrupted or failed write."""
        with self.store.write_lock:
            entries = self.store.journal_entries()
            for entry, ids in entries:
                self._settle(entry, ids)
        if entries:
            log.warning("recovered %d interrupted write(s)", len(entries))
        return len(entries)

    def _settle(self, entry: int, ids: list[str]) -> None:
        """Delete the journaled vectors SQLite does not hold, then close the entry."""
        kept = self.store.existing_chunk_ids(ids)
        self.vectors.delete([i for i in ids if i not in kept])
        self.store.journal_close(entry)

    def _roll_back(self, entry: int, ids: list[str]) -> None:
        """Undo a failed write's vectors now; if even that fails, the entry stays open for the next write."""
        try:
            self._settle(entry, ids)
        except Exception:
            log.exception("could not roll back a failed write yet; the next write will")

    # ------------------------------------------------------------ files

    def ingest_paths(
        self, paths: Iterable[Path], metadata: dict[str, Any] | None = None, progress: bool = False
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport([], [], [], [])
        known = self.store.hashes()
        catalogs: dict[Path, dict] = {}
        todo: list[Prepared] = []
        files = discover(paths)
        for path, root in tqdm(files, desc="reading", unit="file", disable=not progress or len(files) < 5, leave=False):
            try:
                prepared = self._prepare_file(path, root, metadata, known, catalogs)
            except RagError as exc:
                report.failed.append((str(path), exc.message))
                continue
            except Exception as exc:  # a parser bug must not stop the other files
                log.exception("failed to load %s", path)
                report.failed.append((str(path), f"{type(exc).__name__}: {exc}"))
                continue
            if isinstance(prepared, str):
                report.unchanged.append(prepared)
            else:
                todo.append(prepared)
        self._write(todo, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare_file(self, path: Path, root: Path, metadata, known: dict[str, str], catalogs) -> Prepared | str:
        from .loading import document_id

        if not path.exists():
            raise FileUnreadable(f"{path}: no such file or folder")
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = path.name
        if root not in catalogs:
            catalogs[root] = read_catalog(root)
        given = {**catalogs[root].get(rel, {}), **read_sidecar(path), **(metadata or {})}
        given_sha = metadata_sha(given)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FileUnreadable(f"{path}: cannot read ({exc.strerror})") from None
        given_id = given.get("id")
        doc_id = given_id if isinstance(given_id, str) else document_id(rel)
        sha = hashlib.sha256(data).hexdigest()
        if known.get(doc_id) == sha:
            if self.store.given_metadata_sha(doc_id) != given_sha:
                document = load_bytes(data, name=path.name, relative_path=rel, metadata=given, limits=self.limits)
                self.store.update_metadata(doc_id, document.title, document.metadata, given_sha)
            return doc_id
        document = load_bytes(data, name=path.name, relative_path=rel, metadata=given, limits=self.limits)
        status: Literal["added", "updated"] = "updated" if document.id in known else "added"
        return Prepared(document, chunk_document(document, self.chunking), given_sha, status)

    # ------------------------------------------------------------ documents

    def add_document(self, document: Document) -> AddStatus:
        """Store one already-loaded document: "added", "updated" or "unchanged"."""
        if self.store.sha256_of(document.id) == document.sha256:
            return "unchanged"
        status: Literal["added", "updated"] = "updated" if self.store.sha256_of(document.id) else "added"
        report = IngestReport([], [], [], [])
        self._write([Prepared(document, chunk_document(document, self.chunking), "", status)], report, False, fail_fast=True)
        return status

    def rebuild(self, progress: bool = False) -> IngestReport:
        """Re-chunk and re-embed every stored document (after a model, chunking or normalization
        change); each document's text is first normalized again under the current rules."""
        started = time.perf_counter()
        self.vectors.reset()
        report = IngestReport([], [], [], [])
        todo = []
        for document in self.store.iter_documents():
            document = renormalize(document)
            sha = self.store.given_metadata_sha(document.id) or ""
            todo.append(Prepared(document, chunk_document(document, self.chunking), sha, "updated"))
        self._write(todo, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def delete(self, document_id: str) -> bool:
        vectors = self.vectors
        with self.store.write_lock, _as_storage_failure():
            self.recover()
            if self.store.sha256_of(document_id) is None:
                return False
            old = self.store.chunk_ids_of(document_id)
            entry = self.store.journal_open(old)
            try:
                with self.store.transaction() as db:
                    self.store.delete_document(db, document_id)
                vectors.delete(old)
                self.store.journal_close(entry)
            except Exception:
                self._roll_back(entry, old)
                raise
        return True

    # ------------------------------------------------------------ the write path

    def _write(self, todo: list[Prepared], report: IngestReport, progress: bool, fail_fast: bool = False) -> None:
        """Embed and store ``todo``; a document that cannot be stored is reported in ``report.failed``,
        or raised with ``fail_fast``."""
        if not todo:
            return
        total = sum(len(p.chunks) for p in todo)
        bar = tqdm(total=total, desc="embedding", unit="chunk", disable=not progress or total < 50, leave=False)
        group: list[Prepared] = []
        size = 0
        for prepared in todo:
            group.append(prepared)
            size += len(prepared.chunks)
            if size >= EMBED_GROUP:
                self._write_group(group, report, bar, fail_fast)
                group, size = [], 0
        if group:
            self._write_group(group, report, bar, fail_fast)
        bar.close()

    def _write_group(self, group: list[Prepared], report: IngestReport, bar, fail_fast: bool) -> None:
        texts: list[str] = []
        spans: list[list[tuple[int, int]]] = []
        answerable: list[list[int]] = []  # per chunk: which of its sentences get a vector
        for prepared in group:
            doc = prepared.document
            for chunk in prepared.chunks:
                text = embedding_text(doc.title, chunk)
                shift = len(text) - len(chunk.text) - chunk.start
                rows = [
                    j for j, st in enumerate(chunk.sentences) if self.is_answer_sentence(doc.text[st.start:st.end])
                ]
                texts.append(text)
                answerable.append(rows)
                spans.append([(chunk.sentences[j].start + shift, chunk.sentences[j].end + shift) for j in rows])
        chunk_vectors, sentence_vectors = self._embed(texts, spans, bar)
        dim = chunk_vectors.shape[1]
        ci = 0
        for prepared in group:
            n = len(prepared.chunks)
            per_chunk: list[np.ndarray] = []
            for k, chunk in enumerate(prepared.chunks):
                block = np.zeros((len(chunk.sentences), dim), dtype=np.float32)
                for j, vector in zip(answerable[ci + k], sentence_vectors[ci + k]):
                    block[j] = vector
                per_chunk.append(block)
            own, ci = chunk_vectors[ci:ci + n], ci + n
            try:
                self._commit(prepared, own, per_chunk)
            except Exception as exc:
                if fail_fast:
                    raise
                log.exception("failed to store %s", prepared.document.id)
                report.failed.append((prepared.document.source, f"could not be stored: {exc}"))
                continue
            (report.added if prepared.status == "added" else report.updated).append(prepared.document.id)
            report.chunks_embedded += n

    def _embed(
        self, texts: list[str], spans: list[list[tuple[int, int]]], bar
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Chunk vectors and, per chunk, one vector per answer sentence.

        With a mean-pooling model one forward pass per chunk gives both (sentence
        vectors pooled over the sentence's own tokens); sentences cut off by the
        model's length limit, or every sentence with another kind of model, are
        embedded on their own."""
        if self.embedder.supports_span_pooling():
            chunk_vectors, pooled = self.embedder.embed_with_spans(texts, spans, on_batch=bar.update)
        else:
            chunk_vectors = self.embedder.embed_documents(texts)
            bar.update(len(texts))
            pooled = [[None for _ in s] for s in spans]
        missing = [(i, j) for i, row in enumerate(pooled) for j, v in enumerate(row) if v is None]
        if missing:
            alone = self.embedder.embed_documents([" ".join(texts[i][slice(*spans[i][j])].split()) for i, j in missing])
            for (i, j), vector in zip(missing, alone):
                pooled[i][j] = vector
        return chunk_vectors, pooled

    def _commit(self, prepared: Prepared, chunk_vectors: np.ndarray, sentence_vectors: list[np.ndarray]) -> None:
        doc = prepared.document
        new_ids = [c.id for c in prepared.chunks]
        vectors = self.vectors  # opened (and recovered) before this write's journal entry exists
        with self.store.write_lock, _as_storage_failure():
            self.recover()  # a failed write that could not be rolled back at once
            old_ids = self.store.chunk_ids_of(doc.id)
            touched = sorted(set(new_ids) | set(old_ids))
            entry = self.store.journal_open(touched)
            try:
                metadatas = [{"document_id": doc.id, "kind": c.kind} for c in prepared.chunks]
                vectors.upsert(new_ids, chunk_vectors, metadatas)
                with self.store.transaction() as db:
                    self.store.replace_document(db, doc, prepared.chunks, sentence_vectors, prepared.given_metadata_sha)
                vectors.delete([i for i in old_ids if i not in set(new_ids)])
                self.store.journal_close(entry)
            except Exception:
                self._roll_back(entry, touched)
                raise


@contextmanager
def _as_storage_failure() -> Iterator[None]:
    """Errors of the stores themselves (OS, SQLite, Chroma) leave as ``StorageError``."""
    try:
        yield
    except RagError:
        raise
    except Exception as exc:
        log.error("a store failed during a write", exc_info=exc)
        raise storage_failure(exc) from exc



