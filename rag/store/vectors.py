"""The vector index: one Chroma collection in a persistent client.

The collection is named after the configuration that built it (model and
chunking, see ``Settings.index_name``), so two configurations never mix.
Chroma's embedded client is single-process: only one process may write a
data folder at a time (the service runs one process, serving from threads).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from chromadb.api.types import Metadata, Where

log = logging.getLogger(__name__)


class VectorIndex:
    def __init__(self, path: Path, collection_name: str):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(self.path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        self.name = collection_name
        self._collection = self._client.get_or_create_collection(
            name=collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self._lock = threading.Lock()
        self._max_batch = int(getattr(self._client, "get_max_batch_size", lambda: 5000)() or 5000)

    def count(self) -> int:
        return int(self._collection.count())

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: Sequence[Metadata]) -> None:
        with self._lock:
            for i in range(0, len(ids), self._max_batch):
                self._collection.upsert(
                    ids=ids[i:i + self._max_batch],
                    embeddings=vectors[i:i + self._max_batch].tolist(),
                    metadatas=list(metadatas[i:i + self._max_batch]),
                )

    def delete(self, ids: list[str]) -> None:
        if not ids:
            return
        with self._lock:
            for i in range(0, len(ids), self._max_batch):
                self._collection.delete(ids=ids[i:i + self._max_batch])

    def all_ids(self) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            got = self._collection.get(include=[], limit=self._max_batch, offset=offset)
            if not got["ids"]:
                return found
            found.update(got["ids"])
            offset += len(got["ids"])

    def query(self, vector: np.ndarray, limit: int, document_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        if document_ids is not None and not document_ids:
            return []
        where: Where | None = None
        if document_ids is not None:
            any_of: dict[Literal["$in", "$nin"], list[str | int | float | bool]] = {"$in": list(document_ids)}
            where = {"document_id": document_ids[0]} if len(document_ids) == 1 else {"document_id": any_of}
        total = self.count()
        if total == 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector.tolist()], n_results=min(limit, total), where=where, include=["distances"]
        )
        ids = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in zip(ids, distances)]

    def reset(self) -> None:
        """Drop and recreate the collection (used by reindex)."""
        with self._lock:
            self._client.delete_collection(self.name)
            self._collection = self._client.get_or_create_collection(
                name=self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
