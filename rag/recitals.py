"""Which operative provision each recital explains.

A regulation's recitals say in plain words what its articles require and why, so
a question worded the way people speak often matches the recital while the
article holds the rule ("whistleblowers" appears in the recital, "reporting
persons" in the article). Each recital chunk is linked to the operative chunk of
its document that reads most alike (cosine of the two chunks' mean sentence
vectors), and a recital that ranks high brings that provision up with it.

    links = RecitalLinks(store)
    links.explained(["eu__...:v:298"])   # {"eu__...:v:298": ("eu__...:v:691", 0.87)}: Article 87's chunk

Read once, and again whenever the stored documents change.
"""

from __future__ import annotations

import numpy as np

from .store.derived import Derived
from .store.documents import DocumentStore, StoredChunk

__all__ = ["RecitalLinks"]


class RecitalLinks:
    def __init__(self, store: DocumentStore):
        self.store = store
        self._links: Derived[dict[str, tuple[str, float]]] = Derived(store, self._read, {})

    def explained(self, chunk_ids: list[str]) -> dict[str, tuple[str, float]]:
        """For each recital chunk among ``chunk_ids``, the operative chunk of its document it reads
        most like, with the cosine of the two (chunks that are no recitals are left out)."""
        links = self._links.get()
        return {c: links[c] for c in chunk_ids if c in links}

    def _read(self) -> dict[str, tuple[str, float]]:
        with self.store.connection() as db:
            holders = [row[0] for row in db.execute("SELECT DISTINCT document_id FROM chunks WHERE kind = 'recital'")]
        links: dict[str, tuple[str, float]] = {}
        for document_id in holders:
            chunks = self.store.get_chunks(self.store.chunk_ids_of(document_id), with_vectors=True).values()
            recitals = [c for c in chunks if c.kind == "recital" and _has_vectors(c)]
            provisions = [c for c in chunks if c.kind == "operative" and _has_vectors(c)]
            if not recitals or not provisions:
                continue
            similarity = _means(recitals) @ _means(provisions).T
            best = similarity.argmax(axis=1)
            for i, recital in enumerate(recitals):
                links[recital.id] = (provisions[best[i]].id, float(similarity[i, best[i]]))
        return links


def _has_vectors(chunk: StoredChunk) -> bool:
    return chunk.sentence_vectors is not None and len(chunk.sentence_vectors) > 0


def _means(chunks: list[StoredChunk]) -> np.ndarray:
    """Each chunk's mean sentence vector, of unit length."""
    means = np.stack([c.sentence_vectors.mean(axis=0) for c in chunks if c.sentence_vectors is not None])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
