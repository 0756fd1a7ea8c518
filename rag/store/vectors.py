"""The vector index: one Chroma collection, embedded or on a Chroma server.

The collection is named after the configuration that built it (model and
chunking, see ``Settings.index_name``), so two configurations never mix.
Chroma's embedded (persistent) client is single-process: one process only may
open a data folder that way. Several processes (the server's workers, API
hosts) share a Chroma server instead (``url``: ``chroma run`` or any other).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.types import Metadata, Where

__all__ = ["VectorIndex", "split_url"]

log = logging.getLogger(__name__)


def split_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) of a Chroma server URL such as http://127.0.0.1:8001."""
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a Chroma server URL looks like http://HOST:PORT, not {url!r}")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


class VectorIndex:
    def __init__(self, path: Path, collection_name: str, url: str | None = None):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.path = Path(path)
        self.url = url
        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        self._client: ClientAPI
        if url:
            host, port, ssl = split_url(url)
            self._client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(self.path), settings=settings)
        self.name = collection_name
        self._collection = self._client.get_or_create_collection(
            name=collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        self._lock = threading.Lock()
        self._count: int | None = None  # kept until a write (here, or seen by DocumentStore.sync)
        self._max_batch = int(getattr(self._client, "get_max_batch_size", lambda: 5000)() or 5000)

    def count(self) -> int:
        count = self._count
        if count is None:
            with self._lock:  # writers change the collection and reset the count under this lock
                count = self._count = int(self._collection.count())
        return count

    def forget_count(self) -> None:
        """Another process may have written: count again on next need."""
        self._count = None

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: Sequence[Metadata]) -> None:
        with self._lock:
            self._count = None
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
            self._count = None
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
            self._count = None
            self._client.delete_collection(self.name)
            self._collection = self._client.get_or_create_collection(
                name=self.name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
