"""The embedder: one model per process, behind a backend (torch, onnx, onnx-int8).

Query and document embedding are separate calls (some models want different
prefixes); vectors come back L2-normalized as float32, so a dot product is
the cosine similarity. Tokenizing and mean pooling happen here, in numpy, the
same way for every backend: a chunk's vector is exactly what sentence-transformers'
``encode`` gives, and one forward pass also gives each sentence its vector.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelUnavailable
from .base import BACKENDS, Backend
from .model import ModelFolder
from .query_cache import QueryCache

log = logging.getLogger(__name__)

_LOADED: dict[tuple, tuple[Backend, object]] = {}  # one model per process, shared by every Embedder
_LOAD_LOCK = threading.Lock()


def load_backend(folder: ModelFolder, backend: str, device: str, cache_root: Path | None) -> Backend:
    if backend == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend(folder, device)
    if backend in ("onnx", "onnx-int8"):
        from .onnx_backend import OnnxBackend

        if cache_root is None:
            raise ModelUnavailable("the onnx backends need a folder to keep the exported model in")
        return OnnxBackend(folder, cache_root, quantized=backend == "onnx-int8", device=device)
    raise ModelUnavailable(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")


class Embedder:
    def __init__(
        self,
        model_name: str = DEFAULT_MODEL,
        batch_size: int = 64,
        backend: str = "torch",
        device: str = "cpu",
        cache_root: Path | None = None,
        query_cache_size: int = 1024,
    ):
        self.model_name = model_name
        self.batch_size = batch_size
        self.backend_name = backend
        self.device = device
        self.cache_root = cache_root
        self.folder = ModelFolder(model_name)
        self._loaded: tuple[Backend, object] | None = None
        self.queries = QueryCache(query_cache_size, self._query_key)

    # ------------------------------------------------------------ loading

    def _load(self) -> tuple[Backend, object]:
        if self._loaded is None:
            with _LOAD_LOCK:
                key = (self.model_name, self.backend_name, self.device)  # any valid export of the model serves
                if key not in _LOADED:
                    backend = load_backend(self.folder, self.backend_name, self.device, self.cache_root)
                    _LOADED[key] = (backend, self.folder.tokenizer())
                self._loaded = _LOADED[key]
        return self._loaded

    def load(self) -> Embedder:
        """Load the model now (the server does this at start, not on the first question)."""
        self._load()
        return self

    @property
    def backend(self) -> Backend:
        return self._load()[0]

    @property
    def tokenizer(self):
        return self._load()[1]

    @cached_property
    def dimension(self) -> int:
        return int(self.embed_documents(["dimension"]).shape[1])

    def supports_span_pooling(self) -> bool:
        """True when the model mean-pools token vectors, so one forward pass can also
        give every sentence of a chunk its vector (pooled over the sentence's tokens)."""
        return self.folder.mean_pooling

    # ------------------------------------------------------------ the forward pass

    def _batches(self, texts: list[str], offsets: bool = False) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
        """Every text tokenized once, then handed out in padded batches of ``batch_size``
        texts of about the same token count: ``(indices into texts, batch)``. Padding costs
        the model as much as real tokens, and characters are a poor guide to tokens (a page
        of figures or split words tokenizes very differently from prose), so texts are
        grouped by token count, which keeps padding to a few percent."""
        encoded = self.tokenizer(
            texts, truncation=True, max_length=self.folder.max_length, return_offsets_mapping=offsets,
        )
        ids = encoded["input_ids"]
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        pad_id = self.tokenizer.pad_token_id or 0
        for b in range(0, len(order), self.batch_size):
            batch = order[b:b + self.batch_size]
            width = max(len(ids[i]) for i in batch)
            padded: dict[str, np.ndarray] = {}
            for name, rows in encoded.items():
                fill = pad_id if name == "input_ids" else 0
                shape = (len(batch), width, 2) if name == "offset_mapping" else (len(batch), width)
                array = np.full(shape, fill, dtype=np.int64)
                for row, i in enumerate(batch):
                    if len(rows[i]):
                        array[row, : len(rows[i])] = rows[i]
                padded[name] = array
            yield batch, padded

    def _mean_pooled(self, encoded: dict[str, np.ndarray]) -> np.ndarray:
        tokens = self.backend.token_vectors(encoded)
        mask = encoded["attention_mask"][..., None].astype(np.float32)
        vectors = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.where(norms > 0, norms, 1)).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not self.supports_span_pooling():
            encode = getattr(self.backend, "encode", None)
            if encode is None:
                raise ModelUnavailable(
                    f"{self.model_name!r} does not mean-pool its token vectors; only RAG_EMBEDDING_BACKEND=torch runs it"
                )
            return encode(texts, self.batch_size)
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for batch, encoded in self._batches(texts):
            vectors = self._mean_pooled(encoded)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[batch] = vectors
        return out

    def embed_with_spans(
        self,
        texts: list[str],
        spans: list[list[tuple[int, int]]],
        on_batch: Callable[[int], object] | None = None,
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """One forward pass per text: the text's vector (exactly what ``embed_documents``
        gives: mean of its token vectors, normalized) and, for each character span of
        ``spans[i]``, the normalized mean of the token vectors inside that span. A span
        whose tokens fell past the model's length limit gets None.
        ``on_batch(n)`` is called after every batch of n texts (``batch_size`` texts a batch)."""
        text_vectors: np.ndarray | None = None
        span_vectors: list[list[np.ndarray | None]] = [[] for _ in texts]
        for batch, encoded in self._batches(texts, offsets=True):
            offsets = encoded.pop("offset_mapping")
            tokens = self.backend.token_vectors(encoded)
            if text_vectors is None:
                text_vectors = np.zeros((len(texts), tokens.shape[-1]), dtype=np.float32)
            mask = encoded["attention_mask"].astype(bool)
            for row, i in enumerate(batch):
                own = tokens[row][mask[row]]
                text_vectors[i] = _unit(own.mean(axis=0))
                starts, ends = offsets[row][mask[row], 0], offsets[row][mask[row], 1]
                real = ends > starts  # [CLS] and [SEP] have empty offsets
                for s, e in spans[i]:
                    inside = real & (starts >= s) & (ends <= e)
                    span_vectors[i].append(_unit(own[inside].mean(axis=0)) if inside.any() else None)
            if on_batch:
                on_batch(len(batch))
        if text_vectors is None:
            text_vectors = np.zeros((0, self.dimension), dtype=np.float32)
        return text_vectors, span_vectors

    # ------------------------------------------------------------ questions

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector (read-only: it may be shared with later identical queries)."""
        return self.queries.get(text, lambda t: self.embed_documents([t])[0])

    def _query_key(self, text: str) -> str:
        key = " ".join(text.split())  # the tokenizer splits on whitespace, whatever its kind
        return key.lower() if self._lowercases else key

    @cached_property
    def _lowercases(self) -> bool:
        """True when the tokenizer reads "A" and "a" alike (an uncased model)."""
        return bool(self.tokenizer.tokenize("Aa") == self.tokenizer.tokenize("aa"))

    def is_uncommon_word(self, word: str) -> bool:
        """True when the model's vocabulary has no single piece for ``word``: a rough,
        offline sign that the word is uncommon in general English ("jaywalking",
        not "trip")."""
        return len(self.tokenizer.tokenize(word)) > 1


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)
