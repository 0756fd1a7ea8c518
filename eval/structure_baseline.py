"""A structure-aware baseline: what a careful first version of retrieval over legal texts does.

* split each document at its Article, Annex and Section boundaries (``rag.structure``);
* cut each part into ~700-character windows overlapping by ~100 characters (at spaces);
* put the part's title ("Article 50 Transparency obligations ...") in front of every window;
* search BM25 (SQLite FTS5) and dense (the service's model) over those windows, fuse by
  reciprocal rank, and multiply the score of windows in operative articles or sections by 1.3.

It shares nothing with the service's index: it is built from the loaded documents (the
same texts and offsets) and kept in memory, with its vectors cached in a folder::

    baseline = StructureBaseline()
    baseline.build([Path("corpus")], Path("/tmp/structure"))
    baseline.search("What does Article 50 require?", k=5)  # dicts like the other baselines
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.baselines import BuildReport, Result, default_model_name, load_documents
from rag.structure import find_headings
from rag.terms import query_terms
from rag.types import Document

__all__ = ["StructureBaseline", "structure_windows"]

WINDOW = 700
OVERLAP = 100
RRF_K = 60
CANDIDATES = 40
OPERATIVE_BOOST = 1.3
_BOUNDARY_KINDS = frozenset({"article", "annex", "section"})


@dataclass(frozen=True)
class Window:
    document_id: str
    start: int
    end: int
    title: str  # the part's title, put in front of the window for both searches
    operative: bool


def _title_at(text: str, start: int, label: str) -> str:
    """The heading line of a part and, for an article, its title line ("Article 50" + "Transparency ...")."""
    lines = [line.strip(" #*\t") for line in text[start:start + 400].splitlines() if line.strip(" #*\t")]
    head = lines[:2] if lines and re.fullmatch(r"(?i)article\s+\d+[a-z]?", lines[0]) else lines[:1]
    return " ".join(head)[:160] or label


def structure_windows(document: Document, window: int = WINDOW, overlap: int = OVERLAP) -> list[Window]:
    """The windows of one document: its parts cut at Article/Annex/Section boundaries, each part
    cut into ``window``-character pieces overlapping by ``overlap`` (cuts moved back to a space)."""
    text = document.text
    bounds = [h for h in find_headings(text) if h.kind in _BOUNDARY_KINDS]
    parts: list[tuple[int, int, str, bool]] = []
    starts = [0] + [h.start for h in bounds]
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if end <= begin or not text[begin:end].strip():
            continue
        heading = bounds[i - 1] if i > 0 else None
        title = _title_at(text, begin, heading.label) if heading else document.title
        parts.append((begin, end, title, heading is not None and heading.kind in ("article", "section")))
    out: list[Window] = []
    for begin, end, title, operative in parts:
        cursor = begin
        while cursor < end:
            stop = min(end, cursor + window)
            if stop < end:
                space = text.rfind(" ", cursor + window // 2, stop)
                stop = space if space > cursor else stop
            out.append(Window(document.id, cursor, stop, title, operative))
            if stop >= end:
                break
            nxt = stop - overlap
            space = text.find(" ", nxt, stop)
            cursor = space + 1 if space >= 0 else nxt
    return out


class StructureBaseline:
    """Structure-aware chunks, hybrid search fused by reciprocal rank, operative parts raised."""

    def __init__(self, model_name: str | None = None):
        self.model_name = model_name or default_model_name()
        self._model: Any = None
        self._windows: list[Window] = []
        self._texts: dict[str, str] = {}
        self._vectors: np.ndarray | None = None
        self._db: sqlite3.Connection | None = None

    @property
    def model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_name, device="cpu")
        return self._model

    def build(self, sources: Iterable[Path | str | Document], cache_dir: Path | str) -> BuildReport:
        """Load and cut the documents, index them for BM25 and embed them (vectors cached in ``cache_dir``)."""
        began = time.perf_counter()
        documents, failed = load_documents(sources)
        self._texts = {d.id: d.text for d in documents}
        self._windows = [w for d in documents for w in structure_windows(d)]
        bodies = [f"{w.title}\n{self._texts[w.document_id][w.start:w.end]}" for w in self._windows]
        digest = hashlib.sha256(f"{Path(self.model_name).name}|{WINDOW}|{OVERLAP}".encode())
        for body in bodies:
            digest.update(body.encode())
        cache = Path(cache_dir) / f"structure-{digest.hexdigest()[:16]}.npy"
        reused = cache.is_file()
        if reused:
            self._vectors = np.load(cache)
        else:
            self._vectors = np.asarray(
                self.model.encode(bodies, normalize_embeddings=True, batch_size=32, show_progress_bar=False),
                dtype=np.float32,
            )
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.save(cache, self._vectors)
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE w USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 2')")
        self._db.executemany("INSERT INTO w(rowid, body) VALUES (?, ?)", enumerate(bodies))
        return BuildReport(len(documents), len(self._windows), reused, failed, time.perf_counter() - began)

    def search(self, query: str, k: int = 10) -> list[Result]:
        """The top ``k`` windows for ``query``, best first, as baseline result dicts."""
        if self._db is None or self._vectors is None:
            raise RuntimeError("call build() before search()")
        scores: dict[int, float] = {}
        vector = np.asarray(self.model.encode([query], normalize_embeddings=True, show_progress_bar=False)[0])
        dense = np.argsort(-(self._vectors @ vector))[:CANDIDATES]
        for rank, row in enumerate(dense):
            scores[int(row)] = 1.0 / (RRF_K + rank + 1)
        terms = query_terms(query)
        if terms:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
            rows = self._db.execute(
                "SELECT rowid FROM w WHERE w MATCH ? ORDER BY bm25(w) LIMIT ?", (match, CANDIDATES)
            ).fetchall()
            for rank, (row,) in enumerate(rows):
                scores[row] = scores.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        boosted = {row: s * (OPERATIVE_BOOST if self._windows[row].operative else 1.0) for row, s in scores.items()}
        best = sorted(boosted.items(), key=lambda t: t[1], reverse=True)[:k]
        return [self._result(row, score) for row, score in best]

    def _result(self, row: int, score: float) -> Result:
        window = self._windows[row]
        return {
            "document_id": window.document_id,
            "start": window.start,
            "end": window.end,
            "text": self._texts[window.document_id][window.start:window.end],
            "score": float(score),
        }

    @property
    def windows(self) -> Sequence[Window]:
        return self._windows
