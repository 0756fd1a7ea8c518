"""The document store: SQLite, the source of truth.

One database holds each document's normalized text, hash and metadata, its
chunks (with their sentence spans and sentence vectors), and the lexical index
(an FTS5 table with BM25 ranking) over the same chunks. Because the lexical
index lives in the same database, a document, its chunks and its lexical
entries change in one transaction: all or nothing.

A small journal records the vector ids a write is about to touch, so that
after a crash the vector index can be brought back in line (see
``rag.indexing``).

Several processes may open one database (the server's workers): SQLite runs in
WAL mode (readers never wait for the writer) with a busy timeout, and every
write holds ``write_lock``, a file lock beside the database, so one write runs
at a time across all of them. Each write transaction bumps a counter in
``meta``; ``sync()`` reads it (one indexed row) and drops what this process
kept in memory when another process has written since.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..types import Chunk, Document, PageSpan, Sentence
from .memo import WriteMemo
from .write_lock import WriteLock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL,
    pages TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    given_metadata_sha256 TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    section TEXT,
    page INTEGER,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    sentences TEXT NOT NULL,
    sentence_vectors BLOB
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, section, title, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_ids TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('writes', '0'), ('documents_version', '0');
CREATE TRIGGER IF NOT EXISTS documents_inserted AFTER INSERT ON documents BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'documents_version';
END;
CREATE TRIGGER IF NOT EXISTS documents_updated AFTER UPDATE ON documents BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'documents_version';
END;
CREATE TRIGGER IF NOT EXISTS documents_deleted AFTER DELETE ON documents BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'documents_version';
END;
"""

BUSY_TIMEOUT_S = 30  # how long a statement waits for another process's write before it fails

MEMO_ENTRIES = 4096  # chunk rows and term counts kept between writes (a chunk with its vectors: ~12 kB)


@dataclass(frozen=True)
class StoredChunk:
    id: str
    document_id: str
    title: str
    ordinal: int
    start: int
    end: int
    section: str | None
    page: int | None
    kind: str
    text: str
    sentences: tuple[Sentence, ...]
    sentence_vectors: np.ndarray | None


def _pack_sentences(sentences: tuple[Sentence, ...]) -> str:
    return json.dumps([[s.start, s.end, s.section, s.page] for s in sentences], ensure_ascii=False)


def _unpack_sentences(blob: str) -> tuple[Sentence, ...]:
    return tuple(Sentence(*row) for row in json.loads(blob))


@dataclass(frozen=True)
class Versions:
    """The store-wide change counters: ``writes`` (every write transaction) and
    ``documents`` (every change to a document row: added, replaced, retitled, deleted)."""

    writes: int
    documents: int


class DocumentStore:
    """``memo``: keep repeated reads (counts, term frequencies, metadata, chunk rows)
    in memory until the next write, by this process or (seen at the next ``sync()``)
    by another one."""

    def __init__(self, path: Path, memo: bool = True):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []  # every thread's connection, for close()
        self._opened_lock = threading.Lock()
        self.write_lock = WriteLock(self.path.with_name(self.path.name + ".lock"))
        self.memo = WriteMemo(max_entries=MEMO_ENTRIES, enabled=memo)
        self._seen_writes: int | None = None
        self._listeners: list[Callable[[], None]] = []
        with self.write_lock, self.connection() as db:
            db.executescript(_SCHEMA)

    # ------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
            with self._opened_lock:
                self._opened.append(db)
        yield db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.write_lock, self.connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'writes'")
                yield db
                writes = int(db.execute("SELECT value FROM meta WHERE key = 'writes'").fetchone()[0])
                self.memo.invalidate()  # also before the commit: no read may keep what it saw mid-write
                db.execute("COMMIT")
                self._seen_writes = writes  # under the write lock: no other write came between
            except BaseException:
                if db.in_transaction:  # SQLite rolls back by itself after some errors (a full disk)
                    db.execute("ROLLBACK")
                raise
            finally:
                self.memo.invalidate()

    def close(self) -> None:
        """Close the connection of every thread that used the store (it reopens on next use)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for db in opened:
            db.close()
        self.write_lock.close()

    # ------------------------------------------------------------ other processes' writes

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever ``sync()`` finds a write made by another process."""
        self._listeners.append(listener)

    def sync(self) -> Versions:
        """The change counters; when another process has written since the last look, first
        forget what was kept in memory (once per request: one read of two rows)."""
        with self.connection() as db:
            rows = db.execute("SELECT key, value FROM meta WHERE key IN ('writes', 'documents_version')").fetchall()
        values = {row["key"]: int(row["value"]) for row in rows}
        versions = Versions(int(values.get("writes", 0)), int(values.get("documents_version", 0)))
        if versions.writes != self._seen_writes:
            self.memo.invalidate()
            for listener in self._listeners:
                listener()
            self._seen_writes = versions.writes
        return versions

    # ------------------------------------------------------------ meta

    def get_meta(self, key: str) -> str | None:
        with self.connection() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------ journal

    def journal_open(self, chunk_ids: list[str]) -> int:
        with self.transaction() as db:
            cur = db.execute("INSERT INTO journal(chunk_ids) VALUES (?)", (json.dumps(chunk_ids),))
            assert cur.lastrowid is not None  # an INSERT always sets it
            return cur.lastrowid

    def journal_close(self, entry: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM journal WHERE id = ?", (entry,))

    def journal_entries(self) -> list[tuple[int, list[str]]]:
        with self.connection() as db:
            rows = db.execute("SELECT id, chunk_ids FROM journal ORDER BY id").fetchall()
        return [(row["id"], json.loads(row["chunk_ids"])) for row in rows]

    # ------------------------------------------------------------ documents

    def sha256_of(self, document_id: str) -> str | None:
        with self.connection() as db:
            row = db.execute("SELECT sha256 FROM documents WHERE id = ?", (document_id,)).fetchone()
        return row["sha256"] if row else None

    def hashes(self) -> dict[str, str]:
        with self.connection() as db:
            return {row["id"]: row["sha256"] for row in db.execute("SELECT id, sha256 FROM documents")}

    def chunk_ids_of(self, document_id: str) -> list[str]:
        with self.connection() as db:
            rows = db.execute("SELECT id FROM chunks WHERE document_id = ? ORDER BY ordinal", (document_id,)).fetchall()
        return [row["id"] for row in rows]

    def existing_chunk_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        with self.connection() as db:
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                marks = ",".join("?" * len(part))
                found.update(r["id"] for r in db.execute(f"SELECT id FROM chunks WHERE id IN ({marks})", part))
        return found

    def given_metadata_sha(self, document_id: str) -> str | None:
        with self.connection() as db:
            row = db.execute("SELECT given_metadata_sha256 FROM documents WHERE id = ?", (document_id,)).fetchone()
        return row[0] if row else None

    def replace_document(
        self,
        db: sqlite3.Connection,
        document: Document,
        chunks: list[Chunk],
        sentence_vectors: Sequence[np.ndarray | None],
        given_metadata_sha: str = "",
    ) -> None:
        """Write a document with its chunks and lexical entries, replacing any earlier
        version. Call inside ``transaction()``."""
        self._delete_rows(db, document.id)
        db.execute(
            "INSERT INTO documents(id, title, source, sha256, text, metadata, pages, ingested_at, given_metadata_sha256) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (
                document.id,
                document.title,
                document.source,
                document.sha256,
                document.text,
                json.dumps(document.metadata, ensure_ascii=False, default=str),
                json.dumps([[p.page, p.start, p.end] for p in document.pages]),
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                given_metadata_sha,
            ),
        )
        for chunk, vectors in zip(chunks, sentence_vectors):
            cur = db.execute(
                'INSERT INTO chunks(id, document_id, ordinal, start, "end", section, page, kind, text, sentences, sentence_vectors) '
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    chunk.id, chunk.document_id, chunk.ordinal, chunk.start, chunk.end, chunk.section, chunk.page,
                    chunk.kind, chunk.text, _pack_sentences(chunk.sentences),
                    None if vectors is None else np.asarray(vectors, dtype=np.float16).tobytes(),
                ),
            )
            db.execute(
                "INSERT INTO chunks_fts(rowid, text, section, title) VALUES (?,?,?,?)",
                (cur.lastrowid, chunk.text, " | ".join(p for p in (chunk.section, chunk.context) if p), document.title),
            )

    def update_metadata(self, document_id: str, title: str, metadata: dict[str, Any], given_metadata_sha: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE documents SET title = ?, metadata = ?, given_metadata_sha256 = ? WHERE id = ?",
                (title, json.dumps(metadata, ensure_ascii=False, default=str), given_metadata_sha, document_id),
            )
            db.execute(
                "UPDATE chunks_fts SET title = ? WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)",
                (title, document_id),
            )

    def delete_document(self, db: sqlite3.Connection, document_id: str) -> None:
        self._delete_rows(db, document_id)

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, document_id: str) -> None:
        db.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)", (document_id,))
        db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
        db.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    def document_row(self, document_id: str) -> sqlite3.Row | None:
        with self.connection() as db:
            return db.execute(
                "SELECT d.id, d.title, d.source, d.sha256, d.metadata, d.pages, d.ingested_at, length(d.text) AS char_count, "
                "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count FROM documents d WHERE d.id = ?",
                (document_id,),
            ).fetchone()

    def document_rows(self, offset: int = 0, limit: int | None = None) -> tuple[int, list[sqlite3.Row]]:
        with self.connection() as db:
            total = db.execute("SELECT count(*) FROM documents").fetchone()[0]
            rows = db.execute(
                "SELECT d.id, d.title, d.source, d.sha256, d.metadata, d.pages, d.ingested_at, length(d.text) AS char_count, "
                "(SELECT count(*) FROM chunks c WHERE c.document_id = d.id) AS chunk_count "
                "FROM documents d ORDER BY d.id LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            ).fetchall()
        return int(total), rows

    def text_of(self, document_id: str) -> str | None:
        with self.connection() as db:
            row = db.execute("SELECT text FROM documents WHERE id = ?", (document_id,)).fetchone()
        return row["text"] if row else None

    def load_document(self, document_id: str) -> Document | None:
        with self.connection() as db:
            row = db.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone()
        if row is None:
            return None
        return Document(
            id=row["id"], title=row["title"], text=row["text"], sha256=row["sha256"], source=row["source"],
            metadata=json.loads(row["metadata"]), pages=[PageSpan(*p) for p in json.loads(row["pages"])],
        )

    def metadata_index(self) -> list[tuple[str, dict[str, Any]]]:
        """Every document's id and metadata (shared: callers must not change them)."""
        def read() -> list[tuple[str, dict[str, Any]]]:
            with self.connection() as db:
                return [(r["id"], json.loads(r["metadata"])) for r in db.execute("SELECT id, metadata FROM documents")]

        return self.memo.get("metadata", read)

    def counts(self) -> dict[str, int]:
        def read() -> dict[str, int]:
            with self.connection() as db:
                documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
                chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            return {"documents": int(documents), "chunks": int(chunks)}

        return dict(self.memo.get("counts", read))

    # ------------------------------------------------------------ chunks

    def get_chunks(self, ids: list[str], with_vectors: bool = False) -> dict[str, StoredChunk]:
        """The stored chunks among ``ids`` (``with_vectors``: with their sentence vectors)."""
        if not ids:
            return {}
        found = self.memo.get_many(
            [("chunk", with_vectors, i) for i in ids],
            lambda keys: {("chunk", with_vectors, c.id): c for c in self._read_chunks([k[2] for k in keys], with_vectors)},
        )
        return {key[2]: chunk for key, chunk in found.items()}

    def _read_chunks(self, ids: list[str], with_vectors: bool) -> list[StoredChunk]:
        vector_col = "c.sentence_vectors" if with_vectors else "NULL AS sentence_vectors"
        marks = ",".join("?" * len(ids))
        with self.connection() as db:
            rows = db.execute(
                f'SELECT c.id, c.document_id, d.title, c.ordinal, c.start, c."end", c.section, c.page, c.kind, c.text, '
                f"c.sentences, {vector_col} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
                ids,
            ).fetchall()
        out = []
        for r in rows:
            sentences = _unpack_sentences(r["sentences"])
            vectors = None
            if r["sentence_vectors"] is not None:
                vectors = np.frombuffer(r["sentence_vectors"], dtype=np.float16).reshape(len(sentences), -1).astype(np.float32)
                vectors.setflags(write=False)  # shared between questions
            out.append(StoredChunk(
                r["id"], r["document_id"], r["title"], r["ordinal"], r["start"], r["end"], r["section"], r["page"],
                r["kind"], r["text"], sentences, vectors,
            ))
        return out

    def chunks_at(self, document_id: str, start: int, end: int) -> list[str]:
        """The ids of the chunks of ``document_id`` overlapping ``[start, end)``, in reading order."""
        with self.connection() as db:
            rows = db.execute(
                'SELECT id FROM chunks WHERE document_id = ? AND start < ? AND "end" > ? ORDER BY ordinal',
                (document_id, end, start),
            ).fetchall()
        return [row["id"] for row in rows]

    def section_at(self, document_id: str, offset: int) -> tuple[str | None, int | None]:
        """The finest section path and the page of the character at ``offset``."""
        with self.connection() as db:
            row = db.execute(
                'SELECT section, page, sentences FROM chunks WHERE document_id = ? AND start <= ? AND "end" > ? '
                "ORDER BY ordinal LIMIT 1",
                (document_id, offset, offset),
            ).fetchone()
        if row is None:
            return None, None
        for sentence in _unpack_sentences(row["sentences"]):
            if sentence.start <= offset < sentence.end:
                return sentence.section or row["section"], sentence.page if sentence.page is not None else row["page"]
        return row["section"], row["page"]

    def iter_documents(self) -> Iterator[Document]:
        with self.connection() as db:
            ids = [r["id"] for r in db.execute("SELECT id FROM documents ORDER BY id")]
        for document_id in ids:
            document = self.load_document(document_id)
            if document is not None:
                yield document

    # ------------------------------------------------------------ lexical index

    def lexical_search(
        self,
        terms: list[str],
        limit: int,
        document_ids: list[str] | None = None,
        weights: tuple[float, float, float] = (1.0, 0.6, 0.3),
    ) -> list[tuple[str, float]]:
        """BM25 over chunk text, section path and title (``weights`` in that order); best first.
        The section column also holds the chunk's ``context`` (the term it defines, the titles of
        the provisions it refers to), indexed but never part of the stored text."""
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = (
            "SELECT c.id AS id, bm25(chunks_fts, ?, ?, ?) AS score FROM chunks_fts "
            "JOIN chunks c ON c.rowid = chunks_fts.rowid WHERE chunks_fts MATCH ?"
        )
        params: list[Any] = [*weights, match]
        if document_ids is not None:
            if not document_ids:
                return []
            sql += f" AND c.document_id IN ({','.join('?' * len(document_ids))})"
            params.extend(document_ids)
        sql += " ORDER BY score LIMIT ?"
        params.append(limit)
        with self.connection() as db:  # every term is quoted: the MATCH expression is always well formed
            rows = db.execute(sql, params).fetchall()
        return [(r["id"], -float(r["score"])) for r in rows]

    def document_frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many chunks hold each term (after the index's own stemming)."""
        found = self.memo.get_many([("df", t) for t in terms], lambda keys: self._read_frequencies([k[1] for k in keys]))
        return {term: found[("df", term)] for term in terms}

    def _read_frequencies(self, terms: list[str]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        with self.connection() as db:
            for term in terms:
                row = db.execute(
                    "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", ('text:"' + term.replace('"', '""') + '"',)
                ).fetchone()
                out[("df", term)] = int(row[0])
        return out
